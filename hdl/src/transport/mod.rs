//! Transport layer: TCP and UDP segments, their checksums over the IPv4 pseudo-header.
//! Receive: `transport_rx` (TCP, UDP and ICMP's header: one shape, one block). Send:
//! `tx_stage` holds the host's requests, `transport_tx` wraps them in a TCP or UDP
//! header (two cases of one block), or sends a host's ICMP message as it is (a third).
pub mod transport_rx;
pub mod transport_tx;
pub mod tx_stage;
