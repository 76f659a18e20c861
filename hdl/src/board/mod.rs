//! Board level: the link to the host (UART, framing both ways, message builder), the
//! receive FIFO and counters, the PHY-side buffers, the board core and the Alchitry Cu top.
pub mod alchitry_cu;
pub mod board_core;
pub mod cobs_decoder;
pub mod cobs_encoder;
pub mod crc32_register;
pub mod crc_append;
pub mod crc_check;
pub mod host_rx;
pub mod led_stretch;
pub mod link_tx;
pub mod rx_counters;
pub mod rx_fifo;
pub mod rx_frame_buffer;
pub mod rx_message;
pub mod stream_register;
pub mod stream_skid;
pub mod tx_phy_fifo;
pub mod uart_rx;
pub mod uart_tx;
