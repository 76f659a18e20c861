pub mod link;

pub mod tcp;
pub mod udp;
