pub mod backend;
pub mod block_ports;
pub mod cosim;
pub mod pcap;
pub mod report;
pub mod rx;
mod rx_ports;
pub mod tx;
