//! Builds the board → host link messages (`type | body`, no CRC: [`CrcAppend`] adds it
//! downstream, then the COBS encoder frames it), on a data/valid/last/ready stream: a
//! segment's bytes one a clock while the consumer is ready, a small message's one every
//! other clock. Layouts: host/src/link/message.rs (integers
//! little-endian, MAC and IPv4 addresses in network order).
//!
//! - RxTcp (0x02), RxUdp (0x03) and RxIcmp (0x08) from the receive FIFO, which holds each segment as
//!   its whole message, type byte included (see `RxFifo`): the record header gives the
//!   length (and says whether two filler bytes follow), then the message's bytes are
//!   handed on as they are.
//! - Hello (0x01) on `hello`: version [`LINK_VERSION`], the board's address (the
//!   default until a Config's, which this block copies as HostRx loads it: `config_*`),
//!   its build, and the receive FIFO's size and per-record overhead (given to
//!   [`LinkTx::new`]). Counters (0x04) on `get_counters`, TxDone (0x05) on `tx_done`,
//!   Error (0x06) on `error`, ArpReply (0x07) on `arp_learned`, with the sender IP and
//!   MAC of the ARP frame it reports, which this block takes from the receive
//!   pipeline's Ethernet payload stream (`l3_*`, bytes 8..17) as they pass.
//!
//! Guarantees: a message once started is finished, byte for byte (`out_ready` low only
//! pauses it). A pulse is latched as pending, with its value, and its message goes out
//! as soon as the message in flight ends, before any further segment, so a flood of
//! segments cannot starve it (between messages the order is Hello, Error, TxDone,
//! ArpReply, Counters, then the next segment). One slot per kind: a second event of the
//! same kind before the first is sent replaces it (Hello and Counters carry the values
//! current when they are sent anyway). TxDone and Error copy their value when they
//! start, so a new event during their sending is kept for the next message. ArpReply is
//! the exception: its latch (the sender's IP and MAC, ten bytes) is filled from the
//! receive stream while no ArpReply is pending or being sent, and a pulse is taken only
//! if the latch was free from its frame's sender MAC on (`arp_captured`), so it holds
//! that frame's MAC and IP and nothing else. An ARP learned while an ArpReply is pending or in flight is not
//! sent: the first is kept, not replaced (its latch cannot take a second frame's bytes
//! without losing the first's), and the host asks again if it needs the second; so is
//! one whose sender's bytes passed while a Config's address loaded (the ten clocks the
//! RAM's write port takes the Config's bytes). The latch is not written while its
//! ArpReply is pending or being sent, so an ArpReply is never torn either. Each counter
//! is copied once before its four bytes go out, so a count bumped meanwhile is never
//! torn.
//!
//! The outputs come from a two-entry skid buffer ([`StreamSkid`]), whose `ready` is a
//! register, so no path runs from `out_ready` to the FIFO's read strobes or from the
//! byte selection into the CRC in one clock, and a byte goes in on every clock the
//! consumer took one. A small message's body byte is chosen a clock after `pos` moves
//! (`stepped` holds it back for that clock), so those go every other clock; they are
//! few and short, and segments are the link's traffic. Its cost is in `tcpip synth --breakdown` (README, "Inside the host link"). The
//! ArpReply latch is a block RAM (16 × 8 of one SB_RAM40_4K, where it was 80
//! flip-flops; a [`BlockRam`]: a read of the address being written is left undefined,
//! so yosys builds nothing beside it): each byte written at its position on the stream,
//! read at the body byte about to be sent, its registered read standing in for
//! `selected`. The ARP responder's slot cannot stand in for it, since it is neither
//! filled for every ARP learned nor held for as long as the link may take. Hello's body
//! is in the same RAM, read the same way: its initial contents, and each Config's MAC
//! and IP written over them as they load, where a byte selection from the address
//! registers took 70 LUTs. A Hello in flight while a Config loads reads its old or new
//! bytes (the byte being written, undefined), as it read old or new registers before;
//! the Config's `config_valid` sends a whole new Hello after it.
//!
//! [`CrcAppend`]: super::crc_append::CrcAppend
//! [`StreamSkid`]: super::stream_skid::StreamSkid

use crate::block_ram::BlockRam;
use crate::board::board_core::{
    BUILD_ID, DEFAULT_IP, DEFAULT_MAC, RX_FIFO_BYTES, RX_RECORD_OVERHEAD,
};
use crate::board::stream_skid::StreamSkid;
use rust_hdl::prelude::*;

/// The link protocol version Hello announces (its second byte, in the RAM's initial
/// contents). Version 2 added the receive FIFO's capacity and record overhead to Hello,
/// version 3 the host's TxIcmp, version 4 RxIcmp, version 5 Config's link rate.
pub const LINK_VERSION: u8 = 5;

