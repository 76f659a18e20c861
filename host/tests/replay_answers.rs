//! `tcpip replay --out`: the board answers ARP and ping from real captures
//! (../shared/pcaps) with the whole board design running (receive pipeline, ARP and
//! echo responders, transmit pipeline). For every who-has and echo request addressed to
//! the board in the capture there is exactly one correct reply, checked by etherparse:
//! well-formed, checksums right, identifier, sequence and payload echoed.

use etherparse::{Icmpv4Type, NetSlice, SlicedPacket, TransportSlice};
use std::path::PathBuf;
use std::process::Command;

fn capture(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/pcaps")
        .join(name);
    if !path.exists() {
        panic!(
            "{} is missing: the shared captures are needed for this test",
            path.display()
        );
    }
    path
}

fn read_pcap(path: &std::path::Path) -> Vec<Vec<u8>> {
    tcpip_sim::pcap::read_frames(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|f| f.data)
        .collect()
}

#[derive(Debug, PartialEq, Eq)]
enum Ask {
    WhoHas {
        sender_mac: [u8; 6],
        sender_ip: [u8; 4],
    },
    Echo {
        src_mac: [u8; 6],
        src_ip: [u8; 4],
        id: u16,
        seq: u16,
        payload: Vec<u8>,
    },
}

/// The requests in `frames` that a board at (`mac`, `ip`) must answer.
fn requests(frames: &[Vec<u8>], mac: [u8; 6], ip: [u8; 4]) -> Vec<Ask> {
    let mut asks = vec![];
    for f in frames {
        let Ok(p) = SlicedPacket::from_ethernet(f) else {
            continue;
        };
        let Some(eth) = p.link.as_ref().and_then(|l| l.to_header()) else {
            continue;
        };
        let eth = match eth {
            etherparse::LinkHeader::Ethernet2(e) => e,
            _ => continue,
        };
        if p.vlan().is_some() {
            continue; // the board is not on a VLAN
        }
        if eth.ether_type == etherparse::EtherType::ARP {
            // ARP: htype 1, ptype 0x0800, op 1, target ip ours.
            let a = &f[14..];
            if a.len() >= 28 && a[6..8] == [0, 1] && a[24..28] == ip {
                asks.push(Ask::WhoHas {
                    sender_mac: a[8..14].try_into().unwrap(),
                    sender_ip: a[14..18].try_into().unwrap(),
                });
            }
            continue;
        }
        if eth.destination != mac {
            continue;
        }
        let (Some(NetSlice::Ipv4(ipv4)), Some(TransportSlice::Icmpv4(icmp))) =
            (&p.net, &p.transport)
        else {
            continue;
        };
        if ipv4.header().destination() != ip {
            continue;
        }
        if let Icmpv4Type::EchoRequest(e) = icmp.icmp_type() {
            asks.push(Ask::Echo {
                src_mac: eth.source,
                src_ip: ipv4.header().source(),
                id: e.id,
                seq: e.seq,
                payload: icmp.payload().to_vec(),
            });
        }
    }
    asks
}

/// Checks one reply frame against its request.
fn check_reply(reply: &[u8], ask: &Ask, mac: [u8; 6], ip: [u8; 4]) {
    let p = SlicedPacket::from_ethernet(reply).expect("etherparse rejects the reply");
    let eth = match p.link.as_ref().and_then(|l| l.to_header()) {
        Some(etherparse::LinkHeader::Ethernet2(e)) => e,
        other => panic!("not Ethernet II: {other:?}"),
    };
    assert_eq!(eth.source, mac, "reply source MAC");
    match ask {
        Ask::WhoHas {
            sender_mac,
            sender_ip,
        } => {
            assert_eq!(eth.destination, *sender_mac);
            assert_eq!(eth.ether_type, etherparse::EtherType::ARP);
            let a = &reply[14..];
            assert_eq!(a[..8], [0, 1, 8, 0, 6, 4, 0, 2], "ARP reply header");
            assert_eq!(a[8..14], mac, "sender MAC");
            assert_eq!(a[14..18], ip, "sender IP");
            assert_eq!(a[18..24], *sender_mac, "target MAC");
            assert_eq!(a[24..28], *sender_ip, "target IP");
        }
        Ask::Echo {
            src_mac,
            src_ip,
            id,
            seq,
            payload,
        } => {
            assert_eq!(eth.destination, *src_mac);
            let Some(NetSlice::Ipv4(ipv4)) = &p.net else {
                panic!("not IPv4")
            };
            let h = ipv4.header().to_header();
            assert_eq!(
                h.calc_header_checksum(),
                h.header_checksum,
                "IPv4 header checksum"
            );
            assert_eq!((h.source, h.destination), (ip, *src_ip));
            let Some(TransportSlice::Icmpv4(icmp)) = &p.transport else {
                panic!("not ICMP")
            };
            match icmp.icmp_type() {
                Icmpv4Type::EchoReply(e) => assert_eq!((e.id, e.seq), (*id, *seq)),
                other => panic!("not an echo reply: {other:?}"),
            }
            assert_eq!(icmp.payload(), &payload[..], "echoed payload");
            let header = icmp.header();
            assert_eq!(
                header.icmp_type.calc_checksum(icmp.payload()),
                header.checksum,
                "ICMP checksum"
            );
        }
    }
}

fn answered(name: &str, mac: &str, ip: [u8; 4]) {
    let input = capture(name);
    let out = std::env::temp_dir().join(format!("tcpip-replay-out-{}-{name}", std::process::id()));
    let ip_text = format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
    let run = Command::new(env!("CARGO_BIN_EXE_tcpip"))
        .args([
            "replay",
            input.to_str().unwrap(),
            "--mac",
            mac,
            "--ip",
            &ip_text,
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mac_bytes: Vec<u8> = mac
        .split(':')
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    let mac_bytes: [u8; 6] = mac_bytes.try_into().unwrap();
    let asks = requests(&read_pcap(&input), mac_bytes, ip);
    let replies = read_pcap(&out);
    let _ = std::fs::remove_file(&out);
    assert!(
        !asks.is_empty(),
        "{name}: no request addressed to the board"
    );
    assert_eq!(replies.len(), asks.len(), "{name}: one reply per request");
    for (reply, ask) in replies.iter().zip(&asks) {
        check_reply(reply, ask, mac_bytes, ip);
    }
}

#[test]
fn arp_who_has_from_suricata_and_zeek() {
    answered("suricata-arp.pcap", "00:1d:09:f0:92:ab", [10, 10, 10, 1]);
    answered("zeek-arp-who-has.pcap", "f8:ed:a5:c0:a4:f1", [10, 0, 0, 1]);
}

#[test]
fn five_pings_from_zeek() {
    answered(
        "zeek-icmp-5-pings.pcap",
        "a6:83:e7:0c:90:64",
        [172, 217, 11, 78],
    );
}

#[test]
fn ping_with_an_empty_payload() {
    answered(
        "zeek-chksums-ip4-icmp-good-chksum.pcap",
        "00:10:db:88:d2:ef",
        [192, 168, 1, 101],
    );
}
