//! The whole board design between the PHY's byte streams and the UART's byte streams:
//! everything the Alchitry Cu runs except the pin adapters (RMII, UART bit timing,
//! LEDs), which the top level adds. The virtual board simulates exactly this block.
//!
//! ```text
//! PHY rx ─► RxPipeline ─┬─ FIFO ─► LinkTx ─► CrcAppend ─► CobsEncoder ─► link out
//!                       └─ ARP / ICMP taps ─► TxPipeline ─► PHY tx
//! link in ─► HostRx ─┬─ Config ─► config registers ─► everything
//!                    ├─ GetCounters, Error ─► LinkTx
//!                    └─ TxTcp / TxUdp / TxIcmp, ArpRequest ─► TxPipeline ─┬─ TxDone, ArpReply ─► LinkTx
//! ```
//!
//! The configuration is HostRx's: its `config_*` registers hold the last good Config.
//! Until one arrives the board is [`DEFAULT_MAC`] / [`DEFAULT_IP`], so it answers ARP
//! and ping before any host has spoken to it. An FPGA's registers power up at zero, so
//! only the defaults' one bits need forcing until the first Config (an OR each, no
//! 2:1 choice over every bit).
//!
//! A Hello goes to the host after power-up and after every Config, so a host that
//! connects (or reconfigures) learns what the board is, and how much its receive FIFO
//! holds ([`RX_FIFO_BYTES`], [`RX_RECORD_OVERHEAD`]): the host sizes the windows it
//! advertises from that, so what a peer may send fits between the wire and the link.
//!
//! The link's rate: the UART (in the top level) runs at 4 Mbaud from power-up and at
//! 12 Mbaud while [`BoardCore::link_fast`] is high, which is the last good Config's
//! `link_rate`. It changes in the clock the Config is applied, after the Config's last
//! byte has arrived and before the Hello that answers it goes out, so that Hello and
//! everything after it leave at the new rate; the host, which sends nothing after a
//! Config that changes the rate until it has switched its own port, then sends Config
//! again at the new rate, and that Config's Hello is its confirmation (README, "The
//! link's rate").

use crate::board::cobs_encoder::CobsEncoder;
use crate::board::crc_append::CrcAppend;
use crate::board::host_rx::HostRx;
use crate::board::link_tx::LinkTx;
use crate::board::rx_fifo::{RxFifo, TCP_BODY_START};
use crate::rx_pipeline::{RxFifoDefault, RxPipeline};
use crate::tx_pipeline::TxPipeline;
use rust_hdl::prelude::*;

/// The board's MAC address until a host configures another: locally administered.
pub const DEFAULT_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
/// The board's IPv4 address until a host configures another (TEST-NET-1).
pub const DEFAULT_IP: [u8; 4] = [192, 0, 2, 2];
/// Hello.build_id: the link layout and board design revision this Verilog implements.
pub const BUILD_ID: u32 = 0x2026_1125;
/// Hello.rx_fifo_bytes: the receive FIFO's size, read off the FIFO the pipeline has.
pub const RX_FIFO_BYTES: u16 = fifo_bytes(std::marker::PhantomData::<RxFifoDefault>);
/// Hello.rx_record_overhead: what a TCP segment's record takes in that FIFO beyond its
/// option and payload bytes (the record header, the type byte, the fixed part).
pub const RX_RECORD_OVERHEAD: u8 = TCP_BODY_START as u8;

const fn fifo_bytes<const B: usize, const BP1: usize>(
    _: std::marker::PhantomData<RxFifo<B, BP1>>,
) -> u16 {
    assert!(B <= 15, "Hello carries the FIFO's size in 16 bits");
    1 << B
}

