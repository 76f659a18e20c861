//! ARP transmit (RFC 826): answers who-has for our address, sends who-has for the host,
//! and tells the host which peer holds which address.
//!
//! A frame source for `Ipv4Tx`, which takes it in turn with the host's (see
//! [`Ipv4Tx`]): the stream is kind 0,
//! the destination MAC, then the 28-byte Ethernet/IPv4 ARP message (ipv4_tx gives it
//! its EtherType, mac_tx our MAC and the padding to 60 bytes).
//!
//! - A who-has for our address (op 1, target IP ours, accepted by the receive pipeline,
//!   untagged) is answered with op 2 to the requester's MAC, sender = our MAC/IP,
//!   target = the requester's MAC/IP.
//! - `arp_request` (one clock) sends a who-has for the IP that follows on
//!   `arp_request_byte`: broadcast, target MAC zero.
//! - Every accepted untagged ARP request or reply whose target IP is ours pulses
//!   `arp_learned` one clock after the receive report. Its sender's MAC and IP are not
//!   passed on: LinkTx takes them from the receive stream itself, as this block does.
//!
//! One message slot, ten bytes of block RAM: the peer's MAC at 0..5, then its IP at
//! 6..9. While the slot is free it takes the sender's MAC and IP of every frame from the
//! receive pipeline's Ethernet payload stream as they pass (`l3_*`, payload bytes 8..17,
//! written at the position's bits 4 and 2..0), so no register in the receive pipeline
//! holds them; the frame's report then commits the slot if the frame is a who-has for
//! us and the slot was free from the first of those bytes on (`captured`). A host
//! request's IP is written over the four clocks after it starts (the slot is taken by
//! then, so no stream byte competes for the write port). From the report until the
//! reply's last byte is taken the slot holds still, and the stream reads it a byte
//! at a time: the RAM's registered read is the stage a clock ahead of `data_r`, at the
//! address of the index the stream will have next (the destination MAC for stream
//! bytes 1-6, the target MAC and IP for 25-34, the index's bits 5 and 2..0), so its
//! read data is the peer's byte the selection wants and no multiplexer among the peer's
//! bytes is needed. A who-has whose sender bytes pass while the slot is pending or
//! sending is dropped, not queued: overwriting would corrupt a frame in flight, and the
//! requester asks again (Linux retries every second). It pulses `reply_dropped` for the
//! counters. A host request that finds the slot busy (or coincides with a who-has,
//! which wins) is dropped the same way and pulses `request_dropped`; the host retries
//! on its own timeout.
//!
//! On the wire a reply waits at most for one frame of another source (`Ipv4Tx` takes
//! them round-robin), so drops need two who-has for us within ~1,500 byte times. The slot is
//! busy from a who-has's report until its reply's last byte has been taken, about 50
//! byte times on an idle transmitter, and the next who-has must not reach its sender
//! MAC (payload byte 8) before that: on the board, whose receive buffer hands the
//! pipeline each frame whole once it has arrived (8 clocks a byte on the wire, one in
//! the pipeline), frames back to back at line rate leave hundreds of clocks to spare;
//! in a simulation that feeds the pipeline a byte every clock with the 12-byte gap,
//! a who-has right behind an answered one can be dropped.
//!
//! VLAN-tagged frames are neither answered nor learned from: mac_tx sends untagged
//! frames, so an answer would go to the wrong VLAN.
//!
//! Cost: the slot, one of the iCE40's 4 Kbit block RAMs (ten of its bytes used), with a
//! byte multiplexer in front of its write port for the host request's IP and three
//! flip-flops that count those writes; a byte multiplexer for the constant bytes and
//! our address. No flip-flop holds a peer's byte.
//!
//! [`Ipv4Tx`]: crate::internet::ipv4_tx::Ipv4Tx

