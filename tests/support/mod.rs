//! Helpers shared by the root package's integration tests: an independent oracle for
//! the receive pipeline, and generators of good and bad frames.
//!
//! The oracle parses with etherparse and applies the board's receive rules written out
//! below; it never calls the hardware or its drivers, so the two can disagree and the
//! tests notice.
//!
//! Receive rules (what the hardware is expected to do, in this order):
//! 1. Frame-level errors, known only at the end of the frame: bad FCS (`fcs`), fewer
//!    than 64 bytes with FCS (`runt`), more than 1518 with FCS, 1522 if the outer
//!    ethertype is 0x8100 (`giant`). They decide the drop reason but do not stop the
//!    header parsers, which have already run by the time the frame ends.
//! 2. Layer checks, first failure wins: MAC filter (own unicast or broadcast unless
//!    promiscuous), ethertype (IPv4 or ARP after at most one 802.1Q tag), ARP shape,
//!    IPv4 version, IHL, header checksum, total length (bigger than the bytes after the
//!    Ethernet header, padding included, or smaller than the header), fragment, IP
//!    filter, protocol, then the transport checks, then: TCP to a broadcast or
//!    multicast destination (255.255.255.255, 224.0.0.0/4, our subnet's broadcast
//!    unless the mask is /31 or /32, or a group MAC) is `tcp_not_unicast`.
//!
//! Which layers a report carries: the parsers work on the structure of the frame and do
//! not stop at a failed check (the drop reason records the first one). A layer is
//! reported when its fixed header arrived: Ethernet (14 bytes, 18 tagged); ARP (28
//! bytes, fields at the Ethernet/IPv4 offsets even when the shape is wrong); IPv4 (20
//! bytes, even with a wrong version or IHL); TCP (20 bytes), UDP and ICMP (8 bytes),
//! but transport headers only in a first, unfragmented datagram with version 4 and
//! IHL >= 5. The transport bytes run from the end of the IP header to the IP total
//! length or the end of the frame, whichever is first; transport lengths (TCP payload,
//! UDP and ICMP length checks, the pseudo-header) come from the IP header. A total length
//! below the header length leaves no transport bytes (no transport layer reported); when
//! the total length does not fit the frame (`ipv4_length`), no transport checksum is
//! reported ok (except a UDP checksum of 0, which is none). A TCP header
//! with a bad data offset still reports its fixed fields and `header_len` as claimed.
//! IPv4 shorter than 20 bytes drops as `ipv4_length` (when no frame-level error).
//! TCP options are walked up to the end of the header: EOL stops, NOP is skipped, other
//! kinds are skipped by their length byte, and a length below 2 or past the header
//! stops the walk; MSS (kind 2, length 4), window scale (3, 3), SACK permitted (4, 2)
//! and timestamps (8, 10) are reported, the last occurrence winning.
//! Checksums are checked as a receiver does (RFC 1071): the one's-complement sum over
//! the covered bytes, stored checksum included, must be all ones (the IPv4 header sum
//! covers IHL x 4 bytes). A UDP checksum of 0
//! means none and passes. The UDP pseudo-header takes the length from the UDP header.

#![allow(dead_code)] // each test binary uses a different part of this module

use etherparse::checksum::Sum16BitWords;
use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, Ethernet2Header, Icmpv4Slice, IpNumber,
    Ipv4Header, Ipv4HeaderSlice, Ipv4Options, SingleVlanHeader, TcpHeader, TcpHeaderSlice,
    UdpHeader, VlanId,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tcpip_sim::report::{
    ip_string, mac_string, ArpReport, DropReason, EthReport, FrameReport, IcmpReport, Ipv4Report,
    TcpReport, UdpReport,
};

pub const BROADCAST_MAC: [u8; 6] = [0xff; 6];
pub const BROADCAST_IP: [u8; 4] = [255; 4];

/// The receive configuration the oracle judges against (mirrors the driver's RxConfig).
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    pub netmask: [u8; 4],
    pub promiscuous: bool,
}

/// The board identity the generators address frames to.
pub const BOARD: Config = Config {
    mac: [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01],
    ip: [10, 0, 0, 2],
    netmask: [255, 255, 255, 0],
    promiscuous: false,
};

/// The link's Config that gives the board `BOARD`'s identity.
pub fn board_config_message() -> tcpip_fpga::host::link::message::Message {
    use tcpip_fpga::host::link::message::{Config as LinkConfig, Message};
    Message::Config(LinkConfig {
        mac: BOARD.mac,
        ip: BOARD.ip,
        netmask: BOARD.netmask,
        promiscuous: BOARD.promiscuous,
        link_rate: Default::default(),
    })
}

/// Segment `k` of the whole-board tests' host traffic: tag k + 1, from port 7 to
/// 40000 + k, PSH,ACK, `payload_len` counting bytes.
pub fn numbered_tx_tcp(
    k: u32,
    dst_ip: [u8; 4],
    options: Vec<u8>,
    payload_len: usize,
) -> tcpip_fpga::host::link::message::Message {
    use tcpip_fpga::host::link::message::{Message, TxTcp};
    Message::TxTcp(TxTcp {
        tag: k as u16 + 1,
        dst_mac: [2, 0, 0, 0, 0, 9],
        dst_ip,
        src_port: 7,
        dst_port: 40000 + k as u16,
        seq: 1000 * k,
        ack: 77,
        flags: 0x18,
        window: 4096,
        options,
        payload: (0..payload_len).map(|i| i as u8).collect(),
    })
}

/// What the receive FIFO should hold for an accepted TCP or UDP frame. For UDP the
/// TCP-only fields are zero / None / false and are not compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedSegment {
    pub protocol: u8,
    pub src_mac: [u8; 6],
    pub src_ip: [u8; 4],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// The nine flag bits, NS in bit 8, FIN in bit 0.
    pub flags: u16,
    pub window: u16,
    pub urgent: u16,
    pub header_len: u8,
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: Option<(u32, u32)>,
    /// TCP: option bytes then payload; UDP: payload; ICMP errors: the message's bytes
    /// 4..=63.
    pub body: Vec<u8>,
}

