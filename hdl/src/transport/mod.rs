//! Transport layer: TCP and UDP segments, their checksums over the IPv4 pseudo-header.
pub mod tcp_rx;
pub mod udp_rx;
