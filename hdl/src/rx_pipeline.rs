//! The whole receive path, unwrapping a frame layer by layer:
//! PHY bytes → [`MacRx`] (link: preamble, FCS, MAC filter) → [`EthRx`] (ethertype) →
//! [`ArpRx`] | [`Ipv4Rx`] (internet) → [`TransportRx`] (TCP, UDP, and ICMP's header
//! of the same shape) → [`RxVerdict`] → [`RxFifo`] (committed segments for the host)
//! and [`RxCounters`].
//!
//! One byte per clock in, never a stall: nothing here can push back on the PHY. Each
//! frame ends with one `report_valid` pulse carrying its final `report_reason` (0 =
//! accepted) and class; the blocks' registers hold that frame's flags and the fields
//! they decide on in that clock, and the header store ([`RxHeaderStore`]) holds the
//! rest of its header bytes: together what the simulator reads as the hardware's
//! report.
//!
//! The registers are brought out as `eth_*`, `arp_*`, `ipv4_*`, `icmp_*`, `tcp_*` and
//! `udp_*` ports (the monitor), and the store through `header_read` / `header_data`,
//! so that a Verilog model of the pipeline (Verilator, in tcpip-sim) reports frames
//! exactly as the Rust simulation does: a Verilog module sees only its children's
//! ports. On the board they drive nothing, and synthesis removes what only they use
//! (the store's block RAM among them).
//!
//! Some of them are also the taps the transmit side answers from (see the board core
//! contract): the `arp_*` flags (ARP replies), and for ICMP echo `icmp_data` /
//! `icmp_valid`, the bytes of the ICMP message as they stream past (before the verdict:
//! the echo responder stages them and commits on `report_*`), with `ipv4_dst_ours`,
//! `icmp_type`, `icmp_code`, `eth_tagged`, and the header store's link and `l3`
//! streams with their positions (`link_*`, `l3_*`), from which the responders take the
//! requester's addresses as they pass (the echo responder into the transmit stage, the ARP
//! responder and LinkTx's ArpReply into their slots). Addresses that are only compared
//! (the ARP target IP, the IPv4 destination) or only answered to (the frame's source
//! MAC and IP, the ARP sender's) are not kept here: the blocks compare them with ours a
//! byte at a time and keep a flag, and a report reads them from the header store.
//!
//! A kept segment goes to the receive FIFO ([`RxFifo`]) as the link message the host
//! gets (RxTcp or RxUdp), written there byte by byte as the frame streams past by
//! [`RxMessage`]; LinkTx sends it as it is.

use crate::board::rx_counters::RxCounters;
use crate::board::rx_fifo::RxFifo;
use crate::board::rx_message::RxMessage;
use crate::internet::arp_rx::ArpRx;
use crate::internet::ipv4_rx::Ipv4Rx;
use crate::link::eth_rx::EthRx;
use crate::link::mac_rx::MacRx;
use crate::rx_header_store::RxHeaderStore;
use crate::rx_verdict::RxVerdict;
use crate::transport::transport_rx::TransportRx;
use rust_hdl::prelude::*;

/// Receive FIFO of 4 KiB of messages (8 block RAMs: two full-size segments, 1,515
/// bytes each with its record header, and room for small ones). Its size bounds the
/// windows the host may advertise (host/src/tcp/fifo.rs): 2 KiB held three segments of
/// 341 bytes a window, about 1,000 bytes a round trip.
pub type RxFifoDefault = RxFifo<12, 13>;