impl ExpectedSegment {
    /// A record of UDP's shape (RxUdp, and RxIcmp, which the board writes as one): an
    /// 8-byte header, two 16-bit words where the ports go, no TCP fields.
    fn udp_shaped(
        protocol: u8,
        src_mac: [u8; 6],
        src_ip: [u8; 4],
        dst_ip: [u8; 4],
        words: [u16; 2],
        body: Vec<u8>,
    ) -> ExpectedSegment {
        ExpectedSegment {
            protocol,
            src_mac,
            src_ip,
            dst_ip,
            src_port: words[0],
            dst_port: words[1],
            seq: 0,
            ack: 0,
            flags: 0,
            window: 0,
            urgent: 0,
            header_len: 8,
            mss: None,
            window_scale: None,
            sack_permitted: false,
            timestamps: None,
            body,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub report: FrameReport,
    pub segment: Option<ExpectedSegment>,
}

// ---------------------------------------------------------------------------------------
// FCS

/// CRC-32 (IEEE 802.3), bit by bit: slow and obviously right.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The frame followed by its FCS, least significant byte first as it goes on the wire.
pub fn with_fcs(frame: &[u8]) -> Vec<u8> {
    [frame, &crc32(frame).to_le_bytes()[..]].concat()
}

/// Splits a frame that ends in an FCS and says whether that FCS is right.
pub fn split_fcs(wire: &[u8]) -> (&[u8], bool) {
    if wire.len() < 4 {
        return (&[], false);
    }
    let (frame, fcs) = wire.split_at(wire.len() - 4);
    (frame, fcs == crc32(frame).to_le_bytes())
}

// ---------------------------------------------------------------------------------------
// The oracle

/// The report the hardware should give for `frame` (without FCS) whose FCS is good or not.
pub fn expect(number: usize, frame: &[u8], config: &Config, fcs_ok: bool) -> Expected {
    let mut report = FrameReport {
        frame: number,
        verdict: "accept",
        drop_reason: None,
        eth: None,
        arp: None,
        ipv4: None,
        icmp: None,
        tcp: None,
        udp: None,
    };
    let mut segment = None;
    let layer_reason = parse_layers(frame, config, &mut report, &mut segment);

    let wire_len = frame.len() + 4;
    let tagged = frame.len() >= 14 && frame[12..14] == [0x81, 0x00];
    let max_len = if tagged { 1522 } else { 1518 };
    let frame_reason = if !fcs_ok {
        Some(DropReason::Fcs)
    } else if wire_len < 64 {
        Some(DropReason::Runt)
    } else if wire_len > max_len {
        Some(DropReason::Giant)
    } else {
        None
    };
    report.drop_reason = frame_reason.or(layer_reason);
    if report.drop_reason.is_some() {
        report.verdict = "drop";
        segment = None;
    }
    Expected { report, segment }
}

/// Records a layer check's failure unless an earlier layer already failed.
fn fail(first: &mut Option<DropReason>, reason: DropReason) {
    first.get_or_insert(reason);
}

/// Fills in the layers the hardware parses and returns the first layer check that fails.
/// Parsing goes on past a failed check (see the rules at the top of this file).
fn parse_layers(
    frame: &[u8],
    config: &Config,
    report: &mut FrameReport,
    segment: &mut Option<ExpectedSegment>,
) -> Option<DropReason> {
    let mut first = None;
    let Ok((eth, mut rest)) = Ethernet2Header::from_slice(frame) else {
        return None; // shorter than an Ethernet header: a runt
    };
    let mut ethertype = eth.ether_type.0;
    let mut vlan = None;
    if ethertype == 0x8100 {
        let Ok((tag, after)) = SingleVlanHeader::from_slice(rest) else {
            return None;
        };
        vlan = Some(tag.vlan_id.value());
        ethertype = tag.ether_type.0;
        rest = after;
    }
    report.eth = Some(EthReport {
        dst: mac_string(eth.destination),
        src: mac_string(eth.source),
        ethertype,
        vlan,
    });
    if !config.promiscuous && eth.destination != config.mac && eth.destination != BROADCAST_MAC {
        fail(&mut first, DropReason::MacFilter);
    }
    match ethertype {
        0x0806 => parse_arp(rest, report, &mut first),
        0x0800 => parse_ipv4(
            rest,
            eth.source,
            eth.destination,
            config,
            report,
            segment,
            &mut first,
        ),
        _ => fail(&mut first, DropReason::Ethertype), // IPv6, a second VLAN tag, ...
    }
    first
}

fn parse_arp(bytes: &[u8], report: &mut FrameReport, first: &mut Option<DropReason>) {
    // Ethernet/IPv4 shape, judged by etherparse.
    let well_formed = ArpPacket::from_slice(bytes).is_ok_and(|arp| arp.try_eth_ipv4().is_ok());
    if !well_formed {
        fail(first, DropReason::ArpMalformed);
    }
    // The fields sit at the Ethernet/IPv4 offsets whatever the lengths say.
    if bytes.len() >= 28 {
        let mac = |at: usize| mac_string(bytes[at..at + 6].try_into().unwrap());
        let ip = |at: usize| ip_string(bytes[at..at + 4].try_into().unwrap());
        report.arp = Some(ArpReport {
            op: get_u16(bytes, 6),
            sender_mac: mac(8),
            sender_ip: ip(14),
            target_mac: mac(18),
            target_ip: ip(24),
        });
    }
}

/// Broadcast or multicast, as RFC 1122 4.2.3.10 means it.
fn not_unicast(dst_ip: [u8; 4], dst_mac: [u8; 6], config: &Config) -> bool {
    let (ip, mask) = (
        u32::from_be_bytes(dst_ip),
        u32::from_be_bytes(config.netmask),
    );
    let subnet_broadcast = mask < 0xffff_fffe
        && ip & mask == u32::from_be_bytes(config.ip) & mask
        && ip | mask == u32::MAX;
    dst_mac[0] & 1 == 1 || ip == u32::MAX || dst_ip[0] >> 4 == 0xe || subnet_broadcast
}

#[allow(clippy::too_many_arguments)]
fn parse_ipv4(
    bytes: &[u8],
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    config: &Config,
    report: &mut FrameReport,
    segment: &mut Option<ExpectedSegment>,
    first: &mut Option<DropReason>,
) {
    if bytes.len() < 20 {
        fail(first, DropReason::Ipv4Length); // the frame ends inside the header
        return;
    }
    let (version, ihl) = (bytes[0] >> 4, bytes[0] & 0x0f);
    let header_len = usize::from(ihl) * 4;
    // Read the fixed 20 bytes with etherparse even when version or IHL are wrong.
    let mut fixed = bytes[..20].to_vec();
    fixed[0] = 0x45;
    let ip = Ipv4HeaderSlice::from_slice(&fixed).expect("20 bytes with version 4, IHL 5");
    let checksum_ok = Sum16BitWords::new()
        .add_slice(&bytes[..header_len.min(bytes.len())])
        .ones_complement()
        == 0;
    report.ipv4 = Some(Ipv4Report {
        src: ip_string(ip.source()),
        dst: ip_string(ip.destination()),
        protocol: ip.protocol().0,
        ttl: ip.ttl(),
        total_len: ip.total_len(),
        id: ip.identification(),
        header_checksum_ok: checksum_ok,
    });
    let total_len = usize::from(ip.total_len());
    let fragment = ip.more_fragments() || ip.fragments_offset().value() != 0;
    let dst = ip.destination();
    if version != 4 {
        fail(first, DropReason::Ipv4Version);
    } else if ihl < 5 {
        fail(first, DropReason::Ipv4Ihl);
    } else if !checksum_ok {
        fail(first, DropReason::Ipv4Checksum);
    } else if total_len > bytes.len() || total_len < header_len {
        fail(first, DropReason::Ipv4Length);
    } else if fragment {
        fail(first, DropReason::Fragment);
    } else if !config.promiscuous && dst != config.ip && dst != BROADCAST_IP {
        fail(first, DropReason::IpFilter);
    } else if ![1, 6, 17].contains(&ip.protocol().0) {
        fail(first, DropReason::IpProtocol);
    }
    // Transport headers are only where a first, unfragmented IPv4 datagram puts them.
    if version != 4 || ihl < 5 || fragment {
        return;
    }
    // The transport bytes run from the header to the IP total length (what is beyond is
    // Ethernet padding) or to the end of the frame, whichever comes first. Lengths the
    // transport layer checks against come from the IP header.
    // A total length below the header leaves no transport bytes at all.
    let end = total_len.min(bytes.len());
    let l4 = &bytes[header_len.min(end)..end];
    let l4 = L4 {
        bytes: l4,
        len: (total_len as u16).wrapping_sub(header_len as u16),
        // An incomplete or unbounded datagram cannot pass a checksum.
        whole: total_len <= bytes.len() && total_len >= header_len,
    };
    let (src, dst) = (ip.source(), ip.destination());
    match ip.protocol().0 {
        6 => parse_tcp(&l4, src_mac, src, dst, report, segment, first),
        17 => parse_udp(&l4, src_mac, src, dst, report, segment, first),
        1 => parse_icmp(&l4, src_mac, src, dst, report, segment, first),
        _ => {}
    }
    if ip.protocol().0 == 6 && not_unicast(dst, dst_mac, config) {
        fail(first, DropReason::TcpNotUnicast);
    }
}

/// The transport bytes of a datagram, the length IP gives them, and whether IP's
/// total length fits the frame.
struct L4<'a> {
    bytes: &'a [u8],
    len: u16,
    whole: bool,
}

fn pseudo_header_sum(src: [u8; 4], dst: [u8; 4], protocol: u8, len: u16) -> Sum16BitWords {
    Sum16BitWords::new()
        .add_4bytes(src)
        .add_4bytes(dst)
        .add_2bytes([0, protocol])
        .add_2bytes(len.to_be_bytes())
}

/// TCP options as the hardware reads them (see the rules at the top of this file).
#[derive(Default, Debug, PartialEq, Eq)]
pub struct TcpOptionsSeen {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: Option<(u32, u32)>,
}

pub fn walk_tcp_options(options: &[u8]) -> TcpOptionsSeen {
    let mut seen = TcpOptionsSeen::default();
    let mut i = 0;
    while i < options.len() {
        match options[i] {
            0 => break,
            1 => i += 1,
            kind => {
                let Some(&len) = options.get(i + 1) else {
                    break;
                };
                let len = usize::from(len);
                if len < 2 || i + len > options.len() {
                    break;
                }
                let value = &options[i + 2..i + len];
                match (kind, len) {
                    (2, 4) => seen.mss = Some(u16::from_be_bytes([value[0], value[1]])),
                    (3, 3) => seen.window_scale = Some(value[0]),
                    (4, 2) => seen.sack_permitted = true,
                    (8, 10) => {
                        let tsval = u32::from_be_bytes(value[0..4].try_into().unwrap());
                        let tsecr = u32::from_be_bytes(value[4..8].try_into().unwrap());
                        seen.timestamps = Some((tsval, tsecr));
                    }
                    _ => {}
                }
                i += len;
            }
        }
    }
    seen
}

/// Flag names in header order, NS first.
pub fn tcp_flag_names(flags: u16) -> Vec<&'static str> {
    const NAMES: [(u16, &str); 9] = [
        (0x100, "ns"),
        (0x80, "cwr"),
        (0x40, "ece"),
        (0x20, "urg"),
        (0x10, "ack"),
        (0x08, "psh"),
        (0x04, "rst"),
        (0x02, "syn"),
        (0x01, "fin"),
    ];
    NAMES
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|&(_, name)| name)
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn parse_tcp(
    l4: &L4,
    src_mac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    report: &mut FrameReport,
    segment: &mut Option<ExpectedSegment>,
    first: &mut Option<DropReason>,
) {
    let (bytes, l4_len) = (l4.bytes, l4.len);
    let Ok(tcp) = TcpHeaderSlice::from_slice(bytes) else {
        // Fewer than 20 bytes, data offset below 5, or a header longer than the segment.
        fail(first, DropReason::TcpHeader);
        if bytes.len() >= 20 {
            report_bad_tcp_header(l4, src, dst, report);
        }
        return;
    };
    let header_len = tcp.slice().len();
    let checksum_ok = l4.whole
        && pseudo_header_sum(src, dst, 6, l4_len)
            .add_slice(bytes)
            .ones_complement()
            == 0;
    let flags = u16::from(tcp.ns()) << 8 | u16::from(bytes[13]);
    let options = walk_tcp_options(tcp.options());
    report.tcp = Some(TcpReport {
        src_port: tcp.source_port(),
        dst_port: tcp.destination_port(),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: tcp_flag_names(flags),
        window: tcp.window_size(),
        urgent: tcp.urgent_pointer(),
        header_len: header_len as u8,
        payload_len: l4_len.wrapping_sub(header_len as u16),
        checksum_ok,
        mss: options.mss,
        window_scale: options.window_scale,
        sack_permitted: options.sack_permitted,
        timestamps: options.timestamps,
    });
    if !checksum_ok {
        fail(first, DropReason::TcpChecksum);
    }
    *segment = Some(ExpectedSegment {
        protocol: 6,
        src_mac,
        src_ip: src,
        dst_ip: dst,
        src_port: tcp.source_port(),
        dst_port: tcp.destination_port(),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags,
        window: tcp.window_size(),
        urgent: tcp.urgent_pointer(),
        header_len: header_len as u8,
        mss: options.mss,
        window_scale: options.window_scale,
        sack_permitted: options.sack_permitted,
        timestamps: options.timestamps,
        body: bytes[20..].to_vec(),
    });
}

