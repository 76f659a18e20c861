//! What the receive hardware reports about one frame, read off its monitor port.
//!
//! Every field here comes from registers of the simulated hardware (see
//! `tcpip_hdl::rx_pipeline::RxPipeline`), never from a software parser. A layer is
//! `None` when the hardware did not reach it (a frame cut short, an ethertype it does not
//! parse), exactly as `tcpip replay` omits it.

use serde::Serialize;

/// Why the receive pipeline dropped a frame. The discriminant is the 5-bit code the
/// hardware carries with the last beat of the frame and counts under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Frame check sequence wrong.
    Fcs = 1,
    /// Shorter than 64 bytes with its FCS.
    Runt = 2,
    /// Longer than 1518 bytes with its FCS (1522 with an 802.1Q tag).
    Giant = 3,
    /// The PHY flagged a receive error inside the frame.
    PhyError = 4,
    /// Destination MAC is neither ours nor broadcast (and not promiscuous).
    MacFilter = 5,
    /// Ethertype other than IPv4 or ARP (IPv6 included), or a second VLAN tag.
    Ethertype = 6,
    /// ARP that is not Ethernet/IPv4 with 6- and 4-byte addresses.
    ArpMalformed = 7,
    /// IP version field is not 4.
    Ipv4Version = 8,
    /// IHL below 5.
    Ipv4Ihl = 9,
    /// IPv4 header checksum wrong.
    Ipv4Checksum = 10,
    /// IPv4 total length larger than the frame, or smaller than the header.
    Ipv4Length = 11,
    /// A fragment (MF set or offset not zero): the board does not reassemble.
    Fragment = 12,
    /// Destination IP is neither ours nor broadcast (and not promiscuous).
    IpFilter = 13,
    /// IP protocol other than TCP, UDP or ICMP.
    IpProtocol = 14,
    /// TCP data offset below 5 or beyond the segment.
    TcpHeader = 15,
    /// TCP checksum over pseudo-header and segment wrong.
    TcpChecksum = 16,
    /// UDP length below 8 or not matching the IP payload.
    UdpLength = 17,
    /// UDP checksum wrong (a zero checksum means none and passes).
    UdpChecksum = 18,
    /// ICMP message shorter than its 8-byte header.
    IcmpLength = 19,
    /// ICMP checksum wrong.
    IcmpChecksum = 20,
    /// The receive FIFO had no room for the whole segment.
    FifoFull = 21,
    /// TCP to a broadcast or multicast IP or MAC (RFC 1122 4.2.3.10: discarded).
    TcpNotUnicast = 22,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameReport {
    /// 1-based index of the frame in the capture or test run.
    pub frame: usize,
    /// "accept" or "drop".
    pub verdict: &'static str,
    pub drop_reason: Option<DropReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eth: Option<EthReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arp: Option<ArpReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<Ipv4Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp: Option<IcmpReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp: Option<UdpReport>,
}

/// MAC addresses print as `aa:bb:cc:dd:ee:ff`, IPv4 addresses as dotted quads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EthReport {
    pub dst: String,
    pub src: String,
    /// The ethertype after any 802.1Q tag.
    pub ethertype: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArpReport {
    pub op: u16,
    pub sender_mac: String,
    pub sender_ip: String,
    pub target_mac: String,
    pub target_ip: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ipv4Report {
    pub src: String,
    pub dst: String,
    pub protocol: u8,
    pub ttl: u8,
    pub total_len: u16,
    pub id: u16,
    pub header_checksum_ok: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IcmpReport {
    #[serde(rename = "type")]
    pub icmp_type: u8,
    pub code: u8,
    pub checksum_ok: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TcpReport {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// Set flags by name, in header order: "cwr","ece","urg","ack","psh","rst","syn","fin" (and "ns").
    pub flags: Vec<&'static str>,
    pub window: u16,
    pub urgent: u16,
    /// Header length in bytes (data offset × 4).
    pub header_len: u8,
    pub payload_len: u16,
    pub checksum_ok: bool,
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    /// (TSval, TSecr)
    pub timestamps: Option<(u32, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UdpReport {
    pub src_port: u16,
    pub dst_port: u16,
    pub length: u16,
    pub checksum_ok: bool,
}

pub fn mac_string(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn ip_string(ip: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

impl DropReason {
    pub const ALL: [DropReason; 22] = [
        DropReason::Fcs,
        DropReason::Runt,
        DropReason::Giant,
        DropReason::PhyError,
        DropReason::MacFilter,
        DropReason::Ethertype,
        DropReason::ArpMalformed,
        DropReason::Ipv4Version,
        DropReason::Ipv4Ihl,
        DropReason::Ipv4Checksum,
        DropReason::Ipv4Length,
        DropReason::Fragment,
        DropReason::IpFilter,
        DropReason::IpProtocol,
        DropReason::TcpHeader,
        DropReason::TcpChecksum,
        DropReason::UdpLength,
        DropReason::UdpChecksum,
        DropReason::IcmpLength,
        DropReason::IcmpChecksum,
        DropReason::FifoFull,
        DropReason::TcpNotUnicast,
    ];

    /// The reason for a hardware code; `None` for 0 (accepted).
    pub fn from_code(code: u8) -> Option<DropReason> {
        DropReason::ALL.iter().copied().find(|r| *r as u8 == code)
    }

    /// The name `tcpip replay` prints and counters are listed under.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Fcs => "fcs",
            DropReason::Runt => "runt",
            DropReason::Giant => "giant",
            DropReason::PhyError => "phy_error",
            DropReason::MacFilter => "mac_filter",
            DropReason::Ethertype => "ethertype",
            DropReason::ArpMalformed => "arp_malformed",
            DropReason::Ipv4Version => "ipv4_version",
            DropReason::Ipv4Ihl => "ipv4_ihl",
            DropReason::Ipv4Checksum => "ipv4_checksum",
            DropReason::Ipv4Length => "ipv4_length",
            DropReason::Fragment => "fragment",
            DropReason::IpFilter => "ip_filter",
            DropReason::IpProtocol => "ip_protocol",
            DropReason::TcpHeader => "tcp_header",
            DropReason::TcpChecksum => "tcp_checksum",
            DropReason::UdpLength => "udp_length",
            DropReason::UdpChecksum => "udp_checksum",
            DropReason::IcmpLength => "icmp_length",
            DropReason::IcmpChecksum => "icmp_checksum",
            DropReason::FifoFull => "fifo_full",
            DropReason::TcpNotUnicast => "tcp_not_unicast",
        }
    }
}
