pub mod report;
pub mod pcap;
pub mod cosim;
