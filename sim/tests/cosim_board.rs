//! The board blocks' generated Verilog (RMII adapters, LED stretcher, stream register) passes yosys's check and matches the Rust
//! simulation clock for clock: the receiver fed PHY waveforms at 100 and 10 Mbit with
//! CRS_DV toggling, RX_ER and false carrier; the transmitter fed a FIFO that runs
//! frames, end markers and an underrun. RxFrameBuffer has two clocks, which this
//! harness does not drive apart: it runs here with both on the one clock (its logic,
//! RAM and crossings' flip-flops all compared; tests/board_top.rs and its own tests
//! run it with two). TxPhyFifo likewise: one clock here, two in its own tests.

use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_hdl::prelude::*;
use tcpip_hdl::board::led_stretch::LedStretch;
use tcpip_hdl::board::rx_frame_buffer::RxFrameBuffer;
use tcpip_hdl::board::stream_register::StreamRegister;
use tcpip_hdl::board::tx_phy_fifo::TxPhyFifo;
use tcpip_hdl::link::mac_rx::phy_bytes;
use tcpip_hdl::link::rmii_rx::{rmii_waveform, RmiiRx};
use tcpip_hdl::link::rmii_tx::RmiiTx;
use tcpip_sim::cosim::check_block;

/// RxFrameBuffer with REF_CLK and the core clock both on `clock`; its write-side inputs
/// packed into `ins` (data, then valid, start, frame_end, error from bit 8) and its
/// outputs into `outs` (phy_data, then phy_valid, phy_error, overrun from bit 8).
#[derive(LogicBlock, Default)]
struct RxFrameBufferOneClock {
    clock: Signal<In, Clock>,
    ins: Signal<In, Bits<12>>,
    outs: Signal<Out, Bits<11>>,
    uut: RxFrameBuffer,
}

impl Logic for RxFrameBufferOneClock {
    #[hdl_gen]
    fn update(&mut self) {
        self.uut.ref_clock.next = self.clock.val();
        self.uut.clock.next = self.clock.val();
        self.uut.data.next = self.ins.val().get_bits::<8>(0);
        self.uut.valid.next = self.ins.val().get_bit(8);
        self.uut.start.next = self.ins.val().get_bit(9);
        self.uut.frame_end.next = self.ins.val().get_bit(10);
        self.uut.error.next = self.ins.val().get_bit(11);
        self.outs.next = bit_cast::<11, 8>(self.uut.phy_data.val())
            | (bit_cast::<11, 1>(self.uut.phy_valid.val().into()) << 8)
            | (bit_cast::<11, 1>(self.uut.phy_error.val().into()) << 9)
            | (bit_cast::<11, 1>(self.uut.overrun.val().into()) << 10);
    }
}

tcpip_sim::cosim_ports!(RxFrameBufferOneClock {
    inputs: [ins],
    outputs: [outs],
});

