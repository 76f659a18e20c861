//! TCP receive (RFC 9293 §3.1): header fields, the options the host needs, checksum.
//!
//! Options parsed: MSS (2), window scale (3), SACK-permitted (4), timestamps (8); each
//! counts only with its exact length. Unknown options are skipped by their length; an
//! end-of-list or a length below 2 stops the parse (the bytes still reach the host).
//! `body` marks the option bytes and the payload: the host receives both, so it can
//! read options the hardware does not (SACK blocks). `reason`: tcp_header (15: data
//! offset below 5, or beyond the segment) > tcp_checksum (16).

use crate::internet::checksum::OnesSum;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TcpRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub l4: Signal<In, Bit>,
    pub l4_parse: Signal<In, Bit>,
    pub protocol: Signal<In, Bits<8>>,
    pub l4_len: Signal<In, Bits<16>>,
    pub pseudo_sum: Signal<In, Bits<17>>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// This beat is TCP options or payload (of a segment this block parses).
    pub body: Signal<Out, Bit>,
    pub src_port: Signal<Out, Bits<16>>,
    pub dst_port: Signal<Out, Bits<16>>,
    pub seq: Signal<Out, Bits<32>>,
    pub ack: Signal<Out, Bits<32>>,
    /// Header length in bytes (data offset × 4).
    pub header_len: Signal<Out, Bits<8>>,
    /// NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN from bit 8 down to bit 0.
    pub flags: Signal<Out, Bits<9>>,
    pub window: Signal<Out, Bits<16>>,
    pub urgent: Signal<Out, Bits<16>>,
    pub payload_len: Signal<Out, Bits<16>>,
    pub checksum_ok: Signal<Out, Bit>,
    pub mss: Signal<Out, Bits<16>>,
    pub mss_present: Signal<Out, Bit>,
    pub window_scale: Signal<Out, Bits<8>>,
    pub window_scale_present: Signal<Out, Bit>,
    pub sack_permitted: Signal<Out, Bit>,
    pub ts_val: Signal<Out, Bits<32>>,
    pub ts_ecr: Signal<Out, Bits<32>>,
    pub timestamps_present: Signal<Out, Bit>,
    /// The 20-byte fixed header arrived: the frame reports a TCP layer.
    pub done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    pub sum: OnesSum,
    offset: DFF<Bits<11>>,
    mid_frame: DFF<Bit>,
    prev: DFF<Bits<8>>,
    src_r: DFF<Bits<16>>,
    dst_r: DFF<Bits<16>>,
    seq_r: DFF<Bits<32>>,
    ack_r: DFF<Bits<32>>,
    header_len_r: DFF<Bits<8>>,
    flags_r: DFF<Bits<9>>,
    window_r: DFF<Bits<16>>,
    urgent_r: DFF<Bits<16>>,
    payload_len_r: DFF<Bits<16>>,
    // Option parser: 0 kind, 1 length, 2 data, 3 stopped.
    opt_state: DFF<Bits<2>>,
    opt_kind: DFF<Bits<8>>,
    opt_left: DFF<Bits<8>>,
    opt_index: DFF<Bits<6>>,
    opt_len_ok: DFF<Bit>,
    mss_r: DFF<Bits<16>>,
    mss_p: DFF<Bit>,
    ws_r: DFF<Bits<8>>,
    ws_p: DFF<Bit>,
    sack_p: DFF<Bit>,
    tsval_r: DFF<Bits<32>>,
    tsecr_r: DFF<Bits<32>>,
    ts_p: DFF<Bit>,
    done_r: DFF<Bit>,
    last_d1: DFF<Bit>,
    last_d2: DFF<Bit>,
    reason_r: DFF<Bits<5>>,
    out_data_r: DFF<Bits<8>>,
    out_valid_r: DFF<Bit>,
    out_last_r: DFF<Bit>,
    body_r: DFF<Bit>,
    off: Signal<Local, Bits<11>>,
    word: Signal<Local, Bits<16>>,
    selected: Signal<Local, Bit>,
    in_options: Signal<Local, Bit>,
}

