//! Board level: the receive FIFO toward the host, counters, (later) UART, link framing, top.
pub mod board_core;
pub mod cobs_decoder;
pub mod cobs_encoder;
pub mod crc_append;
pub mod crc_check;
pub mod host_rx;
pub mod link_tx;
pub mod rx_counters;
pub mod rx_fifo;
pub mod tx_arbiter;
pub mod uart_rx;
pub mod uart_tx;