/// A TCP header whose data offset is wrong: the fixed 20 bytes are still reported, with
/// the options that fit in both the claimed header and the segment.
fn report_bad_tcp_header(l4: &L4, src: [u8; 4], dst: [u8; 4], report: &mut FrameReport) {
    let (bytes, l4_len) = (l4.bytes, l4.len);
    let mut fixed = bytes[..20].to_vec();
    fixed[12] = 0x50 | (fixed[12] & 0x0f);
    let tcp = TcpHeaderSlice::from_slice(&fixed).expect("20 bytes, data offset 5");
    let header_len = usize::from(bytes[12] >> 4) * 4;
    let options = walk_tcp_options(&bytes[20.min(header_len)..header_len.clamp(20, bytes.len())]);
    let flags = u16::from(tcp.ns()) << 8 | u16::from(bytes[13]);
    report.tcp = Some(TcpReport {
        src_port: tcp.source_port(),
        dst_port: tcp.destination_port(),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: tcp_flag_names(flags),
        window: tcp.window_size(),
        urgent: tcp.urgent_pointer(),
        header_len: header_len as u8,
        payload_len: l4_len.wrapping_sub(header_len as u16),
        checksum_ok: l4.whole
            && pseudo_header_sum(src, dst, 6, l4_len)
                .add_slice(bytes)
                .ones_complement()
                == 0,
        mss: options.mss,
        window_scale: options.window_scale,
        sack_permitted: options.sack_permitted,
        timestamps: options.timestamps,
    });
}

