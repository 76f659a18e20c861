//! The whole transmit path, wrapping data layer by layer:
//! host requests and echo replies → [`TxStage`] (block RAM, ping-pong) →
//! [`TransportTx`] (TCP or UDP header and checksum; an ICMP message as it is) →
//! [`Ipv4Tx`] (with ARP, in turn; internet header) → [`MacTx`] (link: preamble, MAC
//! header, padding, FCS, inter-frame gap) → PHY bytes.
//!
//! Requests come from HostRx's `tx_*` outputs (see the board core contract): bytes by
//! `tx_write` (the byte is `tx_word`'s low half), committed or
//! rolled back at `tx_finish` by `tx_keep`, header fields as descriptor words
//! (`tx_word_*`) while they arrive, flags and options length with `tx_finish`;
//! `tx_open` while one is being written. `tx_busy` is high while no request can be
//! taken: the stage's buffers are taken, or an echo reply is being written. `tx_done`
//! pulses, with the request's `tx_done_tag`, once its frame's last FCS byte has left
//! `MacTx`. Frames go out back to back with the 12-byte gap when requests are staged
//! ahead.
//!
//! [`IcmpEcho`] is the stage's second writer: it writes an echo reply into the stage's
//! free buffer as the request streams past, through the same write side, taking it
//! only when no host request is open (see its module for the rule). A reply leaves as
//! a host's ICMP request would, but marked (`req_is_reply`): it gives no `tx_done`, and
//! counts as a reply sent. So the echo has no buffer of its own.
//!
//! Between the frame sources and `Ipv4Tx` each frame is one stream that carries its
//! destination in front of its message (see [`Ipv4Tx`]), so no descriptor travels
//! beside it or is copied on the way; `Ipv4Tx` turns it into the frame from the
//! destination MAC on, and `MacTx` adds our MAC.
//!
//! [`ArpTx`] (ARP replies and the host's who-has) and the echo are fed from the receive
//! pipeline's taps (`rx_*`): the header flags of the frame being reported, its
//! verdict, the link and Ethernet payload streams with their positions (the
//! requester's addresses are taken from them as they pass), and the ICMP bytes.

use crate::internet::arp_tx::ArpTx;
use crate::internet::icmp_echo::IcmpEcho;
use crate::internet::ipv4_tx::Ipv4Tx;
use crate::link::mac_tx::MacTx;
use crate::transport::transport_tx::TransportTx;
use crate::transport::tx_stage::TxStage;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TxPipeline {
    pub clock: Signal<In, Clock>,
    pub mac_hi: Signal<In, Bits<16>>,
    pub mac_mid: Signal<In, Bits<16>>,
    pub mac_lo: Signal<In, Bits<16>>,
    pub our_ip: Signal<In, Bits<32>>,
    pub tx_write: Signal<In, Bit>,
    pub tx_finish: Signal<In, Bit>,
    pub tx_keep: Signal<In, Bit>,
    pub tx_is_udp: Signal<In, Bit>,
    pub tx_is_icmp: Signal<In, Bit>,
    pub tx_word_write: Signal<In, Bit>,
    pub tx_word_index: Signal<In, Bits<4>>,
    pub tx_word: Signal<In, Bits<16>>,
    pub tx_flags: Signal<In, Bits<9>>,
    pub tx_options_len: Signal<In, Bits<6>>,
    /// HostRx is writing a request (its `tx_open`).
    pub tx_open: Signal<In, Bit>,
    pub tx_busy: Signal<Out, Bit>,
    pub tx_done: Signal<Out, Bit>,
    pub tx_done_tag: Signal<Out, Bits<16>>,
    pub phy_tx_data: Signal<Out, Bits<8>>,
    pub phy_tx_valid: Signal<Out, Bit>,
    /// The PHY cannot take a byte this clock (see [`MacTx`]).
    pub phy_stall: Signal<In, Bit>,
    // ARP and echo: who-has for the host, and what the board learns for it.
    pub arp_request: Signal<In, Bit>,
    /// The requested IP a byte a clock after `arp_request` (see [`ArpTx`]).
    pub arp_request_byte: Signal<In, Bits<8>>,
    /// An ARP request or reply for us was accepted (LinkTx takes its sender from the
    /// receive stream).
    pub arp_learned: Signal<Out, Bit>,
    /// An ARP or echo frame of the board's own has left (for the counters; a clock
    /// after its last byte was taken).
    pub reply_sent: Signal<Out, Bit>,
    /// An ARP or echo request went unanswered for lack of a free buffer (or, for echo,
    /// with a host request being written).
    pub reply_dropped: Signal<Out, Bit>,
    // Taps from the receive pipeline: the frame being reported and its header registers.
    pub rx_report_valid: Signal<In, Bit>,
    pub rx_report_reason: Signal<In, Bits<5>>,
    pub rx_report_class: Signal<In, Bits<2>>,
    pub rx_eth_tagged: Signal<In, Bit>,
    pub rx_link_data: Signal<In, Bits<8>>,
    pub rx_link_valid: Signal<In, Bit>,
    pub rx_link_pos: Signal<In, Bits<5>>,
    pub rx_l3_data: Signal<In, Bits<8>>,
    pub rx_l3_valid: Signal<In, Bit>,
    pub rx_l3: Signal<In, Bit>,
    pub rx_l3_pos: Signal<In, Bits<5>>,
    pub rx_arp_op_request: Signal<In, Bit>,
    pub rx_arp_op_reply: Signal<In, Bit>,
    pub rx_arp_target_ours: Signal<In, Bit>,
    pub rx_ipv4_dst_ours: Signal<In, Bit>,
    pub rx_icmp_data: Signal<In, Bits<8>>,
    pub rx_icmp_valid: Signal<In, Bit>,
    pub rx_icmp_type: Signal<In, Bits<8>>,
    pub rx_icmp_code: Signal<In, Bits<8>>,
    pub stage: TxStage,
    pub transport: TransportTx,
    pub echo: IcmpEcho,
    pub arp: ArpTx,
    pub ipv4: Ipv4Tx,
    pub mac: MacTx,
    /// A host frame's last byte went into TransportTx's buffer; the next `sent` is its
    /// (an echo reply's is not the host's).
    done_pending: DFF<Bit>,
    /// A host frame's `req_done` a clock late: the stage's `word` is its tag.
    tag_load: DFF<Bit>,
    done_tag: DFF<Bits<16>>,
    /// `reply_sent` a clock late: the stage's hand-back and the transport block's
    /// handshake behind it are not one path with the counters' enables.
    reply_sent_r: DFF<Bit>,
}

