pub mod report;
pub mod pcap;