#[derive(LogicBlock)]
pub struct LinkTx {
    pub clock: Signal<In, Clock>,
    /// A Config's byte loading into the board's configuration and its offset (1 to 14,
    /// 0: none; HostRx's): offsets 1..10 (MAC, IP) are Hello's address bytes.
    pub config_byte: Signal<In, Bits<8>>,
    pub config_index: Signal<In, Bits<4>>,
    pub hello: Signal<In, Bit>,
    /// The receive FIFO's read port (first-word-fall-through).
    pub fifo_data: Signal<In, Bits<8>>,
    pub fifo_empty: Signal<In, Bit>,
    pub get_counters: Signal<In, Bit>,
    pub counter_value: Signal<In, Bits<32>>,
    pub counter_valid: Signal<In, Bit>,
    pub tx_done: Signal<In, Bit>,
    pub tx_done_tag: Signal<In, Bits<16>>,
    pub error: Signal<In, Bit>,
    /// HostRx's codes, 1 to 5, sent as the body's byte (its high bits zero).
    pub error_code: Signal<In, Bits<3>>,
    /// An ARP frame for us was accepted (ArpTx, a clock after its report).
    pub arp_learned: Signal<In, Bit>,
    /// The receive pipeline's Ethernet payload (`l3`), with each byte's position in it
    /// (the header store's `l3_pos`, saturating at 31).
    pub l3_data: Signal<In, Bits<8>>,
    pub l3_valid: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    pub l3_pos: Signal<In, Bits<5>>,
    pub out_ready: Signal<In, Bit>,
    pub fifo_read: Signal<Out, Bit>,
    pub counter_index: Signal<Out, Bits<5>>,
    pub out_data: Signal<Out, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_last: Signal<Out, Bit>,
    /// The output stage: a byte is handed on from here, so that neither the consumer's
    /// `out_ready` nor the byte's selection logic reaches the other side in the same
    /// clock; its `ready` (a register) is `room`.
    out_skid: StreamSkid,
    /// `pos` moved last clock: a small message's byte at the new `pos` is still being
    /// chosen (`selected`, the RAM's read, `ends_small`), so none is offered.
    stepped: DFF<Bit>,
    /// The message in flight, by its type byte (0: none; 2 for either segment).
    msg: DFF<Bits<3>>,
    /// `msg` is not 0, and `msg` is 2, kept as flip-flops beside it: the branch decodes
    /// at the head of the message register's enable are then a flip-flop each, not a
    /// three-bit compare (100 MHz).
    sending: DFF<Bit>,
    record: DFF<Bit>,
    /// The type byte is next (small messages; a segment's is in the FIFO).
    head: DFF<Bit>,
    /// Small messages: the body byte. Counters: counter (6..2) and byte (1..0).
    /// Segments: the record header byte.
    pos: DFF<Bits<7>>,
    /// Segments: past the record header, in the message.
    in_body: DFF<Bit>,
    /// Segments: the record header's first (length low) byte is next; then its second.
    /// Flip-flops, not a compare of `pos`, so the length registers' enable starts
    /// from a flip-flop (a `pos` decode in front of it was the board's critical path).
    /// Loaded every clock: each is high for one clock of a record's header, which
    /// never waits.
    rec_lo: DFF<Bit>,
    rec_hi: DFF<Bit>,
    /// The FIFO holds a record, from a flip-flop (low while a segment is read, so it is
    /// never stale after one): a record is committed whole, so once one starts its
    /// bytes are all there and nothing else here waits on the FIFO's empty compare.
    has_record: DFF<Bit>,
    /// Segments: message bytes still to send.
    remaining: DFF<Bits<11>>,
    /// The FIFO's byte of the clock before (loaded every clock): the record length's low
    /// byte when its high byte is on the port, so `remaining` loads both at once.
    lo_byte: DFF<Bits<8>>,
    /// Segments: `remaining` is 1 (the byte to send is the message's last), kept with
    /// it, so the end of a segment reaches the `msg` register from a flip-flop.
    body_last: DFF<Bit>,
    /// Small messages: body byte `pos` is the message's last, decoded a clock ahead
    /// (neither `msg` nor `pos` moves in the clock before a byte is taken: `stepped`
    /// holds the byte back after each), so no position compare reaches the `msg`
    /// register.
    ends_small: DFF<Bit>,
    /// Counters: the counter being sent. TxDone, Error: the value.
    snap: DFF<Bits<32>>,
    /// Counters: `snap` holds the current counter / its index has been presented for a
    /// clock, so the read port answers it.
    loaded: DFF<Bit>,
    /// `loaded` a clock later: `selected` has been chosen from the loaded copy.
    loaded_d: DFF<Bit>,
    primed: DFF<Bit>,
    /// Small messages: body byte `pos`, chosen a clock ahead (`pos` moves only when a
    /// byte goes, and none goes in the clock after: `stepped`), so the byte selection
    /// ends in a register of its own, not in the output stage's multiplexer.
    selected: DFF<Bits<8>>,
    /// Body byte `pos` is the RAM's (ArpReply, Hello), decoded a clock ahead like
    /// `selected`.
    from_ram: DFF<Bit>,
    hello_pending: DFF<Bit>,
    counters_pending: DFF<Bit>,
    tx_done_pending: DFF<Bit>,
    error_pending: DFF<Bit>,
    arp_pending: DFF<Bit>,
    tag: DFF<Bits<16>>,
    code: DFF<Bits<3>>,
    /// 0..15, the ArpReply latch: the sender's MAC and IP, written as they pass on the
    /// stream at the low four bits of their position (MAC 8..13, IP 14, 15, then 0, 1 for
    /// 16, 17), read in the message's order (IP, then MAC) at the body byte `pos` a clock
    /// ahead: its registered read stands in for `selected`. 32 + `pos`: Hello's body, read
    /// the same way (initial contents; MAC and IP written by each Config).
    ram: BlockRam<Bits<8>, 6>,
    /// The latch was free from this frame's sender MAC on: it holds its MAC and IP.
    arp_captured: DFF<Bit>,
    byte: Signal<Local, Bits<8>>,
    byte_valid: Signal<Local, Bit>,
    byte_last: Signal<Local, Bit>,
    /// The output stage takes a byte (its `ready`, a register).
    room: Signal<Local, Bit>,
    phase: Signal<Local, Bits<2>>,
    snap_byte: Signal<Local, Bits<8>>,
    /// A Config's MAC or IP byte loads: it goes into the RAM, before the latch's.
    config_write: Signal<Local, Bit>,
    /// The latch would take a byte of the stream.
    latch_write: Signal<Local, Bit>,
    /// No ArpReply is pending or being sent: the latch may take the stream's bytes.
    arp_free: Signal<Local, Bit>,
    /// A byte of the Ethernet payload passes.
    l3_byte: Signal<Local, Bit>,
    /// ArpReply: the read address's bits 3..1, mapped from the body byte's (`pos`).
    arp_pair: Signal<Local, Bits<3>>,
    arp_commit: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    /// A segment's byte goes into the output stage.
    seg_take: Signal<Local, Bit>,
    /// `pos` moves on: a record header byte is read, or a small message's byte taken.
    pos_step: Signal<Local, Bit>,
    /// What `remaining` takes: the record's length, one less after a segment byte.
    rem_next: Signal<Local, Bits<11>>,
    small_valid: Signal<Local, Bit>,
}

