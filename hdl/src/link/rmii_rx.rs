//! RMII receive: from the PHY's 2-bit interface (REF_CLK domain, 50 MHz) to bytes.
//!
//! The PHY drives CRS_DV and RXD[1:0] on REF_CLK. At 100 Mbit every clock carries a
//! dibit; at 10 Mbit each dibit is held for ten clocks. Bytes go LSB first, two bits a
//! clock. The block hunts for the preamble (RXD = 01 with CRS_DV), aligns bytes on the
//! SFD's final dibit (11), and emits the SFD (0xD5) with `start` and `valid`, then each
//! frame byte with `valid` as its fourth dibit arrives, then `end` (with `error` for
//! that frame) once the data is over. Bytes come at most one every four clocks.
//!
//! Speed: MDIO is left to the PHY's straps, so nothing tells the MAC the negotiated
//! speed. It is read off each frame's preamble instead: the preamble's 01 dibits last
//! at most ~31 clocks at 100 Mbit (31 dibits, one a clock) and at least 40 at
//! 10 Mbit (four dibits or more, ten clocks each), so a preamble that lasted 40 clocks
//! or more means 10 Mbit. The 10 Mbit dibits are then sampled in their middle, five
//! clocks after each dibit starts (the SFD's 11 marks a dibit's first clock).
//! `speed_10` holds the last frame's speed for the transmitter.
//!
//! End of frame: when the carrier drops before the PHY's FIFO is empty, CRS_DV toggles,
//! low on the first dibit of each nibble and high on the second, while the data goes
//! on (RMII 1.2, section 5.3.2). So CRS_DV is only believed on a nibble's second
//! dibit: low there ends the frame. Completed bytes stand; a trailing half byte
//! (dribble) is dropped and the FCS judges the rest.
//!
//! `error`: RX_ER was seen during the frame (the PHY decoded a bad symbol), or the
//! frame ended without the SFD's byte alignment holding (never with a compliant PHY).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct RmiiRx {
    /// REF_CLK.
    pub clock: Signal<In, Clock>,
    pub crs_dv: Signal<In, Bit>,
    pub rxd: Signal<In, Bits<2>>,
    pub rx_er: Signal<In, Bit>,
    pub data: Signal<Out, Bits<8>>,
    pub valid: Signal<Out, Bit>,
    /// With the SFD byte, the first of a frame.
    pub start: Signal<Out, Bit>,
    /// One clock after the frame's last byte (never in the same clock as `valid`).
    pub frame_end: Signal<Out, Bit>,
    /// With `end`.
    pub error: Signal<Out, Bit>,
    pub speed_10: Signal<Out, Bit>,
    // Input registers (the pins are sampled once, then only these are used).
    crs_q: DFF<Bit>,
    rxd_q: DFF<Bits<2>>,
    er_q: DFF<Bit>,
    // 0 idle, 1 preamble, 2 data.
    state: DFF<Bits<2>>,
    /// Clocks of preamble so far, saturating.
    run: DFF<Bits<6>>,
    ten: DFF<Bit>,
    /// 10 Mbit sample divider, 0..9: a dibit is sampled when it reaches 5.
    div: DFF<Bits<4>>,
    /// Dibits of the current byte already in `shift`.
    phase: DFF<Bits<2>>,
    shift: DFF<Bits<6>>,
    er_seen: DFF<Bit>,
    out_data: DFF<Bits<8>>,
    out_valid: DFF<Bit>,
    out_start: DFF<Bit>,
    out_end: DFF<Bit>,
    out_error: DFF<Bit>,
    sample: Signal<Local, Bit>,
}

