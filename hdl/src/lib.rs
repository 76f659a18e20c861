//! tcpip-hdl: the board's hardware, one RustHDL block per file, grouped by TCP/IP layer.
//!
//! Every receive block follows one convention, so blocks compose without glue:
//! a frame is a run of beats `data`/`valid` one byte per clock with `last` on its final
//! byte; what decides comes out beside the stream as registers (header bytes only a
//! report needs go to [`rx_header_store`] instead); each block's drop
//! `reason` is a register that is final a few clocks after `last` (see
//! [`rx_verdict`]) and is cleared when the next frame begins. The receive path never
//! back-pressures: a PHY cannot be paused.

pub mod block_ram;
pub mod board;
pub mod internet;
pub mod link;
pub mod reason;
pub mod rx_header_store;
pub mod rx_pipeline;
pub mod rx_verdict;
pub mod transport;
pub mod tx_pipeline;

/// One clock cycle for a block driven directly (no threads): a falling then a rising
/// edge, each settled. Inputs set before the call are seen at the rising edge.
#[macro_export]
macro_rules! tick {
    ($uut:expr) => {{
        use rust_hdl::prelude::simulate;
        $uut.clock.next = false.into();
        assert!(simulate(&mut *&mut $uut, 200), "circuit did not settle");
        $uut.clock.next = true.into();
        assert!(simulate(&mut *&mut $uut, 200), "circuit did not settle");
    }};
}
