//! Frames shared by the sim tests: the board's identity and a seeded mix of good frames
//! of every kind the receive pipeline parses, and an ARP who-has.
#![allow(dead_code)] // each test binary uses part of it

use etherparse::PacketBuilder;
use rand::{rngs::StdRng, Rng};
use tcpip_sim::rx::RxConfig;

pub const OUR_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
pub const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
pub const OUR_IP: [u8; 4] = [10, 0, 0, 2];
pub const PEER_IP: [u8; 4] = [10, 0, 0, 1];

pub const CONFIG: RxConfig = RxConfig {
    mac: OUR_MAC,
    ip: OUR_IP,
    netmask: [255, 255, 255, 0],
    promiscuous: false,
};

/// One good frame of kind `i % 7`, random fields and payload.
pub fn good_frame(rng: &mut StdRng, i: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..rng.gen_range(0..400)).map(|_| rng.gen()).collect();
    let dst = match i % 11 {
        0 => [0xFF; 6],
        5 => [0x02, 0, 0, 0, 0, 9], // not ours: filtered unless promiscuous
        _ => OUR_MAC,
    };
    let dst_ip = if i % 13 == 4 { [10, 0, 0, 77] } else { OUR_IP };
    let eth = PacketBuilder::ethernet2(PEER_MAC, dst);
    let mut f = vec![];
    match i % 7 {
        0 => eth
            .ipv4(PEER_IP, dst_ip, rng.gen())
            .udp(rng.gen(), rng.gen())
            .write(&mut f, &payload)
            .unwrap(),
        1 => eth
            .ipv4(PEER_IP, dst_ip, 64)
            .tcp(rng.gen(), rng.gen(), rng.gen(), rng.gen())
            .syn()
            .ack(rng.gen())
            .options(&[
                etherparse::TcpOptionElement::MaximumSegmentSize(rng.gen()),
                etherparse::TcpOptionElement::Noop,
                etherparse::TcpOptionElement::WindowScale(rng.gen_range(0..15)),
                etherparse::TcpOptionElement::SelectiveAcknowledgementPermitted,
                etherparse::TcpOptionElement::Timestamp(rng.gen(), rng.gen()),
            ])
            .unwrap()
            .write(&mut f, &payload)
            .unwrap(),
        // Every other one an ICMP error (which goes to the host as RxIcmp, its first
        // 64 bytes), the rest echo requests (answered by the board).
        2 if i % 2 == 1 => eth
            .ipv4(PEER_IP, dst_ip, 64)
            .icmpv4(etherparse::Icmpv4Type::DestinationUnreachable(
                etherparse::icmpv4::DestUnreachableHeader::FragmentationNeeded {
                    next_hop_mtu: rng.gen(),
                },
            ))
            .write(&mut f, &payload)
            .unwrap(),
        2 => eth
            .ipv4(PEER_IP, dst_ip, 64)
            .icmpv4_echo_request(rng.gen(), rng.gen())
            .write(&mut f, &payload)
            .unwrap(),
        3 => eth
            .single_vlan(rng.gen_range(0..4095).try_into().unwrap())
            .ipv4(PEER_IP, dst_ip, 64)
            .tcp(rng.gen(), rng.gen(), rng.gen(), rng.gen())
            .psh()
            .ack(rng.gen())
            .write(&mut f, &payload)
            .unwrap(),
        4 => eth
            .arp(
                etherparse::ArpPacket::new(
                    etherparse::ArpHardwareId::ETHERNET,
                    etherparse::EtherType::IPV4,
                    if rng.gen() {
                        etherparse::ArpOperation::REQUEST
                    } else {
                        etherparse::ArpOperation::REPLY
                    },
                    &PEER_MAC,
                    &PEER_IP,
                    &[0; 6],
                    &OUR_IP,
                )
                .unwrap(),
            )
            .write(&mut f)
            .unwrap(),
        5 => eth
            .ipv6([1; 16], [2; 16], 64)
            .udp(1, 2)
            .write(&mut f, &payload)
            .unwrap(),
        _ => eth
            .ipv4(PEER_IP, dst_ip, 64)
            .tcp(rng.gen(), rng.gen(), rng.gen(), rng.gen())
            .fin()
            .ack(rng.gen())
            .write(&mut f, &payload[..payload.len().min(1400)])
            .unwrap(),
    }
    f
}

/// An ARP who-has (broadcast, Ethernet/IPv4) from `sender` asking for `target_ip`.
pub fn who_has_frame(sender_mac: [u8; 6], sender_ip: [u8; 4], target_ip: [u8; 4]) -> Vec<u8> {
    let mut f = vec![0xFF; 6];
    f.extend_from_slice(&sender_mac);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&sender_mac);
    f.extend_from_slice(&sender_ip);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target_ip);
    f
}
