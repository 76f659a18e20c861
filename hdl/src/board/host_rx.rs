//! The host → board half of the link: UART bytes in; COBS decoding ([`CobsDecoder`]),
//! the CRC-32 check ([`CrcCheck`]) and the dispatch of each message out, never stalling.
//!
//! Messages (layouts in host/src/link/message.rs) are taken apart by byte offset as
//! they arrive, type byte at offset 0. Nothing happens until the frame is over: Config,
//! GetCounters and ArpRequest act (one pulse) only at the end of a frame whose COBS and
//! CRC are good and whose length is exactly right for its type; otherwise `error`
//! pulses with the first failing check's `error_code` (2 bad COBS, 1 bad CRC or a frame
//! too short to hold one, 3 unknown type, 4 bad length, including a TxTcp options
//! length that is not a multiple of 4 up to 40, then 5 transmit busy). A Config is
//! staged and reaches `config_*` only once its frame proved good, byte by byte in the
//! 14 clocks before `config_valid` (see Staging below), so the outputs only ever take
//! bytes of proven configurations.
//!
//! TxTcp / TxUdp / TxIcmp stream their options and payload (a TxIcmp's payload is the
//! whole ICMP message) on `tx_write`, the byte in `tx_word`'s low half, as the bytes
//! arrive (four bytes behind the link: the CRC check holds four); `tx_finish` closes
//! every frame whose type byte said TxTcp/TxUdp/TxIcmp, with `tx_keep` (valid with it
//! only) set only when the whole frame proved good, so the transmitter rolls back
//! anything else. `tx_is_udp` and
//! `tx_is_icmp` say which (both low: TCP) with `tx_finish`, and hold until the next
//! request's finish. Their header fields are not kept here: each goes out as a 16-bit
//! word of the transmitter's descriptor (`tx_word_write`, `tx_word_index`, `tx_word`;
//! TxStage's layout) as its second byte arrives, the tag first, so the transmitter's
//! block RAM is the only copy of a request. `tx_flags` and `tx_options_len` are valid
//! with `tx_finish` and hold until the next message's bytes reach them. When `tx_busy` is
//! high as the type byte arrives the message gets no `tx_write` and no word at all, and
//! finishes with `tx_keep` low and error 5; otherwise `tx_open` is high from the clock
//! after the type byte until the finish, so that another writer of the transmitter (the
//! echo responder) can stay clear of it. No more than the longest legal message is
//! ever written.
//!
//! Empty frames are ignored; garbage, truncated and overlong frames cost one error and
//! leave nothing behind: every frame starts from a clean state.
//!
//! Staging: every message's bytes at offsets 0 to 15 go into a 16-byte block RAM
//! (`stage`) as they arrive, so a Config's MAC, IP and netmask and an ArpRequest's IP
//! are held there, not in flip-flops, until the frame proves good. Then a copy reads
//! offsets 1 to 14 back, a byte a clock, starting the clock of `apply` / `arp_request`:
//! - An ArpRequest's IP (offsets 1 to 4) leaves on `arp_request_byte`, its byte k
//!   (network order) in the (2 + k)-th clock after `arp_request`, when ArpTx writes it.
//! - A Config's fourteen bytes load the applied configuration's byte registers one a
//!   clock, in the fourteen clocks before `config_valid`. The outputs then change
//!   byte by byte over those clocks, each byte from its old to its new value, so a
//!   Config that repeats the configuration (as the host's rate switch does) changes
//!   nothing on the way; a frame on the wire meanwhile meets a mix of old and new
//!   bytes, as it would meet the old address and then the new one if they switched
//!   at once. The flags (promiscuous, link rate) and `configured` switch with
//!   `config_valid`.
//! The next frame cannot disturb a copy: its byte at offset k reaches the block RAM
//! more than [`MIN_CLOCKS_AFTER_FRAME`] + k + 4 clocks after the end (the frame gap,
//! and the check holds four bytes), after the copy read it (k + 2 clocks after).
//!
//! Pace: link bytes may come a clock apart, and a frame's first byte at least
//! [`MIN_CLOCKS_AFTER_FRAME`] after the delimiter before it ([`min_clocks_after`]),
//! which also covers the CRC check's flush after a frame
//! ([`MIN_CLOCKS_AFTER_END`]). The gap lets a frame's action finish (a Config's copy ends
//! with `config_valid` 18 clocks after its delimiter) before the next frame can end, so
//! what the board sends back (Hello, Counters, Error) comes in the order the host's
//! frames did. A UART is far slower: 250 clocks a byte at 4 Mbaud, 83 at 12 Mbaud.
//!
//! Cost: the applied configuration is most of it, 112 bits that hold between Configs
//! (a LUT4 each by `tcpip synth --breakdown`'s `-noflatten` count, where a held bit is a
//! 2:1 multiplexer in front of its flip-flop) and the 14 decodes of the byte loading.
//! Everything else is kept small for that count: the counters (`offset`,
//! `options_left`, `copy_index`, and the CRC check's and COBS decoder's) count by one or
//! by zero, so their hold is the adder's; a field word's bytes go straight to the half
//! of `tx_word` they belong in; registers read only with a pulse (`tx_word_index`,
//! `error_code`, `tx_keep`) are loaded every clock.

use crate::block_ram::BlockRam;
use crate::board::cobs_decoder::CobsDecoder;
use crate::board::crc_check::{CrcCheck, MIN_CLOCKS_AFTER_END};
use rust_hdl::prelude::*;

/// The fewest clocks from a frame's delimiter to the next frame's first byte.
pub const MIN_CLOCKS_AFTER_FRAME: usize = 24;

// The CRC check flushes its register after a frame's end and must see no byte before
// that is over; the delimiter and the next byte reach it through the same path.
const _: () = assert!(MIN_CLOCKS_AFTER_FRAME >= MIN_CLOCKS_AFTER_END);

/// The fewest clocks from link byte `byte` to the next one: a frame's gap after its
/// delimiter, else a clock.
pub fn min_clocks_after(byte: u8) -> usize {
    if byte == 0 {
        MIN_CLOCKS_AFTER_FRAME
    } else {
        1
    }
}

/// The clock each link byte comes at when they come as fast as HostRx takes them.
pub fn line_rate_clocks(link: &[u8]) -> Vec<usize> {
    clocks_with_gap(link, 0)
}

/// The clock each link byte comes at when each comes `extra` clocks later than HostRx
/// could take it after the one before.
fn clocks_with_gap(link: &[u8], extra: usize) -> Vec<usize> {
    link.iter()
        .scan(0, |t, &b| {
            let at = *t;
            *t += min_clocks_after(b) + extra;
            Some(at)
        })
        .collect()
}

