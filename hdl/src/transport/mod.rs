//! Transport layer: TCP and UDP segments, their checksums over the IPv4 pseudo-header.
//! Receive: `transport_rx` (TCP, UDP and ICMP's header: one shape, one block). Send:
//! `tx_stage` holds the host's requests, `tcp_tx` and `udp_tx` wrap them in their
//! headers.
pub mod tcp_tx;
pub mod transport_rx;
pub mod tx_stage;
pub mod udp_tx;
