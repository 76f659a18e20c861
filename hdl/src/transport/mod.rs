//! Transport layer: TCP and UDP segments, their checksums over the IPv4 pseudo-header.
//! Receive: `tcp_rx`, `udp_rx`. Send: `tx_stage` holds the host's requests, `tcp_tx`
//! and `udp_tx` wrap them in their headers.
pub mod tcp_rx;
pub mod tcp_tx;
pub mod tx_stage;
pub mod udp_rx;
pub mod udp_tx;
