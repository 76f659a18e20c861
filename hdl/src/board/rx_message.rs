//! Writes the link message of the segment streaming past (RxTcp or RxUdp, layouts in
//! host/src/link/message.rs) into the receive FIFO, each header byte straight to its
//! place as it passes, so that no header field is held in a register for the host and
//! nothing is copied later: the FIFO's bytes are the message LinkTx sends.
//!
//! It watches the three streams the parsers see: the frame (as EthRx gets it), the
//! Ethernet payload (as Ipv4Rx gets it) and the IP payload (as TcpRx and UdpRx get it),
//! and counts each stream's bytes itself. Offsets are from the record's start (see
//! [`RxFifo`]: the message starts at 2 for TCP, 4 for UDP, so the source MAC (frame
//! bytes 6..=11, offsets 5..=10) and source IP (IP bytes 12..=15, offsets 11..=14) land
//! right for either before the protocol is known). The message is little-endian, the
//! wire big-endian: ports, seq, ack, flags and window go in byte-reversed. UDP's
//! destination IP (IP bytes 16..=19, offsets 15..=18) is written for TCP too, and TCP's
//! ports, which stream past later, overwrite it.
//!
//! Every field of a kept message is written during its frame, or while the FIFO seals
//! it: the type and protocol bytes, TCP's header length, the NS flag and the parsed
//! options (from TcpRx's registers, final by then) come from the trailer table below.
//! Frames that are not TCP or UDP write into the uncommitted record too, harmlessly.
//!
//! [`RxFifo`]: super::rx_fifo::RxFifo

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct RxMessage {
    pub clock: Signal<In, Clock>,
    /// The frame, from its destination MAC on (MacRx's output).
    pub link_data: Signal<In, Bits<8>>,
    pub link_valid: Signal<In, Bit>,
    pub link_last: Signal<In, Bit>,
    /// EthRx's output, `l3` marking the Ethernet payload.
    pub l3_data: Signal<In, Bits<8>>,
    pub l3_valid: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    /// Ipv4Rx's output, `l4` marking the IP payload, and the protocol.
    pub l4_data: Signal<In, Bits<8>>,
    pub l4_valid: Signal<In, Bit>,
    pub l4: Signal<In, Bit>,
    pub protocol: Signal<In, Bits<8>>,
    /// TcpRx's registers, read while sealing.
    pub header_len: Signal<In, Bits<8>>,
    pub flags: Signal<In, Bits<9>>,
    pub mss: Signal<In, Bits<16>>,
    pub mss_present: Signal<In, Bit>,
    pub window_scale: Signal<In, Bits<8>>,
    pub window_scale_present: Signal<In, Bit>,
    pub sack_permitted: Signal<In, Bit>,
    pub timestamps_present: Signal<In, Bit>,
    /// The FIFO asks for trailer byte `seal_index`.
    pub sealing: Signal<In, Bit>,
    pub seal_index: Signal<In, Bits<3>>,
    pub field_write: Signal<Out, Bit>,
    pub field_offset: Signal<Out, Bits<6>>,
    pub field_data: Signal<Out, Bits<8>>,
    pub udp: Signal<Out, Bit>,
    /// Position of the current byte in each stream (saturating).
    link_pos: DFF<Bits<4>>,
    l3_pos: DFF<Bits<5>>,
    l4_pos: DFF<Bits<5>>,
    is_tcp: Signal<Local, Bit>,
    l4_write: Signal<Local, Bit>,
    l4_offset: Signal<Local, Bits<6>>,
}

