//! The receive FIFO toward the host: every kept TCP or UDP segment and ICMP error as the
//! very link message LinkTx sends (RxTcp, RxUdp or RxIcmp, type byte included), in one block RAM array of
//! bytes, committed whole or not at all.
//!
//! The message is written where it will be read, byte by byte as the frame streams
//! past: header fields at fixed offsets from the record's start (`field_*`, from
//! [`RxMessage`], already in the message's byte order), body bytes in order after the
//! fixed part (`write`, `data`). Nobody knows yet whether the frame is good, so none of
//! it is visible. At `finish` the frame is either kept or rolled back. Kept, the FIFO
//! *seals* the record: for [`TRAILER_BYTES`] clocks it asks (`sealing`, `seal_index`)
//! for the fields only known at the end (type, header length, options), which the writer
//! answers on the field port a clock later (from its registers); then it writes the
//! record header and commits. Rolled
//! back, the next frame simply writes over it. The reader sees only committed records,
//! so a bad or truncated frame never shows half a segment.
//!
//! A record at byte `P`: `P+0` length of the message bits 7..0, `P+1` bit 7 "two filler
//! bytes follow" (UDP), bits 2..0 length bits 10..8; TCP: the message from `P+2` (type,
//! 32-byte fixed part, then option bytes and payload from [`TCP_BODY_START`]); UDP: two
//! filler bytes, the message from `P+4` (type, 18-byte fixed part, payload from
//! [`UDP_BODY_START`]; RxIcmp is laid out as RxUdp, `udp` high). The filler puts the source MAC and IP, which stream past before
//! anyone knows the protocol, at the same offsets in both (see [`RxMessage`]).
//!
//! A kept frame is at least 84 clocks long on the wire and the next one's first field
//! comes 26 clocks after its end, so sealing (11 clocks) is over before anything else
//! is written. `room` says whether the frame in progress fits: its record's header part
//! fitted when it started and its body did not overflow; the caller keeps a frame only
//! with room, and counts the rest as `fifo_full`. A write that would not fit is not
//! made, so unread records are never touched.
//!
//! Size: `B` address bits (`BP1` = B + 1, the pointers carry a wrap bit). The read port
//! is first-word-fall-through.
//!
//! [`RxMessage`]: super::rx_message::RxMessage

use crate::block_ram::BlockRam;
use rust_hdl::prelude::*;

/// A TCP record's body offset: 2 header bytes, the type byte, the 32-byte fixed part.
pub const TCP_BODY_START: u64 = 35;
/// A UDP record's: 2 header bytes, 2 filler bytes, the type byte, the 18-byte fixed part.
pub const UDP_BODY_START: u64 = 23;
/// Clocks of `sealing` in which the writer gives end-of-frame fields.
pub const TRAILER_BYTES: u64 = 8;

#[derive(LogicBlock)]
pub struct RxFifo<const B: usize, const BP1: usize> {
    pub clock: Signal<In, Clock>,
    /// A message byte at offset `field_offset` of the record being written.
    pub field_write: Signal<In, Bit>,
    pub field_offset: Signal<In, Bits<6>>,
    pub field_data: Signal<In, Bits<8>>,
    /// The frame is UDP (valid before its first body byte and until it is sealed).
    pub udp: Signal<In, Bit>,
    /// A body byte, in order.
    pub write: Signal<In, Bit>,
    pub data: Signal<In, Bits<8>>,
    pub finish: Signal<In, Bit>,
    pub keep: Signal<In, Bit>,
    pub room: Signal<Out, Bit>,
    /// The writer must answer trailer byte `seal_index` on the field port.
    pub sealing: Signal<Out, Bit>,
    pub seal_index: Signal<Out, Bits<3>>,
    pub read: Signal<In, Bit>,
    pub read_data: Signal<Out, Bits<8>>,
    pub empty: Signal<Out, Bit>,
    ram: BlockRam<Bits<8>, B>,
    /// Start of the record being written; everything before it is committed.
    base: DFF<Bits<BP1>>,
    /// Next body byte.
    wr: DFF<Bits<BP1>>,
    rd: DFF<Bits<BP1>>,
    in_body: DFF<Bit>,
    overflow: DFF<Bit>,
    /// The next record's header part would not fit (set, not clear, at power-up).
    header_full: DFF<Bit>,
    room_r: DFF<Bit>,
    seal: DFF<Bit>,
    step: DFF<Bits<4>>,
    full: Signal<Local, Bit>,
    body_start: Signal<Local, Bits<BP1>>,
    /// The message's length for its record header, counted beside `wr`: loaded with
    /// the fixed part's length where `wr` is loaded with the body's start, and stepped
    /// with `wr`; one incrementer instead of `wr − base − 2 or 4`, two subtractions.
    len: DFF<Bits<BP1>>,
    offset: Signal<Local, Bits<BP1>>,
    free: Signal<Local, Bits<BP1>>,
    rd_next: Signal<Local, Bits<BP1>>,
    size: Constant<Bits<BP1>>,
    tcp_start: Constant<Bits<BP1>>,
    udp_start: Constant<Bits<BP1>>,
    /// The fixed part's message bytes: the body start less the record header (2) and
    /// UDP's filler (2).
    tcp_fixed: Constant<Bits<BP1>>,
    udp_fixed: Constant<Bits<BP1>>,
}