impl Logic for RmiiRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, crs_q, rxd_q, er_q, state, run, ten, div, phase, shift, er_seen, out_data,
            out_valid, out_start, out_end, out_error
        );
        self.crs_q.d.next = self.crs_dv.val();
        self.rxd_q.d.next = self.rxd.val();
        self.er_q.d.next = self.rx_er.val();
        self.out_valid.d.next = false;
        self.out_start.d.next = false;
        self.out_end.d.next = false;
        self.out_error.d.next = false;
        self.div.d.next = self.div.q.val() + 1;
        if self.div.q.val() == 9 {
            self.div.d.next = 0.into();
        }
        self.sample.next = !self.ten.q.val() | (self.div.q.val() == 5);
        if self.state.q.val() == 0 {
            self.run.d.next = 0.into();
            if self.crs_q.q.val() & (self.rxd_q.q.val() == 1) {
                self.state.d.next = 1.into();
            }
        } else if self.state.q.val() == 1 {
            if self.run.q.val() != 63 {
                self.run.d.next = self.run.q.val() + 1;
            }
            if self.rxd_q.q.val() == 3 {
                // The SFD's last dibit: this clock starts it, so the byte boundary and,
                // at 10 Mbit, the dibit boundary are known from here on.
                self.state.d.next = 2.into();
                self.ten.d.next = self.run.q.val() >= 40;
                self.div.d.next = 6.into(); // 5 again ten clocks on
                self.phase.d.next = 0.into();
                self.er_seen.d.next = false;
                self.out_data.d.next = 0xD5.into();
                self.out_valid.d.next = true;
                self.out_start.d.next = true;
            } else if !self.crs_q.q.val() | (self.rxd_q.q.val() != 1) {
                // False carrier or a glitch: not a preamble after all.
                self.state.d.next = 0.into();
            }
        } else {
            if self.sample.val() {
                if self.er_q.q.val() & self.crs_q.q.val() {
                    self.er_seen.d.next = true;
                }
                self.shift.d.next =
                    (bit_cast::<6, 2>(self.rxd_q.q.val()) << 4) | (self.shift.q.val() >> 2);
                self.phase.d.next = self.phase.q.val() + 1;
                if self.phase.q.val().get_bit(0) & !self.crs_q.q.val() {
                    // CRS_DV low on a nibble's second dibit: the data is over.
                    self.state.d.next = 0.into();
                    self.out_end.d.next = true;
                    self.out_error.d.next = self.er_seen.q.val();
                } else if self.phase.q.val() == 3 {
                    self.out_data.d.next = (bit_cast::<8, 2>(self.rxd_q.q.val()) << 6)
                        | bit_cast::<8, 6>(self.shift.q.val());
                    self.out_valid.d.next = true;
                }
            }
        }
        self.data.next = self.out_data.q.val();
        self.valid.next = self.out_valid.q.val();
        self.start.next = self.out_start.q.val();
        self.frame_end.next = self.out_end.q.val();
        self.error.next = self.out_error.q.val();
        self.speed_10.next = self.ten.q.val();
    }
}

/// One REF_CLK of the PHY's receive pins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RmiiPins {
    pub crs_dv: bool,
    pub rxd: u8,
    pub rx_er: bool,
}

/// What a LAN8720-class PHY drives for `wire` (preamble, SFD, frame, FCS): `lead`
/// clocks of carrier with RXD = 00 first (decoding latency), each dibit held one clock
/// (100 Mbit) or ten (10 Mbit), and the carrier lost `early_nibbles` nibbles before the
/// data ends, so that CRS_DV toggles through them; then `idle` clocks of nothing.
pub fn rmii_waveform(
    wire: &[u8],
    ten: bool,
    lead: usize,
    early_nibbles: usize,
    idle: usize,
) -> Vec<RmiiPins> {
    let hold = if ten { 10 } else { 1 };
    let mut pins = vec![];
    for _ in 0..lead * hold {
        pins.push(RmiiPins {
            crs_dv: true,
            rxd: 0,
            rx_er: false,
        });
    }
    let dibits: Vec<u8> = wire
        .iter()
        .flat_map(|&b| (0..4).map(move |i| (b >> (2 * i)) & 3))
        .collect();
    let toggle_from = dibits.len().saturating_sub(2 * early_nibbles);
    for (i, &d) in dibits.iter().enumerate() {
        // Past the carrier's loss: low on a nibble's first dibit, high on its second.
        let crs_dv = i < toggle_from || i % 2 == 1;
        for _ in 0..hold {
            pins.push(RmiiPins {
                crs_dv,
                rxd: d,
                rx_er: false,
            });
        }
    }
    for _ in 0..idle {
        pins.push(RmiiPins {
            crs_dv: false,
            rxd: 0,
            rx_er: false,
        });
    }
    pins
}

/// What `RmiiRx` reported for a run of pins.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RmiiRxFrame {
    pub bytes: Vec<u8>,
    pub error: bool,
    pub speed_10: bool,
}

