//! The receive FIFO toward the host: segment bodies and their descriptors in block RAM,
//! committed whole or not at all.
//!
//! Body bytes are written as they stream past, before anyone knows whether the frame is
//! good. At `finish` the frame is either kept (its body commits at once, its descriptor
//! follows over the next 24 clocks and commits with its last word) or rolled back (the
//! body write pointer returns to the last commit). The reader takes a descriptor first
//! and then its body, and sees only committed data, so a bad or truncated frame never
//! shows half a segment. A kept frame is at least 84 clocks long on the wire, so a
//! second descriptor never starts before the first is written; a runt may end sooner,
//! and only rolls back. `room` says whether the frame in progress fits: the body did
//! not overflow and a descriptor fits; the caller keeps a frame only with room, and
//! counts the rest as `fifo_full`.
//!
//! Sizes: `B` address bits of body bytes (`BP1` = B + 1), `D` address bits of 16-bit
//! descriptor words (`DP1` = D + 1). A descriptor is [`DESCRIPTOR_WORDS`] words, taken
//! from `desc_word` while `desc_index` counts through them (word 1 is replaced by the
//! body length, which the FIFO knows best). Both read ports are first-word-fall-through.

use rust_hdl::prelude::*;

pub const DESCRIPTOR_WORDS: usize = 24;

#[derive(LogicBlock)]
pub struct RxFifo<const B: usize, const BP1: usize, const D: usize, const DP1: usize> {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub write: Signal<In, Bit>,
    pub finish: Signal<In, Bit>,
    pub keep: Signal<In, Bit>,
    pub room: Signal<Out, Bit>,
    pub desc_index: Signal<Out, Bits<5>>,
    pub desc_word: Signal<In, Bits<16>>,
    pub body_read: Signal<In, Bit>,
    pub body_data: Signal<Out, Bits<8>>,
    pub body_empty: Signal<Out, Bit>,
    pub desc_read: Signal<In, Bit>,
    pub desc_data: Signal<Out, Bits<16>>,
    pub desc_empty: Signal<Out, Bit>,
    body_ram: RAM<Bits<8>, B>,
    desc_ram: RAM<Bits<16>, D>,
    body_wr: DFF<Bits<BP1>>,
    body_committed: DFF<Bits<BP1>>,
    body_rd: DFF<Bits<BP1>>,
    overflow: DFF<Bit>,
    desc_wr: DFF<Bits<DP1>>,
    desc_committed: DFF<Bits<DP1>>,
    desc_rd: DFF<Bits<DP1>>,
    writing_desc: DFF<Bit>,
    word_index: DFF<Bits<5>>,
    body_len: DFF<Bits<16>>,
    room_r: DFF<Bit>,
    body_used: Signal<Local, Bits<BP1>>,
    frame_len: Signal<Local, Bits<BP1>>,
    desc_used: Signal<Local, Bits<DP1>>,
    body_rd_next: Signal<Local, Bits<BP1>>,
    desc_rd_next: Signal<Local, Bits<DP1>>,
    body_size: Constant<Bits<BP1>>,
    desc_limit: Constant<Bits<DP1>>,
    last_word: Constant<Bits<5>>,
}

