//! The top level for the Alchitry Cu (iCE40 HX8K, cb132) with a LAN8720-class RMII PHY
//! module on header A. Pins: `constraints/alchitry_cu.pcf`; wiring: `docs/wiring.md`.
//!
//! Two clocks. The core clock is the board's 100 MHz oscillator (P7), used as it is:
//! the UART's 4 Mbaud is exact from it. REF_CLK is the PHY module's 50 MHz (its own
//! oscillator), on a clock-capable header pin; only the RMII adapters run on it.
//! The two meet in exactly two places, both with a documented crossing:
//! receive, [`RxFrameBuffer`] (dual-clock block RAM, toggle-synchronised pointers);
//! transmit, [`TxPhyFifo`] (rust-hdl's asynchronous FIFO). A few status bits also
//! cross, through two flip-flops each (levels) or a toggle (pulses).
//!
//! Reset: rust-hdl blocks have no reset input; the iCE40's configuration clears every
//! flip-flop and block RAM, which is the reset state of every block. The button (P8,
//! active low) is synchronised into each domain and, while held, keeps the receiver
//! from seeing carrier and the link input idle, so the board is quiet; frames already
//! in flight finish. It also lights LED 7.
//!
//! LEDs (pulses stretched to ~0.15 s by [`LedStretch`]):
//! 0 frame accepted, 1 frame dropped (any reason), 2 frame transmitted,
//! 3 host-link error (bad frame from the host, UART framing error),
//! 4 UART activity (either direction), 5 Ethernet receive activity,
//! 6 link at 10 Mbit (level: the last received frame's speed),
//! 7 PHY trouble (RX_ER, receive buffer overrun, transmit underrun) or reset held.

use crate::board::board_core::BoardCore;
use crate::board::led_stretch::LedStretch;
use crate::board::rx_frame_buffer::RxFrameBuffer;
use crate::board::tx_phy_fifo::TxPhyFifo;
use crate::board::uart_rx::UartRx;
use crate::board::uart_tx::{UartTx, CLOCKS_PER_BIT_4M};
use crate::link::rmii_rx::RmiiRx;
use crate::link::rmii_tx::RmiiTx;
use rust_hdl::prelude::*;

/// Header pin → FPGA pad for every RMII signal, as in docs/wiring.md.
pub const RMII_PINS: [(&str, &str, &str); 8] = [
    ("rmii_ref_clk", "A8", "G1"),
    ("rmii_crs_dv", "A9", "G3"),
    ("rmii_rxd[0]", "A5", "J1"),
    ("rmii_rxd[1]", "A6", "J3"),
    ("rmii_rx_er", "A11", "E1"),
    ("rmii_tx_en", "A2", "M1"),
    ("rmii_txd[0]", "A3", "L1"),
    ("rmii_txd[1]", "A12", "D1"),
];

#[derive(LogicBlock)]
pub struct AlchitryCuTop {
    /// 100 MHz, P7.
    pub clock: Signal<In, Clock>,
    /// The reset button, active low, P8.
    pub reset_n: Signal<In, Bit>,
    /// USB UART: the FPGA receives on P14 and transmits on M9.
    pub uart_rx: Signal<In, Bit>,
    pub uart_tx: Signal<Out, Bit>,
    pub leds: Signal<Out, Bits<8>>,
    pub rmii_ref_clk: Signal<In, Clock>,
    pub rmii_crs_dv: Signal<In, Bit>,
    pub rmii_rxd: Signal<In, Bits<2>>,
    pub rmii_rx_er: Signal<In, Bit>,
    pub rmii_tx_en: Signal<Out, Bit>,
    pub rmii_txd: Signal<Out, Bits<2>>,
    pub core: BoardCore,
    link_rx: UartRx<CLOCKS_PER_BIT_4M>,
    link_tx: UartTx<CLOCKS_PER_BIT_4M>,
    phy_rx: RmiiRx,
    rx_buffer: RxFrameBuffer,
    tx_fifo: TxPhyFifo,
    phy_tx: RmiiTx,
    led_drive: LedStretch,
    // Core clock domain.
    reset_s1: DFF<Bit>,
    reset_s2: DFF<Bit>,
    trouble_s1: DFF<Bit>,
    trouble_s2: DFF<Bit>,
    trouble_s3: DFF<Bit>,
    ten_s1: DFF<Bit>,
    ten_s2: DFF<Bit>,
    rx_valid_prev: DFF<Bit>,
    // REF_CLK domain.
    ref_reset_s1: DFF<Bit>,
    ref_reset_s2: DFF<Bit>,
    trouble_toggle: DFF<Bit>,
}

