//! Internet layer: IPv4 (header checksum, lengths, filtering), ICMP, ARP.
pub mod arp_rx;
pub mod arp_tx;
pub mod checksum;
pub mod icmp_echo;
pub mod icmp_rx;
pub mod ipv4_rx;
pub mod ipv4_tx;
pub mod word_sum;
#[cfg(test)]
pub mod source_sink;
