//! Internet layer: IPv4 (header checksum, lengths, filtering), ICMP echo, ARP. ICMP's
//! header is parsed with TCP's and UDP's, by `transport::transport_rx`.
pub mod arp_rx;
pub mod arp_tx;
pub mod checksum;
pub mod icmp_echo;
pub mod ipv4_rx;
pub mod ipv4_tx;
pub mod source_sink;
pub mod word_sum;
