//! Segment handling under arbitrary input: the bytes are cut into packets and fed,
//! one by one, to a stack holding an established connection and a listener. Raw
//! bytes go through the IPv4 parser; a second copy of each packet gets a valid TCP
//! checksum so the engine's own event processing sees every header field value.
//! Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Duration;
use tcpip_host::tcp::segment::transport_checksum;
use tcpip_host::tcp::{Config, Flags, Segment, Stack, Time};

const US: [u8; 4] = [10, 0, 0, 1];
const PEER: [u8; 4] = [10, 0, 0, 2];

fn established() -> (Stack, Time) {
    let mut stack = Stack::new(US, [3; 16], Config::default());
    let now = Time::from_millis(1);
    stack.listen(80, 8).unwrap();
    let mut syn = Segment::new((PEER, 40000), (US, 80));
    syn.flags = Flags::SYN;
    syn.seq = 1000;
    syn.window = 65535;
    stack.receive(&syn, now);
    let synack = stack.poll(now).pop().unwrap();
    let mut ack = Segment::new((PEER, 40000), (US, 80));
    ack.flags = Flags::ACK;
    ack.seq = 1001;
    ack.ack = synack.seq.wrapping_add(1);
    ack.window = 65535;
    stack.receive(&ack, now);
    (stack, now)
}

fuzz_target!(|data: &[u8]| {
    let (mut stack, mut now) = established();
    // Packets are separated by a length byte; a byte of 0xff advances time instead.
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        if n == 0xff {
            now = now + Duration::from_millis(700);
            rest = tail;
        } else {
            let len = (n as usize).min(tail.len());
            let (pkt, tail) = tail.split_at(len);
            rest = tail;
            if let Ok(s) = Segment::parse_ipv4(pkt) {
                stack.receive(&s, now);
            }
            if pkt.len() >= 20 {
                let mut tcp = pkt.to_vec();
                // Aim at our connection or listener half the time.
                if tcp[0] & 1 == 0 {
                    tcp[0..2].copy_from_slice(&40000u16.to_be_bytes());
                    tcp[2..4].copy_from_slice(&80u16.to_be_bytes());
                }
                tcp[16] = 0;
                tcp[17] = 0;
                let c = transport_checksum(PEER, US, 6, &tcp);
                tcp[16..18].copy_from_slice(&c.to_be_bytes());
                if let Ok(s) = Segment::parse_tcp(PEER, US, &tcp) {
                    stack.receive(&s, now);
                }
            }
        }
        for s in stack.poll(now) {
            // Everything we emit must survive our own parser.
            assert!(Segment::parse_ipv4(&s.emit_ipv4()).is_ok());
        }
        for (id, _) in stack.events() {
            let _ = stack.recv_all(id);
        }
    }
});