impl Logic for TcpRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            offset,
            mid_frame,
            prev,
            src_r,
            dst_r,
            seq_r,
            ack_r,
            header_len_r,
            flags_r,
            window_r,
            urgent_r,
            payload_len_r,
            opt_state,
            opt_kind,
            opt_left,
            opt_index,
            opt_len_ok,
            mss_r,
            mss_p,
            ws_r,
            ws_p,
            sack_p,
            tsval_r,
            tsecr_r,
            ts_p,
            done_r,
            last_d1,
            last_d2,
            reason_r,
            out_data_r,
            out_valid_r,
            out_last_r,
            body_r
        );
        self.selected.next = self.l4_parse.val() & (self.protocol.val() == 6);
        self.off.next = self.offset.q.val();
        self.word.next =
            (bit_cast::<16, 8>(self.prev.q.val()) << 8) | bit_cast::<16, 8>(self.data.val());
        self.in_options.next = (self.off.val() >= 20)
            & (self.off.val() < bit_cast::<11, 8>(self.header_len_r.q.val()));
        self.sum.clock.next = self.clock.val();
        self.sum.data.next = self.data.val();
        self.sum.high.next = !self.off.val().get_bit(0);
        self.sum.clear.next = self.off.val() == 0;
        self.sum.init.next = self.pseudo_sum.val();
        self.sum.enable.next = self.valid.val() & self.l4.val();
        self.out_data_r.d.next = self.data.val();
        self.out_valid_r.d.next = self.valid.val();
        self.out_last_r.d.next = self.valid.val() & self.last.val();
        self.body_r.d.next = false;
        if self.valid.val() {
            self.mid_frame.d.next = !self.last.val();
        }
        if self.valid.val() & !self.mid_frame.q.val() {
            self.offset.d.next = 0.into();
            self.opt_state.d.next = 0.into();
            self.mss_p.d.next = false;
            self.ws_p.d.next = false;
            self.sack_p.d.next = false;
            self.ts_p.d.next = false;
            self.done_r.d.next = false;
            self.reason_r.d.next = 0.into();
        }
        if self.valid.val() & self.l4.val() {
            self.prev.d.next = self.data.val();
            if self.off.val() != 2047 {
                self.offset.d.next = self.off.val() + 1;
            }
            if self.off.val() == 1 {
                self.src_r.d.next = self.word.val();
            }
            if self.off.val() == 3 {
                self.dst_r.d.next = self.word.val();
            }
            if (self.off.val() >= 4) & (self.off.val() < 8) {
                self.seq_r.d.next = (self.seq_r.q.val() << 8) | bit_cast::<32, 8>(self.data.val());
            }
            if (self.off.val() >= 8) & (self.off.val() < 12) {
                self.ack_r.d.next = (self.ack_r.q.val() << 8) | bit_cast::<32, 8>(self.data.val());
            }
            if self.off.val() == 12 {
                self.header_len_r.d.next = bit_cast::<8, 4>(self.data.val().get_bits::<4>(4)) << 2;
            }
            if self.off.val() == 13 {
                self.flags_r.d.next = bit_cast::<9, 16>(self.word.val());
                self.payload_len_r.d.next =
                    self.l4_len.val() - bit_cast::<16, 8>(self.header_len_r.q.val());
            }
            if self.off.val() == 15 {
                self.window_r.d.next = self.word.val();
            }
            if self.off.val() == 19 {
                self.urgent_r.d.next = self.word.val();
                self.done_r.d.next = true;
            }
            if self.in_options.val() {
                if self.opt_state.q.val() == 0 {
                    // Kind: 0 ends the list, 1 is a one-byte NOP.
                    if self.data.val() == 0 {
                        self.opt_state.d.next = 3.into();
                    } else if self.data.val() != 1 {
                        self.opt_kind.d.next = self.data.val();
                        self.opt_state.d.next = 1.into();
                    }
                } else if self.opt_state.q.val() == 1 {
                    self.opt_index.d.next = 0.into();
                    self.opt_left.d.next = self.data.val() - 2;
                    self.opt_len_ok.d.next = ((self.opt_kind.q.val() == 2)
                        & (self.data.val() == 4))
                        | ((self.opt_kind.q.val() == 3) & (self.data.val() == 3))
                        | ((self.opt_kind.q.val() == 8) & (self.data.val() == 10));
                    if self.data.val() < 2 {
                        self.opt_state.d.next = 3.into();
                    } else if self.data.val() == 2 {
                        if self.opt_kind.q.val() == 4 {
                            self.sack_p.d.next = true;
                        }
                        self.opt_state.d.next = 0.into();
                    } else {
                        self.opt_state.d.next = 2.into();
                    }
                } else if self.opt_state.q.val() == 2 {
                    self.opt_index.d.next = self.opt_index.q.val() + 1;
                    self.opt_left.d.next = self.opt_left.q.val() - 1;
                    if self.opt_left.q.val() == 1 {
                        self.opt_state.d.next = 0.into();
                    }
                    if self.opt_len_ok.q.val() {
                        if self.opt_kind.q.val() == 2 {
                            self.mss_r.d.next =
                                (self.mss_r.q.val() << 8) | bit_cast::<16, 8>(self.data.val());
                            if self.opt_index.q.val() == 1 {
                                self.mss_p.d.next = true;
                            }
                        }
                        if self.opt_kind.q.val() == 3 {
                            self.ws_r.d.next = self.data.val();
                            self.ws_p.d.next = true;
                        }
                        if self.opt_kind.q.val() == 8 {
                            if self.opt_index.q.val() < 4 {
                                self.tsval_r.d.next = (self.tsval_r.q.val() << 8)
                                    | bit_cast::<32, 8>(self.data.val());
                            } else {
                                self.tsecr_r.d.next = (self.tsecr_r.q.val() << 8)
                                    | bit_cast::<32, 8>(self.data.val());
                            }
                            if self.opt_index.q.val() == 7 {
                                self.ts_p.d.next = true;
                            }
                        }
                    }
                }
            }
            self.body_r.d.next = self.selected.val() & (self.off.val() >= 20);
        }
        self.last_d1.d.next = self.valid.val() & self.last.val();
        self.last_d2.d.next = self.last_d1.q.val();
        if self.last_d2.q.val() & self.selected.val() {
            if !self.done_r.q.val()
                | (self.header_len_r.q.val() < 20)
                | (bit_cast::<16, 8>(self.header_len_r.q.val()) > self.l4_len.val())
            {
                self.reason_r.d.next = 15.into(); // tcp_header
            } else if !self.sum.ok.val() {
                self.reason_r.d.next = 16.into(); // tcp_checksum
            }
        }
        self.out_data.next = self.out_data_r.q.val();
        self.out_valid.next = self.out_valid_r.q.val();
        self.out_last.next = self.out_last_r.q.val();
        self.body.next = self.body_r.q.val();
        self.src_port.next = self.src_r.q.val();
        self.dst_port.next = self.dst_r.q.val();
        self.seq.next = self.seq_r.q.val();
        self.ack.next = self.ack_r.q.val();
        self.header_len.next = self.header_len_r.q.val();
        self.flags.next = self.flags_r.q.val();
        self.window.next = self.window_r.q.val();
        self.urgent.next = self.urgent_r.q.val();
        self.payload_len.next = self.payload_len_r.q.val();
        self.checksum_ok.next = self.sum.ok.val();
        self.mss.next = self.mss_r.q.val();
        self.mss_present.next = self.mss_p.q.val();
        self.window_scale.next = self.ws_r.q.val();
        self.window_scale_present.next = self.ws_p.q.val();
        self.sack_permitted.next = self.sack_p.q.val();
        self.ts_val.next = self.tsval_r.q.val();
        self.ts_ecr.next = self.tsecr_r.q.val();
        self.timestamps_present.next = self.ts_p.q.val();
        self.done.next = self.done_r.q.val();
        self.reason.next = self.reason_r.q.val();
    }
}
