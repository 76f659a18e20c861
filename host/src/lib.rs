pub mod apps;
pub mod icmp;
pub mod link;
pub mod netstack;
pub mod peer;
pub mod tcp;
pub mod udp;