#[derive(LogicBlock)]
pub struct BoardCore {
    pub clock: Signal<In, Clock>,
    // PHY side, GMII-like: one byte per clock, valid from preamble to FCS.
    pub phy_rx_data: Signal<In, Bits<8>>,
    pub phy_rx_valid: Signal<In, Bit>,
    pub phy_rx_error: Signal<In, Bit>,
    pub phy_tx_data: Signal<Out, Bits<8>>,
    pub phy_tx_valid: Signal<Out, Bit>,
    /// The PHY takes a byte this clock (high when it can take one every clock).
    pub phy_tx_ready: Signal<In, Bit>,
    // Link side: bytes of COBS frames to and from the host's UART.
    pub link_in_data: Signal<In, Bits<8>>,
    pub link_in_valid: Signal<In, Bit>,
    pub link_out_data: Signal<Out, Bits<8>>,
    pub link_out_valid: Signal<Out, Bit>,
    pub link_out_ready: Signal<In, Bit>,
    /// The link's UART at 12 Mbaud (high) or 4 Mbaud (low, from power-up).
    pub link_fast: Signal<Out, Bit>,
    // Status pulses, for LEDs.
    pub rx_frame: Signal<Out, Bit>,
    pub rx_drop: Signal<Out, Bit>,
    pub tx_frame: Signal<Out, Bit>,
    pub link_error: Signal<Out, Bit>,
    pub rx: RxPipeline,
    pub link_tx: LinkTx,
    pub crc_out: CrcAppend,
    pub cobs_out: CobsEncoder,
    pub host_rx: HostRx,
    pub tx: TxPipeline,
    /// All ones until configured: the defaults' one bits, forced over the zeros HostRx
    /// powers up with.
    unconfigured_ones: Signal<Local, Bits<32>>,
    /// Set once the power-up Hello has been asked for.
    started: DFF<Bit>,
    // Board events waiting for the counter RAM (one bump every other clock at most).
    pend_bad_frame: DFF<Bit>,
    pend_bad_message: DFF<Bit>,
    pend_tx_sent: DFF<Bit>,
    pend_tx_busy: DFF<Bit>,
    pend_reply_sent: DFF<Bit>,
    pend_reply_dropped: DFF<Bit>,
    bumped: DFF<Bit>,
    event_free: Signal<Local, Bit>,
    code: Signal<Local, Bits<3>>,
    mac_hi: Signal<Local, Bits<16>>,
    mac_mid: Signal<Local, Bits<16>>,
    mac_lo: Signal<Local, Bits<16>>,
    our_ip: Signal<Local, Bits<32>>,
    netmask: Signal<Local, Bits<32>>,
    default_mac_hi: Constant<Bits<16>>,
    default_mac_mid: Constant<Bits<16>>,
    default_mac_lo: Constant<Bits<16>>,
    default_ip: Constant<Bits<32>>,
}

impl Default for BoardCore {
    fn default() -> Self {
        let m = DEFAULT_MAC;
        let word = |a: u8, b: u8| Bits::<16>::from((a as u64) << 8 | b as u64);
        Self {
            clock: Default::default(),
            phy_rx_data: Default::default(),
            phy_rx_valid: Default::default(),
            phy_rx_error: Default::default(),
            phy_tx_data: Default::default(),
            phy_tx_valid: Default::default(),
            phy_tx_ready: Default::default(),
            link_in_data: Default::default(),
            link_in_valid: Default::default(),
            link_out_data: Default::default(),
            link_out_valid: Default::default(),
            link_out_ready: Default::default(),
            link_fast: Default::default(),
            rx_frame: Default::default(),
            rx_drop: Default::default(),
            tx_frame: Default::default(),
            link_error: Default::default(),
            rx: Default::default(),
            link_tx: LinkTx::new(
                DEFAULT_MAC,
                DEFAULT_IP,
                BUILD_ID,
                RX_FIFO_BYTES,
                RX_RECORD_OVERHEAD,
            ),
            crc_out: Default::default(),
            cobs_out: Default::default(),
            host_rx: Default::default(),
            tx: Default::default(),
            unconfigured_ones: Default::default(),
            started: Default::default(),
            event_free: Default::default(),
            code: Default::default(),
            bumped: Default::default(),
            pend_reply_dropped: Default::default(),
            pend_reply_sent: Default::default(),
            pend_tx_busy: Default::default(),
            pend_tx_sent: Default::default(),
            pend_bad_message: Default::default(),
            pend_bad_frame: Default::default(),
            mac_hi: Default::default(),
            mac_mid: Default::default(),
            mac_lo: Default::default(),
            our_ip: Default::default(),
            netmask: Default::default(),
            default_mac_hi: Constant::new(word(m[0], m[1])),
            default_mac_mid: Constant::new(word(m[2], m[3])),
            default_mac_lo: Constant::new(word(m[4], m[5])),
            default_ip: Constant::new((u32::from_be_bytes(DEFAULT_IP) as u64).into()),
        }
    }
}