#[derive(LogicBlock)]
pub struct HostRx {
    pub clock: Signal<In, Clock>,
    pub link_data: Signal<In, Bits<8>>,
    pub link_valid: Signal<In, Bit>,
    pub tx_busy: Signal<In, Bit>,
    /// A TxTcp/TxUdp/TxIcmp found the transmitter free at its type byte and is being
    /// written, up to its `tx_finish` (the board's echo stays off the write side then).
    pub tx_open: Signal<Out, Bit>,
    pub config_valid: Signal<Out, Bit>,
    /// A Config has been applied (from the edge the first Config's last byte loads,
    /// with its `config_valid`: a flip-flop, so whoever forces defaults until then
    /// starts from a register).
    pub configured: Signal<Out, Bit>,
    pub config_mac_hi: Signal<Out, Bits<16>>,
    pub config_mac_mid: Signal<Out, Bits<16>>,
    pub config_mac_lo: Signal<Out, Bits<16>>,
    pub config_ip: Signal<Out, Bits<32>>,
    pub config_netmask: Signal<Out, Bits<32>>,
    /// The byte of a Config loading this clock and its offset (1 to 14, 0: none), for a
    /// copy kept elsewhere (LinkTx's Hello).
    pub config_byte: Signal<Out, Bits<8>>,
    pub config_index: Signal<Out, Bits<4>>,
    pub config_promiscuous: Signal<Out, Bit>,
    /// The link's UART at 12 Mbaud (Config's link_rate 1) rather than 4 (0).
    pub config_fast: Signal<Out, Bit>,
    pub get_counters: Signal<Out, Bit>,
    pub arp_request: Signal<Out, Bit>,
    /// Byte k of the requested IP (network order) in the (2 + k)-th clock after
    /// `arp_request`, k = 0 to 3.
    pub arp_request_byte: Signal<Out, Bits<8>>,
    pub error: Signal<Out, Bit>,
    pub error_code: Signal<Out, Bits<3>>,
    pub tx_write: Signal<Out, Bit>,
    pub tx_finish: Signal<Out, Bit>,
    pub tx_keep: Signal<Out, Bit>,
    pub tx_is_udp: Signal<Out, Bit>,
    pub tx_is_icmp: Signal<Out, Bit>,
    /// A TxTcp/TxUdp/TxIcmp header field word for the transmitter's descriptor: word
    /// `tx_word_index` (TxStage's layout) is `tx_word`, written as its second byte arrives
    /// (index and word valid with `tx_word_write` only).
    pub tx_word_write: Signal<Out, Bit>,
    pub tx_word_index: Signal<Out, Bits<4>>,
    pub tx_word: Signal<Out, Bits<16>>,
    pub tx_flags: Signal<Out, Bits<9>>,
    pub tx_options_len: Signal<Out, Bits<6>>,
    decoder: CobsDecoder,
    check: CrcCheck,
    /// Message bytes so far (the type byte is offset 0); stops at 2047.
    offset: DFF<Bits<11>>,
    offset_step: Signal<Local, Bit>,
    /// One-hot `offset` for offsets 0 to 31 (all the fixed fields), all zero beyond,
    /// decoded from `offset`: a field select (the OR of some positions) is then a
    /// function of `offset`'s low five bits and one "below 32" flag.
    position: Signal<Local, Bits<32>>,
    // The type byte, decoded; all low before it arrives.
    is_config: DFF<Bit>,
    is_get_counters: DFF<Bit>,
    is_arp_request: DFF<Bit>,
    is_tcp: DFF<Bit>,
    is_udp: DFF<Bit>,
    is_icmp: DFF<Bit>,
    /// A TxTcp/TxUdp/TxIcmp that found the transmitter busy: written nowhere.
    busy_at_start: DFF<Bit>,
    /// A byte arrived past the type's fixed part.
    beyond_fixed: DFF<Bit>,
    /// A TxTcp/TxUdp/TxIcmp byte arrived past the longest legal message.
    too_long: DFF<Bit>,
    options_len: DFF<Bits<6>>,
    /// A TxTcp's option bytes still due after the fixed part, and its options length
    /// was bad: loaded at offset 29 and read only for a TxTcp that reached it, so no
    /// frame's end clears them.
    options_left: DFF<Bits<6>>,
    options_step: Signal<Local, Bit>,
    options_bad: DFF<Bit>,
    /// Each message's bytes at offsets 0 to 15, at their offset (see the module notes).
    stage: BlockRam<Bits<8>, 4>,
    /// The copy out of `stage`: the offset it reads, 1 to 15, then 0 (idle).
    copy_index: DFF<Bits<4>>,
    copy_step: Signal<Local, Bit>,
    /// The copy is a Config's (not an ArpRequest's).
    copy_config: DFF<Bit>,
    /// The offset whose byte `stage` reads out this clock, if a Config's (0 otherwise).
    load_index: DFF<Bits<4>>,
    /// A TxTcp's flags (offsets 25-26, little-endian): the low byte and NS, the one bit
    /// of the high byte a TCP header has room for; a request's other fields go
    /// straight to the transmitter's words.
    tcp_flags_low: DFF<Bits<8>>,
    tcp_flag_ns: DFF<Bit>,
    /// A field word's two bytes, each loaded into its half as it arrives (`word_hi` at
    /// a big-endian field's first byte or a little-endian one's second), so `tx_word`
    /// is their concatenation, with no copy and no byte swap. `word_lo` takes every
    /// other byte too: it is the byte `tx_write` writes.
    word_hi: DFF<Bits<8>>,
    word_lo: DFF<Bits<8>>,
    promiscuous: DFF<Bit>,
    fast: DFF<Bit>,
    // The applied configuration, a register a byte: the MAC (0 first on the wire), the
    // IP and the netmask (0 most significant).
    cfg_mac0: DFF<Bits<8>>,
    cfg_mac1: DFF<Bits<8>>,
    cfg_mac2: DFF<Bits<8>>,
    cfg_mac3: DFF<Bits<8>>,
    cfg_mac4: DFF<Bits<8>>,
    cfg_mac5: DFF<Bits<8>>,
    cfg_ip0: DFF<Bits<8>>,
    cfg_ip1: DFF<Bits<8>>,
    cfg_ip2: DFF<Bits<8>>,
    cfg_ip3: DFF<Bits<8>>,
    cfg_mask0: DFF<Bits<8>>,
    cfg_mask1: DFF<Bits<8>>,
    cfg_mask2: DFF<Bits<8>>,
    cfg_mask3: DFF<Bits<8>>,
    cfg_promiscuous: DFF<Bit>,
    cfg_loaded: DFF<Bit>,
    cfg_fast: DFF<Bit>,
    /// The frame ended last clock, with its COBS and CRC verdicts and whether its
    /// length was right for its type: the verdict is worked out from flip-flops a clock
    /// after the end (no byte comes that soon), not from the CRC check's residue
    /// compare and the length decode in one path with the error code's enable.
    end_r: DFF<Bit>,
    cobs_bad_r: DFF<Bit>,
    crc_ok_r: DFF<Bit>,
    length_ok_r: DFF<Bit>,
    /// A good Config ended: the staged fields load the clock after, so the frame's
    /// verdict drives one flip-flop, not the enable of every config register.
    apply: DFF<Bit>,
    // Registered outputs.
    config_valid_r: DFF<Bit>,
    get_counters_r: DFF<Bit>,
    arp_request_r: DFF<Bit>,
    error_r: DFF<Bit>,
    /// The codes are 1 to 5: three bits.
    error_code_r: DFF<Bits<3>>,
    tx_write_r: DFF<Bit>,
    tx_finish_r: DFF<Bit>,
    tx_keep_r: DFF<Bit>,
    tx_is_udp_r: DFF<Bit>,
    tx_is_icmp_r: DFF<Bit>,
    tx_word_write_r: DFF<Bit>,
    tx_word_index_r: DFF<Bits<4>>,
    /// The byte at this offset ends a field word of a TxTcp / TxUdp / TxIcmp.
    word_end: Signal<Local, Bit>,
    /// ... of a little-endian field.
    word_le: Signal<Local, Bit>,
    /// This byte goes to `word_hi`.
    hi_load: Signal<Local, Bit>,
    /// The offset's bits 4..1: which pair of bytes (of the fixed part) this is, and
    /// the same one-hot.
    pair: Signal<Local, Bits<4>>,
    pair_hot: Signal<Local, Bits<16>>,
    byte: Signal<Local, Bits<8>>,
    strobe: Signal<Local, Bit>,
    is_tx: Signal<Local, Bit>,
    is_fixed: Signal<Local, Bit>,
    /// The offset is the length of the type's fixed part (type byte included), or the
    /// longest message's. These decodes, `word_end` and `hi_load` are worked out in
    /// the clock their byte comes, from the offset and type flip-flops: a byte may
    /// follow the one before in the next clock, so nothing about the next offset is
    /// known a clock ahead (the decodes were registered a clock ahead when bytes came
    /// at least two clocks apart; a decode of both `offset` and `offset` + 1 cost 22
    /// LUT4s more, and the paths are short either way).
    at_fixed_end: Signal<Local, Bit>,
    at_limit: Signal<Local, Bit>,
    length_ok: Signal<Local, Bit>,
    code: Signal<Local, Bits<3>>,
    /// The byte `stage` read out this clock.
    staged: Signal<Local, Bits<8>>,
}