/// Drives `RmiiRx` with `pins` and collects each frame from `start` to `end`.
pub fn receive_rmii(pins: &[RmiiPins]) -> Vec<RmiiRxFrame> {
    let mut uut = RmiiRx::default();
    uut.connect_all();
    let mut frames: Vec<RmiiRxFrame> = vec![];
    for p in pins {
        uut.crs_dv.next = p.crs_dv;
        uut.rxd.next = (p.rxd as u64).into();
        uut.rx_er.next = p.rx_er;
        crate::tick!(uut);
        if uut.start.val() {
            frames.push(RmiiRxFrame::default());
        }
        if uut.valid.val() {
            frames
                .last_mut()
                .expect("a byte before start")
                .bytes
                .push(uut.data.val().index() as u8);
        }
        if uut.frame_end.val() {
            let f = frames.last_mut().expect("end before start");
            f.error = uut.error.val();
            f.speed_10 = uut.speed_10.val();
        }
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::mac_rx::phy_bytes;

    fn frame(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// The bytes from the SFD on, as the block should report them.
    fn from_sfd(wire: &[u8]) -> Vec<u8> {
        wire[7..].to_vec()
    }

    #[test]
    fn frames_at_100_and_10_mbit_with_and_without_toggling_crs_dv() {
        for ten in [false, true] {
            for early in [0, 1, 2, 3, 6] {
                let a = phy_bytes(&frame(64, 1), true);
                let b = phy_bytes(&frame(300, 7), true);
                let mut pins = rmii_waveform(&a, ten, 3, early, 30);
                pins.extend(rmii_waveform(&b, ten, 0, early, 30));
                let got = receive_rmii(&pins);
                let want = vec![
                    RmiiRxFrame {
                        bytes: from_sfd(&a),
                        error: false,
                        speed_10: ten,
                    },
                    RmiiRxFrame {
                        bytes: from_sfd(&b),
                        error: false,
                        speed_10: ten,
                    },
                ];
                assert_eq!(
                    got, want,
                    "10 Mbit {ten}, carrier lost {early} nibbles early"
                );
            }
        }
    }

    #[test]
    fn a_short_preamble_still_reads_as_its_speed() {
        // A PHY may swallow some of the preamble: two bytes' worth is enough either way.
        for ten in [false, true] {
            let mut wire = vec![0x55, 0x55, 0xD5];
            wire.extend(frame(70, 3));
            let got = receive_rmii(&rmii_waveform(&wire, ten, 0, 2, 20));
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].bytes, wire[2..].to_vec());
            assert_eq!(got[0].speed_10, ten);
        }
    }

    #[test]
    fn rx_er_marks_the_frame_and_the_next_is_clean() {
        let a = phy_bytes(&frame(80, 2), true);
        let mut pins = rmii_waveform(&a, false, 0, 2, 20);
        pins[200].rx_er = true;
        pins.extend(rmii_waveform(&a, false, 0, 2, 20));
        let got = receive_rmii(&pins);
        assert_eq!(got.len(), 2);
        assert!(got[0].error && !got[1].error);
        assert_eq!(got[0].bytes, from_sfd(&a));
    }

    #[test]
    fn a_dribble_nibble_is_dropped_and_false_carrier_is_ignored() {
        let a = phy_bytes(&frame(66, 4), true);
        let mut pins = rmii_waveform(&a, false, 0, 0, 0);
        // Two extra dibits (a nibble) of garbage after the FCS.
        pins.push(RmiiPins {
            crs_dv: true,
            rxd: 2,
            rx_er: false,
        });
        pins.push(RmiiPins {
            crs_dv: true,
            rxd: 1,
            rx_er: false,
        });
        pins.extend(vec![
            RmiiPins {
                crs_dv: false,
                rxd: 0,
                rx_er: false
            };
            10
        ]);
        // False carrier: CRS_DV with RXD = 10, no preamble.
        pins.extend(vec![
            RmiiPins {
                crs_dv: true,
                rxd: 2,
                rx_er: true
            };
            12
        ]);
        pins.extend(vec![
            RmiiPins {
                crs_dv: false,
                rxd: 0,
                rx_er: false
            };
            10
        ]);
        let got = receive_rmii(&pins);
        assert_eq!(
            got,
            vec![RmiiRxFrame {
                bytes: from_sfd(&a),
                error: false,
                speed_10: false
            }]
        );
    }
}