impl Logic for BoardCore {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            started,
            pend_bad_frame,
            pend_bad_message,
            pend_tx_sent,
            pend_tx_busy,
            pend_reply_sent,
            pend_reply_dropped,
            bumped
        );
        self.rx.clock.next = self.clock.val();
        self.link_tx.clock.next = self.clock.val();
        self.crc_out.clock.next = self.clock.val();
        self.cobs_out.clock.next = self.clock.val();
        self.host_rx.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();

        // Configuration: HostRx applies a Config only once its frame passed the CRC.
        // Its config registers power up at zero, so a bit whose default is zero needs no
        // choice: it is the register. Only the default address's one bits (six of them)
        // are forced until the first Config. HostRx's `configured` is a flip-flop that
        // rises at the edge its last config byte loads (it loads them a byte a clock
        // over the 14 clocks before), so the forcing starts from a register (it
        // reaches every address compare).
        // The netmask needs no default: zero, as it powers up, has no subnet broadcast
        // address other than 255.255.255.255 (every bit a host bit), which is broadcast
        // anyway, so an unconfigured board drops the same TCP as with a /32.
        self.unconfigured_ones.next = 0.into();
        if !self.host_rx.configured.val() {
            self.unconfigured_ones.next = 0xFFFF_FFFF_u64.into();
        }
        self.mac_hi.next = self.host_rx.config_mac_hi.val()
            | (self.default_mac_hi.val() & self.unconfigured_ones.val().get_bits::<16>(0));
        self.mac_mid.next = self.host_rx.config_mac_mid.val()
            | (self.default_mac_mid.val() & self.unconfigured_ones.val().get_bits::<16>(0));
        self.mac_lo.next = self.host_rx.config_mac_lo.val()
            | (self.default_mac_lo.val() & self.unconfigured_ones.val().get_bits::<16>(0));
        self.our_ip.next =
            self.host_rx.config_ip.val() | (self.default_ip.val() & self.unconfigured_ones.val());
        self.netmask.next = self.host_rx.config_netmask.val();
        self.started.d.next = true;

        // Receive: PHY → pipeline → FIFO and counters.
        self.rx.phy_data.next = self.phy_rx_data.val();
        self.rx.phy_valid.next = self.phy_rx_valid.val();
        self.rx.phy_error.next = self.phy_rx_error.val();
        self.rx.mac_hi.next = self.mac_hi.val();
        self.rx.mac_mid.next = self.mac_mid.val();
        self.rx.mac_lo.next = self.mac_lo.val();
        self.rx.our_ip.next = self.our_ip.val();
        self.rx.netmask.next = self.netmask.val();
        self.rx.promiscuous.next = self.host_rx.config_promiscuous.val();

        // Board → host: messages, CRC, COBS.
        // Hello's address: a copy in LinkTx's block RAM, from the default on, of each
        // Config's bytes as HostRx loads them.
        self.link_tx.config_byte.next = self.host_rx.config_byte.val();
        self.link_tx.config_index.next = self.host_rx.config_index.val();
        // A Config's address bytes (offsets 1..10) are in LinkTx's RAM by the edge of
        // its last byte (14), so the Hello of its `config_valid` reports it.
        self.link_tx.hello.next = !self.started.q.val() | self.host_rx.config_valid.val();
        self.link_tx.fifo_data.next = self.rx.fifo_data.val();
        self.link_tx.fifo_empty.next = self.rx.fifo_empty.val();
        self.rx.fifo_read.next = self.link_tx.fifo_read.val();
        self.link_tx.get_counters.next = self.host_rx.get_counters.val();
        self.rx.counter_index.next = self.link_tx.counter_index.val();
        // The header store is read by a simulator's reports; nothing on the board reads
        // it (synthesis removes it from the flattened design).
        self.rx.header_read.next = 0.into();
        self.link_tx.counter_value.next = self.rx.counter_value.val();
        self.link_tx.counter_valid.next = self.rx.counter_valid.val();
        self.link_tx.tx_done.next = self.tx.tx_done.val();
        self.link_tx.tx_done_tag.next = self.tx.tx_done_tag.val();
        self.link_tx.error.next = self.host_rx.error.val();
        self.link_tx.error_code.next = self.host_rx.error_code.val();
        // ArpReply: the pulse from the ARP responder, the sender's address from the
        // receive stream as it passes.
        self.link_tx.arp_learned.next = self.tx.arp_learned.val();
        self.link_tx.l3_data.next = self.rx.l3_data.val();
        self.link_tx.l3_valid.next = self.rx.l3_valid.val();
        self.link_tx.l3.next = self.rx.l3.val();
        self.link_tx.l3_pos.next = self.rx.l3_pos.val();
        self.crc_out.data.next = self.link_tx.out_data.val();
        self.crc_out.valid.next = self.link_tx.out_valid.val();
        self.crc_out.last.next = self.link_tx.out_last.val();
        self.link_tx.out_ready.next = self.crc_out.ready.val();
        self.cobs_out.data.next = self.crc_out.out_data.val();
        self.cobs_out.valid.next = self.crc_out.out_valid.val();
        self.cobs_out.last.next = self.crc_out.out_last.val();
        self.crc_out.out_ready.next = self.cobs_out.ready.val();
        self.link_out_data.next = self.cobs_out.out_data.val();
        self.link_out_valid.next = self.cobs_out.out_valid.val();
        self.cobs_out.out_ready.next = self.link_out_ready.val();
        self.link_fast.next = self.host_rx.config_fast.val();

        // Host → board: frames decoded, checked and dispatched.
        self.host_rx.link_data.next = self.link_in_data.val();
        self.host_rx.link_valid.next = self.link_in_valid.val();
        self.host_rx.tx_busy.next = self.tx.tx_busy.val();

        // Transmit: host requests, ARP and echo replies → PHY.
        self.tx.mac_hi.next = self.mac_hi.val();
        self.tx.mac_mid.next = self.mac_mid.val();
        self.tx.mac_lo.next = self.mac_lo.val();
        self.tx.our_ip.next = self.our_ip.val();
        self.tx.tx_write.next = self.host_rx.tx_write.val();
        self.tx.tx_finish.next = self.host_rx.tx_finish.val();
        self.tx.tx_keep.next = self.host_rx.tx_keep.val();
        self.tx.tx_is_udp.next = self.host_rx.tx_is_udp.val();
        self.tx.tx_is_icmp.next = self.host_rx.tx_is_icmp.val();
        self.tx.tx_word_write.next = self.host_rx.tx_word_write.val();
        self.tx.tx_word_index.next = self.host_rx.tx_word_index.val();
        self.tx.tx_word.next = self.host_rx.tx_word.val();
        self.tx.tx_flags.next = self.host_rx.tx_flags.val();
        self.tx.tx_options_len.next = self.host_rx.tx_options_len.val();
        self.tx.tx_open.next = self.host_rx.tx_open.val();
        self.tx.arp_request.next = self.host_rx.arp_request.val();
        self.tx.arp_request_byte.next = self.host_rx.arp_request_byte.val();
        self.tx.phy_stall.next = !self.phy_tx_ready.val();
        self.phy_tx_data.next = self.tx.phy_tx_data.val();
        self.phy_tx_valid.next = self.tx.phy_tx_valid.val();
        // The receive pipeline's taps: ARP and echo are answered from them.
        self.tx.rx_report_valid.next = self.rx.report_valid.val();
        self.tx.rx_report_reason.next = self.rx.report_reason.val();
        self.tx.rx_report_class.next = self.rx.report_class.val();
        self.tx.rx_eth_tagged.next = self.rx.eth_tagged.val();
        self.tx.rx_link_data.next = self.rx.link_data.val();
        self.tx.rx_link_valid.next = self.rx.link_valid.val();
        self.tx.rx_link_pos.next = self.rx.link_pos.val();
        self.tx.rx_l3_data.next = self.rx.l3_data.val();
        self.tx.rx_l3_valid.next = self.rx.l3_valid.val();
        self.tx.rx_l3.next = self.rx.l3.val();
        self.tx.rx_l3_pos.next = self.rx.l3_pos.val();
        self.tx.rx_arp_op_request.next = self.rx.arp_op_request.val();
        self.tx.rx_arp_op_reply.next = self.rx.arp_op_reply.val();
        self.tx.rx_arp_target_ours.next = self.rx.arp_target_ours.val();
        self.tx.rx_ipv4_dst_ours.next = self.rx.ipv4_dst_ours.val();
        self.tx.rx_icmp_data.next = self.rx.icmp_data.val();
        self.tx.rx_icmp_valid.next = self.rx.icmp_valid.val();
        self.tx.rx_icmp_type.next = self.rx.icmp_type.val();
        self.tx.rx_icmp_code.next = self.rx.icmp_code.val();

        // The board's own events, counted beside the receive path's verdicts: each waits
        // in a pending bit until the counter RAM is free (a read-modify-write takes two
        // clocks, so one bump every other clock).
        self.event_free.next = self.rx.event_ready.val() & !self.bumped.q.val();
        self.rx.event_bump.next = false;
        self.rx.event_index.next = 0.into();
        self.bumped.d.next = false;
        if self.event_free.val() {
            if self.pend_bad_frame.q.val() {
                self.rx.event_index.next = 0.into(); // reason::LINK_BAD_FRAME
                self.pend_bad_frame.d.next = false;
                self.rx.event_bump.next = true;
            } else if self.pend_bad_message.q.val() {
                self.rx.event_index.next = 23.into(); // reason::LINK_BAD_MESSAGE
                self.pend_bad_message.d.next = false;
                self.rx.event_bump.next = true;
            } else if self.pend_tx_sent.q.val() {
                self.rx.event_index.next = 28.into(); // reason::TX_SENT
                self.pend_tx_sent.d.next = false;
                self.rx.event_bump.next = true;
            } else if self.pend_tx_busy.q.val() {
                self.rx.event_index.next = 29.into(); // reason::TX_BUSY
                self.pend_tx_busy.d.next = false;
                self.rx.event_bump.next = true;
            } else if self.pend_reply_sent.q.val() {
                self.rx.event_index.next = 30.into(); // reason::REPLIES_SENT
                self.pend_reply_sent.d.next = false;
                self.rx.event_bump.next = true;
            } else if self.pend_reply_dropped.q.val() {
                self.rx.event_index.next = 31.into(); // reason::REPLIES_DROPPED
                self.pend_reply_dropped.d.next = false;
                self.rx.event_bump.next = true;
            }
            self.bumped.d.next = self.rx.event_bump.val();
        }
        // Codes 1..2 a bad frame, 3..4 a bad message, 5 busy (HostRx's codes are three
        // bits wide).
        self.code.next = self.host_rx.error_code.val();
        if self.host_rx.error.val() {
            if (self.code.val() == 0) | (self.code.val() == 1) | (self.code.val() == 2) {
                self.pend_bad_frame.d.next = true;
            } else if (self.code.val() == 3) | (self.code.val() == 4) {
                self.pend_bad_message.d.next = true;
            } else {
                self.pend_tx_busy.d.next = true;
            }
        }
        if self.tx.tx_done.val() {
            self.pend_tx_sent.d.next = true;
        }
        if self.tx.reply_sent.val() {
            self.pend_reply_sent.d.next = true;
        }
        if self.tx.reply_dropped.val() {
            self.pend_reply_dropped.d.next = true;
        }

        // Status.
        self.rx_frame.next = self.rx.report_valid.val() & (self.rx.report_reason.val() == 0);
        self.rx_drop.next = self.rx.report_valid.val() & (self.rx.report_reason.val() != 0);
        self.tx_frame.next = self.tx.tx_done.val();
        self.link_error.next = self.host_rx.error.val();
    }
}