impl Default for AlchitryCuTop {
    fn default() -> Self {
        let mut top = Self {
            clock: Default::default(),
            reset_n: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            leds: Default::default(),
            rmii_ref_clk: Default::default(),
            rmii_crs_dv: Default::default(),
            rmii_rxd: Default::default(),
            rmii_rx_er: Default::default(),
            rmii_tx_en: Default::default(),
            rmii_txd: Default::default(),
            core: Default::default(),
            link_rx: Default::default(),
            link_tx: Default::default(),
            phy_rx: Default::default(),
            rx_buffer: Default::default(),
            tx_fifo: Default::default(),
            phy_tx: Default::default(),
            led_drive: Default::default(),
            reset_s1: Default::default(),
            reset_s2: Default::default(),
            trouble_s1: Default::default(),
            trouble_s2: Default::default(),
            trouble_s3: Default::default(),
            ten_s1: Default::default(),
            ten_s2: Default::default(),
            rx_valid_prev: Default::default(),
            ref_reset_s1: Default::default(),
            ref_reset_s2: Default::default(),
            trouble_toggle: Default::default(),
        };
        // Locations, so that rust-hdl's generate_pcf agrees with constraints/alchitry_cu.pcf
        // (a test compares them).
        top.clock.add_location(0, "P7");
        top.reset_n.add_location(0, "P8");
        top.uart_rx.add_location(0, "P14");
        top.uart_tx.add_location(0, "M9");
        for (i, pad) in ["J11", "K11", "K12", "K14", "L12", "L14", "M12", "N14"]
            .iter()
            .enumerate()
        {
            top.leds.add_location(i, pad);
        }
        top.rmii_ref_clk.add_location(0, "G1");
        top.rmii_crs_dv.add_location(0, "G3");
        top.rmii_rxd.add_location(0, "J1");
        top.rmii_rxd.add_location(1, "J3");
        top.rmii_rx_er.add_location(0, "E1");
        top.rmii_tx_en.add_location(0, "M1");
        top.rmii_txd.add_location(0, "L1");
        top.rmii_txd.add_location(1, "D1");
        top
    }
}

