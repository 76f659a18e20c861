//! The board answers pings and who-has on its own at line rate: 500 requests back to
//! back get 500 answers, every one right, on the whole board core's Verilator model.
//! The echo and ARP keep no queue of their own beyond the transmit stage's two buffers
//! and ArpTx's reply slot, so a board that fell behind would drop requests: the count
//! is the check.
//!
//! Pings come a byte a clock with the 12-byte gap, eight times the wire's 100 Mbit/s:
//! the echo keeps up even so. Who-has come at the wire's own rate: each frame whole at a
//! byte a clock, as the board's receive buffer hands the core a frame once it has
//! arrived, then quiet for the rest of the frame's time on the wire (8 clocks a byte,
//! gap included). ArpTx's one reply slot is busy for about 50 byte times after a
//! who-has (see its module), so at a byte a clock every other one would be dropped.
//!
//! Replies are checked against the request by etherparse (addresses swapped, type,
//! identifier, sequence number and data, both checksums); the PHY side's own checks say
//! every frame had its preamble, a good FCS and at least the 12-byte gap.

mod support;

use etherparse::{
    ArpOperation, ArpPacketSlice, Icmpv4Type, NetSlice, PacketBuilder, SlicedPacket, TransportSlice,
};
use support::who_has_frame;
use tcpip_sim::backend::Backend;
use tcpip_sim::board::{VirtualBoard, DEFAULT_IP, DEFAULT_MAC};

const COUNT: usize = 500;

/// Peer `k`'s addresses: a MAC and an IP of its own, so that answers can be told apart.
fn peer(k: usize) -> ([u8; 6], [u8; 4]) {
    let (hi, lo) = ((k >> 8) as u8, k as u8);
    ([0x02, 0, 0, 0x10, hi, lo], [10, 1, hi, lo])
}

fn ping(k: usize, payload_len: usize) -> Vec<u8> {
    let (mac, ip) = peer(k);
    let data: Vec<u8> = (0..payload_len).map(|i| (i * 7 + k) as u8).collect();
    let mut f = vec![];
    PacketBuilder::ethernet2(mac, DEFAULT_MAC)
        .ipv4(ip, DEFAULT_IP, 64)
        .icmpv4_echo_request(0x4242, k as u16)
        .write(&mut f, &data)
        .unwrap();
    f
}

fn who_has(k: usize) -> Vec<u8> {
    let (mac, ip) = peer(k);
    who_has_frame(mac, ip, DEFAULT_IP)
}

fn board() -> VirtualBoard {
    let mut board = VirtualBoard::new(Backend::Verilator).unwrap_or_else(|e| {
        panic!("the whole board's Verilator model is needed here (install verilator): {e}")
    });
    board.run_until_idle(100_000);
    board
}

/// Pushes `requests` back to back, runs until the board is quiet; returns the frames it
/// sent and the clocks it took.
/// With `wire_paced`, each request is followed by the quiet clocks that make its time
/// on the wire at 100 Mbit/s (8 clocks a byte at 100 MHz).
fn answer(board: &mut VirtualBoard, requests: &[Vec<u8>], wire_paced: bool) -> (Vec<Vec<u8>>, u64) {
    let start = board.cycles();
    for r in requests {
        board.push_frame(r);
        if wire_paced {
            // Preamble and SFD, the frame padded to 60, the FCS, the gap.
            let wire_bytes = 8 + r.len().max(60) + 4 + 12;
            board.run(wire_bytes as u64 * 8);
        }
    }
    board.run_until_idle(50_000_000);
    (board.take_frames(), board.cycles() - start)
}

fn check_echo_reply(k: usize, payload_len: usize, reply: &[u8]) {
    let (mac, ip) = peer(k);
    let p = SlicedPacket::from_ethernet(reply).unwrap_or_else(|e| panic!("reply {k}: {e}"));
    assert_eq!(&reply[0..6], &mac, "reply {k}: destination");
    assert_eq!(&reply[6..12], &DEFAULT_MAC, "reply {k}: source");
    let Some(NetSlice::Ipv4(ipv4)) = &p.net else {
        panic!("reply {k} is not IPv4")
    };
    let h = ipv4.header().to_header();
    assert_eq!((h.source, h.destination), (DEFAULT_IP, ip), "reply {k}");
    assert_eq!(h.header_checksum, h.calc_header_checksum(), "reply {k}");
    let Some(TransportSlice::Icmpv4(icmp)) = &p.transport else {
        panic!("reply {k} is not ICMP")
    };
    match icmp.icmp_type() {
        Icmpv4Type::EchoReply(e) => assert_eq!((e.id, e.seq), (0x4242, k as u16), "reply {k}"),
        other => panic!("reply {k}: {other:?}"),
    }
    let data: Vec<u8> = (0..payload_len).map(|i| (i * 7 + k) as u8).collect();
    assert_eq!(icmp.payload(), &data[..], "reply {k}");
    let want = icmp.icmp_type().calc_checksum(icmp.payload());
    assert_eq!(icmp.checksum(), want, "reply {k}: ICMP checksum");
}

fn pings_back_to_back(payload_len: usize) {
    let mut board = board();
    let requests: Vec<Vec<u8>> = (0..COUNT).map(|k| ping(k, payload_len)).collect();
    let (replies, clocks) = answer(&mut board, &requests, false);
    assert_eq!(replies.len(), COUNT, "{payload_len}-byte pings: replies");
    for (k, reply) in replies.iter().enumerate() {
        check_echo_reply(k, payload_len, reply);
    }
    let stats = board.tx_stats();
    assert_eq!(stats.frames, COUNT as u64);
    assert_eq!(
        (stats.bad_preamble, stats.bad_fcs, stats.short_gap),
        (0, 0, 0)
    );
    println!(
        "{COUNT} back-to-back {payload_len}-byte pings: {COUNT} replies in {clocks} clocks \
         ({:.1} a request)",
        clocks as f64 / COUNT as f64
    );
}

#[test]
fn full_size_pings_back_to_back_all_answered() {
    pings_back_to_back(1472);
}

#[test]
fn minimum_size_pings_back_to_back_all_answered() {
    pings_back_to_back(18);
}

#[test]
fn who_has_back_to_back_at_the_wire_rate_all_answered() {
    let mut board = board();
    let requests: Vec<Vec<u8>> = (0..COUNT).map(who_has).collect();
    let (replies, _) = answer(&mut board, &requests, true);
    assert_eq!(replies.len(), COUNT, "is-at replies");
    for (k, reply) in replies.iter().enumerate() {
        let (mac, ip) = peer(k);
        assert_eq!(&reply[0..6], &mac, "reply {k}: destination");
        assert_eq!(&reply[6..12], &DEFAULT_MAC, "reply {k}: source");
        assert_eq!(&reply[12..14], &[0x08, 0x06], "reply {k}: EtherType");
        let a = ArpPacketSlice::from_slice(&reply[14..]).unwrap();
        assert_eq!(a.operation(), ArpOperation::REPLY, "reply {k}");
        assert_eq!(
            (a.sender_hw_addr(), a.sender_protocol_addr()),
            (&DEFAULT_MAC[..], &DEFAULT_IP[..]),
            "reply {k}"
        );
        assert_eq!(
            (a.target_hw_addr(), a.target_protocol_addr()),
            (&mac[..], &ip[..]),
            "reply {k}"
        );
    }
    let stats = board.tx_stats();
    assert_eq!(stats.frames, COUNT as u64);
    assert_eq!(
        (stats.bad_preamble, stats.bad_fcs, stats.short_gap),
        (0, 0, 0)
    );
}