impl Logic for TxPipeline {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, done_pending, tag_load, done_tag, reply_sent_r);
        self.stage.clock.next = self.clock.val();
        self.transport.clock.next = self.clock.val();
        self.echo.clock.next = self.clock.val();
        self.arp.clock.next = self.clock.val();
        self.ipv4.clock.next = self.clock.val();
        self.mac.clock.next = self.clock.val();
        // Staging the host's requests and the echo replies: one writer at a time (the
        // echo's `select`); the strobes of the one not selected are low, but for the
        // finish of a host request refused while the echo writes.
        self.stage.tx_write.next = self.tx_write.val() | self.echo.write.val();
        self.stage.tx_patch.next = self.echo.patch.val();
        self.stage.tx_patch_at.next = self.echo.patch_at.val();
        self.stage.tx_word_write.next = self.tx_word_write.val() | self.echo.word_write.val();
        self.stage.tx_flags.next = self.tx_flags.val();
        self.stage.tx_options_len.next = self.tx_options_len.val();
        self.stage.tx_finish.next =
            (self.tx_finish.val() & !self.echo.select.val()) | self.echo.finish.val();
        self.stage.tx_keep.next = self.tx_keep.val();
        self.stage.tx_is_udp.next = self.tx_is_udp.val();
        self.stage.tx_is_icmp.next = self.tx_is_icmp.val();
        self.stage.tx_is_reply.next = false;
        self.stage.tx_word_index.next = self.tx_word_index.val();
        self.stage.tx_word.next = self.tx_word.val();
        if self.echo.select.val() {
            self.stage.tx_keep.next = self.echo.keep.val();
            self.stage.tx_is_udp.next = false;
            self.stage.tx_is_icmp.next = true;
            self.stage.tx_is_reply.next = true;
            self.stage.tx_word_index.next = self.echo.word_index.val();
            self.stage.tx_word.next = self.echo.word.val();
        }
        self.tx_busy.next = self.stage.tx_busy.val() | self.echo.busy.val();
        // Transport: one block for TCP and UDP listens to the stage's sum bus and sends
        // its current request.
        self.transport.our_ip.next = self.our_ip.val();
        self.transport.sum_first.next = self.stage.sum_first.val();
        self.transport.sum_step.next = self.stage.sum_step.val();
        self.transport.sum_index.next = self.stage.sum_index.val();
        self.transport.sum_word.next = self.stage.sum_word.val();
        self.stage.sum.next = self.transport.sum.val();
        self.transport.req_valid.next = self.stage.req_valid.val();
        self.transport.req_is_udp.next = self.stage.req_is_udp.val();
        self.transport.req_is_icmp.next = self.stage.req_is_icmp.val();
        self.transport.req_last_at.next = self.stage.req_last_at.val();
        self.transport.word.next = self.stage.word.val();
        self.transport.body_data.next = self.stage.body_data.val();
        self.transport.body_last.next = self.stage.body_last.val();
        self.stage.req_done.next = self.transport.req_done.val();
        self.stage.word_index.next = self.transport.word_index.val();
        self.stage.body_ready.next = self.transport.body_ready.val();
        self.transport.ready.next = self.ipv4.host_ready.val();
        self.ipv4.host_data.next = self.transport.data.val();
        self.ipv4.host_valid.next = self.transport.valid.val();
        self.ipv4.host_last.next = self.transport.last.val();
        // Echo replies: written into the stage from the receive taps, kept at the report.
        self.echo.icmp_data.next = self.rx_icmp_data.val();
        self.echo.icmp_valid.next = self.rx_icmp_valid.val();
        self.echo.icmp_type.next = self.rx_icmp_type.val();
        self.echo.icmp_code.next = self.rx_icmp_code.val();
        self.echo.link_data.next = self.rx_link_data.val();
        self.echo.link_valid.next = self.rx_link_valid.val();
        self.echo.link_pos.next = self.rx_link_pos.val();
        self.echo.l3_data.next = self.rx_l3_data.val();
        self.echo.l3_valid.next = self.rx_l3_valid.val();
        self.echo.l3.next = self.rx_l3.val();
        self.echo.l3_pos.next = self.rx_l3_pos.val();
        self.echo.ipv4_dst_ours.next = self.rx_ipv4_dst_ours.val();
        self.echo.eth_tagged.next = self.rx_eth_tagged.val();
        self.echo.report_valid.next = self.rx_report_valid.val();
        self.echo.report_reason.next = self.rx_report_reason.val();
        self.echo.report_class.next = self.rx_report_class.val();
        self.echo.stage_busy.next = self.stage.tx_busy.val();
        self.echo.host_open.next = self.tx_open.val() | self.tx_finish.val();
        // ARP: replies to who-has for us, who-has for the host, and what we learn.
        self.arp.mac_hi.next = self.mac_hi.val();
        self.arp.mac_mid.next = self.mac_mid.val();
        self.arp.mac_lo.next = self.mac_lo.val();
        self.arp.our_ip.next = self.our_ip.val();
        self.arp.arp_request.next = self.arp_request.val();
        self.arp.arp_request_byte.next = self.arp_request_byte.val();
        self.arp.report_valid.next = self.rx_report_valid.val();
        self.arp.report_reason.next = self.rx_report_reason.val();
        self.arp.report_class.next = self.rx_report_class.val();
        self.arp.eth_tagged.next = self.rx_eth_tagged.val();
        self.arp.arp_op_request.next = self.rx_arp_op_request.val();
        self.arp.arp_op_reply.next = self.rx_arp_op_reply.val();
        self.arp.l3_data.next = self.rx_l3_data.val();
        self.arp.l3_valid.next = self.rx_l3_valid.val();
        self.arp.l3.next = self.rx_l3.val();
        self.arp.l3_pos.next = self.rx_l3_pos.val();
        self.arp.arp_target_ours.next = self.rx_arp_target_ours.val();
        self.ipv4.arp_data.next = self.arp.data.val();
        self.ipv4.arp_valid.next = self.arp.valid.val();
        self.ipv4.arp_last.next = self.arp.last.val();
        self.arp.ready.next = self.ipv4.arp_ready.val();
        self.arp_learned.next = self.arp.arp_learned.val();
        self.reply_sent_r.d.next = (self.transport.req_done.val() & self.stage.req_is_reply.val())
            | (self.arp.valid.val() & self.arp.last.val() & self.ipv4.arp_ready.val());
        self.reply_sent.next = self.reply_sent_r.q.val();
        self.reply_dropped.next =
            self.echo.dropped.val() | self.arp.reply_dropped.val() | self.arp.request_dropped.val();
        // Internet layer.
        self.ipv4.our_ip.next = self.our_ip.val();
        // Link layer.
        self.mac.phy_stall.next = self.phy_stall.val();
        self.mac.mac_hi.next = self.mac_hi.val();
        self.mac.mac_mid.next = self.mac_mid.val();
        self.mac.mac_lo.next = self.mac_lo.val();
        self.mac.data.next = self.ipv4.out_data.val();
        self.mac.valid.next = self.ipv4.out_valid.val();
        self.mac.last.next = self.ipv4.out_last.val();
        self.ipv4.out_ready.next = self.mac.ready.val();
        self.phy_tx_data.next = self.mac.phy_tx_data.val();
        self.phy_tx_valid.next = self.mac.phy_tx_valid.val();
        // TxDone: the host frame whose last byte went into TransportTx's buffer is the
        // next one MacTx sends; an echo reply's is not the host's. Its tag is read from
        // the descriptor: TransportTx points the stage's port at word 6 as the request
        // is done, so `word` holds it the clock after (its frame is then still at least
        // its FCS from `sent`). A registered enable: `req_done` is late in the clock.
        self.tag_load.d.next = self.stage.req_done.val() & !self.stage.req_is_reply.val();
        if self.tag_load.q.val() {
            self.done_tag.d.next = self.stage.word.val();
        }
        self.done_pending.d.next = !self.mac.sent.val()
            & (self.done_pending.q.val()
                | (self.stage.req_done.val() & !self.stage.req_is_reply.val()));
        self.tx_done.next = self.mac.sent.val() & self.done_pending.q.val();
        self.tx_done_tag.next = self.done_tag.q.val();
    }
}