#[allow(clippy::too_many_arguments)]
fn parse_udp(
    l4: &L4,
    src_mac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    report: &mut FrameReport,
    segment: &mut Option<ExpectedSegment>,
    first: &mut Option<DropReason>,
) {
    let (bytes, l4_len) = (l4.bytes, l4.len);
    let Ok((udp, _)) = UdpHeader::from_slice(bytes) else {
        fail(first, DropReason::UdpLength);
        return;
    };
    let checksum_ok = udp.checksum == 0
        || l4.whole
            && pseudo_header_sum(src, dst, 17, udp.length)
                .add_slice(bytes)
                .ones_complement()
                == 0;
    report.udp = Some(UdpReport {
        src_port: udp.source_port,
        dst_port: udp.destination_port,
        length: udp.length,
        checksum_ok,
    });
    if udp.length < 8 || udp.length != l4_len {
        fail(first, DropReason::UdpLength);
    } else if !checksum_ok {
        fail(first, DropReason::UdpChecksum);
    }
    *segment = Some(ExpectedSegment::udp_shaped(
        17,
        src_mac,
        src,
        dst,
        [udp.source_port, udp.destination_port],
        bytes[8..].to_vec(),
    ));
}

fn parse_icmp(
    l4: &L4,
    src_mac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    report: &mut FrameReport,
    segment: &mut Option<ExpectedSegment>,
    first: &mut Option<DropReason>,
) {
    let Ok(icmp) = Icmpv4Slice::from_slice(l4.bytes) else {
        fail(first, DropReason::IcmpLength);
        return;
    };
    let checksum_ok = l4.whole && Sum16BitWords::new().add_slice(l4.bytes).ones_complement() == 0;
    let l4_len = l4.len;
    report.icmp = Some(IcmpReport {
        icmp_type: icmp.type_u8(),
        code: icmp.code_u8(),
        checksum_ok,
    });
    if l4_len < 8 {
        fail(first, DropReason::IcmpLength);
    } else if !checksum_ok {
        fail(first, DropReason::IcmpChecksum);
    }
    // Errors go to the host (RxIcmp): type and code where UDP's source port goes, the
    // checksum where its destination port does, the message's bytes 4..=63 as body.
    if matches!(icmp.type_u8(), 3 | 11 | 12) {
        let b = l4.bytes;
        *segment = Some(ExpectedSegment::udp_shaped(
            1,
            src_mac,
            src,
            dst,
            [
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
            ],
            b[4.min(b.len())..b.len().min(64)].to_vec(),
        ));
    }
}

/// Whether a frame is one the board must accept, judged by etherparse alone and without
/// the oracle's rules: etherparse parses all of it, it fits the size limits, it is for
/// our MAC (or broadcast) and is ARP, or TCP/UDP/ICMP for our IP (or broadcast), and
/// every checksum equals what etherparse computes. Used as a second, simpler judge.
pub fn etherparse_accepts(frame: &[u8], config: &Config) -> bool {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    let Ok(packet) = SlicedPacket::from_ethernet(frame) else {
        return false;
    };
    let tagged = frame[12..14] == [0x81, 0x00];
    let size_ok = frame.len() >= 60 && frame.len() + 4 <= if tagged { 1522 } else { 1518 };
    let dst_mac = &frame[0..6];
    let mac_ok = config.promiscuous || dst_mac == config.mac || dst_mac == BROADCAST_MAC;
    if !size_ok || !mac_ok {
        return false;
    }
    let ip = match &packet.net {
        Some(NetSlice::Arp(_)) => return packet.vlan_ids().len() <= 1,
        Some(NetSlice::Ipv4(ip)) if packet.vlan_ids().len() <= 1 => ip,
        _ => return false,
    };
    let header = ip.header().to_header();
    let dst = header.destination;
    let ip_ok = config.promiscuous || dst == config.ip || dst == BROADCAST_IP;
    if !ip_ok || header.calc_header_checksum() != header.header_checksum {
        return false;
    }
    match &packet.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            // RFC 1122 4.2.3.10: TCP to a group is discarded.
            let to_group = not_unicast(dst, dst_mac.try_into().unwrap(), config);
            let want = tcp.to_header().calc_checksum_ipv4(&header, tcp.payload());
            !to_group && want.is_ok_and(|c| c == tcp.checksum())
        }
        Some(TransportSlice::Udp(udp)) => {
            let want = udp.to_header().calc_checksum_ipv4(&header, udp.payload());
            udp.checksum() == 0 || want.is_ok_and(|c| c == udp.checksum())
        }
        Some(TransportSlice::Icmpv4(icmp)) => {
            let want = etherparse::Icmpv4Header::with_checksum(icmp.icmp_type(), icmp.payload());
            want.checksum == icmp.checksum()
        }
        _ => false, // fragments, other protocols
    }
}

// ---------------------------------------------------------------------------------------
// Frame builders

/// A built frame (no FCS) and where its layers start, for tests that damage one field.
#[derive(Clone, Debug)]
pub struct Built {
    pub bytes: Vec<u8>,
    /// Offset of the IP (or ARP) header.
    pub l3: usize,
    /// Offset of the TCP/UDP/ICMP header (equal to `bytes.len()` for ARP).
    pub l4: usize,
}

pub enum Transport {
    Tcp(TcpHeader),
    Udp {
        src_port: u16,
        dst_port: u16,
        checksum: bool,
    },
    IcmpEcho {
        request: bool,
        id: u16,
        seq: u16,
    },
    /// Another IP protocol, carried as opaque bytes.
    Other(u8),
}

pub struct Ipv4Spec {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub ttl: u8,
    pub id: u16,
    /// Option bytes, a multiple of 4, at most 40.
    pub options: Vec<u8>,
}

fn l2_header(src: [u8; 6], dst: [u8; 6], vlan: Option<u16>, ethertype: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    match vlan {
        Some(id) => {
            let eth = Ethernet2Header {
                source: src,
                destination: dst,
                ether_type: EtherType(0x8100),
            };
            let tag = SingleVlanHeader {
                pcp: Default::default(),
                drop_eligible_indicator: false,
                vlan_id: VlanId::try_new(id).unwrap(),
                ether_type: EtherType(ethertype),
            };
            bytes.extend_from_slice(&eth.to_bytes());
            bytes.extend_from_slice(&tag.to_bytes());
        }
        None => {
            let eth = Ethernet2Header {
                source: src,
                destination: dst,
                ether_type: EtherType(ethertype),
            };
            bytes.extend_from_slice(&eth.to_bytes());
        }
    }
    bytes
}

/// An IPv4 frame with correct lengths and checksums, unpadded.
pub fn ipv4_frame(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    vlan: Option<u16>,
    ip: &Ipv4Spec,
    transport: Transport,
    payload: &[u8],
) -> Built {
    let protocol = match &transport {
        Transport::Tcp(_) => 6,
        Transport::Udp { .. } => 17,
        Transport::IcmpEcho { .. } => 1,
        Transport::Other(p) => *p,
    };
    let l4_bytes: Vec<u8> = match transport {
        Transport::Tcp(mut tcp) => {
            tcp.checksum = tcp.calc_checksum_ipv4_raw(ip.src, ip.dst, payload).unwrap();
            tcp.to_bytes().to_vec()
        }
        Transport::Udp {
            src_port,
            dst_port,
            checksum,
        } => {
            let udp = if checksum {
                UdpHeader::with_ipv4_checksum(
                    src_port,
                    dst_port,
                    &ip_header_for(ip, 17, 0),
                    payload,
                )
                .unwrap()
            } else {
                UdpHeader::without_ipv4_checksum(src_port, dst_port, payload.len()).unwrap()
            };
            udp.to_bytes().to_vec()
        }
        Transport::IcmpEcho { request, id, seq } => {
            use etherparse::{IcmpEchoHeader, Icmpv4Header, Icmpv4Type};
            let echo = IcmpEchoHeader { id, seq };
            let kind = if request {
                Icmpv4Type::EchoRequest(echo)
            } else {
                Icmpv4Type::EchoReply(echo)
            };
            Icmpv4Header::with_checksum(kind, payload)
                .to_bytes()
                .to_vec()
        }
        Transport::Other(_) => Vec::new(),
    };
    let mut header = ip_header_for(ip, protocol, l4_bytes.len() + payload.len());
    header.header_checksum = header.calc_header_checksum();
    let mut bytes = l2_header(src_mac, dst_mac, vlan, 0x0800);
    let l3 = bytes.len();
    bytes.extend_from_slice(&header.to_bytes());
    let l4 = bytes.len();
    bytes.extend_from_slice(&l4_bytes);
    bytes.extend_from_slice(payload);
    Built { bytes, l3, l4 }
}