#[derive(LogicBlock, Default)]
pub struct RxPipeline {
    pub clock: Signal<In, Clock>,
    pub phy_data: Signal<In, Bits<8>>,
    pub phy_valid: Signal<In, Bit>,
    pub phy_error: Signal<In, Bit>,
    pub mac_hi: Signal<In, Bits<16>>,
    pub mac_mid: Signal<In, Bits<16>>,
    pub mac_lo: Signal<In, Bits<16>>,
    pub our_ip: Signal<In, Bits<32>>,
    /// Our subnet's mask: its broadcast address is not unicast.
    pub netmask: Signal<In, Bits<32>>,
    pub promiscuous: Signal<In, Bit>,
    pub report_valid: Signal<Out, Bit>,
    pub report_reason: Signal<Out, Bits<5>>,
    pub report_class: Signal<Out, Bits<2>>,
    /// The receive FIFO's read port: records of link messages (see [`RxFifo`]).
    pub fifo_read: Signal<In, Bit>,
    pub fifo_data: Signal<Out, Bits<8>>,
    pub fifo_empty: Signal<Out, Bit>,
    pub counter_index: Signal<In, Bits<5>>,
    /// Counts one event of the board's own (link, transmit) in counter `event_index`;
    /// taken only while `event_ready` (a frame's report is not being counted).
    pub event_bump: Signal<In, Bit>,
    pub event_index: Signal<In, Bits<5>>,
    pub event_ready: Signal<Out, Bit>,
    pub counter_value: Signal<Out, Bits<32>>,
    pub counter_valid: Signal<Out, Bit>,
    /// The header store's read port (see [`RxHeaderStore`]): the header bytes of the
    /// last four frames; `header_bank` is the bank of the frame last ended, the one a
    /// `report_valid` pulse reports.
    pub header_read: Signal<In, Bits<9>>,
    pub header_data: Signal<Out, Bits<8>>,
    pub header_bank: Signal<Out, Bits<2>>,
    // Monitor: the header registers of the frame being reported (the rest of its
    // header is in the header store, `header_read`).
    pub eth_header_done: Signal<Out, Bit>,
    /// The frame from its destination MAC, with each byte's position (saturating).
    pub link_data: Signal<Out, Bits<8>>,
    pub link_valid: Signal<Out, Bit>,
    pub link_pos: Signal<Out, Bits<5>>,
    /// The Ethernet payload (`l3`) stream, with each payload byte's position.
    pub l3_data: Signal<Out, Bits<8>>,
    pub l3_valid: Signal<Out, Bit>,
    pub l3: Signal<Out, Bit>,
    pub l3_pos: Signal<Out, Bits<5>>,
    pub eth_tagged: Signal<Out, Bit>,
    pub eth_is_ipv4: Signal<Out, Bit>,
    pub eth_is_arp: Signal<Out, Bit>,
    pub arp_done: Signal<Out, Bit>,
    pub arp_op_request: Signal<Out, Bit>,
    pub arp_op_reply: Signal<Out, Bit>,
    pub arp_target_ours: Signal<Out, Bit>,
    pub ipv4_header_done: Signal<Out, Bit>,
    pub ipv4_dst_ours: Signal<Out, Bit>,
    pub ipv4_header_ok: Signal<Out, Bit>,
    pub ipv4_l4_parse: Signal<Out, Bit>,
    pub icmp_done: Signal<Out, Bit>,
    pub icmp_type: Signal<Out, Bits<8>>,
    pub icmp_code: Signal<Out, Bits<8>>,
    pub icmp_checksum_ok: Signal<Out, Bit>,
    /// A byte of the ICMP message (an IPv4 payload byte, protocol 1, parsable
    /// datagram; not Ethernet padding), one per `icmp_valid`.
    pub icmp_data: Signal<Out, Bits<8>>,
    pub icmp_valid: Signal<Out, Bit>,
    pub tcp_done: Signal<Out, Bit>,
    pub tcp_src_port: Signal<Out, Bits<16>>,
    pub tcp_header_len: Signal<Out, Bits<8>>,
    pub tcp_checksum_ok: Signal<Out, Bit>,
    pub tcp_mss: Signal<Out, Bits<16>>,
    pub tcp_mss_present: Signal<Out, Bit>,
    pub tcp_window_scale: Signal<Out, Bits<8>>,
    pub tcp_window_scale_present: Signal<Out, Bit>,
    pub tcp_sack_permitted: Signal<Out, Bit>,
    pub tcp_timestamps_present: Signal<Out, Bit>,
    pub udp_done: Signal<Out, Bit>,
    pub udp_src_port: Signal<Out, Bits<16>>,
    pub udp_checksum_ok: Signal<Out, Bit>,
    pub mac: MacRx,
    pub eth: EthRx,
    pub arp: ArpRx,
    pub ipv4: Ipv4Rx,
    pub transport: TransportRx,
    pub verdict: RxVerdict,
    pub header: RxHeaderStore,
    pub message: RxMessage,
    pub fifo: RxFifoDefault,
    pub counters: RxCounters,
    report_valid_r: DFF<Bit>,
    report_reason_r: DFF<Bits<5>>,
    report_class_r: DFF<Bits<2>>,
    final_reason: Signal<Local, Bits<5>>,
}

