pub mod link;

pub mod apps;
pub mod netstack;
pub mod tcp;
pub mod udp;