fn ip_header_for(ip: &Ipv4Spec, protocol: u8, payload_len: usize) -> Ipv4Header {
    let mut header = Ipv4Header::new(
        payload_len as u16,
        ip.ttl,
        IpNumber(protocol),
        ip.src,
        ip.dst,
    )
    .unwrap();
    header.identification = ip.id;
    header.options = Ipv4Options::try_from(&ip.options[..]).unwrap();
    // Ipv4Header::new sets the total length without options; count them too.
    header.total_len = (header.header_len() + payload_len) as u16;
    header
}

pub fn arp_frame(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    vlan: Option<u16>,
    request: bool,
    sender: ([u8; 6], [u8; 4]),
    target: ([u8; 6], [u8; 4]),
) -> Built {
    let op = if request {
        ArpOperation::REQUEST
    } else {
        ArpOperation::REPLY
    };
    let arp = ArpPacket::new(
        ArpHardwareId::ETHERNET,
        EtherType::IPV4,
        op,
        &sender.0,
        &sender.1,
        &target.0,
        &target.1,
    )
    .unwrap();
    let mut bytes = l2_header(src_mac, dst_mac, vlan, 0x0806);
    let l3 = bytes.len();
    bytes.extend_from_slice(&arp.to_bytes());
    let l4 = bytes.len();
    Built { bytes, l3, l4 }
}

/// Zero padding up to the 60-byte minimum, as a sending MAC adds.
pub fn pad(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() < 60 {
        bytes.resize(60, 0);
    }
    bytes
}

/// Recomputes the IPv4 header checksum after a test changed the header.
pub fn fix_ip_checksum(built: &mut Built) {
    let ihl = usize::from(built.bytes[built.l3] & 0x0f) * 4;
    let header = &mut built.bytes[built.l3..built.l3 + ihl];
    header[10..12].copy_from_slice(&[0, 0]);
    let sum = Sum16BitWords::new().add_slice(header).ones_complement();
    header[10..12].copy_from_slice(&sum.to_ne_bytes()); // summed as native-endian words
}

// ---------------------------------------------------------------------------------------
// Random good frames

/// A seeded source of frames of every kind the board meets, addressed to us, to
/// everyone, or to others. Most are well formed; the oracle decides what each should do.
pub struct FrameGen {
    pub rng: StdRng,
    pub config: Config,
}

impl FrameGen {
    pub fn new(seed: u64, config: Config) -> Self {
        FrameGen {
            rng: StdRng::seed_from_u64(seed),
            config,
        }
    }

    fn mac(&mut self) -> [u8; 6] {
        let mut mac: [u8; 6] = self.rng.gen();
        mac[0] &= 0xfe; // unicast
        mac
    }

    fn dst_mac(&mut self) -> [u8; 6] {
        match self.rng.gen_range(0..10) {
            0..=5 => self.config.mac,
            6..=7 => BROADCAST_MAC,
            _ => self.mac(),
        }
    }

    fn dst_ip(&mut self) -> [u8; 4] {
        match self.rng.gen_range(0..10) {
            0..=7 => self.config.ip,
            8 => BROADCAST_IP,
            _ => self.rng.gen(),
        }
    }

