//! Board level: the receive FIFO toward the host, counters, (later) UART, link framing, top.
pub mod alchitry_cu;
pub mod board_core;
pub mod cobs_encoder;
pub mod crc_append;
pub mod led_stretch;
pub mod rx_counters;
pub mod rx_fifo;
pub mod rx_frame_buffer;
pub mod stream_register;
pub mod tx_phy_fifo;
pub mod uart_rx;
pub mod uart_tx;