use crate::block_ram::BlockRam;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct ArpTx {
    pub clock: Signal<In, Clock>,
    pub mac_hi: Signal<In, Bits<16>>,
    pub mac_mid: Signal<In, Bits<16>>,
    pub mac_lo: Signal<In, Bits<16>>,
    pub our_ip: Signal<In, Bits<32>>,
    /// From HostRx: send a who-has for the IP whose byte k (network order) comes on
    /// `arp_request_byte` in the (2 + k)-th clock after the pulse, when it is written
    /// to the slot (HostRx reads it out of its staging RAM then).
    pub arp_request: Signal<In, Bit>,
    pub arp_request_byte: Signal<In, Bits<8>>,
    // Receive taps (RxPipeline ports of the same names).
    /// The Ethernet payload (`l3`), with each byte's position in it (the header
    /// store's `l3_pos`, saturating at 31).
    pub l3_data: Signal<In, Bits<8>>,
    pub l3_valid: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    pub l3_pos: Signal<In, Bits<5>>,
    pub report_valid: Signal<In, Bit>,
    pub report_reason: Signal<In, Bits<5>>,
    pub report_class: Signal<In, Bits<2>>,
    pub eth_tagged: Signal<In, Bit>,
    pub arp_op_request: Signal<In, Bit>,
    pub arp_op_reply: Signal<In, Bit>,
    pub arp_target_ours: Signal<In, Bit>,
    // Frame source.
    pub data: Signal<Out, Bits<8>>,
    pub valid: Signal<Out, Bit>,
    pub last: Signal<Out, Bit>,
    pub ready: Signal<In, Bit>,
    // To the host (LinkTx ArpReply) and the counters.
    pub arp_learned: Signal<Out, Bit>,
    /// A who-has for us was not answered: the slot was busy.
    pub reply_dropped: Signal<Out, Bit>,
    /// A host `arp_request` was not sent: the slot was busy.
    pub request_dropped: Signal<Out, Bit>,
    pending: DFF<Bit>,
    /// The slot holds a who-has of ours (broadcast, target MAC zero), not a reply.
    is_request: DFF<Bit>,
    /// The slot: the peer's MAC at 0..5 and IP at 6..9 (a block RAM; its read data is
    /// registered, the byte at the address of the previous clock).
    slot: BlockRam<Bits<8>, 4>,
    /// Writing a host request's IP into the slot: byte `ip_byte` to 6 + `ip_byte`, in
    /// the four clocks after its start. `ip_byte` counts only then and wraps to 0, where
    /// the next starts: the start is not in its enable.
    ip_write: DFF<Bit>,
    ip_byte: DFF<Bits<2>>,
    /// `ip_byte` is 0 or 1 (to 6 or 7; 2 and 3 go to 8 and 9).
    ip_first_half: Signal<Local, Bit>,
    /// The slot was free from this frame's payload byte 8 on: it holds the frame's
    /// sender MAC and IP.
    captured: DFF<Bit>,
    /// Stream byte: 0 kind, 1-6 destination, 7-34 the message; 0 while the slot is free.
    index: DFF<Bits<6>>,
    /// `index` is 34, the stream's last byte: decoded as the index moves, so `last` and
    /// `free` (and Ipv4Tx's `ready` after them) start from a flip-flop.
    at_last: DFF<Bit>,
    /// Byte `index` of the message, chosen a clock ahead from the index it will have,
    /// so Ipv4Tx's input multiplexer starts from a register, not from the
    /// byte selection (that chain was the board's critical path).
    data_r: DFF<Bits<8>>,
    learned_r: DFF<Bit>,
    reply_dropped_r: DFF<Bit>,
    request_dropped_r: DFF<Bit>,
    accepted: Signal<Local, Bit>,
    /// An accepted who-has for us, a clock after its report: the report's decode is
    /// then not one path with the start of the reply (index, data, ring).
    who_has: DFF<Bit>,
    /// The host's request a clock late too, so a who-has and a request that come in
    /// the same clock still meet (the who-has wins).
    host_request: DFF<Bit>,
    free: Signal<Local, Bit>,
    /// A byte of the Ethernet payload passes.
    l3_byte: Signal<Local, Bit>,
    /// Payload bytes 8..17 (the sender's MAC and IP) pass.
    at_sender: Signal<Local, Bit>,
    /// `index` after this clock: one more as a byte is taken, 0 after the last (a new
    /// message starts from there).
    step_index: Signal<Local, Bits<6>>,
    /// A new message is loaded into the slot this clock.
    start: Signal<Local, Bit>,
    byte: Signal<Local, Bits<8>>,
    /// The host request that starts this clock (the who-has wins a tie).
    host_start: Signal<Local, Bit>,
    /// `index` / 8.
    index_high: Signal<Local, Bits<3>>,
}