    fn vlan(&mut self) -> Option<u16> {
        self.rng.gen_bool(0.15).then(|| self.rng.gen_range(1..4095))
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.rng.gen()).collect()
    }

    /// Payload length up to `max`, biased towards the small and the full-size.
    fn payload_len(&mut self, max: usize) -> usize {
        match self.rng.gen_range(0..10) {
            0..=3 => self.rng.gen_range(0..=max.min(24)),
            4 => max,
            _ => self.rng.gen_range(0..=max),
        }
    }

    fn ipv4_spec(&mut self) -> Ipv4Spec {
        let options = if self.rng.gen_bool(0.15) {
            // Any option bytes: the board does not interpret IPv4 options.
            let len = 4 * self.rng.gen_range(1..=10);
            let mut options = vec![1u8; len]; // NOPs
            options[len - 1] = 0; // end of list
            options
        } else {
            Vec::new()
        };
        Ipv4Spec {
            src: self.rng.gen(),
            dst: self.dst_ip(),
            ttl: self.rng.gen(),
            id: self.rng.gen(),
            options,
        }
    }

    /// A random, consistent TCP option list of at most 40 bytes, padded to 4.
    pub fn tcp_options(&mut self) -> Vec<u8> {
        let mut options = Vec::new();
        let mut candidates: Vec<Vec<u8>> = Vec::new();
        if self.rng.gen_bool(0.4) {
            let mss: u16 = self.rng.gen();
            candidates.push([&[2, 4][..], &mss.to_be_bytes()].concat());
        }
        if self.rng.gen_bool(0.3) {
            candidates.push(vec![3, 3, self.rng.gen_range(0..=14)]);
        }
        if self.rng.gen_bool(0.3) {
            candidates.push(vec![4, 2]);
        }
        if self.rng.gen_bool(0.4) {
            let (tsval, tsecr): (u32, u32) = self.rng.gen();
            candidates.push([&[8, 10][..], &tsval.to_be_bytes(), &tsecr.to_be_bytes()].concat());
        }
        if self.rng.gen_bool(0.2) {
            let blocks = self.rng.gen_range(1..=3);
            let mut sack = vec![5, 2 + 8 * blocks as u8];
            for _ in 0..blocks * 2 {
                sack.extend_from_slice(&self.rng.gen::<u32>().to_be_bytes());
            }
            candidates.push(sack);
        }
        for option in candidates {
            let nops = self.rng.gen_range(0..=2);
            if options.len() + nops + option.len() <= 40 {
                options.extend(std::iter::repeat(1).take(nops));
                options.extend_from_slice(&option);
            }
        }
        while options.len() % 4 != 0 {
            options.push(if self.rng.gen_bool(0.5) { 1 } else { 0 });
        }
        options
    }

    pub fn tcp_header(&mut self) -> TcpHeader {
        let mut tcp = TcpHeader::new(
            self.rng.gen(),
            self.rng.gen(),
            self.rng.gen(),
            self.rng.gen(),
        );
        let flags: u16 = self.rng.gen_range(0..0x200);
        tcp.fin = flags & 0x01 != 0;
        tcp.syn = flags & 0x02 != 0;
        tcp.rst = flags & 0x04 != 0;
        tcp.psh = flags & 0x08 != 0;
        tcp.ack = flags & 0x10 != 0;
        tcp.urg = flags & 0x20 != 0;
        tcp.ece = flags & 0x40 != 0;
        tcp.cwr = flags & 0x80 != 0;
        tcp.ns = flags & 0x100 != 0;
        tcp.acknowledgment_number = self.rng.gen();
        tcp.urgent_pointer = self.rng.gen();
        let options = self.tcp_options();
        tcp.set_options_raw(&options).unwrap();
        tcp
    }

    /// A TCP segment to us (our MAC and IP) with random fields, options and payload.
    pub fn tcp_to_us(&mut self, payload_len: Option<usize>) -> Built {
        let (mac, ip) = (self.config.mac, self.config.ip);
        self.tcp_to(mac, ip, payload_len)
    }

    /// A TCP segment to `dst_mac` and `dst_ip` with random fields, options and payload.
    pub fn tcp_to(
        &mut self,
        dst_mac: [u8; 6],
        dst_ip: [u8; 4],
        payload_len: Option<usize>,
    ) -> Built {
        let ip = Ipv4Spec {
            dst: dst_ip,
            options: Vec::new(),
            ..self.ipv4_spec()
        };
        let tcp = self.tcp_header();
        let max = 1500 - 20 - tcp.header_len();
        let len = payload_len
            .map(|l| l.min(max))
            .unwrap_or_else(|| self.payload_len(max));
        let payload = self.bytes(len);
        let src = self.mac();
        ipv4_frame(src, dst_mac, None, &ip, Transport::Tcp(tcp), &payload)
    }

    /// A UDP datagram to us with a checksum.
    pub fn udp_to_us(&mut self, payload_len: usize) -> Built {
        let (mac, ip) = (self.config.mac, self.config.ip);
        self.udp_to(mac, ip, payload_len)
    }

    /// A UDP datagram to `dst_mac` and `dst_ip` with a checksum.
    pub fn udp_to(&mut self, dst_mac: [u8; 6], dst_ip: [u8; 4], payload_len: usize) -> Built {
        let ip = Ipv4Spec {
            dst: dst_ip,
            options: Vec::new(),
            ..self.ipv4_spec()
        };
        let payload = self.bytes(payload_len);
        let udp = Transport::Udp {
            src_port: self.rng.gen(),
            dst_port: self.rng.gen(),
            checksum: true,
        };
        let src = self.mac();
        ipv4_frame(src, dst_mac, None, &ip, udp, &payload)
    }

    /// An ICMP echo request to us.
    pub fn ping_to_us(&mut self, payload_len: usize) -> Built {
        let ip = Ipv4Spec {
            dst: self.config.ip,
            options: Vec::new(),
            ..self.ipv4_spec()
        };
        let payload = self.bytes(payload_len);
        let echo = Transport::IcmpEcho {
            request: true,
            id: self.rng.gen(),
            seq: self.rng.gen(),
        };
        let src = self.mac();
        ipv4_frame(src, self.config.mac, None, &ip, echo, &payload)
    }

    /// Any frame, padded to the minimum as on the wire.
    pub fn frame(&mut self) -> Vec<u8> {
        pad(self.built().bytes)
    }

    /// Any frame, unpadded, with its layer offsets.
    pub fn built(&mut self) -> Built {
        let (src, dst, vlan) = (self.mac(), self.dst_mac(), self.vlan());
        match self.rng.gen_range(0..100) {
            0..=39 => {
                let ip = self.ipv4_spec();
                let tcp = self.tcp_header();
                let max = 1500 - ip.options.len() - 20 - tcp.header_len();
                let len = self.payload_len(max.min(1460));
                let payload = self.bytes(len);
                ipv4_frame(src, dst, vlan, &ip, Transport::Tcp(tcp), &payload)
            }
            40..=64 => {
                let ip = self.ipv4_spec();
                let max = 1500 - ip.options.len() - 20 - 8;
                let len = self.payload_len(max.min(1460));
                let payload = self.bytes(len);
                let checksum = self.rng.gen_bool(0.8);
                let udp = Transport::Udp {
                    src_port: self.rng.gen(),
                    dst_port: self.rng.gen(),
                    checksum,
                };
                ipv4_frame(src, dst, vlan, &ip, udp, &payload)
            }
            65..=79 => {
                let ip = self.ipv4_spec();
                let max = 1500 - ip.options.len() - 20 - 8;
                let len = self.payload_len(max.min(1460));
                let payload = self.bytes(len);
                let echo = Transport::IcmpEcho {
                    request: self.rng.gen(),
                    id: self.rng.gen(),
                    seq: self.rng.gen(),
                };
                ipv4_frame(src, dst, vlan, &ip, echo, &payload)
            }
            80..=89 => {
                let request = self.rng.gen_bool(0.6);
                let target_ip = if self.rng.gen_bool(0.7) {
                    self.config.ip
                } else {
                    self.rng.gen()
                };
                let target_mac = if request { [0; 6] } else { self.config.mac };
                let dst = if request && self.rng.gen_bool(0.8) {
                    BROADCAST_MAC
                } else {
                    dst
                };
                arp_frame(
                    src,
                    dst,
                    vlan,
                    request,
                    (src, self.rng.gen()),
                    (target_mac, target_ip),
                )
            }
            90..=94 => {
                // IPv6 (no next header, opaque bytes): the board drops it under `ethertype`.
                let mut bytes = l2_header(src, dst, vlan, 0x86dd);
                let l3 = bytes.len();
                let len = self.rng.gen_range(0..200);
                let ip6 = etherparse::Ipv6Header {
                    payload_length: len as u16,
                    next_header: IpNumber::IPV6_NO_NEXT_HEADER,
                    hop_limit: 64,
                    source: self.rng.gen(),
                    destination: self.rng.gen(),
                    ..Default::default()
                };
                bytes.extend_from_slice(&ip6.to_bytes());
                let l4 = bytes.len();
                let rest = self.bytes(len);
                bytes.extend_from_slice(&rest);
                Built { bytes, l3, l4 }
            }
            _ => {
                // An IP protocol the board does not handle (GRE, ESP, OSPF, ...).
                let ip = self.ipv4_spec();
                let protocol = [47u8, 50, 89, 132, 253][self.rng.gen_range(0..5)];
                let len = self.payload_len(200);
                let payload = self.bytes(len);
                ipv4_frame(src, dst, vlan, &ip, Transport::Other(protocol), &payload)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bad frames

/// How a bad frame goes onto the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FcsMode {
    /// The driver pads to 60 bytes and appends a correct FCS.
    Append,
    /// The bytes already end with an FCS (right or wrong).
    Present,
}

#[derive(Clone, Debug)]
pub struct BadFrame {
    pub what: String,
    pub bytes: Vec<u8>,
    pub fcs: FcsMode,
    pub reason: DropReason,
}

impl BadFrame {
    /// The frame the oracle sees (FCS removed) and whether its FCS is right.
    pub fn for_oracle(&self) -> (Vec<u8>, bool) {
        match self.fcs {
            FcsMode::Append => (pad(self.bytes.clone()), true),
            FcsMode::Present => {
                let (frame, ok) = split_fcs(&self.bytes);
                (frame.to_vec(), ok)
            }
        }
    }
}

fn put_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_be_bytes());
}