impl LinkTx {
    /// With Hello's fields: the address until a Config gives another, the build, and
    /// the receive FIFO's size in bytes and the bytes each TCP record takes in it beyond
    /// its option and payload bytes (so the host can size its windows).
    pub fn new(
        mac: [u8; 6],
        ip: [u8; 4],
        build_id: u32,
        rx_fifo_bytes: u16,
        rx_record_overhead: u8,
    ) -> Self {
        // Hello's body, byte `pos` at 32 + `pos`.
        let mut body = [0u8; 18];
        body[0] = LINK_VERSION;
        body[1..7].copy_from_slice(&mac);
        body[7..11].copy_from_slice(&ip);
        body[11..15].copy_from_slice(&build_id.to_le_bytes());
        body[15..17].copy_from_slice(&rx_fifo_bytes.to_le_bytes());
        body[17] = rx_record_overhead;
        // Every word given, so the Verilog and Rust models agree everywhere.
        let words = (0..64usize)
            .map(|a| {
                let b = a
                    .checked_sub(32)
                    .and_then(|p| body.get(p))
                    .copied()
                    .unwrap_or(0);
                (Bits::<6>::from(a as u64), Bits::<8>::from(b as u64))
            })
            .collect();
        Self {
            clock: Default::default(),
            config_byte: Default::default(),
            config_index: Default::default(),
            hello: Default::default(),
            fifo_data: Default::default(),
            fifo_empty: Default::default(),
            get_counters: Default::default(),
            counter_value: Default::default(),
            counter_valid: Default::default(),
            tx_done: Default::default(),
            tx_done_tag: Default::default(),
            error: Default::default(),
            error_code: Default::default(),
            arp_learned: Default::default(),
            l3_data: Default::default(),
            l3_valid: Default::default(),
            l3: Default::default(),
            l3_pos: Default::default(),
            out_ready: Default::default(),
            fifo_read: Default::default(),
            counter_index: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_last: Default::default(),
            out_skid: Default::default(),
            stepped: Default::default(),
            msg: Default::default(),
            sending: Default::default(),
            record: Default::default(),
            head: Default::default(),
            pos: Default::default(),
            in_body: Default::default(),
            rec_lo: Default::default(),
            rec_hi: Default::default(),
            has_record: Default::default(),
            remaining: Default::default(),
            lo_byte: Default::default(),
            body_last: Default::default(),
            ends_small: Default::default(),
            snap: Default::default(),
            loaded: Default::default(),
            loaded_d: Default::default(),
            primed: Default::default(),
            selected: Default::default(),
            from_ram: Default::default(),
            hello_pending: Default::default(),
            counters_pending: Default::default(),
            tx_done_pending: Default::default(),
            error_pending: Default::default(),
            arp_pending: Default::default(),
            tag: Default::default(),
            code: Default::default(),
            ram: BlockRam::new(words),
            arp_captured: Default::default(),
            byte: Default::default(),
            byte_valid: Default::default(),
            byte_last: Default::default(),
            room: Default::default(),
            phase: Default::default(),
            snap_byte: Default::default(),
            config_write: Default::default(),
            latch_write: Default::default(),
            arp_free: Default::default(),
            l3_byte: Default::default(),
            arp_pair: Default::default(),
            arp_commit: Default::default(),
            take: Default::default(),
            seg_take: Default::default(),
            pos_step: Default::default(),
            rem_next: Default::default(),
            small_valid: Default::default(),
        }
    }
}

/// The board's: [`DEFAULT_MAC`], [`DEFAULT_IP`], [`BUILD_ID`], its receive FIFO's
/// [`RX_FIFO_BYTES`] and [`RX_RECORD_OVERHEAD`].
impl Default for LinkTx {
    fn default() -> Self {
        Self::new(
            DEFAULT_MAC,
            DEFAULT_IP,
            BUILD_ID,
            RX_FIFO_BYTES,
            RX_RECORD_OVERHEAD,
        )
    }
}