impl<const B: usize, const BP1: usize, const D: usize, const DP1: usize> Default
    for RxFifo<B, BP1, D, DP1>
{
    fn default() -> Self {
        assert_eq!(B + 1, BP1);
        assert_eq!(D + 1, DP1);
        assert!((1usize << D) >= 2 * DESCRIPTOR_WORDS);
        Self {
            clock: Default::default(),
            data: Default::default(),
            write: Default::default(),
            finish: Default::default(),
            keep: Default::default(),
            room: Default::default(),
            desc_index: Default::default(),
            desc_word: Default::default(),
            body_read: Default::default(),
            body_data: Default::default(),
            body_empty: Default::default(),
            desc_read: Default::default(),
            desc_data: Default::default(),
            desc_empty: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first write.
            body_ram: RAM::new(
                (0..1u64 << B)
                    .map(|i| (Bits::<B>::from(i), Bits::<8>::default()))
                    .collect(),
            ),
            desc_ram: RAM::new(
                (0..1u64 << D)
                    .map(|i| (Bits::<D>::from(i), Bits::<16>::default()))
                    .collect(),
            ),
            body_wr: Default::default(),
            body_committed: Default::default(),
            body_rd: Default::default(),
            overflow: Default::default(),
            desc_wr: Default::default(),
            desc_committed: Default::default(),
            desc_rd: Default::default(),
            writing_desc: Default::default(),
            word_index: Default::default(),
            body_len: Default::default(),
            room_r: Default::default(),
            body_used: Default::default(),
            frame_len: Default::default(),
            desc_used: Default::default(),
            body_rd_next: Default::default(),
            desc_rd_next: Default::default(),
            body_size: Constant::new((1u64 << B).into()),
            desc_limit: Constant::new(((1u64 << D) - DESCRIPTOR_WORDS as u64).into()),
            last_word: Constant::new((DESCRIPTOR_WORDS as u64 - 1).into()),
        }
    }
}

