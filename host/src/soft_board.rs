//! A software stand-in for the board: what the hardware does for the host (Ethernet,
//! IPv4 and checksums, ARP), in plain Rust and in zero time, behind the same link
//! messages. `tcpip serve --link model` runs on it, so the host runtime, the TAP bridge
//! and the apps can be tried against Linux without the (slow) hardware simulation.
//! It is a test double, not a reference: the hardware's behaviour is what the
//! simulated board (`--link sim`) shows.

use crate::serve::EthernetBoard;
use std::collections::VecDeque;
use std::time::Duration;
use tcpip_host::link::message::{option_flags, Hello, RxTcp, RxUdp, LINK_VERSION};
use tcpip_host::link::{Link, Message};
use tcpip_host::tcp::segment::{parse_ipv4_header, parse_options, Segment};
use tcpip_host::udp::Datagram;

const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;

pub struct SoftBoard {
    mac: [u8; 6],
    ip: [u8; 4],
    to_host: VecDeque<Message>,
    frames: Vec<Vec<u8>>,
}

impl Default for SoftBoard {
    fn default() -> SoftBoard {
        SoftBoard {
            mac: [2, 0, 0, 0, 0, 2],
            ip: [192, 0, 2, 2],
            to_host: VecDeque::new(),
            frames: Vec::new(),
        }
    }
}

fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4];
    a.extend_from_slice(&op.to_be_bytes());
    a.extend_from_slice(&sha);
    a.extend_from_slice(&spa);
    a.extend_from_slice(&tha);
    a.extend_from_slice(&tpa);
    a
}

impl SoftBoard {
    fn receive_arp(&mut self, src_mac: [u8; 6], a: &[u8]) {
        if a.len() < 28 || a[..6] != [0, 1, 8, 0, 6, 4] {
            return;
        }
        let op = u16::from_be_bytes([a[6], a[7]]);
        let sha: [u8; 6] = a[8..14].try_into().unwrap_or_default();
        let spa: [u8; 4] = a[14..18].try_into().unwrap_or_default();
        let tpa: [u8; 4] = a[24..28].try_into().unwrap_or_default();
        if tpa != self.ip {
            return;
        }
        match op {
            1 => {
                let reply = arp(2, self.mac, self.ip, sha, spa);
                self.frames
                    .push(ethernet(src_mac, self.mac, ETH_ARP, &reply));
            }
            2 => self
                .to_host
                .push_back(Message::ArpReply { ip: spa, mac: sha }),
            _ => {}
        }
    }

    fn receive_ipv4(&mut self, src_mac: [u8; 6], p: &[u8]) {
        let Ok((src, dst, proto, body)) = parse_ipv4_header(p) else {
            return;
        };
        if dst != self.ip {
            return;
        }
        match proto {
            6 => {
                // Checksum checked by parsing; the raw options are read from the bytes.
                let Ok(seg) = Segment::parse_tcp(src, dst, body) else {
                    return;
                };
                let hlen = (body[12] >> 4) as usize * 4;
                let options = body[20..hlen].to_vec();
                let o = parse_options(&options);
                self.to_host.push_back(Message::RxTcp(RxTcp {
                    src_mac,
                    src_ip: src,
                    src_port: seg.src_port,
                    dst_port: seg.dst_port,
                    seq: seg.seq,
                    ack: seg.ack,
                    flags: u16::from_be_bytes([body[12] & 1, body[13]]),
                    window: seg.window,
                    mss: o.mss.unwrap_or(0),
                    window_scale: o.window_scale.unwrap_or(0xff),
                    option_flags: if o.sack_permitted {
                        option_flags::SACK_PERMITTED
                    } else {
                        0
                    } | if o.timestamps.is_some() {
                        option_flags::TIMESTAMPS
                    } else {
                        0
                    },
                    options,
                    payload: seg.payload,
                }));
            }
            17 => {
                let Ok(d) = Datagram::parse_udp(src, dst, body) else {
                    return;
                };
                self.to_host.push_back(Message::RxUdp(RxUdp {
                    src_mac,
                    src_ip: src,
                    dst_ip: dst,
                    src_port: d.src_port,
                    dst_port: d.dst_port,
                    payload: d.payload,
                }));
            }
            _ => {}
        }
    }
}

impl Link for SoftBoard {
    fn send(&mut self, msg: &Message) -> anyhow::Result<()> {
        match msg {
            Message::Config(c) => {
                self.mac = c.mac;
                self.ip = c.ip;
                self.to_host.push_back(Message::Hello(Hello {
                    version: LINK_VERSION,
                    mac: c.mac,
                    ip: c.ip,
                    build_id: 0,
                }));
            }
            Message::TxTcp(t) => {
                let mut seg = Segment::new((self.ip, t.src_port), (t.dst_ip, t.dst_port));
                seg.seq = t.seq;
                seg.ack = t.ack;
                seg.flags = tcpip_host::tcp::Flags(t.flags as u8);
                seg.window = t.window;
                seg.options = parse_options(&t.options);
                seg.payload = t.payload.clone();
                self.frames
                    .push(ethernet(t.dst_mac, self.mac, ETH_IPV4, &seg.emit_ipv4()));
                self.to_host.push_back(Message::TxDone { tag: t.tag });
            }
            Message::TxUdp(u) => {
                let d = Datagram {
                    src_addr: self.ip,
                    dst_addr: u.dst_ip,
                    src_port: u.src_port,
                    dst_port: u.dst_port,
                    payload: u.payload.clone(),
                };
                self.frames
                    .push(ethernet(u.dst_mac, self.mac, ETH_IPV4, &d.emit_ipv4()));
                self.to_host.push_back(Message::TxDone { tag: u.tag });
            }
            Message::ArpRequest { ip } => {
                let req = arp(1, self.mac, self.ip, [0; 6], *ip);
                self.frames
                    .push(ethernet([0xff; 6], self.mac, ETH_ARP, &req));
            }
            Message::GetCounters => self.to_host.push_back(Message::Counters([0; 32])),
            _ => {}
        }
        Ok(())
    }

    fn recv(&mut self, _timeout: Duration) -> anyhow::Result<Option<Message>> {
        Ok(self.to_host.pop_front())
    }
}

impl EthernetBoard for SoftBoard {
    fn link(&mut self) -> &mut dyn Link {
        self
    }
    fn push_frame(&mut self, frame: &[u8]) {
        if frame.len() < 14 {
            return;
        }
        let dst = &frame[..6];
        if dst != self.mac && dst != [0xff; 6] {
            return;
        }
        let src: [u8; 6] = frame[6..12].try_into().unwrap_or_default();
        let payload = &frame[14..];
        match u16::from_be_bytes([frame[12], frame[13]]) {
            ETH_ARP => self.receive_arp(src, payload),
            ETH_IPV4 => self.receive_ipv4(src, payload),
            _ => {}
        }
    }
    fn take_frames(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.frames)
    }
}
