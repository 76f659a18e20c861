//! SerialLink over a real PTY pair made by socat: both ends exchange messages both
//! ways through the kernel's tty layer, and a missing port gets a one-sentence error.

mod pty;

use pty::pty_pair;
use std::time::{Duration, Instant};
use tcpip_host::link::message::*;
use tcpip_host::link::{Link, Message, SerialLink};

fn samples() -> Vec<Message> {
    let mut counters = [0u32; 32];
    for (i, c) in counters.iter_mut().enumerate() {
        *c = (i as u32) << 24 | 0x00AB_0000 | i as u32; // bytes of 0x00 included
    }
    vec![
        Message::Hello(Hello {
            version: LINK_VERSION,
            mac: [2, 0, 0, 0, 0, 1],
            ip: [10, 0, 0, 2],
            build_id: 0xC0FFEE,
            rx_fifo_bytes: 2048,
            rx_record_overhead: 35,
        }),
        Message::Counters(counters),
        Message::RxTcp(RxTcp {
            src_mac: [2, 0, 0, 0, 0, 9],
            src_ip: [10, 0, 0, 1],
            src_port: 40000,
            dst_port: 80,
            seq: 0xDEAD_BEEF,
            ack: 0,
            flags: tcp_flags::SYN,
            window: 64240,
            mss: 1460,
            window_scale: 7,
            option_flags: option_flags::SACK_PERMITTED | option_flags::TIMESTAMPS,
            options: vec![
                2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
            ],
            payload: vec![],
        }),
        // A full-size segment with every byte value, 0x00 included.
        Message::RxTcp(RxTcp {
            src_mac: [2, 0, 0, 0, 0, 9],
            src_ip: [10, 0, 0, 1],
            src_port: 40000,
            dst_port: 80,
            seq: 1,
            ack: 1,
            flags: tcp_flags::ACK | tcp_flags::PSH,
            window: 501,
            mss: 0,
            window_scale: 0xFF,
            option_flags: 0,
            options: vec![],
            payload: (0..1460).map(|i| i as u8).collect(),
        }),
        Message::TxTcp(TxTcp {
            tag: 42,
            dst_mac: [2, 0, 0, 0, 0, 9],
            dst_ip: [10, 0, 0, 1],
            src_port: 80,
            dst_port: 40000,
            seq: 7,
            ack: 0xDEAD_BEF0,
            flags: tcp_flags::SYN | tcp_flags::ACK,
            window: 65535,
            options: vec![2, 4, 5, 180],
            payload: b"GET / HTTP/1.0\r\n\r\n\0".to_vec(),
        }),
    ]
}

/// Sends every sample from `a`, receives them in order on `b`, then nothing more.
fn exchange(a: &mut SerialLink, b: &mut SerialLink) {
    let sent = samples();
    for m in &sent {
        a.send(m).unwrap();
    }
    for m in &sent {
        let got = b.recv(Duration::from_secs(5)).unwrap();
        assert_eq!(got.as_ref(), Some(m));
    }
    assert_eq!(b.recv(Duration::from_millis(50)).unwrap(), None);
    assert_eq!(b.stats().dropped(), 0, "{:?}", b.stats());
    assert_eq!(b.stats().frames_ok, sent.len() as u64);
}

#[test]
fn messages_cross_a_pty_pair_both_ways() {
    let Some(pair) = pty_pair() else { return };
    let mut left = SerialLink::open(&pair.paths[0], LinkRate::Mbaud12).unwrap();
    let mut right = SerialLink::open(&pair.paths[1], LinkRate::Mbaud12).unwrap();
    exchange(&mut left, &mut right);
    exchange(&mut right, &mut left);
}

#[test]
fn recv_waits_for_its_timeout_then_returns_none() {
    let Some(pair) = pty_pair() else { return };
    let mut left = SerialLink::open(&pair.paths[0], LinkRate::Mbaud12).unwrap();
    let _right = SerialLink::open(&pair.paths[1], LinkRate::Mbaud12).unwrap();
    let start = Instant::now();
    assert_eq!(left.recv(Duration::from_millis(200)).unwrap(), None);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(190),
        "returned after {waited:?}"
    );
    assert!(waited < Duration::from_secs(2), "returned after {waited:?}");
}

#[test]
fn an_absent_port_is_one_sentence_naming_the_available_ones() {
    let path = "/dev/tcpip-no-such-port";
    let err = SerialLink::open(path, LinkRate::Mbaud12)
        .err()
        .expect("opening a missing port must fail");
    let msg = format!("{err:#}");
    let ports: Vec<String> = serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.port_name)
        .collect();
    let want = if ports.is_empty() {
        format!("serial port {path} does not exist, and no serial ports were found.")
    } else {
        format!(
            "serial port {path} does not exist; available ports: {}.",
            ports.join(", ")
        )
    };
    eprintln!("{msg}");
    assert_eq!(msg, want);
    assert!(!msg.contains('\n'));
}