impl Default for HostRx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            link_data: Default::default(),
            link_valid: Default::default(),
            tx_busy: Default::default(),
            tx_open: Default::default(),
            config_valid: Default::default(),
            configured: Default::default(),
            config_mac_hi: Default::default(),
            config_mac_mid: Default::default(),
            config_mac_lo: Default::default(),
            config_ip: Default::default(),
            config_byte: Default::default(),
            config_index: Default::default(),
            config_netmask: Default::default(),
            config_promiscuous: Default::default(),
            config_fast: Default::default(),
            get_counters: Default::default(),
            arp_request: Default::default(),
            arp_request_byte: Default::default(),
            error: Default::default(),
            error_code: Default::default(),
            tx_write: Default::default(),
            tx_finish: Default::default(),
            tx_keep: Default::default(),
            tx_is_udp: Default::default(),
            tx_is_icmp: Default::default(),
            tx_word_write: Default::default(),
            tx_word_index: Default::default(),
            tx_word: Default::default(),
            tx_flags: Default::default(),
            tx_options_len: Default::default(),
            decoder: Default::default(),
            check: Default::default(),
            offset: Default::default(),
            offset_step: Default::default(),
            position: Default::default(),
            is_config: Default::default(),
            is_get_counters: Default::default(),
            is_arp_request: Default::default(),
            is_tcp: Default::default(),
            is_udp: Default::default(),
            is_icmp: Default::default(),
            busy_at_start: Default::default(),
            beyond_fixed: Default::default(),
            too_long: Default::default(),
            options_len: Default::default(),
            options_left: Default::default(),
            options_step: Default::default(),
            options_bad: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same at offsets a
            // short message never wrote.
            stage: BlockRam::zeroed(),
            copy_index: Default::default(),
            copy_step: Default::default(),
            copy_config: Default::default(),
            load_index: Default::default(),
            tcp_flags_low: Default::default(),
            tcp_flag_ns: Default::default(),
            word_hi: Default::default(),
            word_lo: Default::default(),
            promiscuous: Default::default(),
            fast: Default::default(),
            cfg_mac0: Default::default(),
            cfg_mac1: Default::default(),
            cfg_mac2: Default::default(),
            cfg_mac3: Default::default(),
            cfg_mac4: Default::default(),
            cfg_mac5: Default::default(),
            cfg_ip0: Default::default(),
            cfg_ip1: Default::default(),
            cfg_ip2: Default::default(),
            cfg_ip3: Default::default(),
            cfg_mask0: Default::default(),
            cfg_mask1: Default::default(),
            cfg_mask2: Default::default(),
            cfg_mask3: Default::default(),
            cfg_promiscuous: Default::default(),
            cfg_loaded: Default::default(),
            cfg_fast: Default::default(),
            end_r: Default::default(),
            cobs_bad_r: Default::default(),
            crc_ok_r: Default::default(),
            length_ok_r: Default::default(),
            apply: Default::default(),
            config_valid_r: Default::default(),
            get_counters_r: Default::default(),
            arp_request_r: Default::default(),
            error_r: Default::default(),
            error_code_r: Default::default(),
            tx_write_r: Default::default(),
            tx_finish_r: Default::default(),
            tx_keep_r: Default::default(),
            tx_is_udp_r: Default::default(),
            tx_is_icmp_r: Default::default(),
            tx_word_write_r: Default::default(),
            tx_word_index_r: Default::default(),
            word_end: Default::default(),
            word_le: Default::default(),
            hi_load: Default::default(),
            pair: Default::default(),
            pair_hot: Default::default(),
            byte: Default::default(),
            strobe: Default::default(),
            is_tx: Default::default(),
            is_fixed: Default::default(),
            at_fixed_end: Default::default(),
            at_limit: Default::default(),
            length_ok: Default::default(),
            code: Default::default(),
            staged: Default::default(),
        }
    }
}