impl<const B: usize, const BP1: usize> Default for RxFifo<B, BP1> {
    fn default() -> Self {
        assert_eq!(B + 1, BP1);
        assert!((1u64 << B) > 2 * TCP_BODY_START);
        // `header_full` decodes 35 in its bits.
        assert_eq!(TCP_BODY_START, 35);
        Self {
            clock: Default::default(),
            field_write: Default::default(),
            field_offset: Default::default(),
            field_data: Default::default(),
            udp: Default::default(),
            write: Default::default(),
            data: Default::default(),
            finish: Default::default(),
            keep: Default::default(),
            room: Default::default(),
            sealing: Default::default(),
            seal_index: Default::default(),
            read: Default::default(),
            read_data: Default::default(),
            empty: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first write.
            ram: BlockRam::zeroed(),
            base: Default::default(),
            wr: Default::default(),
            rd: Default::default(),
            in_body: Default::default(),
            overflow: Default::default(),
            header_full: Default::default(),
            room_r: Default::default(),
            seal: Default::default(),
            step: Default::default(),
            full: Default::default(),
            body_start: Default::default(),
            len: Default::default(),
            offset: Default::default(),
            free: Default::default(),
            rd_next: Default::default(),
            size: Constant::new((1u64 << B).into()),
            tcp_start: Constant::new(TCP_BODY_START.into()),
            udp_start: Constant::new(UDP_BODY_START.into()),
            tcp_fixed: Constant::new((TCP_BODY_START - 2).into()),
            udp_fixed: Constant::new((UDP_BODY_START - 4).into()),
        }
    }
}

