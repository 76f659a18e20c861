//! Drop reason codes carried by every receive block's `reason` register (5 bits, 0 = no
//! objection). The same numbers name the counters; `tcpip_sim::report::DropReason`
//! gives them their names. When several blocks object, [`crate::rx_verdict`] keeps the
//! lowest layer's reason, and within a block the lowest code wins.
//!
//! `#[hdl_gen]` code writes these as literals (a named constant would reach the Verilog
//! as an undefined identifier), so each use carries the name in a comment.

pub const FCS: u8 = 1;
pub const RUNT: u8 = 2;
pub const GIANT: u8 = 3;
pub const PHY_ERROR: u8 = 4;
pub const MAC_FILTER: u8 = 5;
pub const ETHERTYPE: u8 = 6;
pub const ARP_MALFORMED: u8 = 7;
pub const IPV4_VERSION: u8 = 8;
pub const IPV4_IHL: u8 = 9;
pub const IPV4_CHECKSUM: u8 = 10;
pub const IPV4_LENGTH: u8 = 11;
pub const FRAGMENT: u8 = 12;
pub const IP_FILTER: u8 = 13;
pub const IP_PROTOCOL: u8 = 14;
pub const TCP_HEADER: u8 = 15;
pub const TCP_CHECKSUM: u8 = 16;
pub const UDP_LENGTH: u8 = 17;
pub const UDP_CHECKSUM: u8 = 18;
pub const ICMP_LENGTH: u8 = 19;
pub const ICMP_CHECKSUM: u8 = 20;
pub const FIFO_FULL: u8 = 21;
/// TCP to a broadcast or multicast IP or MAC (RFC 1122 4.2.3.10).
pub const TCP_NOT_UNICAST: u8 = 22;

/// Counter slots after the drop reasons: frames accepted, per protocol.
pub const ACCEPTED_ARP: u8 = 24;
pub const ACCEPTED_ICMP: u8 = 25;
pub const ACCEPTED_TCP: u8 = 26;
pub const ACCEPTED_UDP: u8 = 27;

// The board's own events, counted in the slots the receive path leaves free.
/// A host frame with a bad CRC or bad COBS (slot 0: no drop reason is 0).
pub const LINK_BAD_FRAME: u8 = 0;
/// A host frame of an unknown type or a wrong length.
pub const LINK_BAD_MESSAGE: u8 = 23;
/// A host segment or message (TxTcp/TxUdp/TxIcmp) sent on the wire.
pub const TX_SENT: u8 = 28;
/// A host segment refused: both transmit buffers were full.
pub const TX_BUSY: u8 = 29;
/// ARP and echo replies the board sent on its own.
pub const REPLIES_SENT: u8 = 30;
/// ARP or echo requests left unanswered: no buffer free (for echo, or the host
/// writing a request into the transmit stage).
pub const REPLIES_DROPPED: u8 = 31;