impl Logic for HostRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            offset,
            is_config,
            is_get_counters,
            is_arp_request,
            is_tcp,
            is_udp,
            is_icmp,
            busy_at_start,
            beyond_fixed,
            too_long,
            options_len,
            options_left,
            options_bad,
            copy_index,
            copy_config,
            load_index,
            tcp_flags_low,
            tcp_flag_ns,
            word_hi,
            word_lo,
            promiscuous,
            fast,
            cfg_mac0,
            cfg_mac1,
            cfg_mac2,
            cfg_mac3,
            cfg_mac4,
            cfg_mac5,
            cfg_ip0,
            cfg_ip1,
            cfg_ip2,
            cfg_ip3,
            cfg_mask0,
            cfg_mask1,
            cfg_mask2,
            cfg_mask3,
            cfg_promiscuous,
            cfg_loaded,
            cfg_fast,
            end_r,
            cobs_bad_r,
            crc_ok_r,
            length_ok_r,
            apply,
            config_valid_r,
            get_counters_r,
            arp_request_r,
            error_r,
            error_code_r,
            tx_write_r,
            tx_finish_r,
            tx_keep_r,
            tx_is_udp_r,
            tx_is_icmp_r,
            tx_word_write_r,
            tx_word_index_r
        );
        self.decoder.clock.next = self.clock.val();
        self.decoder.data.next = self.link_data.val();
        self.decoder.valid.next = self.link_valid.val();
        self.check.clock.next = self.clock.val();
        self.check.data.next = self.decoder.out_data.val();
        self.check.valid.next = self.decoder.out_valid.val();
        self.check.frame_end.next = self.decoder.frame_end.val();
        self.stage.read_clock.next = self.clock.val();
        self.stage.write_clock.next = self.clock.val();

        self.byte.next = self.check.out_data.val();
        self.position.next = 0.into();
        if self.offset.q.val().get_bits::<6>(5) == 0 {
            self.position.next =
                bit_cast::<32, 1>(true.into()) << self.offset.q.val().get_bits::<5>(0);
        }
        self.strobe.next = self.check.out_valid.val();
        self.is_tx.next = self.is_tcp.q.val() | self.is_udp.q.val() | self.is_icmp.q.val();
        self.is_fixed.next =
            self.is_config.q.val() | self.is_get_counters.q.val() | self.is_arp_request.q.val();
        self.at_fixed_end.next = (self.is_config.q.val() & self.position.val().get_bit(17))
            | (self.is_get_counters.q.val() & self.position.val().get_bit(1))
            | (self.is_arp_request.q.val() & self.position.val().get_bit(5))
            | (self.is_tcp.q.val() & self.position.val().get_bit(30))
            | (self.is_udp.q.val() & self.position.val().get_bit(17))
            | (self.is_icmp.q.val() & self.position.val().get_bit(13));
        // 1 + 29 + 1480, 1 + 16 + 1472 and 1 + 12 + 1480: the longest TxTcp, TxUdp and
        // TxIcmp messages. The offset counts up from 0, so it first has all of a
        // limit's one bits set at the limit itself, and only the first time matters
        // (`too_long` stays set): the zero bits need no compare.
        self.at_limit.next = (self.is_tcp.q.val() & ((self.offset.q.val() & 1510) == 1510))
            | (self.is_udp.q.val() & ((self.offset.q.val() & 1489) == 1489))
            | (self.is_icmp.q.val() & ((self.offset.q.val() & 1493) == 1493));

        // Descriptor word of the field ending at this (even) offset (2 tag -> 6, 4-12 MAC
        // and IP -> 0-4, 14 16 ports -> 8 9, 18 20 seq -> 11 10, 22 24 ack -> 13 12, 28
        // window -> 14; a TxIcmp's fields end at 12). The index and the byte order are
        // read only at a word's end, so they are functions of the offset's bits 4..1
        // alone (a LUT4 a bit: an OR of the one-hot pair's bits), not of the exact
        // position.
        self.pair.next = self.offset.q.val().get_bits::<4>(1);
        self.word_end.next = (self.is_tcp.q.val() & ((self.position.val() & 0x11555554) != 0))
            | (self.is_udp.q.val() & ((self.position.val() & 0x15554) != 0))
            | (self.is_icmp.q.val() & ((self.position.val() & 0x1554) != 0));
        self.pair_hot.next = bit_cast::<16, 1>(true.into()) << self.pair.val();
        self.word_le.next = (self.pair_hot.val() & 0x5F82) != 0;
        self.tx_word_index_r.d.next =
            (bit_cast::<4, 1>(((self.pair_hot.val() & 0xB28) != 0).into()))
                | (bit_cast::<4, 1>(((self.pair_hot.val() & 0x4632) != 0).into()) << 1)
                | (bit_cast::<4, 1>(((self.pair_hot.val() & 0x5842) != 0).into()) << 2)
                | (bit_cast::<4, 1>(((self.pair_hot.val() & 0x5F80) != 0).into()) << 3);
        // A big-endian field's first byte (3, 5, ..., 11) or a little-endian one's
        // second goes to the high half; every other byte to the low half.
        self.hi_load.next =
            ((self.position.val() & 0xAA8) != 0) | (self.word_end.val() & self.word_le.val());
        self.tx_word_write_r.d.next = false;
        self.tx_write_r.d.next = false;
        // Every message's first sixteen bytes to the staging RAM, at their offset.
        self.stage.write_address.next = self.offset.q.val().get_bits::<4>(0);
        self.stage.write_data.next = self.byte.val();
        self.stage.write_enable.next =
            self.strobe.val() & (self.offset.q.val().get_bits::<7>(4) == 0);
        // Counted up by one or by zero, so the hold is the adder's (no LUT4 a bit of
        // its own).
        self.offset_step.next = self.strobe.val() & (self.offset.q.val() != 2047);
        self.offset.d.next = self.offset.q.val() + bit_cast::<11, 1>(self.offset_step.val().into());
        self.options_step.next = self.strobe.val()
            & (self.at_fixed_end.val() | self.beyond_fixed.q.val())
            & (self.options_left.q.val() != 0);
        self.options_left.d.next =
            self.options_left.q.val() - bit_cast::<6, 1>(self.options_step.val().into());
        if self.strobe.val() {
            if self.offset.q.val() == 0 {
                self.is_config.d.next = self.byte.val() == 0x81;
                self.is_tcp.d.next = self.byte.val() == 0x82;
                self.is_udp.d.next = self.byte.val() == 0x83;
                self.is_arp_request.d.next = self.byte.val() == 0x84;
                self.is_get_counters.d.next = self.byte.val() == 0x85;
                self.is_icmp.d.next = self.byte.val() == 0x86;
                self.busy_at_start.d.next = self.tx_busy.val()
                    & ((self.byte.val() == 0x82)
                        | (self.byte.val() == 0x83)
                        | (self.byte.val() == 0x86));
                self.options_len.d.next = 0.into();
            }
            if self.at_fixed_end.val() {
                self.beyond_fixed.d.next = true;
            }
            if self.at_limit.val() {
                self.too_long.d.next = true;
            }
            self.tx_write_r.d.next = self.is_tx.val()
                & (self.at_fixed_end.val() | self.beyond_fixed.q.val())
                & !self.at_limit.val()
                & !self.too_long.q.val()
                & !self.busy_at_start.q.val();
            if self.is_tcp.q.val() & self.position.val().get_bit(25) {
                self.tcp_flags_low.d.next = self.byte.val();
            }
            if self.is_tcp.q.val() & self.position.val().get_bit(26) {
                self.tcp_flag_ns.d.next = self.byte.val().get_bit(0);
            }
            // The other fields, a word as its second byte arrives (offsets 2, 4, ..., 24
            // and 28 of a TxTcp, 2 to 16 of a TxUdp, 2 to 12 of a TxIcmp), for the
            // transmitter's descriptor.
            if self.hi_load.val() {
                self.word_hi.d.next = self.byte.val();
            }
            if !(self.word_end.val() & self.word_le.val()) {
                self.word_lo.d.next = self.byte.val();
            }
            self.tx_word_write_r.d.next = self.word_end.val() & !self.busy_at_start.q.val();
            if self.is_config.q.val() & self.position.val().get_bit(15) {
                self.promiscuous.d.next = self.byte.val().get_bit(0);
            }
            if self.is_config.q.val() & self.position.val().get_bit(16) {
                self.fast.d.next = self.byte.val().get_bit(0);
            }
            if self.is_tcp.q.val() & self.position.val().get_bit(29) {
                self.options_len.d.next = self.byte.val().get_bits::<6>(0);
                self.options_left.d.next = self.byte.val().get_bits::<6>(0);
                // Not a multiple of 4, or above 40 (so 44 or more): bit tests, no carry
                // chain.
                self.options_bad.d.next = (self.byte.val().get_bits::<2>(0) != 0)
                    | (self.byte.val().get_bits::<2>(6) != 0)
                    | (self.byte.val().get_bit(5)
                        & (self.byte.val().get_bit(4)
                            | (self.byte.val().get_bit(3) & self.byte.val().get_bit(2))));
            }
        }

        // The frame's verdict, the clock after its end (never one with a byte).
        self.length_ok.next =
            (self.is_fixed.val() & self.at_fixed_end.val() & !self.beyond_fixed.q.val())
                | (self.is_tx.val()
                    & (self.at_fixed_end.val() | self.beyond_fixed.q.val())
                    & !self.too_long.q.val()
                    & (!self.is_tcp.q.val()
                        | ((self.options_left.q.val() == 0) & !self.options_bad.q.val())));
        self.length_ok_r.d.next = self.length_ok.val();
        self.end_r.d.next = self.check.out_end.val();
        self.cobs_bad_r.d.next = self.decoder.cobs_error.val();
        self.crc_ok_r.d.next = self.check.crc_ok.val();
        self.code.next = 0.into();
        if self.cobs_bad_r.q.val() {
            self.code.next = 2.into();
        } else if !self.crc_ok_r.q.val() {
            self.code.next = 1.into();
        } else if !(self.is_fixed.val() | self.is_tx.val()) {
            self.code.next = 3.into();
        } else if !self.length_ok_r.q.val() {
            self.code.next = 4.into();
        } else if self.busy_at_start.q.val() {
            self.code.next = 5.into();
        }
        // Valid with `error` / `tx_finish` only: loaded every clock, they hold nothing.
        self.error_code_r.d.next = self.code.val();
        self.tx_keep_r.d.next = self.is_tx.val() & (self.code.val() == 0);
        self.config_valid_r.d.next = false;
        self.get_counters_r.d.next = false;
        self.arp_request_r.d.next = false;
        self.error_r.d.next = false;
        self.tx_finish_r.d.next = false;
        // The copy out of the staging RAM (see the module notes): offsets 1 to 14 are
        // read from the clock after `apply` / `arp_request`; the count runs on to 15
        // and wraps to 0, where it rests.
        self.apply.d.next = false;
        self.stage.read_address.next = self.copy_index.q.val();
        self.copy_step.next = self.copy_index.q.val() != 0;
        self.copy_index.d.next =
            self.copy_index.q.val() + bit_cast::<4, 1>(self.copy_step.val().into());
        if self.apply.q.val() | self.arp_request_r.q.val() {
            self.copy_index.d.next = 1.into();
            self.copy_config.d.next = self.apply.q.val();
        }
        self.load_index.d.next = 0.into();
        if self.copy_config.q.val() {
            self.load_index.d.next = self.copy_index.q.val();
        }
        self.staged.next = self.stage.read_data.val();
        // A register a byte, each enabled by its offset (all in network order).
        if self.load_index.q.val() == 1 {
            self.cfg_mac0.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 2 {
            self.cfg_mac1.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 3 {
            self.cfg_mac2.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 4 {
            self.cfg_mac3.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 5 {
            self.cfg_mac4.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 6 {
            self.cfg_mac5.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 7 {
            self.cfg_ip0.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 8 {
            self.cfg_ip1.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 9 {
            self.cfg_ip2.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 10 {
            self.cfg_ip3.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 11 {
            self.cfg_mask0.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 12 {
            self.cfg_mask1.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 13 {
            self.cfg_mask2.d.next = self.staged.val();
        }
        if self.load_index.q.val() == 14 {
            self.cfg_mask3.d.next = self.staged.val();
            // The last byte: the flags (held since offsets 15 and 16, until the next
            // frame's bytes reach them) switch with `config_valid`.
            self.config_valid_r.d.next = true;
            self.cfg_promiscuous.d.next = self.promiscuous.q.val();
            self.cfg_loaded.d.next = true;
            self.cfg_fast.d.next = self.fast.q.val();
        }
        if self.end_r.q.val() {
            self.error_r.d.next = self.code.val() != 0;
            if self.code.val() == 0 {
                self.apply.d.next = self.is_config.q.val();
                self.get_counters_r.d.next = self.is_get_counters.q.val();
                self.arp_request_r.d.next = self.is_arp_request.q.val();
            }
            self.tx_finish_r.d.next = self.is_tx.val();
            self.tx_is_udp_r.d.next = self.is_udp.q.val();
            self.tx_is_icmp_r.d.next = self.is_icmp.q.val();
            // Every frame starts clean.
            self.offset.d.next = 0.into();
            self.is_config.d.next = false;
            self.is_get_counters.d.next = false;
            self.is_arp_request.d.next = false;
            self.is_tcp.d.next = false;
            self.is_udp.d.next = false;
            self.is_icmp.d.next = false;
            self.busy_at_start.d.next = false;
            self.beyond_fixed.d.next = false;
            self.too_long.d.next = false;
        }

        self.config_valid.next = self.config_valid_r.q.val();
        self.configured.next = self.cfg_loaded.q.val();
        self.config_byte.next = self.staged.val();
        self.config_index.next = self.load_index.q.val();
        self.config_mac_hi.next = (bit_cast::<16, 8>(self.cfg_mac0.q.val()) << 8)
            | bit_cast::<16, 8>(self.cfg_mac1.q.val());
        self.config_mac_mid.next = (bit_cast::<16, 8>(self.cfg_mac2.q.val()) << 8)
            | bit_cast::<16, 8>(self.cfg_mac3.q.val());
        self.config_mac_lo.next = (bit_cast::<16, 8>(self.cfg_mac4.q.val()) << 8)
            | bit_cast::<16, 8>(self.cfg_mac5.q.val());
        self.config_ip.next = (bit_cast::<32, 8>(self.cfg_ip0.q.val()) << 24)
            | (bit_cast::<32, 8>(self.cfg_ip1.q.val()) << 16)
            | (bit_cast::<32, 8>(self.cfg_ip2.q.val()) << 8)
            | bit_cast::<32, 8>(self.cfg_ip3.q.val());
        self.config_netmask.next = (bit_cast::<32, 8>(self.cfg_mask0.q.val()) << 24)
            | (bit_cast::<32, 8>(self.cfg_mask1.q.val()) << 16)
            | (bit_cast::<32, 8>(self.cfg_mask2.q.val()) << 8)
            | bit_cast::<32, 8>(self.cfg_mask3.q.val());
        self.config_promiscuous.next = self.cfg_promiscuous.q.val();
        self.config_fast.next = self.cfg_fast.q.val();
        self.get_counters.next = self.get_counters_r.q.val();
        self.arp_request.next = self.arp_request_r.q.val();
        self.arp_request_byte.next = self.staged.val();
        self.error.next = self.error_r.q.val();
        self.error_code.next = self.error_code_r.q.val();
        self.tx_write.next = self.tx_write_r.q.val();
        self.tx_finish.next = self.tx_finish_r.q.val();
        self.tx_open.next = self.is_tx.val() & !self.busy_at_start.q.val();
        self.tx_keep.next = self.tx_keep_r.q.val();
        self.tx_is_udp.next = self.tx_is_udp_r.q.val();
        self.tx_is_icmp.next = self.tx_is_icmp_r.q.val();
        self.tx_word_write.next = self.tx_word_write_r.q.val();
        self.tx_word_index.next = self.tx_word_index_r.q.val();
        // Its low half is also the byte `tx_write` writes, the clock after its strobe (no
        // byte beyond a type's fixed part is a little-endian field's second).
        self.tx_word.next = (bit_cast::<16, 8>(self.word_hi.q.val()) << 8)
            | bit_cast::<16, 8>(self.word_lo.q.val());
        self.tx_flags.next = (bit_cast::<9, 1>(self.tcp_flag_ns.q.val().into()) << 8)
            | bit_cast::<9, 8>(self.tcp_flags_low.q.val());
        self.tx_options_len.next = self.options_len.q.val();
    }
}

/// What [`HostRx`] said, one entry per pulse (tests, the virtual board).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostRxEvent {
    Config {
        mac: [u8; 6],
        ip: [u8; 4],
        netmask: [u8; 4],
        promiscuous: bool,
        /// The link at 12 Mbaud.
        fast: bool,
    },
    GetCounters,
    ArpRequest {
        ip: [u8; 4],
    },
    Error {
        code: u8,
    },
    /// A `tx_finish`, with the bytes `tx_write` gave since the previous one.
    Tx(TxRequest),
}

/// A transmit request as `HostRx` hands it over at `tx_finish`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRequest {
    pub keep: bool,
    pub is_udp: bool,
    pub is_icmp: bool,
    pub tag: u16,
    pub dst_mac: [u8; 6],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub window: u16,
    pub options_len: u8,
    /// Options then payload.
    pub data: Vec<u8>,
}

fn mac_of(hi: Bits<16>, mid: Bits<16>, lo: Bits<16>) -> [u8; 6] {
    let word = (hi.to_u64() << 32) | (mid.to_u64() << 16) | lo.to_u64();
    let b = word.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

fn ip_of(ip: Bits<32>) -> [u8; 4] {
    (ip.to_u64() as u32).to_be_bytes()
}

/// Drives a fresh [`HostRx`] directly: `link[i]` is offered on the clock `at(i)` (at least
/// [`min_clocks_after`] `link[i - 1]` after `at(i - 1)`), `busy(clock)` is `tx_busy`;
/// runs 40 clocks past the last byte and returns
/// every event in order (a `Tx` before an `Error` of the same clock; an `ArpRequest`
/// when its last IP byte has come, five clocks after its pulse). Panics if the
/// `config_*` outputs ever change but in the fourteen clocks before a `config_valid`,
/// if a pulse is longer than a clock, or if `tx_write` bytes are left without a
/// `tx_finish`.
pub fn receive(
    link: &[u8],
    at: impl Fn(usize) -> usize,
    busy: impl Fn(usize) -> bool,
) -> Vec<HostRxEvent> {
    let mut uut = HostRx::default();
    uut.connect_all();
    assert!(simulate(&mut uut, 200));
    let mut events = vec![];
    let mut data = vec![];
    let mut next = 0;
    let end = if link.is_empty() {
        0
    } else {
        at(link.len() - 1)
    } + 40;
    let config = |uut: &HostRx| {
        (
            uut.config_mac_hi.val(),
            uut.config_mac_mid.val(),
            uut.config_mac_lo.val(),
            uut.config_ip.val(),
            uut.config_netmask.val(),
            uut.config_promiscuous.val(),
            uut.config_fast.val(),
        )
    };
    // The pace the UART in front always keeps.
    for i in 1..link.len() {
        let least = min_clocks_after(link[i - 1]);
        assert!(
            at(i) >= at(i - 1) + least,
            "link bytes {} and {i} closer than {least} clocks",
            i - 1
        );
    }
    let mut held = config(&uut);
    // The first clock the outputs differed from `held`, since the last config_valid.
    let mut changed_at: Option<usize> = None;
    // An ArpRequest's pulse clock, and the IP bytes that followed it.
    let mut arp_at: Option<usize> = None;
    let mut arp_ip = vec![];
    let mut last_pulses = 0u8;
    let mut configured = false;
    // The request's descriptor words, as tx_word_write gave them since the last finish.
    let mut words: [Option<u16>; 16] = [None; 16];
    for clock in 0..=end {
        let offer = next < link.len() && at(next) == clock;
        uut.link_valid.next = offer;
        uut.link_data.next = (link.get(next).copied().unwrap_or(0) as u64).into();
        uut.tx_busy.next = busy(clock);
        assert!(simulate(&mut uut, 200));
        let pulses = uut.config_valid.val() as u8
            | (uut.get_counters.val() as u8) << 1
            | (uut.arp_request.val() as u8) << 2
            | (uut.error.val() as u8) << 3
            | (uut.tx_finish.val() as u8) << 4;
        assert_eq!(
            pulses & last_pulses,
            0,
            "a pulse longer than a clock at {clock}"
        );
        last_pulses = pulses;
        // `configured` rises with the first applied Config and stays.
        configured |= uut.config_valid.val();
        assert_eq!(
            uut.configured.val(),
            configured,
            "configured is not whether a Config was applied, at {clock}"
        );
        if changed_at.is_none() && held != config(&uut) {
            changed_at = Some(clock);
        }
        if uut.config_valid.val() {
            if let Some(first) = changed_at.take() {
                assert!(
                    clock - first <= 14,
                    "config changed at {first}, {} clocks before config_valid",
                    clock - first
                );
            }
            held = config(&uut);
            events.push(HostRxEvent::Config {
                mac: mac_of(
                    uut.config_mac_hi.val(),
                    uut.config_mac_mid.val(),
                    uut.config_mac_lo.val(),
                ),
                ip: ip_of(uut.config_ip.val()),
                netmask: ip_of(uut.config_netmask.val()),
                promiscuous: uut.config_promiscuous.val(),
                fast: uut.config_fast.val(),
            });
        }
        if let Some(first) = changed_at {
            assert!(
                clock - first < 14,
                "config changed at {first} without config_valid"
            );
        }
        if uut.get_counters.val() {
            events.push(HostRxEvent::GetCounters);
        }
        if uut.arp_request.val() {
            assert!(arp_at.is_none(), "ArpRequest over another at {clock}");
            arp_at = Some(clock);
        }
        if let Some(at) = arp_at {
            if clock >= at + 2 {
                arp_ip.push(uut.arp_request_byte.val().to_u64() as u8);
            }
            if clock == at + 5 {
                events.push(HostRxEvent::ArpRequest {
                    ip: std::mem::take(&mut arp_ip).try_into().unwrap(),
                });
                arp_at = None;
            }
        }
        if uut.tx_write.val() {
            data.push(uut.tx_word.val().get_bits::<8>(0).to_u64() as u8);
        }
        if uut.tx_word_write.val() {
            let i = uut.tx_word_index.val().index();
            assert!(words[i].is_none(), "word {i} written twice at {clock}");
            words[i] = Some(uut.tx_word.val().to_u64() as u16);
        }
        if uut.tx_finish.val() {
            let w = |i: usize| words[i].unwrap_or(0);
            let be = |i: usize| w(i).to_be_bytes();
            events.push(HostRxEvent::Tx(TxRequest {
                keep: uut.tx_keep.val(),
                is_udp: uut.tx_is_udp.val(),
                is_icmp: uut.tx_is_icmp.val(),
                tag: w(6),
                dst_mac: [be(0), be(1), be(2)].concat().try_into().unwrap(),
                dst_ip: [be(3), be(4)].concat().try_into().unwrap(),
                src_port: w(8),
                dst_port: w(9),
                seq: (w(10) as u32) << 16 | w(11) as u32,
                ack: (w(12) as u32) << 16 | w(13) as u32,
                flags: uut.tx_flags.val().to_u64() as u16,
                window: w(14),
                options_len: uut.tx_options_len.val().to_u64() as u8,
                data: std::mem::take(&mut data),
            }));
            words = [None; 16];
        }
        if uut.error.val() {
            events.push(HostRxEvent::Error {
                code: uut.error_code.val().to_u64() as u8,
            });
        }
        crate::tick!(uut);
        next += offer as usize;
    }
    assert!(
        data.is_empty(),
        "tx_write bytes without a tx_finish: {data:?}"
    );
    events
}

/// [`receive`] with bytes as close as HostRx takes them ([`line_rate_clocks`]; a UART
/// is 40 to 125 times slower) and the transmitter never busy; panics unless bytes a
/// clock further apart give the same events (a byte the clock after the one before
/// meets the same decodes as one that comes later).
pub fn receive_at_line_rate(link: &[u8]) -> Vec<HostRxEvent> {
    let at = line_rate_clocks(link);
    let got = receive(link, |i| at[i], |_| false);
    let slower = clocks_with_gap(link, 1);
    assert_eq!(
        receive(link, |i| slower[i], |_| false),
        got,
        "a byte every other clock"
    );
    got
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::cobs_encoder::cobs_frame;
    use crate::link::crc32::crc32_ieee;

    /// The link bytes of a message (type | body): COBS(message | CRC LE) and 0x00.
    fn frame(message: &[u8]) -> Vec<u8> {
        let mut m = message.to_vec();
        m.extend(crc32_ieee(message).to_le_bytes());
        cobs_frame(&m)
    }

    const MAC: [u8; 6] = [0x02, 0x00, 0x5E, 0x10, 0x20, 0x30];

    /// A Config with the link at 4 Mbaud (`link_rate` 0) or 12 (1).
    fn config_message(
        mac: [u8; 6],
        ip: [u8; 4],
        netmask: [u8; 4],
        promiscuous: u8,
        link_rate: u8,
    ) -> Vec<u8> {
        let mut m = vec![0x81];
        m.extend(mac);
        m.extend(ip);
        m.extend(netmask);
        m.push(promiscuous);
        m.push(link_rate);
        m
    }

    fn tx_tcp_message(options: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut m = vec![0x82];
        m.extend(0xBEEFu16.to_le_bytes());
        m.extend(MAC);
        m.extend([192, 0, 2, 9]);
        m.extend(49152u16.to_le_bytes());
        m.extend(80u16.to_le_bytes());
        m.extend(0x1122_3344u32.to_le_bytes());
        m.extend(0xA5A5_0001u32.to_le_bytes());
        m.extend(0x0118u16.to_le_bytes());
        m.extend(0xFFF0u16.to_le_bytes());
        m.push(options.len() as u8);
        m.extend(options);
        m.extend(payload);
        m
    }

    fn tx_udp_message(payload: &[u8]) -> Vec<u8> {
        let mut m = vec![0x83];
        m.extend(7u16.to_le_bytes());
        m.extend(MAC);
        m.extend([10, 0, 0, 1]);
        m.extend(5353u16.to_le_bytes());
        m.extend(53u16.to_le_bytes());
        m.extend(payload);
        m
    }

    fn tx_icmp_message(tag: u16, message: &[u8]) -> Vec<u8> {
        let mut m = vec![0x86];
        m.extend(tag.to_le_bytes());
        m.extend(MAC);
        m.extend([198, 51, 100, 7]);
        m.extend(message);
        m
    }

    fn tcp_request(keep: bool, options: &[u8], payload: &[u8]) -> HostRxEvent {
        HostRxEvent::Tx(TxRequest {
            keep,
            is_udp: false,
            is_icmp: false,
            tag: 0xBEEF,
            dst_mac: MAC,
            dst_ip: [192, 0, 2, 9],
            src_port: 49152,
            dst_port: 80,
            seq: 0x1122_3344,
            ack: 0xA5A5_0001,
            flags: 0x0118,
            window: 0xFFF0,
            options_len: options.len() as u8,
            data: [options, payload].concat(),
        })
    }

    fn error(code: u8) -> HostRxEvent {
        HostRxEvent::Error { code }
    }

    #[test]
    fn config_get_counters_and_arp_request_act_once_each() {
        let mut link = frame(&config_message(
            MAC,
            [192, 0, 2, 2],
            [255, 255, 255, 0],
            1,
            1,
        ));
        link.extend(frame(&[0x85]));
        link.extend(frame(&[0x84, 192, 0, 2, 1]));
        link.extend(frame(&config_message([0xFF; 6], [0; 4], [0; 4], 0, 0)));
        assert_eq!(
            receive_at_line_rate(&link),
            vec![
                HostRxEvent::Config {
                    mac: MAC,
                    ip: [192, 0, 2, 2],
                    netmask: [255, 255, 255, 0],
                    promiscuous: true,
                    fast: true
                },
                HostRxEvent::GetCounters,
                HostRxEvent::ArpRequest { ip: [192, 0, 2, 1] },
                HostRxEvent::Config {
                    mac: [0xFF; 6],
                    ip: [0; 4],
                    netmask: [0; 4],
                    promiscuous: false,
                    fast: false
                },
            ]
        );
    }

    #[test]
    fn tx_requests_stream_options_and_payload() {
        let options = [2, 4, 0x05, 0xB4, 1, 1, 4, 2];
        let payload: Vec<u8> = (0..1472).map(|i| (i * 7) as u8).collect();
        let mut link = frame(&tx_tcp_message(&options, b"hello"));
        link.extend(frame(&tx_tcp_message(&[], &[])));
        link.extend(frame(&tx_tcp_message(&[1; 40], &payload[..1440])));
        link.extend(frame(&tx_udp_message(&payload)));
        link.extend(frame(&tx_udp_message(&[])));
        let udp = |payload: &[u8]| {
            HostRxEvent::Tx(TxRequest {
                keep: true,
                is_udp: true,
                is_icmp: false,
                tag: 7,
                dst_mac: MAC,
                dst_ip: [10, 0, 0, 1],
                src_port: 5353,
                dst_port: 53,
                // A UDP message writes no TCP-only word (its flags output is the last
                // TCP message's, which the transmitter ignores for UDP).
                seq: 0,
                ack: 0,
                flags: 0x0118,
                window: 0,
                options_len: 0,
                data: payload.to_vec(),
            })
        };
        let want = vec![
            tcp_request(true, &options, b"hello"),
            tcp_request(true, &[], &[]),
            tcp_request(true, &[1; 40], &payload[..1440]),
            udp(&payload),
            udp(&[]),
        ];
        assert_eq!(receive_at_line_rate(&link), want);
        // The fastest a UART goes (ten bits of four clocks, `UartRx`'s least) changes nothing.
        assert_eq!(receive(&link, |i| 40 * i + 3, |_| false), want);
    }

    /// A TxIcmp writes its tag, MAC and IP words and nothing else (no port, no TCP
    /// word), streams the whole message, says ICMP, and is bounded like the others: the
    /// longest legal message (1,480 bytes) is kept, one byte more is refused whole, as
    /// is a message that ends inside the address, and one that finds the transmitter
    /// busy. The requests around it keep their own kinds.
    #[test]
    fn tx_icmp_streams_its_message_with_its_kind() {
        let unreachable: Vec<u8> = (0..36).map(|i| (i * 11 + 3) as u8).collect();
        let longest: Vec<u8> = (0..1480).map(|i| (i * 3) as u8).collect();
        let icmp = |keep: bool, tag: u16, data: &[u8]| {
            HostRxEvent::Tx(TxRequest {
                keep,
                is_udp: false,
                is_icmp: true,
                tag,
                dst_mac: MAC,
                dst_ip: [198, 51, 100, 7],
                src_port: 0,
                dst_port: 0,
                seq: 0,
                ack: 0,
                // The last TxTcp's flags, which the transmitter ignores for ICMP.
                flags: 0x0118,
                window: 0,
                options_len: 0,
                data: data.to_vec(),
            })
        };
        let mut link = frame(&tx_tcp_message(&[], b"t"));
        link.extend(frame(&tx_icmp_message(0x0103, &unreachable)));
        link.extend(frame(&tx_udp_message(b"u")));
        link.extend(frame(&tx_icmp_message(0xFFFE, &longest)));
        link.extend(frame(&tx_icmp_message(
            9,
            &[longest.clone(), vec![1]].concat(),
        )));
        // Ends after the first half of the address: the IP's low word never comes.
        link.extend(frame(&tx_icmp_message(9, &[])[..11]));
        link.extend(frame(&tx_icmp_message(2, &[])));
        let got = receive_at_line_rate(&link);
        let udp = match &got[2] {
            HostRxEvent::Tx(t) => t.clone(),
            e => panic!("{e:?}"),
        };
        assert!(udp.keep && udp.is_udp && !udp.is_icmp && udp.data == b"u");
        let mut truncated = match icmp(false, 9, &[]) {
            HostRxEvent::Tx(t) => t,
            _ => unreachable!(),
        };
        truncated.dst_ip = [198, 51, 0, 0];
        assert_eq!(
            got,
            vec![
                tcp_request(true, &[], b"t"),
                icmp(true, 0x0103, &unreachable),
                got[2].clone(),
                icmp(true, 0xFFFE, &longest),
                icmp(false, 9, &longest),
                error(4),
                HostRxEvent::Tx(truncated),
                error(4),
                icmp(true, 2, &[]),
            ]
        );
        // Busy as its type byte arrives: nothing written, error 5.
        let link = frame(&tx_icmp_message(5, &unreachable));
        let at = line_rate_clocks(&link);
        let got = receive(&link, |i| at[i], |_| true);
        let nothing = TxRequest {
            is_icmp: true,
            flags: 0,
            ..refused()
        };
        assert_eq!(got, vec![HostRxEvent::Tx(nothing), error(5)]);
    }

    #[test]
    fn each_failure_has_its_code_and_the_next_frame_works() {
        let get = frame(&[0x85]);
        let mut bad_crc = frame(&[0x84, 1, 2, 3, 4]);
        bad_crc[3] ^= 0x40;
        let cases: Vec<(Vec<u8>, Vec<HostRxEvent>)> = vec![
            (bad_crc, vec![error(1)]),
            // A delimiter inside a block.
            (vec![0x05, 0x85, 0x00], vec![error(2)]),
            // Too short to hold a CRC, even a CRC that matches.
            (cobs_frame(&[0x85, 0x01]), vec![error(1)]),
            (cobs_frame(&crc32_ieee(&[]).to_le_bytes()), vec![error(1)]),
            (vec![0x01, 0x00], vec![error(1)]),
            (frame(&[0x87]), vec![error(3)]),
            (frame(&[0x01, 1, 0, 0]), vec![error(3)]),
            (frame(&[0x85, 0x00]), vec![error(4)]),
            (frame(&[0x84, 1, 2, 3]), vec![error(4)]),
            (frame(&[0x84, 1, 2, 3, 4, 5]), vec![error(4)]),
            (
                frame(&config_message(MAC, [1; 4], [2; 4], 1, 1)[..16]),
                vec![error(4)],
            ),
            (
                frame(&[config_message(MAC, [1; 4], [2; 4], 1, 1), vec![0]].concat()),
                vec![error(4)],
            ),
            (
                frame(&tx_tcp_message(&[], &[])[..29]),
                vec![
                    HostRxEvent::Tx(TxRequest {
                        keep: false,
                        options_len: 0,
                        data: vec![],
                        ..tcp_fields()
                    }),
                    error(4),
                ],
            ),
            // Options promised but missing, or of a length TCP cannot have.
            (
                frame(&tx_tcp_message(&[0; 8], &[])[..34]),
                vec![tcp_request(false, &[0; 4], &[]), error(4)]
                    .into_iter()
                    .map(|e| with_options_len(e, 8))
                    .collect(),
            ),
            (
                frame(&tx_tcp_message(&[0; 6], &[])),
                vec![tcp_request(false, &[0; 6], &[]), error(4)],
            ),
            (
                frame(&tx_tcp_message(&[0; 44], &[])),
                vec![tcp_request(false, &[0; 44], &[]), error(4)],
            ),
        ];
        for (bad, want) in cases {
            let mut link = vec![0x00, 0x00];
            link.extend(&bad);
            link.extend(&get);
            let mut want = want.clone();
            want.push(HostRxEvent::GetCounters);
            assert_eq!(receive_at_line_rate(&link), want, "frame {bad:02x?}");
        }
    }

    /// The fields of `tx_tcp_message`, with nothing kept.
    fn tcp_fields() -> TxRequest {
        match tcp_request(false, &[], &[]) {
            HostRxEvent::Tx(t) => t,
            _ => unreachable!(),
        }
    }

    /// A TCP request refused whole (the transmitter busy): no word, no byte; the flags
    /// output still the last TxTcp's.
    fn refused() -> TxRequest {
        TxRequest {
            keep: false,
            is_udp: false,
            is_icmp: false,
            tag: 0,
            dst_mac: [0; 6],
            dst_ip: [0; 4],
            src_port: 0,
            dst_port: 0,
            seq: 0,
            ack: 0,
            window: 0,
            data: vec![],
            ..tcp_fields()
        }
    }

    fn with_options_len(e: HostRxEvent, n: u8) -> HostRxEvent {
        match e {
            HostRxEvent::Tx(t) => HostRxEvent::Tx(TxRequest {
                options_len: n,
                ..t
            }),
            e => e,
        }
    }

    #[test]
    fn overlong_requests_write_no_more_than_the_longest_legal_message() {
        let longest: Vec<u8> = (0..1480).map(|i| i as u8).collect();
        let mut link = frame(&tx_tcp_message(&[], &longest));
        link.extend(frame(&tx_tcp_message(
            &[],
            &[longest.clone(), vec![9; 300]].concat(),
        )));
        link.extend(frame(&tx_udp_message(&longest[..1473])));
        link.extend(frame(&[0x85; 3000]));
        link.extend(frame(&[0x85]));
        let got = receive_at_line_rate(&link);
        assert_eq!(got[0], tcp_request(true, &[], &longest));
        assert_eq!(got[1], tcp_request(false, &[], &longest));
        assert_eq!(got[2], error(4));
        match &got[3] {
            HostRxEvent::Tx(t) => {
                assert!(!t.keep && t.is_udp);
                assert_eq!(t.data, &longest[..1472]);
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(got[4..], [error(4), error(4), HostRxEvent::GetCounters]);
    }

    #[test]
    fn busy_transmitter_gets_nothing_and_error_5() {
        let mut link = frame(&tx_tcp_message(&[], b"abc"));
        let second = link.len();
        link.extend(frame(&tx_udp_message(b"xyz")));
        link.extend(frame(&[0x85]));
        // Busy while the first request starts (its type byte arrives about 2 + 4 bytes
        // after its first link byte), free from the second one on.
        let at = line_rate_clocks(&link);
        let got = receive(&link, |i| at[i], |c| c < at[second]);
        // Not a byte and not a header word reaches the transmitter: both its buffers
        // are taken, and a word would land in one of them.
        assert_eq!(got[..2], [HostRxEvent::Tx(refused()), error(5)]);
        match &got[2] {
            HostRxEvent::Tx(t) => assert!(t.keep && t.is_udp && t.data == b"xyz"),
            e => panic!("{e:?}"),
        }
        assert_eq!(got[3], HostRxEvent::GetCounters);
    }

    #[test]
    fn garbage_and_empty_frames_do_not_wedge_it() {
        let mut link = vec![0x00; 5];
        link.extend([0x17, 0x99, 0xFF, 0x42, 0x00]); // garbage, then a delimiter
        link.extend(frame(&[0x84, 1, 2, 3, 4]));
        link.extend([0x00; 3]);
        link.extend(frame(&config_message(MAC, [1; 4], [2; 4], 0, 0)));
        let got = receive_at_line_rate(&link);
        assert_eq!(got.len(), 3);
        assert!(matches!(got[0], HostRxEvent::Error { code: 1 | 2 }));
        assert_eq!(got[1], HostRxEvent::ArpRequest { ip: [1, 2, 3, 4] });
        assert!(matches!(
            got[2],
            HostRxEvent::Config {
                promiscuous: false,
                ..
            }
        ));
    }
}