impl Logic for AlchitryCuTop {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            reset_s1,
            reset_s2,
            trouble_s1,
            trouble_s2,
            trouble_s3,
            ten_s1,
            ten_s2,
            rx_valid_prev
        );
        dff_setup!(
            self,
            rmii_ref_clk,
            ref_reset_s1,
            ref_reset_s2,
            trouble_toggle
        );
        self.core.clock.next = self.clock.val();
        self.link_rx.clock.next = self.clock.val();
        self.link_tx.clock.next = self.clock.val();
        self.led_drive.clock.next = self.clock.val();
        self.phy_rx.clock.next = self.rmii_ref_clk.val();
        self.phy_tx.clock.next = self.rmii_ref_clk.val();
        self.rx_buffer.ref_clock.next = self.rmii_ref_clk.val();
        self.rx_buffer.clock.next = self.clock.val();
        self.tx_fifo.ref_clock.next = self.rmii_ref_clk.val();
        self.tx_fifo.clock.next = self.clock.val();
        // Reset button, synchronised into each domain (1 = held).
        self.reset_s1.d.next = !self.reset_n.val();
        self.reset_s2.d.next = self.reset_s1.q.val();
        self.ref_reset_s1.d.next = !self.reset_n.val();
        self.ref_reset_s2.d.next = self.ref_reset_s1.q.val();
        // Receive: RMII pins → bytes (REF_CLK) → frame buffer → whole frames (core clock).
        self.phy_rx.crs_dv.next = self.rmii_crs_dv.val() & !self.ref_reset_s2.q.val();
        self.phy_rx.rxd.next = self.rmii_rxd.val();
        self.phy_rx.rx_er.next = self.rmii_rx_er.val();
        self.rx_buffer.data.next = self.phy_rx.data.val();
        self.rx_buffer.valid.next = self.phy_rx.valid.val();
        self.rx_buffer.start.next = self.phy_rx.start.val();
        self.rx_buffer.frame_end.next = self.phy_rx.frame_end.val();
        self.rx_buffer.error.next = self.phy_rx.error.val();
        self.core.phy_rx_data.next = self.rx_buffer.phy_data.val();
        self.core.phy_rx_valid.next = self.rx_buffer.phy_valid.val();
        self.core.phy_rx_error.next = self.rx_buffer.phy_error.val();
        // Transmit: core bytes → FIFO → RMII pins.
        self.tx_fifo.phy_tx_data.next = self.core.phy_tx_data.val();
        self.tx_fifo.phy_tx_valid.next = self.core.phy_tx_valid.val();
        self.core.phy_tx_ready.next = self.tx_fifo.phy_tx_ready.val();
        self.phy_tx.data.next = self.tx_fifo.data.val();
        self.phy_tx.empty.next = self.tx_fifo.empty.val();
        self.tx_fifo.read.next = self.phy_tx.read.val();
        self.phy_tx.speed_10.next = self.phy_rx.speed_10.val();
        self.rmii_tx_en.next = self.phy_tx.tx_en.val();
        self.rmii_txd.next = self.phy_tx.txd.val();
        // Host link over the USB UART.
        self.link_rx.rxd.next = self.uart_rx.val();
        self.core.link_in_data.next = self.link_rx.data.val();
        self.core.link_in_valid.next = self.link_rx.valid.val() & !self.reset_s2.q.val();
        self.link_tx.data.next = self.core.link_out_data.val();
        self.link_tx.valid.next = self.core.link_out_valid.val();
        self.core.link_out_ready.next = self.link_tx.ready.val();
        self.uart_tx.next = self.link_tx.txd.val();
        // Status. PHY trouble happens on REF_CLK: a toggle carries each event across.
        if (self.phy_rx.frame_end.val() & self.phy_rx.error.val())
            | self.rx_buffer.overrun.val()
            | self.phy_tx.underrun.val()
        {
            self.trouble_toggle.d.next = !self.trouble_toggle.q.val();
        }
        self.trouble_s1.d.next = self.trouble_toggle.q.val();
        self.trouble_s2.d.next = self.trouble_s1.q.val();
        self.trouble_s3.d.next = self.trouble_s2.q.val();
        self.ten_s1.d.next = self.phy_rx.speed_10.val();
        self.ten_s2.d.next = self.ten_s1.q.val();
        self.rx_valid_prev.d.next = self.rx_buffer.phy_valid.val();
        self.led_drive.pulses.next = bit_cast::<8, 1>(self.core.rx_frame.val().into())
            | (bit_cast::<8, 1>(self.core.rx_drop.val().into()) << 1)
            | (bit_cast::<8, 1>(self.core.tx_frame.val().into()) << 2)
            | (bit_cast::<8, 1>(
                (self.core.link_error.val() | self.link_rx.framing_error.val()).into(),
            ) << 3)
            | (bit_cast::<8, 1>(
                (self.link_rx.valid.val()
                    | (self.core.link_out_valid.val() & self.link_tx.ready.val()))
                .into(),
            ) << 4)
            | (bit_cast::<8, 1>(
                (self.rx_buffer.phy_valid.val() & !self.rx_valid_prev.q.val()).into(),
            ) << 5)
            | (bit_cast::<8, 1>((self.trouble_s2.q.val() != self.trouble_s3.q.val()).into()) << 7);
        self.led_drive.levels.next = (bit_cast::<8, 1>(self.ten_s2.q.val().into()) << 6)
            | (bit_cast::<8, 1>(self.reset_s2.q.val().into()) << 7);
        self.leds.next = self.led_drive.leds.val();
    }
}

/// The top level's Verilog, as synthesis takes it (module `top`).
pub fn top_verilog() -> String {
    let mut top = AlchitryCuTop::default();
    top.connect_all();
    generate_verilog(&top)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcf_in_constraints_matches_the_top_levels_locations() {
        let mut top = AlchitryCuTop::default();
        top.connect_all();
        let generated = rust_hdl::fpga::toolchains::icestorm::generate_pcf(&top);
        let norm = |s: &str| -> Vec<String> {
            let mut v: Vec<String> = s
                .lines()
                .map(|l| l.split('#').next().unwrap().trim().to_string())
                .filter(|l| l.starts_with("set_io"))
                .map(|l| {
                    l.split_whitespace()
                        .filter(|w| !w.starts_with('-') && *w != "yes" && *w != "no")
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            v.sort();
            v
        };
        let file = include_str!("../../../constraints/alchitry_cu.pcf");
        assert_eq!(norm(file), norm(&generated));
    }
}
