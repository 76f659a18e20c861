//! Link layer: Ethernet frames on the wire, MAC addresses, the frame check sequence.
pub mod crc32;
pub mod crc32_table;
pub mod eth_rx;
pub mod mac_rx;
pub mod mac_tx;
pub mod rmii_rx;
pub mod rmii_tx;