impl Default for ArpTx {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            mac_hi: Default::default(),
            mac_mid: Default::default(),
            mac_lo: Default::default(),
            our_ip: Default::default(),
            arp_request: Default::default(),
            arp_request_byte: Default::default(),
            l3_data: Default::default(),
            l3_valid: Default::default(),
            l3: Default::default(),
            l3_pos: Default::default(),
            report_valid: Default::default(),
            report_reason: Default::default(),
            report_class: Default::default(),
            eth_tagged: Default::default(),
            arp_op_request: Default::default(),
            arp_op_reply: Default::default(),
            arp_target_ours: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            ready: Default::default(),
            arp_learned: Default::default(),
            reply_dropped: Default::default(),
            request_dropped: Default::default(),
            pending: Default::default(),
            is_request: Default::default(),
            // Zeroed, so the Verilog and Rust models read the same before the first write.
            slot: BlockRam::zeroed(),
            ip_write: Default::default(),
            ip_byte: Default::default(),
            ip_first_half: Default::default(),
            captured: Default::default(),
            index: Default::default(),
            at_last: Default::default(),
            data_r: Default::default(),
            learned_r: Default::default(),
            reply_dropped_r: Default::default(),
            request_dropped_r: Default::default(),
            accepted: Default::default(),
            who_has: Default::default(),
            host_request: Default::default(),
            free: Default::default(),
            l3_byte: Default::default(),
            at_sender: Default::default(),
            step_index: Default::default(),
            start: Default::default(),
            byte: Default::default(),
            host_start: Default::default(),
            index_high: Default::default(),
        }
    }
}