impl<const B: usize, const BP1: usize, const D: usize, const DP1: usize> Logic
    for RxFifo<B, BP1, D, DP1>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            body_wr,
            body_committed,
            body_rd,
            overflow,
            desc_wr,
            desc_committed,
            desc_rd,
            writing_desc,
            word_index,
            body_len,
            room_r
        );
        self.body_ram.read_clock.next = self.clock.val();
        self.body_ram.write_clock.next = self.clock.val();
        self.desc_ram.read_clock.next = self.clock.val();
        self.desc_ram.write_clock.next = self.clock.val();
        self.body_used.next = self.body_wr.q.val() - self.body_rd.q.val();
        self.desc_used.next = self.desc_wr.q.val() - self.desc_rd.q.val();
        // Wraps at BP1 bits: computed into a BP1-bit signal, or the Verilog subtracts at
        // 16 bits and the length gets high bits once the pointers wrap (RUSTHDL.md trap 2).
        self.frame_len.next = self.body_wr.q.val() - self.body_committed.q.val();
        // Registered: the subtract-and-compare is the receive path's longest at 100 MHz.
        // One clock late is safe: the caller reads it at `finish`, at least four clocks
        // after the frame's last body byte (so a body overflow has shown), and the
        // descriptor pointer cannot have moved toward full in that clock (descriptors
        // are written only in the 24 clocks after a kept frame, and no kept frame ends
        // within them).
        self.room_r.d.next =
            !self.overflow.q.val() & (self.desc_used.val() <= self.desc_limit.val());
        self.room.next = self.room_r.q.val();
        // Body bytes go in tentatively.
        self.body_ram.write_address.next = bit_cast::<B, BP1>(self.body_wr.q.val());
        self.body_ram.write_data.next = self.data.val();
        self.body_ram.write_enable.next = false;
        if self.write.val() {
            if self.body_used.val() == self.body_size.val() {
                self.overflow.d.next = true;
            } else {
                self.body_ram.write_enable.next = true;
                self.body_wr.d.next = self.body_wr.q.val() + 1;
            }
        }
        // At the end of a frame: write its descriptor, or roll the body back.
        if self.finish.val() {
            self.overflow.d.next = false;
            if self.keep.val() & self.room.val() {
                // The body is complete: commit it now, so that a frame ending while the
                // descriptor is written (a runt can be that short) rolls back to here.
                self.body_committed.d.next = self.body_wr.q.val();
                self.writing_desc.d.next = true;
                self.word_index.d.next = 0.into();
                self.body_len.d.next = bit_cast::<16, BP1>(self.frame_len.val());
            } else {
                self.body_wr.d.next = self.body_committed.q.val();
            }
        }
        self.desc_index.next = self.word_index.q.val();
        self.desc_ram.write_address.next = bit_cast::<D, DP1>(self.desc_wr.q.val());
        self.desc_ram.write_data.next = self.desc_word.val();
        if self.word_index.q.val() == 1 {
            self.desc_ram.write_data.next = self.body_len.q.val();
        }
        self.desc_ram.write_enable.next = self.writing_desc.q.val();
        if self.writing_desc.q.val() {
            self.desc_wr.d.next = self.desc_wr.q.val() + 1;
            self.word_index.d.next = self.word_index.q.val() + 1;
            // The descriptor is visible once its last word is written.
            if self.word_index.q.val() == self.last_word.val() {
                self.writing_desc.d.next = false;
                self.desc_committed.d.next = self.desc_wr.q.val() + 1;
            }
        }
        // First-word-fall-through reads: the RAM is always reading the head, or the next
        // one when the head is being taken.
        self.body_empty.next = self.body_rd.q.val() == self.body_committed.q.val();
        self.body_rd_next.next = self.body_rd.q.val();
        if self.body_read.val() & (self.body_rd.q.val() != self.body_committed.q.val()) {
            self.body_rd_next.next = self.body_rd.q.val() + 1;
        }
        self.body_rd.d.next = self.body_rd_next.val();
        self.body_ram.read_address.next = bit_cast::<B, BP1>(self.body_rd_next.val());
        self.body_data.next = self.body_ram.read_data.val();
        self.desc_empty.next = self.desc_rd.q.val() == self.desc_committed.q.val();
        self.desc_rd_next.next = self.desc_rd.q.val();
        if self.desc_read.val() & (self.desc_rd.q.val() != self.desc_committed.q.val()) {
            self.desc_rd_next.next = self.desc_rd.q.val() + 1;
        }
        self.desc_rd.d.next = self.desc_rd_next.val();
        self.desc_ram.read_address.next = bit_cast::<D, DP1>(self.desc_rd_next.val());
        self.desc_data.next = self.desc_ram.read_data.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 body bytes, 64 descriptor words (room for two descriptors, then no room).
    type Fifo = RxFifo<4, 5, 6, 7>;

    fn new() -> Fifo {
        let mut uut = Fifo::default();
        uut.connect_all();
        uut
    }

    fn idle(uut: &mut Fifo) {
        uut.write.next = false;
        uut.finish.next = false;
        uut.body_read.next = false;
        uut.desc_read.next = false;
        // The descriptor source answers the index the FIFO asks for.
        let i = uut.desc_index.val().index() as u64;
        uut.desc_word.next = (0xD000 | i).into();
        crate::tick!(*uut);
    }

    /// Stream `body`, then finish with `keep`; returns `room` as seen at the finish.
    fn frame(uut: &mut Fifo, body: &[u8], keep: bool) -> bool {
        for &b in body {
            uut.write.next = true;
            uut.data.next = (b as u64).into();
            crate::tick!(*uut);
        }
        uut.write.next = false;
        // The verdict comes at least four clocks after the last body byte, and `room`
        // is registered: wait as the pipeline does.
        for _ in 0..3 {
            crate::tick!(*uut);
        }
        let room = uut.room.val();
        uut.finish.next = true;
        uut.keep.next = keep;
        crate::tick!(*uut);
        uut.finish.next = false;
        uut.keep.next = false;
        for _ in 0..30 {
            idle(uut);
        }
        room
    }

    fn read_body(uut: &mut Fifo) -> Vec<u8> {
        let mut out = vec![];
        while !uut.body_empty.val() {
            out.push(uut.body_data.val().index() as u8);
            uut.body_read.next = true;
            crate::tick!(*uut);
            uut.body_read.next = false;
        }
        out
    }

    fn read_desc(uut: &mut Fifo) -> Vec<u16> {
        let mut out = vec![];
        while !uut.desc_empty.val() {
            out.push(uut.desc_data.val().index() as u16);
            uut.desc_read.next = true;
            crate::tick!(*uut);
            uut.desc_read.next = false;
        }
        out
    }

    fn descriptor(len: u16) -> Vec<u16> {
        (0..DESCRIPTOR_WORDS as u16)
            .map(|i| if i == 1 { len } else { 0xD000 | i })
            .collect()
    }

    #[test]
    fn commit_keeps_body_and_descriptor() {
        let mut uut = new();
        idle(&mut uut);
        assert!(uut.body_empty.val() && uut.desc_empty.val() && uut.room.val());
        assert!(frame(&mut uut, &[1, 2, 3, 4, 5], true));
        assert!(!uut.body_empty.val() && !uut.desc_empty.val());
        // First word fall through: the head is there before any read.
        assert_eq!(uut.body_data.val().index(), 1);
        assert_eq!(uut.desc_data.val().index(), 0xD000);
        assert_eq!(read_desc(&mut uut), descriptor(5));
        assert_eq!(read_body(&mut uut), vec![1, 2, 3, 4, 5]);
        assert!(uut.body_empty.val() && uut.desc_empty.val());
    }

    #[test]
    fn nothing_shows_before_the_commit() {
        let mut uut = new();
        for b in [7, 8, 9] {
            uut.write.next = true;
            uut.data.next = (b as u64).into();
            crate::tick!(uut);
            assert!(uut.body_empty.val(), "body before the frame is kept");
        }
        uut.write.next = false;
        uut.finish.next = true;
        uut.keep.next = true;
        crate::tick!(uut);
        uut.finish.next = false;
        uut.keep.next = false;
        // The body commits at `finish`; its descriptor only with its last word.
        assert!(!uut.body_empty.val());
        let mut clocks = 0;
        while uut.desc_empty.val() {
            idle(&mut uut);
            clocks += 1;
            assert!(clocks < 40);
        }
        assert!(clocks >= DESCRIPTOR_WORDS - 1);
        assert_eq!(read_body(&mut uut), vec![7, 8, 9]);
        assert_eq!(read_desc(&mut uut), descriptor(3));
    }

    /// A runt can end while the previous frame's descriptor is still being written: its
    /// rollback must not take the kept body with it.
    #[test]
    fn rollback_during_a_descriptor_write_keeps_the_committed_body() {
        let mut uut = new();
        // One clock with the descriptor source answering, as `idle` does.
        let step = |uut: &mut Fifo, write: Option<u8>, finish: bool, keep: bool| {
            uut.write.next = write.is_some();
            uut.data.next = (write.unwrap_or(0) as u64).into();
            uut.finish.next = finish;
            uut.keep.next = keep;
            let i = uut.desc_index.val().index() as u64;
            uut.desc_word.next = (0xD000 | i).into();
            crate::tick!(*uut);
        };
        for b in [1, 2, 3] {
            step(&mut uut, Some(b), false, false);
        }
        step(&mut uut, None, true, true);
        for _ in 0..5 {
            step(&mut uut, None, false, false);
        }
        // A one-byte runt ends ten clocks into the descriptor write, and rolls back.
        step(&mut uut, Some(0xEE), false, false);
        step(&mut uut, None, true, false);
        for _ in 0..30 {
            step(&mut uut, None, false, false);
        }
        assert!(frame(&mut uut, &[4, 5], true));
        let mut want = descriptor(3);
        want.extend(descriptor(2));
        assert_eq!(read_desc(&mut uut), want);
        assert_eq!(read_body(&mut uut), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn rollback_discards() {
        let mut uut = new();
        assert!(frame(&mut uut, &[0xA1, 0xA2, 0xA3], false));
        assert!(uut.body_empty.val() && uut.desc_empty.val());
        assert!(frame(&mut uut, &[0xB1, 0xB2, 0xB3, 0xB4], true));
        assert!(frame(&mut uut, &[0xC1], false));
        assert!(frame(&mut uut, &[0xD1, 0xD2], true));
        let mut want = descriptor(4);
        want.extend(descriptor(2));
        assert_eq!(read_desc(&mut uut), want);
        assert_eq!(
            read_body(&mut uut),
            vec![0xB1, 0xB2, 0xB3, 0xB4, 0xD1, 0xD2]
        );
    }

    #[test]
    fn body_overflow_takes_room_away() {
        let mut uut = new();
        let full: Vec<u8> = (0..16).map(|i| 0x40 + i).collect();
        let mut over = full.clone();
        over.push(0x50);
        // 17 bytes in 16: no room, and keeping it anyway rolls it back.
        assert!(!frame(&mut uut, &over, true));
        assert!(uut.room.val(), "room returns with the next frame");
        assert!(uut.body_empty.val() && uut.desc_empty.val());
        // Exactly 16 fit.
        assert!(frame(&mut uut, &full, true));
        // Now full: one more byte overflows while the first frame is unread.
        assert!(!frame(&mut uut, &[0x99], true));
        assert_eq!(read_desc(&mut uut), descriptor(16));
        assert_eq!(read_body(&mut uut), full);
        // Reading made room, and the pointers wrapped.
        assert!(frame(&mut uut, &[1, 2, 3], true));
        assert_eq!(read_body(&mut uut), vec![1, 2, 3]);
        assert_eq!(read_desc(&mut uut), descriptor(3));
    }

    #[test]
    fn reads_run_alongside_writes_and_rollbacks() {
        let mut uut = new();
        assert!(frame(&mut uut, &[0x10, 0x11, 0x12, 0x13, 0x14, 0x15], true));
        // While frame B streams in (and is then rolled back), read A's body.
        let mut got = vec![];
        for b in [0xB0u8, 0xB1, 0xB2, 0xB3] {
            got.push(uut.body_data.val().index() as u8);
            uut.body_read.next = true;
            uut.write.next = true;
            uut.data.next = (b as u64).into();
            crate::tick!(uut);
        }
        uut.write.next = false;
        uut.body_read.next = false;
        uut.finish.next = true;
        uut.keep.next = false;
        crate::tick!(uut);
        uut.finish.next = false;
        for _ in 0..30 {
            idle(&mut uut);
        }
        got.extend(read_body(&mut uut));
        assert_eq!(got, vec![0x10, 0x11, 0x12, 0x13, 0x14, 0x15]);
        assert_eq!(read_desc(&mut uut), descriptor(6));
        // A read strobe on an empty FIFO moves nothing.
        uut.body_read.next = true;
        uut.desc_read.next = true;
        crate::tick!(uut);
        assert!(uut.body_empty.val() && uut.desc_empty.val());
        idle(&mut uut);
        assert!(frame(&mut uut, &[0xC0, 0xC1], true));
        assert_eq!(read_body(&mut uut), vec![0xC0, 0xC1]);
        assert_eq!(read_desc(&mut uut), descriptor(2));
    }

    #[test]
    fn descriptor_space_takes_room_away() {
        let mut uut = new();
        assert!(frame(&mut uut, &[1], true));
        assert!(frame(&mut uut, &[2], true));
        // 48 of 64 words used: a third descriptor does not fit.
        assert!(!uut.room.val());
        assert!(!frame(&mut uut, &[3], true));
        let d = read_desc(&mut uut);
        assert_eq!(d.len(), 2 * DESCRIPTOR_WORDS);
        assert_eq!(read_body(&mut uut), vec![1, 2]);
        assert!(uut.room.val());
    }

    #[test]
    fn room_returns_when_a_whole_descriptor_fits() {
        let mut uut = new();
        assert!(frame(&mut uut, &[1], true));
        assert!(frame(&mut uut, &[2], true));
        // 48 words used of 64: room comes back at 40 used, after the 8th word is read.
        for read in 1..=8 {
            assert!(!uut.room.val(), "{read} words read");
            uut.desc_read.next = true;
            crate::tick!(uut);
            uut.desc_read.next = false;
        }
        crate::tick!(uut); // `room` is registered: it follows a clock later.
        assert!(uut.room.val());
        assert!(frame(&mut uut, &[3], true));
        assert!(!uut.room.val());
        let d = read_desc(&mut uut);
        assert_eq!(d.len(), 40 + DESCRIPTOR_WORDS);
        assert_eq!(d[..16], descriptor(1)[8..]);
        assert_eq!(d[16..40], descriptor(1)[..]);
        assert_eq!(d[40..], descriptor(1)[..]);
        assert_eq!(read_body(&mut uut), vec![1, 2, 3]);
    }
}