impl Logic for RxPipeline {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, report_valid_r, report_reason_r, report_class_r);
        self.mac.clock.next = self.clock.val();
        self.eth.clock.next = self.clock.val();
        self.arp.clock.next = self.clock.val();
        self.ipv4.clock.next = self.clock.val();
        self.transport.clock.next = self.clock.val();
        self.verdict.clock.next = self.clock.val();
        self.header.clock.next = self.clock.val();
        self.message.clock.next = self.clock.val();
        self.fifo.clock.next = self.clock.val();
        self.counters.clock.next = self.clock.val();
        // Link layer.
        self.mac.phy_data.next = self.phy_data.val();
        self.mac.phy_valid.next = self.phy_valid.val();
        self.mac.phy_error.next = self.phy_error.val();
        self.mac.mac_hi.next = self.mac_hi.val();
        self.mac.mac_mid.next = self.mac_mid.val();
        self.mac.mac_lo.next = self.mac_lo.val();
        self.mac.promiscuous.next = self.promiscuous.val();
        self.mac.tagged.next = self.eth.tagged.val();
        self.eth.data.next = self.mac.data.val();
        self.eth.valid.next = self.mac.valid.val();
        self.eth.last.next = self.mac.last.val();
        self.eth.pos.next = self.header.link_pos.val();
        // Internet layer.
        self.arp.data.next = self.eth.out_data.val();
        self.arp.valid.next = self.eth.out_valid.val();
        self.arp.last.next = self.eth.out_last.val();
        self.arp.l3.next = self.eth.l3.val();
        self.arp.is_arp.next = self.eth.is_arp.val();
        self.arp.our_byte.next = self.ipv4.our_byte.val();
        self.arp.pos.next = self.header.l3_pos.val();
        self.ipv4.data.next = self.eth.out_data.val();
        self.ipv4.valid.next = self.eth.out_valid.val();
        self.ipv4.last.next = self.eth.out_last.val();
        self.ipv4.l3.next = self.eth.l3.val();
        self.ipv4.is_ipv4.next = self.eth.is_ipv4.val();
        self.ipv4.our_ip.next = self.our_ip.val();
        self.ipv4.netmask.next = self.netmask.val();
        self.ipv4.promiscuous.next = self.promiscuous.val();
        // Transport layer (and ICMP, which rides on IP like one).
        self.transport.data.next = self.ipv4.out_data.val();
        self.transport.valid.next = self.ipv4.out_valid.val();
        self.transport.last.next = self.ipv4.out_last.val();
        self.transport.l4.next = self.ipv4.l4.val();
        self.transport.pos.next = self.header.l4_pos.val();
        self.transport.l4_parse.next = self.ipv4.l4_parse.val();
        self.transport.is_tcp.next = self.ipv4.is_tcp.val();
        self.transport.is_udp.next = self.ipv4.is_udp.val();
        self.transport.is_icmp.next = self.ipv4.is_icmp.val();
        self.transport.l4_len.next = self.ipv4.l4_len.val();
        self.transport.sum_data.next = self.ipv4.sum_data.val();
        self.transport.sum_add.next = self.ipv4.sum_add.val();
        self.transport.sum_high.next = self.ipv4.sum_high.val();
        self.transport.sum_start.next = self.ipv4.sum_start.val();
        // Verdict.
        self.verdict.last.next = self.transport.out_last.val();
        self.verdict.mac_reason.next = self.mac.reason.val();
        self.verdict.eth_reason.next = self.eth.reason.val();
        self.verdict.arp_reason.next = self.arp.reason.val();
        self.verdict.ipv4_reason.next = self.ipv4.reason.val();
        self.verdict.transport_reason.next = self.transport.reason.val();
        self.verdict.is_arp.next = self.eth.is_arp.val();
        self.verdict.is_tcp.next = self.ipv4.is_tcp.val();
        self.verdict.is_udp.next = self.ipv4.is_udp.val();
        self.verdict.is_icmp.next = self.ipv4.is_icmp.val();
        self.verdict.not_unicast.next = self.ipv4.dst_not_unicast.val() | self.eth.dst_group.val();
        self.verdict.icmp_type.next = self.transport.icmp_type.val();
        // Receive FIFO: the message of a TCP or UDP segment or an ICMP error (RxIcmp,
        // UDP's layout), header fields from the
        // message writer, body bytes from the transport block, kept when the verdict
        // says so.
        self.header.link_data.next = self.mac.data.val();
        self.header.link_valid.next = self.mac.valid.val();
        self.header.link_last.next = self.mac.last.val();
        self.header.l3_data.next = self.eth.out_data.val();
        self.header.l3_valid.next = self.eth.out_valid.val();
        self.header.l3.next = self.eth.l3.val();
        self.header.arp.next = self.eth.is_arp.val();
        self.header.l4_data.next = self.ipv4.out_data.val();
        self.header.l4_valid.next = self.ipv4.out_valid.val();
        self.header.l4.next = self.ipv4.l4.val();
        self.header.option_write.next = self.transport.option_write.val();
        self.header.option_index.next = self.transport.option_index.val();
        self.header.read_address.next = self.header_read.val();
        self.header_data.next = self.header.read_data.val();
        self.header_bank.next = self.header.bank.val();
        self.message.link_valid.next = self.mac.valid.val();
        self.message.link_pos.next = self.header.link_pos.val();
        self.message.l3_pos.next = self.header.l3_pos.val();
        self.message.l4_pos.next = self.header.l4_pos.val();
        self.message.l3_valid.next = self.eth.out_valid.val();
        self.message.l3.next = self.eth.l3.val();
        self.message.l4_data.next = self.ipv4.out_data.val();
        self.message.l4_valid.next = self.ipv4.out_valid.val();
        self.message.l4.next = self.ipv4.l4.val();
        self.message.is_tcp.next = self.ipv4.is_tcp.val();
        self.message.is_udp.next = self.ipv4.is_udp.val();
        self.message.is_icmp.next = self.ipv4.is_icmp.val();
        self.message.header_len.next = self.transport.header_len.val();
        self.message.ns.next = self.transport.ns.val();
        self.message.mss.next = self.transport.mss.val();
        self.message.mss_present.next = self.transport.mss_present.val();
        self.message.window_scale.next = self.transport.window_scale.val();
        self.message.window_scale_present.next = self.transport.window_scale_present.val();
        self.message.sack_permitted.next = self.transport.sack_permitted.val();
        self.message.timestamps_present.next = self.transport.timestamps_present.val();
        self.message.sealing.next = self.fifo.sealing.val();
        self.message.seal_index.next = self.fifo.seal_index.val();
        self.fifo.field_write.next = self.message.field_write.val();
        self.fifo.field_offset.next = self.message.field_offset.val();
        self.fifo.field_data.next = self.message.field_data.val();
        self.fifo.udp.next = self.message.udp.val();
        self.fifo.data.next = self.transport.out_data.val();
        self.fifo.write.next = self.transport.body.val();
        self.fifo.finish.next = self.verdict.done.val();
        self.fifo.keep.next = self.verdict.to_fifo.val();
        self.final_reason.next = self.verdict.reason.val();
        if self.verdict.to_fifo.val() & !self.fifo.room.val() {
            self.final_reason.next = 21.into(); // fifo_full
        }
        // Loaded every clock, not held (a held bit costs a LUT where blocks are
        // synthesized apart): the reason and class are read only with `report_valid`.
        self.report_valid_r.d.next = self.verdict.done.val();
        self.report_reason_r.d.next = self.final_reason.val();
        self.report_class_r.d.next = self.verdict.class.val();
        self.report_valid.next = self.report_valid_r.q.val();
        self.report_reason.next = self.report_reason_r.q.val();
        self.report_class.next = self.report_class_r.q.val();
        // Counters: the drop reason, or 24 + class for an accepted frame.
        self.counters.bump.next = self.report_valid_r.q.val();
        self.counters.index.next = self.report_reason_r.q.val();
        if self.report_reason_r.q.val() == 0 {
            self.counters.index.next = bit_cast::<5, 2>(self.report_class_r.q.val()) + 24;
        }
        self.event_ready.next = !self.report_valid_r.q.val();
        if !self.report_valid_r.q.val() & self.event_bump.val() {
            self.counters.bump.next = true;
            self.counters.index.next = self.event_index.val();
        }
        self.counters.read_index.next = self.counter_index.val();
        self.counter_value.next = self.counters.read_value.val();
        self.counter_valid.next = self.counters.read_valid.val();
        self.fifo.read.next = self.fifo_read.val();
        self.fifo_data.next = self.fifo.read_data.val();
        self.fifo_empty.next = self.fifo.empty.val();
        // Monitor.
        self.eth_header_done.next = self.eth.header_done.val();
        self.link_data.next = self.mac.data.val();
        self.link_valid.next = self.mac.valid.val();
        self.link_pos.next = self.header.link_pos.val();
        self.l3_data.next = self.eth.out_data.val();
        self.l3_valid.next = self.eth.out_valid.val();
        self.l3.next = self.eth.l3.val();
        self.l3_pos.next = self.header.l3_pos.val();
        self.eth_tagged.next = self.eth.tagged.val();
        self.eth_is_ipv4.next = self.eth.is_ipv4.val();
        self.eth_is_arp.next = self.eth.is_arp.val();
        self.arp_done.next = self.arp.done.val();
        self.arp_op_request.next = self.arp.op_request.val();
        self.arp_op_reply.next = self.arp.op_reply.val();
        self.arp_target_ours.next = self.arp.target_ours.val();
        self.ipv4_header_done.next = self.ipv4.header_done.val();
        self.ipv4_dst_ours.next = self.ipv4.dst_ours.val();
        self.ipv4_header_ok.next = self.ipv4.header_ok.val();
        self.ipv4_l4_parse.next = self.ipv4.l4_parse.val();
        self.icmp_done.next = self.transport.done.val();
        self.icmp_type.next = self.transport.icmp_type.val();
        self.icmp_code.next = self.transport.icmp_code.val();
        self.icmp_checksum_ok.next = self.transport.checksum_ok.val();
        self.icmp_data.next = self.ipv4.out_data.val();
        self.icmp_valid.next = self.ipv4.out_valid.val()
            & self.ipv4.l4.val()
            & self.ipv4.l4_parse.val()
            & self.ipv4.is_icmp.val();
        self.tcp_done.next = self.transport.done.val();
        self.tcp_src_port.next = self.transport.src_port.val();
        self.tcp_header_len.next = self.transport.header_len.val();
        self.tcp_checksum_ok.next = self.transport.checksum_ok.val();
        self.tcp_mss.next = self.transport.mss.val();
        self.tcp_mss_present.next = self.transport.mss_present.val();
        self.tcp_window_scale.next = self.transport.window_scale.val();
        self.tcp_window_scale_present.next = self.transport.window_scale_present.val();
        self.tcp_sack_permitted.next = self.transport.sack_permitted.val();
        self.tcp_timestamps_present.next = self.transport.timestamps_present.val();
        self.udp_done.next = self.transport.done.val();
        self.udp_src_port.next = self.transport.src_port.val();
        self.udp_checksum_ok.next = self.transport.checksum_ok.val();
    }
}
