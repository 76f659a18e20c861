//! The session's conversions between link messages and engine segments, checked
//! against the link codec (frames encoded and decoded) and against etherparse reading
//! the segment's own wire bytes (an independent TCP parser standing in for the
//! hardware's).

use etherparse::{TcpHeader, TcpOptionElement};
use tcpip_host::link::message::{decode_frame, encode_frame, option_flags, tcp_flags, RxTcp};
use tcpip_host::link::Message;
use tcpip_host::netstack::{segment_from_rx, tx_from_segment};
use tcpip_host::tcp::{Flags, Segment, TcpOptions};

const PEER: [u8; 4] = [192, 0, 2, 1];
const US: [u8; 4] = [192, 0, 2, 2];
const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

fn through_codec(msg: Message) -> Message {
    let frame = encode_frame(&msg).unwrap();
    // The frame ends in its delimiter, which decode_frame does not take.
    decode_frame(&frame[..frame.len() - 1]).unwrap()
}

fn segments() -> Vec<Segment> {
    let mut out = Vec::new();
    let mut syn = Segment::new((PEER, 40000), (US, 80));
    syn.seq = 0xffff_fff0;
    syn.flags = Flags::SYN;
    syn.window = 64240;
    syn.options = TcpOptions {
        mss: Some(1460),
        window_scale: Some(7),
        sack_permitted: true,
        ..TcpOptions::default()
    };
    out.push(syn);
    let mut data = Segment::new((PEER, 40000), (US, 80));
    data.seq = 12345;
    data.ack = 999;
    data.flags = Flags::ACK | Flags::PSH | Flags::FIN;
    data.window = 501;
    data.options.sack_blocks = vec![(1, 100), (200, 300), (0xffff_0000, 5)];
    data.payload = (0..1200u32).map(|i| (i * 7) as u8).collect();
    out.push(data);
    let mut bare = Segment::new((PEER, 1), (US, 2));
    bare.flags = Flags::RST | Flags::ACK | Flags::ECE | Flags::CWR;
    out.push(bare);
    out
}

/// What the hardware would report for these wire bytes, read by etherparse.
fn rx_as_hardware_reports(wire: &[u8]) -> RxTcp {
    let (h, payload) = TcpHeader::from_slice(wire).unwrap();
    let (mut mss, mut ws, mut flags) = (0, 0xff, 0);
    for o in h.options_iterator() {
        match o.unwrap() {
            TcpOptionElement::MaximumSegmentSize(m) => mss = m,
            TcpOptionElement::WindowScale(s) => ws = s,
            TcpOptionElement::SelectiveAcknowledgementPermitted => {
                flags |= option_flags::SACK_PERMITTED
            }
            TcpOptionElement::Timestamp(..) => flags |= option_flags::TIMESTAMPS,
            _ => {}
        }
    }
    let bit = |b: bool, f: u16| if b { f } else { 0 };
    RxTcp {
        src_mac: PEER_MAC,
        src_ip: PEER,
        src_port: h.source_port,
        dst_port: h.destination_port,
        seq: h.sequence_number,
        ack: h.acknowledgment_number,
        flags: bit(h.fin, tcp_flags::FIN)
            | bit(h.syn, tcp_flags::SYN)
            | bit(h.rst, tcp_flags::RST)
            | bit(h.psh, tcp_flags::PSH)
            | bit(h.ack, tcp_flags::ACK)
            | bit(h.urg, tcp_flags::URG)
            | bit(h.ece, tcp_flags::ECE)
            | bit(h.cwr, tcp_flags::CWR)
            | bit(h.ns, tcp_flags::NS),
        window: h.window_size,
        mss,
        window_scale: ws,
        option_flags: flags,
        options: h.options.as_slice().to_vec(),
        payload: payload.to_vec(),
    }
}

#[test]
fn rx_tcp_becomes_the_segment_that_was_on_the_wire() {
    for seg in segments() {
        let rx = rx_as_hardware_reports(&seg.emit_tcp());
        let Message::RxTcp(rx) = through_codec(Message::RxTcp(rx)) else {
            panic!("not RxTcp");
        };
        assert_eq!(segment_from_rx(&rx, US), seg);
    }
}

#[test]
fn tx_tcp_carries_the_wire_header_of_the_segment() {
    for seg in segments() {
        let tx = tx_from_segment(&seg, PEER_MAC, 42);
        let Message::TxTcp(tx) = through_codec(Message::TxTcp(tx.clone())) else {
            panic!("not TxTcp");
        };
        let wire = seg.emit_tcp();
        let (h, payload) = TcpHeader::from_slice(&wire).unwrap();
        assert_eq!(tx.tag, 42);
        assert_eq!(tx.dst_mac, PEER_MAC);
        assert_eq!(tx.dst_ip, seg.dst_addr);
        assert_eq!(
            (tx.src_port, tx.dst_port),
            (h.source_port, h.destination_port)
        );
        assert_eq!(
            (tx.seq, tx.ack),
            (h.sequence_number, h.acknowledgment_number)
        );
        assert_eq!(tx.window, h.window_size);
        assert_eq!(tx.flags, seg.flags.0 as u16);
        assert_eq!(tx.options, h.options.as_slice());
        assert_eq!(tx.payload, payload);
    }
}