#[test]
fn rx_frame_buffer() {
    // Frames a byte every 4 clocks (the read side drains 4 times faster) and, to fill
    // the buffer, a byte every clock: whole, errored, too long, and ones that find it
    // full; the header's writes and the gap between released frames on the way.
    let mut rng = StdRng::seed_from_u64(15);
    let mut vectors = vec![];
    for i in 0..40 {
        let every = if i < 10 { 4 } else { 1 };
        let len = match i % 7 {
            0 => 0,
            1 => 1600,
            _ => rng.gen_range(1..300),
        };
        let (valid, start, end, error) = (1 << 8, 1 << 9, 1 << 10, 1 << 11);
        vectors.push(vec![0xD5 | valid | start]);
        for _ in 0..len {
            for _ in 1..every {
                vectors.push(vec![rng.gen_range(0..256)]);
            }
            vectors.push(vec![rng.gen_range(0..256) | valid]);
        }
        vectors.push(vec![end | if rng.gen_bool(0.2) { error } else { 0 }]);
        for _ in 0..rng.gen_range(4..40) {
            vectors.push(vec![0]);
        }
    }
    vectors.extend((0..20_000).map(|_| vec![0]));
    let report =
        check_block(RxFrameBufferOneClock::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("rx_frame_buffer: {report}");
}

/// TxPhyFifo with REF_CLK and the core clock both on `clock`.
#[derive(LogicBlock, Default)]
struct TxPhyFifoOneClock {
    clock: Signal<In, Clock>,
    phy_tx_data: Signal<In, Bits<8>>,
    phy_tx_valid: Signal<In, Bit>,
    read: Signal<In, Bit>,
    phy_tx_ready: Signal<Out, Bit>,
    data: Signal<Out, Bits<9>>,
    empty: Signal<Out, Bit>,
    uut: TxPhyFifo,
}

impl Logic for TxPhyFifoOneClock {
    #[hdl_gen]
    fn update(&mut self) {
        self.uut.clock.next = self.clock.val();
        self.uut.ref_clock.next = self.clock.val();
        self.uut.phy_tx_data.next = self.phy_tx_data.val();
        self.uut.phy_tx_valid.next = self.phy_tx_valid.val();
        self.uut.read.next = self.read.val();
        self.phy_tx_ready.next = self.uut.phy_tx_ready.val();
        self.data.next = self.uut.data.val();
        self.empty.next = self.uut.empty.val();
    }
}

tcpip_sim::cosim_ports!(TxPhyFifoOneClock {
    inputs: [phy_tx_data, phy_tx_valid, read],
    outputs: [phy_tx_ready, data, empty],
});

#[test]
fn tx_phy_fifo() {
    // Frames (runs of valid) with gaps, written faster than they are read so the FIFO
    // fills and holds back, reads at rates from none to every clock (some while empty),
    // every pointer lapping the RAM many times.
    let mut rng = StdRng::seed_from_u64(16);
    let mut vectors = vec![];
    for _ in 0..300 {
        let read_p = [0.0, 0.1, 0.25, 0.6, 1.0][rng.gen_range(0..5)];
        for valid in [true, false] {
            let n = if valid {
                rng.gen_range(1..60)
            } else {
                rng.gen_range(1..20)
            };
            for _ in 0..n {
                vectors.push(vec![
                    rng.gen_range(0..256),
                    valid as u64,
                    rng.gen_bool(read_p) as u64,
                ]);
            }
        }
    }
    vectors.extend((0..100).map(|_| vec![0, 0, 1]));
    let report =
        check_block(TxPhyFifoOneClock::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("tx_phy_fifo: {report}");
}

#[test]
fn rmii_rx() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut vectors = vec![];
    for (i, ten) in [false, true, false, true, false].into_iter().enumerate() {
        let len = rng.gen_range(60..200);
        let frame: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        let mut pins = rmii_waveform(&phy_bytes(&frame, true), ten, i, i % 4, 40);
        if i == 2 {
            pins[300].rx_er = true;
        }
        vectors.extend(
            pins.iter()
                .map(|p| vec![p.crs_dv as u64, p.rxd as u64, p.rx_er as u64]),
        );
        // False carrier.
        vectors.extend((0..20).map(|_| vec![1, 2, 1]));
        vectors.extend((0..20).map(|_| vec![0, 0, 0]));
    }
    let report = check_block(RmiiRx::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("rmii_rx: {report}");
}

#[test]
fn rmii_tx() {
    let mut rng = StdRng::seed_from_u64(12);
    let mut vectors = vec![];
    for ten in [false, true] {
        // A FIFO model: the head entry stays until the block reads it (the vectors are
        // fixed in advance, so the head advances on a schedule; what matters here is that
        // Rust and Verilog agree).
        let mut entries: Vec<u64> = (0..80).map(|_| rng.gen_range(0..256)).collect();
        entries.push(0x100);
        let hold = if ten { 40 } else { 4 };
        for _ in 0..20 {
            vectors.push(vec![entries[0], 0, ten as u64]);
        }
        for e in &entries {
            for _ in 0..hold {
                vectors.push(vec![*e, 0, ten as u64]);
            }
        }
        // Then empty: an underrun if a frame was still going.
        for _ in 0..200 {
            vectors.push(vec![0, 1, ten as u64]);
        }
    }
    let report = check_block(RmiiTx::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("rmii_tx: {report}");
}

#[test]
fn led_stretch() {
    let mut rng = StdRng::seed_from_u64(13);
    let vectors: Vec<Vec<u64>> = (0..5000)
        .map(|_| {
            let pulses = if rng.gen_bool(0.01) {
                rng.gen_range(0..256)
            } else {
                0
            };
            vec![pulses]
        })
        .collect();
    let report = check_block(LedStretch::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("led_stretch: {report}");
}

#[test]
fn stream_register() {
    let mut rng = StdRng::seed_from_u64(14);
    let vectors: Vec<Vec<u64>> = (0..5000)
        .map(|_| {
            vec![
                rng.gen_range(0..256),
                rng.gen_bool(0.7) as u64,
                rng.gen_bool(0.05) as u64,
                rng.gen_bool(0.6) as u64,
            ]
        })
        .collect();
    let report = check_block(StreamRegister::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("stream_register: {report}");
}