impl Logic for ArpTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            pending,
            is_request,
            ip_write,
            ip_byte,
            captured,
            index,
            at_last,
            data_r,
            learned_r,
            who_has,
            host_request,
            reply_dropped_r,
            request_dropped_r
        );
        // Class 0 with no drop reason is an ARP frame that arp_rx found well formed.
        self.accepted.next = self.report_valid.val()
            & (self.report_reason.val() == 0)
            & (self.report_class.val() == 0)
            & !self.eth_tagged.val()
            & self.arp_target_ours.val();
        self.who_has.d.next = self.accepted.val() & self.arp_op_request.val();
        self.learned_r.d.next =
            self.accepted.val() & (self.arp_op_request.val() | self.arp_op_reply.val());
        // Free now, or free after this clock (the last byte is being taken).
        self.free.next = !self.pending.q.val() | (self.ready.val() & self.at_last.q.val());
        // A who-has is answered if the slot holds its sender's address: it was free
        // when that began to pass, and nothing has taken it since (a start clears
        // `captured`), so it is free now.
        self.reply_dropped_r.d.next = self.who_has.q.val() & !self.captured.q.val();
        self.host_request.d.next = self.arp_request.val();
        self.request_dropped_r.d.next = self.host_request.q.val()
            & (!self.free.val() | (self.who_has.q.val() & self.captured.q.val()));
        // --- The slot: the sender's MAC and IP (payload bytes 8..17) written to 0..9
        // while it is free, at the position's bits 4 and 2..0 (8..15 to 0..7, 16..17 to
        // 8..9: no adder).
        self.slot.read_clock.next = self.clock.val();
        self.slot.write_clock.next = self.clock.val();
        self.l3_byte.next = self.l3_valid.val() & self.l3.val();
        if self.l3_byte.val() & (self.l3_pos.val() == 8) {
            self.captured.d.next = !self.pending.q.val();
        }
        // Payload bytes 8..17: 8..15 and 16..17, decoded from the position's bits
        // (equality tests in LUTs, no compare on a carry chain).
        self.at_sender.next =
            (self.l3_pos.val().get_bits::<2>(3) == 1) | (self.l3_pos.val().get_bits::<4>(1) == 8);
        self.slot.write_address.next = (bit_cast::<4, 1>(self.l3_pos.val().get_bit(4).into()) << 3)
            | bit_cast::<4, 3>(self.l3_pos.val().get_bits::<3>(0));
        self.slot.write_data.next = self.l3_data.val();
        self.slot.write_enable.next =
            !self.pending.q.val() & self.l3_byte.val() & self.at_sender.val();
        // A host request's IP, a byte a clock as HostRx reads it out (the slot is
        // pending by then, so the stream writes nothing): 0..3 to 6, 7, 8, 9. Its MAC bytes are
        // not read for a request.
        // A 1-bit local: `~` inside the wider expression would be taken at its width in
        // Verilog.
        self.ip_first_half.next = !self.ip_byte.q.val().get_bit(1);
        if self.ip_write.q.val() {
            self.ip_byte.d.next = self.ip_byte.q.val() + 1;
            if self.ip_byte.q.val() == 3 {
                self.ip_write.d.next = false;
            }
            self.slot.write_address.next =
                (bit_cast::<4, 1>(self.ip_byte.q.val().get_bit(1).into()) << 3)
                    | (bit_cast::<4, 1>(self.ip_first_half.val().into()) << 2)
                    | (bit_cast::<4, 1>(self.ip_first_half.val().into()) << 1)
                    | bit_cast::<4, 1>(self.ip_byte.q.val().get_bit(0).into());
            self.slot.write_data.next = self.arp_request_byte.val();
            self.slot.write_enable.next = true;
        }
        self.index_high.next = self.index.q.val().get_bits::<3>(3);
        self.start.next = false;
        self.host_start.next = false;
        self.step_index.next = self.index.q.val();
        if self.pending.q.val() & self.ready.val() {
            self.step_index.next = self.index.q.val() + 1;
            self.at_last.d.next = self.index.q.val() == 33;
            if self.at_last.q.val() {
                self.pending.d.next = false;
                self.step_index.next = 0.into();
            }
        }
        if self.who_has.q.val() & self.captured.q.val() {
            self.pending.d.next = true;
            self.is_request.d.next = false;
            self.start.next = true;
        } else if self.host_request.q.val() & self.free.val() {
            self.pending.d.next = true;
            self.is_request.d.next = true;
            self.start.next = true;
            self.host_start.next = true;
        }
        if self.host_start.val() {
            self.ip_write.d.next = true;
        }
        if self.start.val() {
            self.captured.d.next = false;
        }
        // The frame source's stream (see Ipv4Tx): kind 0 (ARP), the destination MAC,
        // then the message, byte by byte: htype 1, ptype 0x0800, hlen 6, plen 4, op,
        // sender MAC/IP (ours), target MAC/IP (the peer's; MAC zero in a request). A
        // `case` on one selector maps to a mux tree (an `if` chain to a priority chain).
        // The peer's bytes (stream bytes 1-6 and 25-34) are the slot's read data; the
        // rest are picked below.
        self.byte.next = self.slot.read_data.val();
        // Byte `index` + 1, the one after the byte in `data_r` (a new stream's first
        // byte, kind 0, is forced below), so neither `ready` nor the receive report's
        // decision runs through the selection. `index` is 0 whenever the slot is free,
        // so a new message starts there without a reset by `start`.
        self.index.d.next = self.step_index.val();
        // The slot reads the peer's byte for the index of the next clock: index 0..5
        // (stream bytes 1..6, the destination) from 0..5, 24..33 (25..34, the target)
        // from 0..9, by the index's bits 5 and 2..0. The read data is then the byte
        // `index` + 1 wants.
        self.slot.read_address.next = (bit_cast::<4, 1>(self.step_index.val().get_bit(5).into())
            << 3)
            | bit_cast::<4, 3>(self.step_index.val().get_bits::<3>(0));
        match self.index.q.val().index() {
            6 => {
                self.byte.next = 0.into();
            }
            7 => {
                self.byte.next = 0x01.into();
            }
            8 => {
                self.byte.next = 0x08.into();
            }
            9 => {
                self.byte.next = 0.into();
            }
            10 => {
                self.byte.next = 0x06.into();
            }
            11 => {
                self.byte.next = 0x04.into();
            }
            12 => {
                self.byte.next = 0.into();
            }
            13 => {
                self.byte.next = 0x02.into();
                if self.is_request.q.val() {
                    self.byte.next = 0x01.into();
                }
            }
            14 => {
                self.byte.next = self.mac_hi.val().get_bits::<8>(8);
            }
            15 => {
                self.byte.next = self.mac_hi.val().get_bits::<8>(0);
            }
            16 => {
                self.byte.next = self.mac_mid.val().get_bits::<8>(8);
            }
            17 => {
                self.byte.next = self.mac_mid.val().get_bits::<8>(0);
            }
            18 => {
                self.byte.next = self.mac_lo.val().get_bits::<8>(8);
            }
            19 => {
                self.byte.next = self.mac_lo.val().get_bits::<8>(0);
            }
            20 => {
                self.byte.next = self.our_ip.val().get_bits::<8>(24);
            }
            21 => {
                self.byte.next = self.our_ip.val().get_bits::<8>(16);
            }
            22 => {
                self.byte.next = self.our_ip.val().get_bits::<8>(8);
            }
            23 => {
                self.byte.next = self.our_ip.val().get_bits::<8>(0);
            }
            _ => {}
        }
        if self.is_request.q.val() & (self.index.q.val().get_bits::<2>(1) != 3) {
            // 0..5 and 24..29: 0..7 and 24..31 less 6, 7, 30, 31.
            if self.index_high.val() == 0 {
                self.byte.next = 0xFF.into();
            }
            if self.index_high.val() == 3 {
                self.byte.next = 0.into();
            }
        }
        // The next byte goes in when this one is taken: `ready` only enables the
        // register, and the selection starts from `index`, a register.
        self.data_r.d.next = self.data_r.q.val();
        if self.pending.q.val() & self.ready.val() {
            self.data_r.d.next = self.byte.val();
        }
        if self.start.val() {
            self.data_r.d.next = 0.into();
        }
        self.data.next = self.data_r.q.val();
        self.valid.next = self.pending.q.val();
        self.last.next = self.at_last.q.val();
        self.arp_learned.next = self.learned_r.q.val();
        self.reply_dropped.next = self.reply_dropped_r.q.val();
        self.request_dropped.next = self.request_dropped_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::internet::source_sink::Sink;
    use etherparse::{ArpHardwareId, ArpOperation, ArpPacketSlice, EtherType};

    const OUR_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x12, 0x34, 0x56];
    const OUR_IP: [u8; 4] = [192, 168, 1, 10];
    const PEER_MAC: [u8; 6] = [0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f];
    const PEER_IP: [u8; 4] = [192, 168, 1, 77];

    fn word(b: &[u8]) -> u64 {
        b.iter().fold(0, |a, &x| a << 8 | x as u64)
    }

    struct Bench {
        uut: ArpTx,
        sink: Sink,
        learned: usize,
        reply_dropped: usize,
        request_dropped: usize,
        clock: usize,
        /// From this clock on the consumer is ready.
        release_at: usize,
        /// Host requests: the clock of each pulse and its IP, whose bytes `tick` offers
        /// on `arp_request_byte` as HostRx does (byte k in the (2 + k)-th clock after).
        host_ips: Vec<(usize, [u8; 4])>,
    }

    /// A received ARP frame as the receive pipeline reports it.
    struct Report {
        op: u16,
        sender_mac: [u8; 6],
        sender_ip: [u8; 4],
        target_ip: [u8; 4],
        reason: u8,
        tagged: bool,
    }

    fn who_has(target_ip: [u8; 4]) -> Report {
        Report {
            op: 1,
            sender_mac: PEER_MAC,
            sender_ip: PEER_IP,
            target_ip,
            reason: 0,
            tagged: false,
        }
    }

    impl Bench {
        fn new() -> Bench {
            let mut uut = ArpTx::default();
            uut.connect_all();
            uut.mac_hi.next = word(&OUR_MAC[0..2]).into();
            uut.mac_mid.next = word(&OUR_MAC[2..4]).into();
            uut.mac_lo.next = word(&OUR_MAC[4..6]).into();
            uut.our_ip.next = word(&OUR_IP).into();
            uut.ready.next = true;
            Bench {
                uut,
                sink: Sink::default(),
                learned: 0,
                reply_dropped: 0,
                request_dropped: 0,
                clock: 0,
                release_at: usize::MAX,
                host_ips: vec![],
            }
        }

        /// One clock; the consumer takes a byte when `ready` (set by the caller) is high.
        fn tick(&mut self) {
            if self.clock >= self.release_at {
                self.uut.ready.next = true;
            }
            let clock = self.clock;
            let byte = self
                .host_ips
                .iter()
                .find(|(at, _)| (at + 2..at + 6).contains(&clock))
                .map_or(0, |(at, ip)| ip[clock - at - 2]);
            self.uut.arp_request_byte.next = (byte as u64).into();
            simulate(&mut self.uut, 200);
            let u = &self.uut;
            let data = u.data.val().index() as u8;
            self.sink
                .sample(u.valid.val(), u.ready.val(), u.last.val(), data);
            self.learned += self.uut.arp_learned.val() as usize;
            self.reply_dropped += self.uut.reply_dropped.val() as usize;
            self.request_dropped += self.uut.request_dropped.val() as usize;
            crate::tick!(self.uut);
            self.clock += 1;
        }

        /// A frame as the receive pipeline passes it (a minimum one, 84 clocks from
        /// preamble to preamble with `after` = 2): 26 clocks of preamble, Ethernet
        /// header and latency, the 46-byte payload on the `l3` stream with its
        /// positions (saturating at 31), 9 clocks to the verdict, the report pulse with
        /// the flags, then `after` clocks.
        fn report(&mut self, r: &Report, after: usize) {
            let mut payload = vec![0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, r.op as u8];
            payload.extend_from_slice(&r.sender_mac);
            payload.extend_from_slice(&r.sender_ip);
            payload.extend_from_slice(&[0; 6]);
            payload.extend_from_slice(&r.target_ip);
            payload.resize(46, 0);
            for _ in 0..26 {
                self.tick();
            }
            for (pos, &b) in payload.iter().enumerate() {
                self.uut.l3_data.next = (b as u64).into();
                self.uut.l3_valid.next = true;
                self.uut.l3.next = true;
                self.uut.l3_pos.next = (pos.min(31) as u64).into();
                self.tick();
            }
            self.uut.l3_valid.next = false;
            self.uut.l3.next = false;
            self.uut.l3_data.next = 0.into();
            for _ in 0..9 {
                self.tick();
            }
            let u = &mut self.uut;
            u.arp_op_request.next = r.op == 1;
            u.arp_op_reply.next = r.op == 2;
            u.arp_target_ours.next = r.target_ip == OUR_IP;
            u.eth_tagged.next = r.tagged;
            u.report_reason.next = (r.reason as u64).into();
            u.report_class.next = 0.into();
            self.uut.report_valid.next = true;
            self.tick();
            self.uut.report_valid.next = false;
            for _ in 0..after {
                self.tick();
            }
        }

        fn host_request(&mut self, ip: [u8; 4], after: usize) {
            self.uut.arp_request.next = true;
            self.host_ips.push((self.clock, ip));
            self.tick();
            self.uut.arp_request.next = false;
            for _ in 0..after {
                self.tick();
            }
        }
    }

    /// Parses an ARP message with etherparse and returns (op, sha, spa, tha, tpa).
    fn parse(bytes: &[u8]) -> (ArpOperation, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        assert_eq!(bytes.len(), 28);
        let a = ArpPacketSlice::from_slice(bytes).expect("etherparse reads the ARP message");
        assert_eq!(a.hw_addr_type(), ArpHardwareId::ETHERNET);
        assert_eq!(a.proto_addr_type(), EtherType::IPV4);
        assert_eq!((a.hw_addr_size(), a.proto_addr_size()), (6, 4));
        (
            a.operation(),
            a.sender_hw_addr().to_vec(),
            a.sender_protocol_addr().to_vec(),
            a.target_hw_addr().to_vec(),
            a.target_protocol_addr().to_vec(),
        )
    }

    #[test]
    fn answers_who_has_for_our_address_and_reports_the_peer() {
        let mut b = Bench::new();
        b.report(&who_has(OUR_IP), 40);
        assert_eq!(b.sink.frames.len(), 1);
        let s = &b.sink.frames[0];
        assert_eq!(
            (s.desc.dst_mac, s.desc.ethertype, s.desc.wrap_ip),
            (PEER_MAC, 0x0806, false)
        );
        let (op, sha, spa, tha, tpa) = parse(&s.bytes);
        assert_eq!(op, ArpOperation::REPLY);
        assert_eq!((sha, spa), (OUR_MAC.to_vec(), OUR_IP.to_vec()));
        assert_eq!((tha, tpa), (PEER_MAC.to_vec(), PEER_IP.to_vec()));
        assert_eq!(b.learned, 1);
        assert_eq!((b.reply_dropped, b.request_dropped), (0, 0));
    }

    #[test]
    fn others_are_not_answered() {
        let mut b = Bench::new();
        // For another address; rejected by the pipeline; tagged.
        b.report(&who_has([192, 168, 1, 11]), 40);
        b.report(
            &Report {
                reason: 1,
                ..who_has(OUR_IP)
            },
            40,
        );
        b.report(
            &Report {
                tagged: true,
                ..who_has(OUR_IP)
            },
            40,
        );
        assert!(b.sink.frames.is_empty());
        assert_eq!(b.learned, 0);
        // A reply to us is learned from, not answered.
        b.report(
            &Report {
                op: 2,
                ..who_has(OUR_IP)
            },
            40,
        );
        assert!(b.sink.frames.is_empty());
        assert_eq!(b.learned, 1);
    }

    #[test]
    fn host_request_is_a_broadcast_who_has() {
        let mut b = Bench::new();
        let wanted = [192, 168, 1, 99];
        b.host_request(wanted, 40);
        assert_eq!(b.sink.frames.len(), 1);
        let s = &b.sink.frames[0];
        assert_eq!(
            (s.desc.dst_mac, s.desc.ethertype, s.desc.wrap_ip),
            ([0xFF; 6], 0x0806, false)
        );
        let (op, sha, spa, tha, tpa) = parse(&s.bytes);
        assert_eq!(op, ArpOperation::REQUEST);
        assert_eq!((sha, spa), (OUR_MAC.to_vec(), OUR_IP.to_vec()));
        assert_eq!((tha, tpa), (vec![0; 6], wanted.to_vec()));
    }

    /// A second host request at every clock around the end of the first's stream: it
    /// is dropped and counted while the slot is busy, and from the clock the first's
    /// last byte is taken on it goes out whole with its own address (the slot's index
    /// starts from 0 and its IP is written after the first's was read).
    #[test]
    fn host_request_right_behind_another() {
        let (first, second) = ([10, 0, 0, 1], [172, 16, 5, 9]);
        let (mut sent, mut dropped) = (0, 0);
        for gap in 10..60 {
            let mut b = Bench::new();
            b.uut.arp_request.next = true;
            b.host_ips.push((b.clock, first));
            b.tick();
            b.uut.arp_request.next = false;
            for _ in 1..gap {
                b.tick();
            }
            b.uut.arp_request.next = true;
            b.host_ips.push((b.clock, second));
            b.tick();
            b.uut.arp_request.next = false;
            for _ in 0..60 {
                b.tick();
            }
            let tpa: Vec<Vec<u8>> = b.sink.frames.iter().map(|s| parse(&s.bytes).4).collect();
            if b.request_dropped == 1 {
                assert_eq!(tpa, vec![first.to_vec()], "gap {gap}");
                dropped += 1;
            } else {
                assert_eq!(tpa, vec![first.to_vec(), second.to_vec()], "gap {gap}");
                assert_eq!(parse(&b.sink.frames[1].bytes).3, vec![0; 6]);
                assert_eq!(b.sink.frames[1].desc.dst_mac, [0xFF; 6]);
                sent += 1;
            }
        }
        assert!(sent > 0 && dropped > 0, "the gaps span the first's end");
    }

    #[test]
    fn busy_slot_drops_and_counts() {
        let mut b = Bench::new();
        b.uut.ready.next = false;
        b.report(&who_has(OUR_IP), 5);
        // Pending: a second who-has and a host request are dropped and counted, the
        // second who-has still reported to the host.
        b.report(
            &Report {
                sender_mac: [2, 2, 2, 2, 2, 2],
                ..who_has(OUR_IP)
            },
            5,
        );
        b.host_request([10, 0, 0, 1], 5);
        assert_eq!((b.reply_dropped, b.request_dropped), (1, 1));
        assert_eq!(b.learned, 2);
        // A consumer that takes a byte every third clock: the first reply goes out
        // whole, its destination in front (checked in tick).
        for i in 0..120 {
            b.uut.ready.next = i % 3 == 0;
            b.tick();
        }
        assert_eq!(b.sink.frames.len(), 1);
        assert_eq!(b.sink.frames[0].desc.dst_mac, PEER_MAC);
        // Free again: a host request in the clock of a who-has's report: the who-has wins.
        b.uut.ready.next = true;
        b.report(
            &Report {
                reason: 1,
                ..who_has(OUR_IP)
            },
            0,
        );
        b.uut.report_reason.next = 0.into();
        b.uut.report_valid.next = true;
        b.uut.arp_request.next = true;
        b.host_ips.push((b.clock, [10, 0, 0, 1]));
        b.tick();
        b.uut.report_valid.next = false;
        b.uut.arp_request.next = false;
        for _ in 0..40 {
            b.tick();
        }
        assert_eq!(b.sink.frames.len(), 2);
        assert_eq!(parse(&b.sink.frames[1].bytes).0, ArpOperation::REPLY);
        assert_eq!(b.request_dropped, 2);
    }

    #[test]
    fn back_to_back_replies_with_ready_always_high() {
        // Who-has for us every 84 clocks (minimum frames back to back): all answered.
        let mut b = Bench::new();
        for i in 0..10u8 {
            b.report(
                &Report {
                    sender_ip: [10, 0, 0, i],
                    ..who_has(OUR_IP)
                },
                82,
            );
        }
        assert_eq!(b.sink.frames.len(), 10);
        for (i, s) in b.sink.frames.iter().enumerate() {
            assert_eq!(parse(&s.bytes).4, vec![10, 0, 0, i as u8]);
        }
        assert_eq!(b.reply_dropped, 0);
    }

    /// A who-has whose sender passes while the slot is busy is dropped even if the
    /// slot is free by its report: the slot does not hold its sender. The one after
    /// is answered to its own sender.
    #[test]
    fn who_has_passing_a_busy_slot_is_dropped_not_mixed_up() {
        let mut b = Bench::new();
        b.uut.ready.next = false;
        b.report(&who_has(OUR_IP), 0);
        let other = Report {
            sender_mac: [2, 2, 2, 2, 2, 2],
            sender_ip: [192, 168, 1, 2],
            ..who_has(OUR_IP)
        };
        // The consumer starts taking the first reply just after the second frame's
        // sender has passed (its payload bytes 8..17, clocks 34..43 of `report`), and
        // has taken all of it by the second frame's report (clock 81).
        b.release_at = b.clock + 44;
        b.report(&other, 60);
        assert_eq!(b.sink.frames.len(), 1);
        assert_eq!(b.sink.frames[0].desc.dst_mac, PEER_MAC);
        assert_eq!(b.reply_dropped, 1);
        b.report(&other, 60);
        assert_eq!(b.sink.frames.len(), 2);
        let (_, _, _, tha, tpa) = parse(&b.sink.frames[1].bytes);
        assert_eq!((tha, tpa), (vec![2; 6], vec![192, 168, 1, 2]));
        assert_eq!(b.sink.frames[1].desc.dst_mac, [2; 6]);
        assert_eq!(b.learned, 3);
    }
}
