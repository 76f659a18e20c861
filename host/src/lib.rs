pub mod link;
pub mod peer;
pub mod tcp;
pub mod udp;