impl Logic for LinkTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            stepped,
            msg,
            sending,
            record,
            head,
            pos,
            in_body,
            rec_lo,
            rec_hi,
            has_record,
            remaining,
            lo_byte,
            body_last,
            ends_small,
            snap,
            loaded,
            loaded_d,
            primed,
            selected,
            from_ram,
            hello_pending,
            counters_pending,
            tx_done_pending,
            error_pending,
            arp_pending,
            tag,
            code,
            arp_captured
        );
        self.phase.next = self.pos.q.val().get_bits::<2>(0);
        self.rec_lo.d.next = false;
        self.rec_hi.d.next = self.rec_lo.q.val();
        self.counter_index.next = self.pos.q.val().get_bits::<5>(2);
        self.fifo_read.next = false;
        self.byte_valid.next = false;
        self.byte_last.next = false;
        self.byte.next = 0.into();
        self.take.next = false;
        // The output stage: its `ready` is a register.
        self.out_skid.out_ready.next = self.out_ready.val();
        self.room.next = self.out_skid.ready.val();
        self.out_data.next = self.out_skid.out_data.val();
        self.out_valid.next = self.out_skid.out_valid.val();
        self.out_last.next = self.out_skid.out_last.val();
        // The copy in `snap` (Counters, TxDone, Error), byte `pos` mod 4; Hello's and
        // ArpReply's body bytes are the RAM's.
        self.snap_byte.next = self.snap.q.val().get_bits::<8>(0);
        if self.phase.val() == 1 {
            self.snap_byte.next = self.snap.q.val().get_bits::<8>(8);
        }
        if self.phase.val() == 2 {
            self.snap_byte.next = self.snap.q.val().get_bits::<8>(16);
        }
        if self.phase.val() == 3 {
            self.snap_byte.next = self.snap.q.val().get_bits::<8>(24);
        }
        self.selected.d.next = self.snap_byte.val();
        self.from_ram.d.next = (self.msg.q.val() == 7) | (self.msg.q.val() == 1);
        self.loaded_d.d.next = self.loaded.q.val();

        // Events: latch each as pending, with its value.
        if self.hello.val() {
            self.hello_pending.d.next = true;
        }
        if self.get_counters.val() {
            self.counters_pending.d.next = true;
        }
        if self.tx_done.val() {
            self.tx_done_pending.d.next = true;
            self.tag.d.next = self.tx_done_tag.val();
        }
        if self.error.val() {
            self.error_pending.d.next = true;
            self.code.d.next = self.error_code.val();
        }
        // ArpReply: the sender's MAC (payload bytes 8..13) and IP (14..17) into the
        // latch while it is free, each byte at its position's low four bits; a pulse is
        // taken if the latch was free from the MAC's first byte on.
        self.arp_free.next = !self.arp_pending.q.val() & (self.msg.q.val() != 7);
        self.l3_byte.next = self.l3_valid.val() & self.l3.val();
        if self.l3_byte.val() & (self.l3_pos.val() == 8) {
            self.arp_captured.d.next = self.arp_free.val();
        }
        self.arp_commit.next = self.arp_learned.val() & self.arp_captured.q.val();
        if self.arp_commit.val() {
            self.arp_pending.d.next = true;
        }
        self.ram.write_clock.next = self.clock.val();
        self.out_skid.clock.next = self.clock.val();
        self.ram.read_clock.next = self.clock.val();
        // 8..17 (8..15, 16..17), decoded from the position's bits: equality tests in
        // LUTs, no compare on a carry chain.
        self.latch_write.next = self.arp_free.val()
            & self.l3_byte.val()
            & ((self.l3_pos.val().get_bits::<2>(3) == 1)
                | (self.l3_pos.val().get_bits::<4>(1) == 8));
        // A Config's MAC and IP (offsets 1..10) are Hello's body bytes 1..10: at 32 + the
        // offset. They come a byte a clock for ten clocks of a Config; a latch byte
        // meanwhile is lost, so its frame's pulse is not taken.
        self.config_write.next = (self.config_index.val() != 0)
            & !(self.config_index.val().get_bit(3)
                & (self.config_index.val().get_bit(2)
                    | (self.config_index.val().get_bits::<2>(0) == 3)));
        self.ram.write_data.next = self.l3_data.val();
        self.ram.write_address.next = bit_cast::<6, 4>(self.l3_pos.val().get_bits::<4>(0));
        if self.config_write.val() {
            self.ram.write_data.next = self.config_byte.val();
            self.ram.write_address.next = bit_cast::<6, 4>(self.config_index.val()) | 32;
            if self.latch_write.val() {
                self.arp_captured.d.next = false;
            }
        }
        self.ram.write_enable.next = self.latch_write.val() | self.config_write.val();
        // Sending: body byte `pos` (0..9: the IP, then the MAC) is at 14, 15, 0, 1, then
        // 8..13: bit 0 is the position's, bits 3..1 map from its bits 3..1 (a LUT each).
        self.arp_pair.next = 6.into();
        if self.pos.q.val().get_bits::<3>(1) == 0 {
            self.arp_pair.next = 7.into();
        }
        if self.pos.q.val().get_bits::<3>(1) == 1 {
            self.arp_pair.next = 0.into();
        }
        if self.pos.q.val().get_bits::<3>(1) == 2 {
            self.arp_pair.next = 4.into();
        }
        if self.pos.q.val().get_bits::<3>(1) == 3 {
            self.arp_pair.next = 5.into();
        }
        // Hello (bit 1 clear, as for no other message the RAM holds): 32 + `pos`.
        self.ram.read_address.next = bit_cast::<6, 5>(self.pos.q.val().get_bits::<5>(0)) | 32;
        if self.msg.q.val().get_bit(1) {
            self.ram.read_address.next = (bit_cast::<6, 3>(self.arp_pair.val()) << 1)
                | bit_cast::<6, 1>(self.pos.q.val().get_bits::<1>(0));
        }

        // Small messages: the last body byte's position, by message, from the bits that
        // set it apart from the positions before it (Hello 17, ArpReply 9, TxDone 1,
        // Error 0, Counters 127).
        self.ends_small.d.next = false;
        if self.msg.q.val() == 1 {
            self.ends_small.d.next = self.pos.q.val().get_bit(4) & self.pos.q.val().get_bit(0);
        }
        if self.msg.q.val() == 7 {
            self.ends_small.d.next = self.pos.q.val().get_bit(3) & self.pos.q.val().get_bit(0);
        }
        if self.msg.q.val() == 5 {
            self.ends_small.d.next = self.pos.q.val().get_bit(0);
        }
        if self.msg.q.val() == 6 {
            self.ends_small.d.next = true;
        }
        if self.msg.q.val() == 4 {
            self.ends_small.d.next = self.pos.q.val().all();
        }
        self.small_valid.next = false;
        self.pos_step.next = false;
        if !self.sending.q.val() {
            // Between messages: small ones first, then the next segment.
            self.sending.d.next = self.hello_pending.q.val()
                | self.error_pending.q.val()
                | self.tx_done_pending.q.val()
                | self.arp_pending.q.val()
                | self.counters_pending.q.val()
                | self.has_record.q.val();
            self.in_body.d.next = false;
            self.loaded.d.next = false;
            self.primed.d.next = false;
            self.head.d.next = true;
            // The value of the TxDone or Error that may start now (unused otherwise):
            // loaded on every idle clock, so the register's enable stays simple.
            self.snap.d.next = bit_cast::<32, 16>(self.tag.q.val());
            if self.error_pending.q.val() {
                self.snap.d.next = bit_cast::<32, 3>(self.code.q.val());
            }
            if self.hello_pending.q.val() {
                self.msg.d.next = 1.into();
                self.hello_pending.d.next = self.hello.val();
            } else if self.error_pending.q.val() {
                self.msg.d.next = 6.into();
                self.error_pending.d.next = self.error.val();
            } else if self.tx_done_pending.q.val() {
                self.msg.d.next = 5.into();
                self.tx_done_pending.d.next = self.tx_done.val();
            } else if self.arp_pending.q.val() {
                self.msg.d.next = 7.into();
                self.arp_pending.d.next = self.arp_commit.val();
            } else if self.counters_pending.q.val() {
                self.msg.d.next = 4.into();
                self.counters_pending.d.next = self.get_counters.val();
            } else if self.has_record.q.val() {
                self.msg.d.next = 2.into();
                self.record.d.next = true;
                self.head.d.next = false;
                self.rec_lo.d.next = true;
            }
        } else if self.head.q.val() {
            self.byte_valid.next = true;
            self.byte.next = bit_cast::<8, 3>(self.msg.q.val());
            if self.room.val() {
                self.head.d.next = false;
            }
        } else if self.record.q.val() & self.in_body.q.val() {
            self.byte_valid.next = true;
            self.byte.next = self.fifo_data.val();
            self.byte_last.next = self.body_last.q.val();
            self.take.next = self.room.val();
            if self.take.val() {
                self.fifo_read.next = true;
                if self.body_last.q.val() {
                    self.msg.d.next = 0.into();
                    self.sending.d.next = false;
                    self.record.d.next = false;
                }
            }
        } else if self.record.q.val() {
            // The record header: the length, low byte first, then two filler bytes if
            // its bit 7 says so. A record is committed whole: its bytes are all there.
            self.fifo_read.next = true;
            self.pos_step.next = true;
            if self.rec_hi.q.val() {
                if !self.fifo_data.val().get_bit(7) {
                    self.in_body.d.next = true;
                }
            }
            if self.pos.q.val() == 3 {
                self.in_body.d.next = true;
            }
        } else {
            // Hello, Counters, TxDone, Error, ArpReply: body byte `pos`.
            self.small_valid.next = !self.stepped.q.val();
            self.byte.next = self.selected.q.val();
            if self.from_ram.q.val() {
                self.byte.next = self.ram.read_data.val();
            }
            if self.msg.q.val() == 4 {
                // Each counter is copied once its index has been on the read port for a
                // clock and no bump took the port; its four bytes come from the copy.
                // (and `selected` holds a byte of the copy: a clock after it was loaded).
                if !(self.loaded.q.val() & self.loaded_d.q.val()) {
                    self.small_valid.next = false;
                }
                if !self.loaded.q.val() {
                    self.primed.d.next = true;
                    if self.primed.q.val() & self.counter_valid.val() {
                        self.snap.d.next = self.counter_value.val();
                        self.loaded.d.next = true;
                    }
                }
            }
            self.byte_valid.next = self.small_valid.val();
            self.byte_last.next = self.ends_small.q.val();
            self.take.next = self.small_valid.val() & self.room.val();
            if self.take.val() {
                self.pos_step.next = true;
                if self.phase.val() == 3 {
                    self.loaded.d.next = false;
                    self.primed.d.next = false;
                }
                if self.ends_small.q.val() {
                    self.msg.d.next = 0.into();
                    self.sending.d.next = false;
                }
            }
        }
        self.stepped.d.next = self.pos_step.val();
        // 0 between messages; the step rides the carry chain, as `remaining`'s below.
        self.pos.d.next = self.pos.q.val() + bit_cast::<7, 1>(self.pos_step.val().into());
        if !self.sending.q.val() {
            self.pos.d.next = 0.into();
        }
        // The record's length, both bytes at once as its high byte is on the port; one
        // less for each byte of the segment sent. One load and one decrement, with their
        // conditions worked out once, outside the branches above.
        self.lo_byte.d.next = self.fifo_data.val();
        self.seg_take.next = self.record.q.val() & self.in_body.q.val() & self.room.val();
        // (Less `seg_take`: the condition rides the carry chain, no multiplexer per bit.)
        self.rem_next.next = self.remaining.q.val() - bit_cast::<11, 1>(self.seg_take.val().into());
        if self.rec_hi.q.val() {
            self.rem_next.next = (bit_cast::<11, 3>(self.fifo_data.val().get_bits::<3>(0)) << 8)
                | bit_cast::<11, 8>(self.lo_byte.q.val());
        }
        self.remaining.d.next = self.rem_next.val();
        self.body_last.d.next = self.rem_next.val() == 1;
        self.has_record.d.next = !self.fifo_empty.val() & !self.record.q.val();
        // The output stage takes the byte when `room` says so.
        self.out_skid.data.next = self.byte.val();
        self.out_skid.valid.next = self.byte_valid.val();
        self.out_skid.last.next = self.byte_last.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A segment the receive pipeline kept.
    #[derive(Clone)]
    struct Segment {
        protocol: u8,
        header_len: u8,
        src_mac: [u8; 6],
        src_ip: [u8; 4],
        dst_ip: [u8; 4],
        src_port: u16,
        dst_port: u16,
        seq: u32,
        ack: u32,
        flags: u16,
        window: u16,
        mss: Option<u16>,
        window_scale: Option<u8>,
        sack_permitted: bool,
        timestamps: Option<(u32, u32)>,
        body: Vec<u8>,
    }

    impl Segment {
        /// Its record in the receive FIFO (layout: `RxFifo`): the length, filler bytes
        /// for UDP (0xEE here, which must not show), the message.
        fn record(&self) -> Vec<u8> {
            let m = self.message();
            // ICMP's record is UDP's shape (RxIcmp).
            let udp = self.protocol != 6;
            let mut r = vec![m.len() as u8, (udp as u8) << 7 | (m.len() >> 8) as u8];
            if udp {
                r.extend([0xEE, 0xEE]);
            }
            r.extend(m);
            r
        }

        /// The link message (type and body) the host expects, from the layout table
        /// in host/src/link/message.rs.
        fn message(&self) -> Vec<u8> {
            let mut m = vec![];
            match self.protocol {
                6 => {
                    m.extend([0x02, 6, self.header_len]);
                    m.extend(self.src_mac);
                    m.extend(self.src_ip);
                    m.extend(self.src_port.to_le_bytes());
                    m.extend(self.dst_port.to_le_bytes());
                    m.extend(self.seq.to_le_bytes());
                    m.extend(self.ack.to_le_bytes());
                    m.extend(self.flags.to_le_bytes());
                    m.extend(self.window.to_le_bytes());
                    m.extend(self.mss.unwrap_or(0).to_le_bytes());
                    m.push(self.window_scale.unwrap_or(0xFF));
                    m.push(self.sack_permitted as u8 | (self.timestamps.is_some() as u8) << 1);
                }
                17 | 1 => {
                    m.push(if self.protocol == 17 { 0x03 } else { 0x08 });
                    m.extend(self.src_mac);
                    m.extend(self.src_ip);
                    m.extend(self.dst_ip);
                    m.extend(self.src_port.to_le_bytes());
                    m.extend(self.dst_port.to_le_bytes());
                }
                _ => unreachable!("only TCP, UDP and ICMP errors reach the FIFO"),
            }
            m.extend(&self.body);
            m
        }
    }

    /// xorshift64: the hdl crate has no rand.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
        fn bytes<const N: usize>(&mut self) -> [u8; N] {
            std::array::from_fn(|_| self.next() as u8)
        }
    }

    fn random_segment(rng: &mut Rng, protocol: u8) -> Segment {
        let options = 4 * rng.below(11) as usize;
        let len = match rng.below(4) {
            0 => 0,
            1 => rng.below(8) as usize,
            _ => rng.below(1461) as usize,
        };
        // Zeros, long non-zero runs, and anything.
        let style = rng.below(3);
        let body = (0..options + len)
            .map(|_| match style {
                0 => (rng.below(255) + 1) as u8,
                1 => [0, 0, 0, 7][rng.below(4) as usize],
                _ => rng.next() as u8,
            })
            .collect();
        Segment {
            protocol,
            header_len: if protocol == 6 { 20 + options as u8 } else { 8 },
            src_mac: rng.bytes(),
            src_ip: rng.bytes(),
            dst_ip: rng.bytes(),
            src_port: rng.next() as u16,
            dst_port: rng.next() as u16,
            seq: rng.next() as u32,
            ack: rng.next() as u32,
            flags: rng.below(0x200) as u16,
            window: rng.next() as u16,
            mss: rng.chance(50).then(|| rng.next() as u16),
            window_scale: rng.chance(50).then(|| rng.below(15) as u8),
            sack_permitted: rng.chance(50),
            timestamps: rng
                .chance(50)
                .then(|| (rng.next() as u32, rng.next() as u32)),
            body,
        }
    }

    /// The counter read port's contents (as the RAM would hold them).
    fn counter(i: u64) -> u32 {
        (0x0101_0101u32.wrapping_mul(i as u32 + 1)) ^ 0x00FF_0000
    }

    /// LinkTx with a first-word-fall-through FIFO model, a counter port with one clock
    /// of latency that is sometimes busy, and a consumer ready `ready` percent of clocks.
    struct Bench {
        uut: LinkTx,
        fifo: VecDeque<u8>,
        rng: Rng,
        ready: u64,
        index: u64,
        bytes: Vec<u8>,
        messages: Vec<Vec<u8>>,
        /// The clocks each message's bytes left on.
        byte_clocks: Vec<usize>,
        message_clocks: Vec<Vec<usize>>,
        clocks: usize,
    }

    impl Bench {
        fn new(seed: u64, ready: u64) -> Bench {
            let mut uut = LinkTx::new(
                [0x02, 0x00, 0x5e, 0x10, 0x00, 0xff],
                [10, 0, 0, 2],
                0x1234_5678,
                0x0800,
                35,
            );
            uut.connect_all();
            Bench {
                uut,
                fifo: VecDeque::new(),
                rng: Rng(seed),
                ready,
                index: 0,
                bytes: vec![],
                messages: vec![],
                byte_clocks: vec![],
                message_clocks: vec![],
                clocks: 0,
            }
        }

        fn push(&mut self, s: &Segment) {
            self.fifo.extend(s.record());
        }

        /// One clock; `pulse` sets event inputs for this clock only.
        fn clock(&mut self, pulse: impl FnOnce(&mut LinkTx)) {
            let u = &mut self.uut;
            u.hello.next = false;
            u.get_counters.next = false;
            u.tx_done.next = false;
            u.error.next = false;
            u.arp_learned.next = false;
            u.l3_valid.next = false;
            u.l3.next = false;
            u.config_index.next = 0.into();
            u.config_byte.next = 0xC5.into();
            pulse(u);
            u.fifo_empty.next = self.fifo.is_empty();
            u.fifo_data.next = (*self.fifo.front().unwrap_or(&0xDD) as u64).into();
            let valid = self.rng.chance(85);
            u.counter_valid.next = valid;
            u.counter_value.next = if valid {
                (counter(self.index) as u64).into()
            } else {
                0xBAD0_BAD0u64.into()
            };
            let ready = self.rng.chance(self.ready);
            u.out_ready.next = ready;
            u.clock.next = false.into();
            assert!(simulate(u, 200));
            if u.fifo_read.val() {
                assert!(self.fifo.pop_front().is_some(), "read of an empty FIFO");
            }
            if u.out_valid.val() && ready {
                self.bytes.push(u.out_data.val().index() as u8);
                self.byte_clocks.push(self.clocks);
                if u.out_last.val() {
                    self.messages.push(std::mem::take(&mut self.bytes));
                    self.message_clocks
                        .push(std::mem::take(&mut self.byte_clocks));
                }
            }
            self.index = u.counter_index.val().index() as u64;
            u.clock.next = true.into();
            assert!(simulate(u, 200));
            self.clocks += 1;
        }

        /// An ARP message's 28 bytes on the Ethernet payload stream, with positions.
        fn arp_frame(&mut self, sender_mac: [u8; 6], sender_ip: [u8; 4]) {
            let mut m = vec![0, 1, 8, 0, 6, 4, 0, 2];
            m.extend(sender_mac);
            m.extend(sender_ip);
            m.extend([0; 10]);
            for (pos, b) in m.into_iter().enumerate() {
                self.clock(|u| {
                    u.l3_valid.next = true;
                    u.l3.next = true;
                    u.l3_pos.next = (pos as u64).into();
                    u.l3_data.next = (b as u64).into();
                });
            }
        }

        fn run(&mut self, clocks: usize) {
            for _ in 0..clocks {
                self.clock(|_| {});
            }
        }

        /// Until the FIFO is drained and nothing has come out for a while.
        fn drain(&mut self) {
            let mut quiet = 0;
            while quiet < 300 {
                let before = (self.messages.len(), self.bytes.len());
                self.clock(|_| {});
                let busy = !self.fifo.is_empty();
                quiet = if busy || before != (self.messages.len(), self.bytes.len()) {
                    0
                } else {
                    quiet + 1
                };
                assert!(self.clocks < 5_000_000);
            }
            assert!(self.bytes.is_empty(), "a message without last");
        }
    }

    #[test]
    fn segments_become_rx_tcp_and_rx_udp_messages() {
        let mut bench = Bench::new(0x1234_5678_9abc, 60);
        let mut rng = Rng(99);
        let mut want = vec![];
        for i in 0..60 {
            let protocol = if i % 4 == 3 || rng.chance(20) {
                17
            } else if i % 7 == 5 {
                1
            } else {
                6
            };
            let s = random_segment(&mut rng, protocol);
            bench.push(&s);
            want.push(s.message());
        }
        bench.drain();
        assert_eq!(bench.messages.len(), want.len());
        for (i, (got, want)) in bench.messages.iter().zip(&want).enumerate() {
            assert_eq!(got, want, "message {i}");
        }
    }

    /// With the consumer always ready, a segment's bytes leave one a clock, and a small
    /// message's body bytes one every other clock.
    #[test]
    fn segments_leave_a_byte_a_clock() {
        let mut bench = Bench::new(0x5EED, 100);
        let mut rng = Rng(23);
        let mut want = vec![];
        for protocol in [6, 17, 6, 1, 6] {
            let s = random_segment(&mut rng, protocol);
            bench.push(&s);
            want.push(s.message());
        }
        bench.run(1);
        bench.clock(|u| {
            u.tx_done.next = true;
            u.tx_done_tag.next = 0x0A0B.into();
        });
        bench.drain();
        want.insert(1, vec![0x05, 0x0B, 0x0A]);
        assert_eq!(bench.messages, want);
        for (m, clocks) in bench.messages.iter().zip(&bench.message_clocks) {
            let span = clocks.last().unwrap() - clocks[0] + 1;
            if m[0] == 0x05 {
                // The type byte, then a body byte every other clock.
                assert_eq!(span, 4, "TxDone");
            } else {
                assert_eq!(span, m.len(), "a segment of {} bytes", m.len());
            }
        }
    }

    /// A Config's bytes, as HostRx loads them: offsets 1 to 14 (MAC, IP, netmask), a
    /// byte a clock, while an ARP frame's sender passes on the stream.
    #[test]
    fn a_config_gives_hello_its_address_and_takes_the_ram_from_the_latch() {
        let mut bench = Bench::new(21, 60);
        let config: Vec<u8> = (0..14).map(|i| 0xA0 + i).collect();
        let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 2];
        arp.extend([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 192, 168, 1, 1]);
        for clock in 0..18 {
            bench.clock(|u| {
                u.l3_valid.next = true;
                u.l3.next = true;
                u.l3_pos.next = (clock as u64).into();
                u.l3_data.next = (arp[clock] as u64).into();
                // Offsets 1..14 on clocks 4..17: over the sender's bytes (8..17).
                if clock >= 4 {
                    u.config_index.next = (clock as u64 - 3).into();
                    u.config_byte.next = (config[clock - 4] as u64).into();
                }
            });
        }
        bench.clock(|u| u.hello.next = true);
        bench.clock(|u| u.arp_learned.next = true);
        bench.drain();
        let mut hello = vec![0x01, LINK_VERSION];
        hello.extend(&config[..10]);
        hello.extend(0x1234_5678u32.to_le_bytes());
        hello.extend(2048u16.to_le_bytes());
        hello.push(35);
        // The ArpReply lost bytes of its latch to the Config: not sent.
        assert_eq!(bench.messages, vec![hello]);
    }

    #[test]
    fn small_messages_carry_their_values() {
        let mut bench = Bench::new(7, 50);
        bench.run(3);
        bench.clock(|u| u.hello.next = true);
        bench.clock(|u| {
            u.tx_done.next = true;
            u.tx_done_tag.next = 0xBEEF.into();
        });
        bench.clock(|u| {
            u.error.next = true;
            u.error_code.next = 4.into();
            u.tx_done_tag.next = 0x1111.into();
        });
        bench.arp_frame([0x00, 0x11, 0x22, 0x33, 0x44, 0x55], [192, 168, 1, 1]);
        bench.clock(|u| {
            u.arp_learned.next = true;
            u.error_code.next = 3.into();
        });
        bench.clock(|u| u.get_counters.next = true);
        // Another frame's sender passes while the ArpReply is pending: not taken, and
        // its pulse finds the latch busy (the first is kept, not torn).
        bench.arp_frame([0xAA; 6], [10, 9, 8, 7]);
        bench.clock(|u| u.arp_learned.next = true);
        bench.drain();
        let mut counters = vec![0x04];
        for i in 0..32 {
            counters.extend(counter(i).to_le_bytes());
        }
        let mut hello = vec![
            0x01,
            LINK_VERSION,
            0x02,
            0x00,
            0x5e,
            0x10,
            0x00,
            0xff,
            10,
            0,
            0,
            2,
        ];
        hello.extend(0x1234_5678u32.to_le_bytes());
        hello.extend(2048u16.to_le_bytes()); // the receive FIFO's size
        hello.push(35); // a TCP record's overhead in it
        let want: Vec<Vec<u8>> = vec![
            hello,
            vec![0x06, 4],
            vec![0x05, 0xEF, 0xBE],
            vec![0x07, 192, 168, 1, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
            counters,
        ];
        assert_eq!(bench.messages, want);
    }

    /// Messages whose length's low byte is 0, 1 or 2 with high bits set (256, 257, 258,
    /// 513, 1025 bytes ...): the end of a segment is kept as a flag beside the count, and
    /// the high byte arrives a byte after the low one.
    #[test]
    fn segment_lengths_around_the_low_byte() {
        let mut bench = Bench::new(11, 100);
        let mut rng = Rng(17);
        let mut want = vec![];
        for (i, len) in [256usize, 257, 258, 513, 1025, 1281, 769, 255, 1]
            .into_iter()
            .enumerate()
        {
            let protocol = if i % 2 == 0 { 6 } else { 17 };
            let mut s = random_segment(&mut rng, protocol);
            s.mss = None;
            let head = s.message().len() - s.body.len();
            s.body.resize(len.saturating_sub(head), 0x5A);
            assert!(len < head || s.message().len() == len);
            bench.push(&s);
            want.push(s.message());
        }
        bench.drain();
        assert_eq!(bench.messages, want);
    }

    /// Events during a flood of segments go out right after the message in flight, and
    /// a second TxDone while the first is being sent is not lost.
    #[test]
    fn small_messages_overtake_waiting_segments() {
        let mut bench = Bench::new(3, 70);
        let mut rng = Rng(5);
        let mut segments = vec![];
        for _ in 0..6 {
            let s = random_segment(&mut rng, 6);
            bench.push(&s);
            segments.push(s.message());
        }
        // Into the first segment's body.
        bench.run(60);
        assert_eq!(bench.messages.len(), 0);
        bench.clock(|u| {
            u.tx_done.next = true;
            u.tx_done_tag.next = 0x0102.into();
        });
        bench.clock(|u| u.get_counters.next = true);
        // Until TxDone has started (its type byte handed on: the output stage may hold
        // bytes the consumer has not seen yet), then a second one.
        while !(bench.uut.msg.q.val().index() == 5 && !bench.uut.head.q.val()) {
            bench.clock(|_| {});
        }
        bench.clock(|u| {
            u.tx_done.next = true;
            u.tx_done_tag.next = 0x0304.into();
        });
        bench.drain();
        let kinds: Vec<u8> = bench.messages.iter().map(|m| m[0]).collect();
        assert_eq!(kinds, vec![2, 5, 5, 4, 2, 2, 2, 2, 2]);
        assert_eq!(bench.messages[1], vec![0x05, 0x02, 0x01]);
        assert_eq!(bench.messages[2], vec![0x05, 0x04, 0x03]);
        let got_segments: Vec<&Vec<u8>> = bench.messages.iter().filter(|m| m[0] == 2).collect();
        assert_eq!(got_segments, segments.iter().collect::<Vec<_>>());
    }
}