fn get_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

/// A checksum value that is wrong yet not equivalent to the right one (0 and 0xffff
/// are the same in one's complement, and a UDP 0 means "no checksum").
fn wrong_checksum(rng: &mut StdRng, right: u16) -> u16 {
    loop {
        let c: u16 = rng.gen();
        if c != right && c != 0 && c != 0xffff {
            return c;
        }
    }
}

impl FrameGen {
    /// One of each kind of bad frame the board must drop, each under its named reason;
    /// the random parts differ from call to call.
    pub fn bad_frames(&mut self) -> Vec<BadFrame> {
        let mut bad = Vec::new();
        let mut add = |what: &str, bytes: Vec<u8>, fcs: FcsMode, reason: DropReason| {
            bad.push(BadFrame {
                what: what.to_string(),
                bytes,
                fcs,
                reason,
            })
        };

        // One flipped bit anywhere in frame or FCS: CRC-32 catches every single-bit error.
        let wire = with_fcs(&pad(self.tcp_to_us(None).bytes));
        let bit = self.rng.gen_range(0..wire.len() * 8);
        let mut flipped = wire.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        add(
            &format!("bit {bit} flipped"),
            flipped,
            FcsMode::Present,
            DropReason::Fcs,
        );

        let mut wrong_fcs = with_fcs(&pad(self.udp_to_us(30).bytes));
        let n = wrong_fcs.len();
        wrong_fcs[n - 4..].copy_from_slice(&self.rng.gen::<u32>().to_le_bytes());
        if split_fcs(&wrong_fcs).1 {
            wrong_fcs[n - 1] ^= 0x80;
        }
        add("wrong FCS", wrong_fcs, FcsMode::Present, DropReason::Fcs);

        // Truncated: the IP total length now says more than the frame holds.
        let len = self.rng.gen_range(100..1400);
        let full = self.tcp_to_us(Some(len)).bytes;
        let cut = self.rng.gen_range(60..full.len());
        add(
            &format!("truncated to {cut} bytes"),
            full[..cut].to_vec(),
            FcsMode::Append,
            DropReason::Ipv4Length,
        );

        let arp = arp_frame(
            self.mac(),
            BROADCAST_MAC,
            None,
            true,
            (self.mac(), [10, 0, 0, 1]),
            ([0; 6], self.config.ip),
        );
        // The driver pads short frames it appends an FCS to, so runts carry their own.
        let arp = with_fcs(&arp.bytes);
        add(
            "runt: unpadded ARP request",
            arp,
            FcsMode::Present,
            DropReason::Runt,
        );
        let len = self.rng.gen_range(0..18);
        let udp = with_fcs(&self.udp_to_us(len).bytes);
        add(
            "runt: unpadded small UDP",
            udp,
            FcsMode::Present,
            DropReason::Runt,
        );
        add(
            "runt: FCS only",
            with_fcs(&[]),
            FcsMode::Present,
            DropReason::Runt,
        );

        let len = self.rng.gen_range(1473..1560);
        let giant = self.udp_to_us(len).bytes;
        add(
            "giant: untagged over 1518",
            giant,
            FcsMode::Append,
            DropReason::Giant,
        );
        let ip = Ipv4Spec {
            dst: self.config.ip,
            ..self.ipv4_spec()
        };
        let udp = Transport::Udp {
            src_port: 7,
            dst_port: 7,
            checksum: true,
        };
        let payload = self.bytes(1473 - ip.options.len()); // 1519 bytes with the tag
        let tagged = ipv4_frame(self.mac(), self.config.mac, Some(5), &ip, udp, &payload).bytes;
        add(
            "giant: tagged over 1522",
            tagged,
            FcsMode::Append,
            DropReason::Giant,
        );

        let other_mac = self.mac();
        let mut built = self.udp_to_us(20);
        built.bytes[0..6].copy_from_slice(&other_mac);
        add(
            "someone else's MAC",
            pad(built.bytes),
            FcsMode::Append,
            DropReason::MacFilter,
        );

        let src = self.mac();
        for (what, ethertype) in [
            ("IPv6", 0x86dd),
            ("LLDP", 0x88cc),
            ("MPLS", 0x8847),
            ("802.3 length", 0x0040),
        ] {
            let mut bytes = l2_header(src, self.config.mac, None, ethertype);
            bytes.extend(self.bytes(60));
            add(
                &format!("ethertype {what}"),
                bytes,
                FcsMode::Append,
                DropReason::Ethertype,
            );
        }
        let mut double = l2_header(src, self.config.mac, Some(10), 0x8100);
        double.extend_from_slice(&[0x00, 0x14, 0x08, 0x00]);
        double.extend(self.bytes(60));
        add(
            "two VLAN tags",
            double,
            FcsMode::Append,
            DropReason::Ethertype,
        );

        let mut arp = arp_frame(
            src,
            BROADCAST_MAC,
            None,
            true,
            (src, [10, 0, 0, 1]),
            ([0; 6], self.config.ip),
        );
        arp.bytes[arp.l3 + 4] = 8; // hardware address length
        add(
            "ARP with 8-byte hardware addresses",
            pad(arp.bytes),
            FcsMode::Append,
            DropReason::ArpMalformed,
        );

        let mut v6 = self.udp_to_us(40);
        v6.bytes[v6.l3] = 0x65;
        fix_ip_checksum_raw(&mut v6, 20);
        add(
            "IP version 6 under ethertype IPv4",
            v6.bytes,
            FcsMode::Append,
            DropReason::Ipv4Version,
        );

        let mut ihl = self.udp_to_us(40);
        ihl.bytes[ihl.l3] = 0x40 | self.rng.gen_range(0..5);
        add(
            "IHL below 5",
            ihl.bytes,
            FcsMode::Append,
            DropReason::Ipv4Ihl,
        );

        let mut ipsum = self.tcp_to_us(None);
        let right = get_u16(&ipsum.bytes, ipsum.l3 + 10);
        let wrong = wrong_checksum(&mut self.rng, right);
        put_u16(&mut ipsum.bytes, ipsum.l3 + 10, wrong);
        add(
            "bad IPv4 header checksum",
            pad(ipsum.bytes),
            FcsMode::Append,
            DropReason::Ipv4Checksum,
        );

        let len = self.rng.gen_range(40..200);
        let mut long = self.udp_to_us(len);
        let total = get_u16(&long.bytes, long.l3 + 2);
        put_u16(
            &mut long.bytes,
            long.l3 + 2,
            total + self.rng.gen_range(1..100),
        );
        fix_ip_checksum(&mut long);
        add(
            "total length beyond the frame",
            long.bytes,
            FcsMode::Append,
            DropReason::Ipv4Length,
        );

        let mut short = self.udp_to_us(40);
        put_u16(&mut short.bytes, short.l3 + 2, self.rng.gen_range(0..20));
        fix_ip_checksum(&mut short);
        add(
            "total length below the header",
            short.bytes,
            FcsMode::Append,
            DropReason::Ipv4Length,
        );

        // Total length shorter than the datagram but past the header: UDP's own length
        // no longer matches what IP carries.
        let len = self.rng.gen_range(40..200);
        let mut trimmed = self.udp_to_us(len);
        let total = get_u16(&trimmed.bytes, trimmed.l3 + 2);
        put_u16(
            &mut trimmed.bytes,
            trimmed.l3 + 2,
            total - self.rng.gen_range(1..30),
        );
        fix_ip_checksum(&mut trimmed);
        add(
            "total length shorter than the UDP datagram",
            trimmed.bytes,
            FcsMode::Append,
            DropReason::UdpLength,
        );

        let mut more = self.udp_to_us(100);
        more.bytes[more.l3 + 6] = 0x20; // MF
        fix_ip_checksum(&mut more);
        add(
            "fragment: more fragments",
            more.bytes,
            FcsMode::Append,
            DropReason::Fragment,
        );
        let mut offset = self.udp_to_us(100);
        let off: u16 = self.rng.gen_range(1..0x2000);
        put_u16(&mut offset.bytes, offset.l3 + 6, off);
        fix_ip_checksum(&mut offset);
        add(
            "fragment: offset",
            offset.bytes,
            FcsMode::Append,
            DropReason::Fragment,
        );

        let mut elsewhere = self.udp_to_us(30);
        let ip: [u8; 4] = [192, 168, self.rng.gen(), self.rng.gen()];
        elsewhere.bytes[elsewhere.l3 + 16..elsewhere.l3 + 20].copy_from_slice(&ip);
        fix_ip_checksum(&mut elsewhere);
        add(
            "someone else's IP",
            elsewhere.bytes,
            FcsMode::Append,
            DropReason::IpFilter,
        );

        let ip = Ipv4Spec {
            dst: self.config.ip,
            ..self.ipv4_spec()
        };
        let payload = self.bytes(50);
        let igmp = ipv4_frame(
            src,
            self.config.mac,
            None,
            &ip,
            Transport::Other(2),
            &payload,
        );
        add(
            "IP protocol IGMP",
            igmp.bytes,
            FcsMode::Append,
            DropReason::IpProtocol,
        );

        let mut offset_low = self.tcp_to_us(Some(40));
        let l4 = offset_low.l4;
        offset_low.bytes[l4 + 12] =
            (self.rng.gen_range(0..5) << 4) | (offset_low.bytes[l4 + 12] & 0x0f);
        add(
            "TCP data offset below 5",
            offset_low.bytes,
            FcsMode::Append,
            DropReason::TcpHeader,
        );
        // A bare 20-byte header claiming 24..60 bytes (padding does not count: IP trims it).
        let ip = Ipv4Spec {
            dst: self.config.ip,
            ..self.ipv4_spec()
        };
        let tcp = TcpHeader::new(
            self.rng.gen(),
            self.rng.gen(),
            self.rng.gen(),
            self.rng.gen(),
        );
        let mut offset_high = ipv4_frame(src, self.config.mac, None, &ip, Transport::Tcp(tcp), &[]);
        let l4 = offset_high.l4;
        offset_high.bytes[l4 + 12] = self.rng.gen_range(6..16) << 4;
        add(
            "TCP data offset beyond the segment",
            pad(offset_high.bytes),
            FcsMode::Append,
            DropReason::TcpHeader,
        );

        let mut tcpsum = self.tcp_to_us(None);
        let at = tcpsum.l4 + 16;
        let wrong = wrong_checksum(&mut self.rng, get_u16(&tcpsum.bytes, at));
        put_u16(&mut tcpsum.bytes, at, wrong);
        add(
            "bad TCP checksum",
            pad(tcpsum.bytes),
            FcsMode::Append,
            DropReason::TcpChecksum,
        );

        let len = self.rng.gen_range(0..1400);
        let mut udpsum = self.udp_to_us(len);
        let at = udpsum.l4 + 6;
        let wrong = wrong_checksum(&mut self.rng, get_u16(&udpsum.bytes, at));
        put_u16(&mut udpsum.bytes, at, wrong);
        add(
            "bad UDP checksum",
            pad(udpsum.bytes),
            FcsMode::Append,
            DropReason::UdpChecksum,
        );

        let mut udplen = self.udp_to_us(30);
        put_u16(&mut udplen.bytes, udplen.l4 + 4, self.rng.gen_range(0..8));
        add(
            "UDP length below 8",
            udplen.bytes,
            FcsMode::Append,
            DropReason::UdpLength,
        );
        let mut udplen = self.udp_to_us(30);
        put_u16(
            &mut udplen.bytes,
            udplen.l4 + 4,
            38 + self.rng.gen_range(1..100),
        );
        add(
            "UDP length beyond the IP payload",
            udplen.bytes,
            FcsMode::Append,
            DropReason::UdpLength,
        );

        let len = self.rng.gen_range(0..200);
        let mut icmpsum = self.ping_to_us(len);
        let at = icmpsum.l4 + 2;
        let wrong = wrong_checksum(&mut self.rng, get_u16(&icmpsum.bytes, at));
        put_u16(&mut icmpsum.bytes, at, wrong);
        add(
            "bad ICMP checksum",
            pad(icmpsum.bytes),
            FcsMode::Append,
            DropReason::IcmpChecksum,
        );

        let ip = Ipv4Spec {
            dst: self.config.ip,
            ..self.ipv4_spec()
        };
        let stub = ipv4_frame(
            src,
            self.config.mac,
            None,
            &ip,
            Transport::Other(1),
            &[8, 0, 0xf7, 0xff],
        );
        add(
            "ICMP shorter than 8 bytes",
            pad(stub.bytes),
            FcsMode::Append,
            DropReason::IcmpLength,
        );

        // TCP to a broadcast destination (RFC 1122 4.2.3.10: a SYN to one is discarded),
        // by IP and by MAC (rx_bad_input also sends UDP to the same: it passes).
        let to_broadcast = pad(self.tcp_to(BROADCAST_MAC, BROADCAST_IP, None).bytes);
        add(
            "TCP to 255.255.255.255",
            to_broadcast,
            FcsMode::Append,
            DropReason::TcpNotUnicast,
        );
        let ip = self.config.ip;
        let broadcast_mac = pad(self.tcp_to(BROADCAST_MAC, ip, None).bytes);
        add(
            "TCP to our IP, broadcast MAC",
            broadcast_mac,
            FcsMode::Append,
            DropReason::TcpNotUnicast,
        );

        bad
    }
}

/// Recomputes the checksum of an IPv4 header of `len` bytes, whatever its IHL says.
fn fix_ip_checksum_raw(built: &mut Built, len: usize) {
    let header = &mut built.bytes[built.l3..built.l3 + len];
    header[10..12].copy_from_slice(&[0, 0]);
    let sum = Sum16BitWords::new().add_slice(header).ones_complement();
    header[10..12].copy_from_slice(&sum.to_ne_bytes()); // summed as native-endian words
}

/// A good frame to us that must come through whole (for "the frame after a bad one").
pub fn good_follower(gen: &mut FrameGen) -> Vec<u8> {
    match gen.rng.gen_range(0..2) {
        0 => pad(gen.tcp_to_us(None).bytes),
        _ => {
            let len = gen.rng.gen_range(0..1472);
            pad(gen.udp_to_us(len).bytes)
        }
    }
}

/// The frame numbered `number` in a list of expectations, for assertion messages.
pub fn describe(frame: &[u8]) -> String {
    frame.iter().map(|b| format!("{b:02x}")).collect::<String>()
}