impl Logic for RxMessage {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, link_pos, l3_pos, l4_pos);
        self.is_tcp.next = self.protocol.val() == 6;
        self.udp.next = self.protocol.val() == 17;
        if self.link_valid.val() {
            if self.link_last.val() {
                self.link_pos.d.next = 0.into();
            } else if self.link_pos.q.val() != 15 {
                self.link_pos.d.next = self.link_pos.q.val() + 1;
            }
        }
        if self.l3_valid.val() {
            if !self.l3.val() {
                self.l3_pos.d.next = 0.into();
            } else if self.l3_pos.q.val() != 31 {
                self.l3_pos.d.next = self.l3_pos.q.val() + 1;
            }
        }
        if self.l4_valid.val() {
            if !self.l4.val() {
                self.l4_pos.d.next = 0.into();
            } else if self.l4_pos.q.val() != 31 {
                self.l4_pos.d.next = self.l4_pos.q.val() + 1;
            }
        }
        // Where a transport header byte goes: TCP bytes 0..=15 but 12 (data offset and
        // NS, from the trailer); UDP bytes 0..=3 (the ports). A balanced case on the
        // position, each arm a constant.
        self.l4_write.next = true;
        self.l4_offset.next = 0.into();
        match self.l4_pos.q.val().get_bits::<4>(0).index() {
            0 => {
                self.l4_offset.next = 16.into();
                if self.udp.val() {
                    self.l4_offset.next = 20.into();
                }
            }
            1 => {
                self.l4_offset.next = 15.into();
                if self.udp.val() {
                    self.l4_offset.next = 19.into();
                }
            }
            2 => {
                self.l4_offset.next = 18.into();
                if self.udp.val() {
                    self.l4_offset.next = 22.into();
                }
            }
            3 => {
                self.l4_offset.next = 17.into();
                if self.udp.val() {
                    self.l4_offset.next = 21.into();
                }
            }
            4 => {
                self.l4_offset.next = 22.into();
            }
            5 => {
                self.l4_offset.next = 21.into();
            }
            6 => {
                self.l4_offset.next = 20.into();
            }
            7 => {
                self.l4_offset.next = 19.into();
            }
            8 => {
                self.l4_offset.next = 26.into();
            }
            9 => {
                self.l4_offset.next = 25.into();
            }
            10 => {
                self.l4_offset.next = 24.into();
            }
            11 => {
                self.l4_offset.next = 23.into();
            }
            13 => {
                self.l4_offset.next = 27.into();
            }
            14 => {
                self.l4_offset.next = 30.into();
            }
            15 => {
                self.l4_offset.next = 29.into();
            }
            _ => {
                self.l4_write.next = false;
            }
        }
        if self.l4_pos.q.val().get_bit(4)
            | (self.udp.val() & (self.l4_pos.q.val().get_bits::<2>(2) != 0))
        {
            self.l4_write.next = false;
        }
        if !(self.is_tcp.val() | self.udp.val()) {
            self.l4_write.next = false;
        }
        self.field_write.next = false;
        self.field_offset.next = 0.into();
        self.field_data.next = 0.into();
        if self.link_valid.val() & (self.link_pos.q.val() >= 6) & (self.link_pos.q.val() <= 11) {
            self.field_write.next = true;
            self.field_offset.next = bit_cast::<6, 4>(self.link_pos.q.val()) - 1;
            self.field_data.next = self.link_data.val();
        }
        if self.l3_valid.val()
            & self.l3.val()
            & (self.l3_pos.q.val() >= 12)
            & (self.l3_pos.q.val() <= 19)
        {
            self.field_write.next = true;
            self.field_offset.next = bit_cast::<6, 5>(self.l3_pos.q.val()) - 1;
            self.field_data.next = self.l3_data.val();
        }
        if self.l4_valid.val() & self.l4.val() & self.l4_write.val() {
            self.field_write.next = true;
            self.field_offset.next = self.l4_offset.val();
            self.field_data.next = self.l4_data.val();
        }
        // The trailer: fields known only at the end (offsets as above; UDP has only its
        // type byte, written eight times).
        if self.sealing.val() {
            self.field_write.next = true;
            self.field_offset.next = 4.into();
            self.field_data.next = 0x03.into();
            if self.is_tcp.val() {
                match self.seal_index.val().index() {
                    0 => {
                        self.field_offset.next = 2.into();
                        self.field_data.next = 0x02.into();
                    }
                    1 => {
                        self.field_offset.next = 3.into();
                        self.field_data.next = 6.into();
                    }
                    2 => {
                        self.field_data.next = self.header_len.val();
                    }
                    3 => {
                        self.field_offset.next = 28.into();
                        self.field_data.next = bit_cast::<8, 1>(self.flags.val().get_bit(8).into());
                    }
                    4 => {
                        self.field_offset.next = 31.into();
                        self.field_data.next = 0.into();
                        if self.mss_present.val() {
                            self.field_data.next = self.mss.val().get_bits::<8>(0);
                        }
                    }
                    5 => {
                        self.field_offset.next = 32.into();
                        self.field_data.next = 0.into();
                        if self.mss_present.val() {
                            self.field_data.next = self.mss.val().get_bits::<8>(8);
                        }
                    }
                    6 => {
                        self.field_offset.next = 33.into();
                        self.field_data.next = 0xFF.into();
                        if self.window_scale_present.val() {
                            self.field_data.next = self.window_scale.val();
                        }
                    }
                    _ => {
                        self.field_offset.next = 34.into();
                        self.field_data.next = bit_cast::<8, 1>(self.sack_permitted.val().into())
                            | (bit_cast::<8, 1>(self.timestamps_present.val().into()) << 1);
                    }
                }
            }
        }
    }
}