impl<const B: usize, const BP1: usize> Logic for RxFifo<B, BP1> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            base,
            wr,
            rd,
            in_body,
            overflow,
            header_full,
            room_r,
            seal,
            step,
            len
        );
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        // Full: the pointers differ in their wrap bit only (the size is 2^B). An XOR and
        // an equality, not a subtraction, in front of the write enable (100 MHz).
        self.full.next = (self.wr.q.val() ^ self.rd.q.val()) == self.size.val();
        // Differences are computed into BP1-bit signals, or the Verilog subtracts at 32
        // bits and they get high bits once the pointers wrap (RUSTHDL.md trap 2).
        self.body_start.next = self.tcp_start.val();
        if self.udp.val() {
            self.body_start.next = self.udp_start.val();
        }
        // Registered, off the write path. A clock late is safe: `rd` only moves toward
        // more room, and `base` moves only when sealing ends, 26 clocks or more before
        // the next frame's first field.
        // Free bytes = 2^B − (base − rd), i.e. rd − base with the wrap bit flipped; full
        // when fewer than TCP_BODY_START (35 = 0b100011) are free, decided by logic on
        // the bits, not by a carry-chain compare.
        self.free.next = (self.rd.q.val() - self.base.q.val()) ^ self.size.val();
        self.header_full.d.next = ((self.free.val() >> 6) == 0)
            & (!self.free.val().get_bit(5)
                | (!self.free.val().get_bit(4)
                    & !self.free.val().get_bit(3)
                    & !self.free.val().get_bit(2)
                    & !(self.free.val().get_bit(1) & self.free.val().get_bit(0))));
        self.room_r.d.next = !self.overflow.q.val() & !self.header_full.q.val();
        self.room.next = self.room_r.q.val();
        // Until its first body byte, a record's body starts right after its fixed part.
        if !self.in_body.q.val() & !self.seal.q.val() {
            self.wr.d.next = self.base.q.val() + self.body_start.val();
            self.len.d.next = self.tcp_fixed.val();
            if self.udp.val() {
                self.len.d.next = self.udp_fixed.val();
            }
        }
        // One write port: a body byte, or a field byte at its offset (the writer's, or
        // the record header's in the last two clocks of sealing, steps 9 and 10; the
        // writer's last trailer answer comes at step 8).
        self.offset.next = bit_cast::<BP1, 6>(self.field_offset.val());
        if self.step.q.val().get_bit(3) & (self.step.q.val().get_bits::<2>(0) != 0) {
            self.offset.next = bit_cast::<BP1, 1>(self.step.q.val().get_bit(1).into());
        }
        self.ram.write_address.next = bit_cast::<B, BP1>(self.base.q.val() + self.offset.val());
        self.ram.write_data.next = self.field_data.val();
        self.ram.write_enable.next = false;
        if self.write.val() {
            self.in_body.d.next = true;
            if self.full.val() | self.header_full.q.val() {
                self.overflow.d.next = true;
            } else {
                self.ram.write_address.next = bit_cast::<B, BP1>(self.wr.q.val());
                self.ram.write_data.next = self.data.val();
                self.ram.write_enable.next = true;
                self.wr.d.next = self.wr.q.val() + 1;
                self.len.d.next = self.len.q.val() + 1;
            }
        } else if self.field_write.val() {
            if !self.header_full.q.val() | self.seal.q.val() {
                self.ram.write_enable.next = true;
            } else {
                self.overflow.d.next = true;
            }
        }
        if self.finish.val() {
            self.overflow.d.next = false;
            self.in_body.d.next = false;
            if self.keep.val() & self.room.val() {
                self.seal.d.next = true;
            }
        }
        // Sealing: the trailer from the writer, then the record header, then commit.
        self.sealing.next = self.seal.q.val() & !self.step.q.val().get_bit(3);
        self.seal_index.next = self.step.q.val().get_bits::<3>(0);
        // Loaded every clock, not held (a held bit costs a LUT where blocks are
        // synthesized apart): zero outside sealing, as it was when held (sealing ends
        // by zeroing it, and it starts from zero).
        self.step.d.next = 0.into();
        if self.seal.q.val() {
            self.step.d.next = self.step.q.val() + 1;
            if self.step.q.val() == 9 {
                self.ram.write_enable.next = true;
                self.ram.write_data.next = self.len.q.val().get_bits::<8>(0);
            }
            if self.step.q.val() == 10 {
                self.ram.write_enable.next = true;
                self.ram.write_data.next = (bit_cast::<8, 1>(self.udp.val().into()) << 7)
                    | bit_cast::<8, 3>(self.len.q.val().get_bits::<3>(8));
                self.seal.d.next = false;
                self.step.d.next = 0.into();
                self.base.d.next = self.wr.q.val();
            }
        }
        // First-word-fall-through reads: the RAM is always reading the head, or the next
        // byte when the head is being taken.
        self.empty.next = self.rd.q.val() == self.base.q.val();
        self.rd_next.next = self.rd.q.val();
        if self.read.val() & (self.rd.q.val() != self.base.q.val()) {
            self.rd_next.next = self.rd.q.val() + 1;
        }
        self.rd.d.next = self.rd_next.val();
        self.ram.read_address.next = bit_cast::<B, BP1>(self.rd_next.val());
        self.read_data.next = self.ram.read_data.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 128 bytes: room for two small records, not three.
    type Fifo = RxFifo<7, 8>;

    fn new() -> Fifo {
        let mut uut = Fifo::default();
        uut.connect_all();
        uut
    }

    /// What the writer answers while sealing: trailer byte i at offset 9 + i (inside
    /// either fixed part, as the real writer's are).
    fn trailer(i: u64) -> (u64, u64) {
        (9 + i, 0x70 + i)
    }

    thread_local! {
        /// The trailer byte asked for in the previous clock.
        static ASKED: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
    }

    /// One clock; the writer's side answers the trailer a clock after the FIFO asks, as
    /// RxMessage's registered field port does.
    fn step(uut: &mut Fifo, field: Option<(u64, u64)>, body: Option<u8>) {
        let asked = uut
            .sealing
            .val()
            .then(|| uut.seal_index.val().index() as u64);
        let field = match ASKED.with(|a| a.replace(asked)) {
            Some(i) => Some(trailer(i)),
            None => field,
        };
        uut.field_write.next = field.is_some();
        let (offset, data) = field.unwrap_or((0, 0));
        uut.field_offset.next = offset.into();
        uut.field_data.next = data.into();
        uut.write.next = body.is_some();
        uut.data.next = (body.unwrap_or(0) as u64).into();
        crate::tick!(*uut);
        uut.finish.next = false;
        uut.keep.next = false;
    }

    /// A frame: fields 5..=8 (at offsets 5..=8, data 0x50 + offset), then `body`, then
    /// finish with `keep` four clocks later; returns `room` as seen at the finish.
    fn frame(uut: &mut Fifo, udp: bool, body: &[u8], keep: bool) -> bool {
        uut.udp.next = udp;
        for o in 5..=8 {
            step(uut, Some((o, 0x50 + o)), None);
        }
        for &b in body {
            step(uut, None, Some(b));
        }
        for _ in 0..3 {
            step(uut, None, None);
        }
        let room = uut.room.val();
        uut.finish.next = true;
        uut.keep.next = keep;
        step(uut, None, None);
        for _ in 0..26 {
            step(uut, None, None);
        }
        room
    }

    /// The record a kept frame leaves: header, fields, trailer, body (the RAM starts
    /// zeroed, and these tests write no other bytes below a body).
    fn record(udp: bool, body: &[u8]) -> Vec<u8> {
        let start = if udp { UDP_BODY_START } else { TCP_BODY_START } as usize;
        let len = start + body.len() - if udp { 4 } else { 2 };
        let mut r = vec![0u8; start];
        r[0] = len as u8;
        r[1] = (udp as u8) << 7 | (len >> 8) as u8;
        for o in 5..=8 {
            r[o] = 0x50 + o as u8;
        }
        r.extend(body);
        for i in 0..TRAILER_BYTES {
            let (o, d) = trailer(i);
            r[o as usize] = d as u8;
        }
        r
    }

    fn read_all(uut: &mut Fifo) -> Vec<u8> {
        let mut out = vec![];
        while !uut.empty.val() {
            out.push(uut.read_data.val().index() as u8);
            uut.read.next = true;
            step(uut, None, None);
            uut.read.next = false;
        }
        out
    }

    fn body(n: usize, first: u8) -> Vec<u8> {
        (0..n).map(|i| first.wrapping_add(i as u8)).collect()
    }

    #[test]
    fn a_kept_frame_becomes_one_record() {
        let mut uut = new();
        step(&mut uut, None, None);
        assert!(uut.empty.val());
        assert!(frame(&mut uut, false, &body(20, 1), true));
        assert!(!uut.empty.val());
        // First word fall through: the head is there before any read.
        assert_eq!(uut.read_data.val().index(), TCP_BODY_START as usize + 18);
        assert_eq!(read_all(&mut uut), record(false, &body(20, 1)));
        assert!(uut.empty.val());
    }

    #[test]
    fn udp_records_say_so_and_start_their_body_earlier() {
        let mut uut = new();
        assert!(frame(&mut uut, true, &body(30, 0x90), true));
        assert_eq!(read_all(&mut uut), record(true, &body(30, 0x90)));
    }

    #[test]
    fn nothing_shows_before_the_seal() {
        let mut uut = new();
        for o in 5..=8 {
            step(&mut uut, Some((o, 1)), None);
            assert!(uut.empty.val());
        }
        step(&mut uut, None, Some(7));
        uut.finish.next = true;
        uut.keep.next = true;
        step(&mut uut, None, None);
        let mut clocks = 0;
        while uut.empty.val() {
            step(&mut uut, None, None);
            clocks += 1;
            assert!(clocks < 20);
        }
        assert_eq!(clocks, TRAILER_BYTES as usize + 3);
    }

    #[test]
    fn rollback_discards_and_the_next_frame_writes_over_it() {
        let mut uut = new();
        assert!(frame(&mut uut, false, &body(9, 0xA0), false));
        assert!(uut.empty.val());
        assert!(frame(&mut uut, true, &body(4, 0xB0), true));
        assert!(frame(&mut uut, false, &body(2, 0xC0), false));
        // The rolled-back TCP frame's body went to 35..44, past the UDP record.
        assert_eq!(read_all(&mut uut), record(true, &body(4, 0xB0)));
        assert!(frame(&mut uut, false, &body(3, 0xD0), true));
        let got = read_all(&mut uut);
        assert_eq!(got.len(), TCP_BODY_START as usize + 3);
        assert_eq!(got[TCP_BODY_START as usize..], body(3, 0xD0)[..]);
    }

    #[test]
    fn a_full_fifo_drops_the_frame_and_keeps_what_it_holds() {
        let mut uut = new();
        // 35 + 50 = 85 of 128 bytes.
        assert!(frame(&mut uut, false, &body(50, 0), true));
        // The next header part fits (85 + 35 <= 128) but 9 body bytes do not.
        assert!(!frame(&mut uut, false, &body(9, 0x40), true));
        assert!(uut.room.val(), "room returns with the next frame");
        // 8 bytes do.
        assert!(frame(&mut uut, false, &body(8, 0x40), true));
        let full = read_all(&mut uut);
        let first = record(false, &body(50, 0));
        assert_eq!(full[..first.len()], first[..]);
        assert_eq!(full.len(), 128);
        assert_eq!(
            full[first.len() + TCP_BODY_START as usize..],
            body(8, 0x40)[..]
        );
        // Reading made room, and the pointers wrapped.
        assert!(frame(&mut uut, true, &body(60, 0x20), true));
        let got = read_all(&mut uut);
        assert_eq!(got[..2], record(true, &body(60, 0x20))[..2]);
        assert_eq!(got[UDP_BODY_START as usize..], body(60, 0x20)[..]);
    }

    #[test]
    fn no_room_for_a_header_part_writes_nothing() {
        let mut uut = new();
        // 35 + 60 = 95: 33 bytes left, less than a header part.
        assert!(frame(&mut uut, false, &body(60, 0), true));
        assert!(!uut.room.val());
        assert!(!frame(&mut uut, false, &[], true));
        assert_eq!(
            read_all(&mut uut),
            record(false, &body(60, 0)),
            "the unread record is untouched"
        );
        step(&mut uut, None, None); // `room` is registered twice over
        step(&mut uut, None, None);
        assert!(uut.room.val());
    }

    #[test]
    fn reads_run_alongside_writes_and_rollbacks() {
        let mut uut = new();
        assert!(frame(&mut uut, true, &body(6, 0x10), true));
        let want = record(true, &body(6, 0x10));
        // While the next frame streams in (and is then rolled back), read the first.
        let mut got = vec![];
        for b in body(12, 0xE0) {
            got.push(uut.read_data.val().index() as u8);
            uut.read.next = true;
            step(&mut uut, None, Some(b));
        }
        uut.read.next = false;
        uut.finish.next = true;
        step(&mut uut, None, None);
        got.extend(read_all(&mut uut));
        assert_eq!(got, want);
        // A read strobe on an empty FIFO moves nothing.
        uut.read.next = true;
        step(&mut uut, None, None);
        uut.read.next = false;
        assert!(uut.empty.val());
        assert!(frame(&mut uut, true, &body(2, 0xC0), true));
        assert_eq!(read_all(&mut uut)[UDP_BODY_START as usize..], [0xC0, 0xC1]);
    }
}
