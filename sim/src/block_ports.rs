//! The port lists of every hardware block, so each can be co-simulated on its own
//! (`cosim::check_block`) with vectors recorded from the whole pipeline.

use crate::cosim_ports;
use tcpip_hdl::board::cobs_encoder::CobsEncoder;
use tcpip_hdl::board::crc_append::CrcAppend;
use tcpip_hdl::board::link_tx::LinkTx;
use tcpip_hdl::board::rx_counters::RxCounters;
use tcpip_hdl::board::rx_message::RxMessage;
use tcpip_hdl::internet::arp_rx::ArpRx;
use tcpip_hdl::internet::ipv4_rx::Ipv4Rx;
use tcpip_hdl::link::crc32::Crc32;
use tcpip_hdl::link::eth_rx::EthRx;
use tcpip_hdl::link::mac_rx::MacRx;
use tcpip_hdl::rx_header_store::RxHeaderStore;
use tcpip_hdl::rx_pipeline::{RxFifoDefault, RxPipeline};
use tcpip_hdl::rx_verdict::RxVerdict;
use tcpip_hdl::transport::transport_rx::TransportRx;

cosim_ports!(Crc32 {
    inputs: [data, enable, init],
    outputs: [crc, residue_ok]
});
cosim_ports!(tcpip_hdl::internet::checksum::OnesCheck {
    inputs: [data, enable, high, clear],
    outputs: [ok]
});
cosim_ports!(MacRx {
    inputs: [
        phy_data,
        phy_valid,
        phy_error,
        mac_hi,
        mac_mid,
        mac_lo,
        promiscuous,
        tagged
    ],
    outputs: [data, valid, last, reason],
});
cosim_ports!(EthRx {
    inputs: [data, valid, last, pos],
    outputs: [
        dst_group,
        out_data,
        out_valid,
        out_last,
        l3,
        tagged,
        is_ipv4,
        is_arp,
        header_done,
        reason
    ],
});
cosim_ports!(ArpRx {
    inputs: [data, valid, last, l3, is_arp, pos, our_byte],
    outputs: [op_request, op_reply, target_ours, done, reason],
});
cosim_ports!(Ipv4Rx {
    inputs: [data, valid, last, l3, is_ipv4, our_ip, netmask, promiscuous],
    outputs: [
        out_data,
        out_valid,
        out_last,
        l4,
        is_tcp,
        is_udp,
        is_icmp,
        dst_ours,
        header_ok,
        our_byte,
        l4_len,
        sum_data,
        sum_add,
        sum_high,
        sum_start,
        l4_parse,
        header_done,
        dst_not_unicast,
        reason
    ],
});
cosim_ports!(TransportRx {
    inputs: [
        data, valid, last, l4, pos, l4_parse, is_tcp, is_udp, is_icmp, l4_len, sum_data, sum_add,
        sum_high, sum_start
    ],
    outputs: [
        ns,
        out_data,
        out_valid,
        out_last,
        body,
        src_port,
        header_len,
        checksum_ok,
        mss,
        mss_present,
        window_scale,
        window_scale_present,
        sack_permitted,
        timestamps_present,
        option_write,
        option_index,
        icmp_type,
        icmp_code,
        done,
        reason
    ],
});
cosim_ports!(RxVerdict {
    inputs: [
        last,
        mac_reason,
        eth_reason,
        arp_reason,
        ipv4_reason,
        transport_reason,
        is_arp,
        is_tcp,
        is_udp,
        is_icmp,
        not_unicast,
        icmp_type
    ],
    outputs: [done, reason, class, to_fifo],
});
cosim_ports!(RxFifoDefault {
    inputs: [
        field_write,
        field_offset,
        field_data,
        udp,
        write,
        data,
        finish,
        keep,
        read
    ],
    outputs: [room, sealing, seal_index, read_data, empty],
});
cosim_ports!(RxHeaderStore {
    inputs: [
        link_data,
        link_valid,
        link_last,
        l3_data,
        l3_valid,
        l3,
        arp,
        l4_data,
        l4_valid,
        l4,
        option_write,
        option_index,
        read_address
    ],
    outputs: [link_pos, l3_pos, l4_pos, bank, read_data],
});
cosim_ports!(RxMessage {
    inputs: [
        link_valid,
        l3_valid,
        l3,
        l4_data,
        l4_valid,
        l4,
        is_tcp,
        is_udp,
        is_icmp,
        link_pos,
        l3_pos,
        l4_pos,
        header_len,
        ns,
        mss,
        mss_present,
        window_scale,
        window_scale_present,
        sack_permitted,
        timestamps_present,
        sealing,
        seal_index
    ],
    outputs: [field_write, field_offset, field_data, udp],
});
cosim_ports!(RxCounters {
    inputs: [bump, index, read_index],
    outputs: [read_value, read_valid],
});

cosim_ports!(RxPipeline {
    inputs: [
        header_read,
        phy_data,
        phy_valid,
        phy_error,
        mac_hi,
        mac_mid,
        mac_lo,
        our_ip,
        netmask,
        promiscuous,
        fifo_read,
        counter_index,
        event_bump,
        event_index
    ],
    outputs: [
        header_data,
        header_bank,
        event_ready,
        report_valid,
        report_reason,
        report_class,
        fifo_data,
        fifo_empty,
        counter_value,
        counter_valid,
        eth_header_done,
        link_data,
        link_valid,
        link_pos,
        l3_data,
        l3_valid,
        l3,
        l3_pos,
        eth_tagged,
        eth_is_ipv4,
        eth_is_arp,
        arp_done,
        arp_op_request,
        arp_op_reply,
        arp_target_ours,
        ipv4_header_done,
        ipv4_dst_ours,
        ipv4_header_ok,
        ipv4_l4_parse,
        icmp_done,
        icmp_type,
        icmp_code,
        icmp_checksum_ok,
        icmp_data,
        icmp_valid,
        tcp_done,
        tcp_src_port,
        tcp_header_len,
        tcp_checksum_ok,
        tcp_mss,
        tcp_mss_present,
        tcp_window_scale,
        tcp_window_scale_present,
        tcp_sack_permitted,
        tcp_timestamps_present,
        udp_done,
        udp_src_port,
        udp_checksum_ok,
    ],
});

cosim_ports!(tcpip_hdl::board::uart_tx::UartTx {
    inputs: [data, valid, fast],
    outputs: [ready, txd]
});
cosim_ports!(tcpip_hdl::board::uart_rx::UartRx {
    inputs: [rxd, fast],
    outputs: [data, valid, framing_error]
});

cosim_ports!(CobsEncoder {
    inputs: [data, valid, last, out_ready],
    outputs: [ready, out_data, out_valid],
});
cosim_ports!(tcpip_hdl::board::crc32_register::Crc32Register {
    inputs: [data, step, shifting],
    outputs: [fcs],
});
cosim_ports!(CrcAppend {
    inputs: [data, valid, last, out_ready],
    outputs: [ready, out_data, out_valid, out_last],
});

cosim_ports!(tcpip_hdl::board::cobs_decoder::CobsDecoder {
    inputs: [data, valid],
    outputs: [out_data, out_valid, frame_end, cobs_error],
});
cosim_ports!(tcpip_hdl::board::crc_check::CrcCheck {
    inputs: [data, valid, frame_end],
    outputs: [out_data, out_valid, out_end, crc_ok],
});
cosim_ports!(tcpip_hdl::board::host_rx::HostRx {
    inputs: [link_data, link_valid, tx_busy],
    outputs: [
        config_valid,
        configured,
        config_mac_hi,
        config_mac_mid,
        config_mac_lo,
        config_ip,
        config_netmask,
        config_byte,
        config_index,
        config_promiscuous,
        config_fast,
        get_counters,
        arp_request,
        arp_request_byte,
        error,
        error_code,
        tx_write,
        tx_finish,
        tx_keep,
        tx_is_udp,
        tx_is_icmp,
        tx_word_write,
        tx_word_index,
        tx_word,
        tx_flags,
        tx_options_len,
        tx_open
    ],
});

cosim_ports!(LinkTx {
    inputs: [
        config_byte,
        config_index,
        hello,
        fifo_data,
        fifo_empty,
        get_counters,
        counter_value,
        counter_valid,
        tx_done,
        tx_done_tag,
        error,
        error_code,
        arp_learned,
        l3_data,
        l3_valid,
        l3,
        l3_pos,
        out_ready
    ],
    outputs: [fifo_read, counter_index, out_data, out_valid, out_last],
});

use tcpip_hdl::internet::arp_tx::ArpTx;
use tcpip_hdl::internet::icmp_echo::IcmpEcho;
cosim_ports!(ArpTx {
    inputs: [
        mac_hi,
        mac_mid,
        mac_lo,
        our_ip,
        arp_request,
        arp_request_byte,
        l3_data,
        l3_valid,
        l3,
        l3_pos,
        report_valid,
        report_reason,
        report_class,
        eth_tagged,
        arp_op_request,
        arp_op_reply,
        arp_target_ours,
        ready
    ],
    outputs: [
        data,
        valid,
        last,
        arp_learned,
        reply_dropped,
        request_dropped
    ],
});
cosim_ports!(IcmpEcho {
    inputs: [
        icmp_data,
        icmp_valid,
        icmp_type,
        icmp_code,
        link_data,
        link_valid,
        link_pos,
        l3_data,
        l3_valid,
        l3,
        l3_pos,
        ipv4_dst_ours,
        eth_tagged,
        report_valid,
        report_reason,
        report_class,
        stage_busy,
        host_open
    ],
    outputs: [
        busy, select, write, patch, patch_at, word_write, word_index, word, finish, keep, dropped
    ],
});

// The transmit path.
use tcpip_hdl::internet::ipv4_tx::Ipv4Tx;
use tcpip_hdl::internet::word_sum::OnesWordSum;
use tcpip_hdl::link::mac_tx::MacTx;
use tcpip_hdl::transport::transport_tx::TransportTx;
use tcpip_hdl::transport::tx_stage::TxStage;
use tcpip_hdl::tx_pipeline::TxPipeline;

cosim_ports!(OnesWordSum {
    inputs: [word, add, clear, start],
    outputs: [sum]
});
cosim_ports!(TxStage {
    inputs: [
        tx_write,
        tx_finish,
        tx_keep,
        tx_is_udp,
        tx_is_icmp,
        tx_word_write,
        tx_word_index,
        tx_word,
        tx_flags,
        tx_options_len,
        tx_is_reply,
        tx_patch,
        tx_patch_at,
        sum,
        word_index,
        body_ready,
        req_done
    ],
    outputs: [
        tx_busy,
        sum_first,
        sum_step,
        sum_index,
        sum_word,
        req_valid,
        req_is_udp,
        req_is_icmp,
        req_is_reply,
        req_last_at,
        word,
        body_data,
        body_last
    ],
});
cosim_ports!(TransportTx {
    inputs: [
        our_ip,
        sum_first,
        sum_step,
        sum_index,
        sum_word,
        req_valid,
        req_is_udp,
        req_is_icmp,
        req_last_at,
        word,
        body_data,
        body_last,
        ready
    ],
    outputs: [sum, word_index, body_ready, req_done, data, valid, last],
});
cosim_ports!(Ipv4Tx {
    inputs: [our_ip, host_data, host_valid, host_last, arp_data, arp_valid, arp_last, out_ready],
    outputs: [host_ready, arp_ready, out_data, out_valid, out_last],
});
cosim_ports!(MacTx {
    inputs: [mac_hi, mac_mid, mac_lo, data, valid, last, phy_stall],
    outputs: [ready, phy_tx_data, phy_tx_valid, sent],
});
cosim_ports!(TxPipeline {
    inputs: [
        mac_hi,
        mac_mid,
        mac_lo,
        our_ip,
        tx_write,
        tx_finish,
        tx_keep,
        tx_is_udp,
        tx_is_icmp,
        tx_word_write,
        tx_word_index,
        tx_word,
        tx_flags,
        tx_options_len,
        tx_open,
        phy_stall,
        arp_request,
        arp_request_byte,
        rx_report_valid,
        rx_report_reason,
        rx_report_class,
        rx_eth_tagged,
        rx_link_data,
        rx_link_valid,
        rx_link_pos,
        rx_l3_data,
        rx_l3_valid,
        rx_l3,
        rx_l3_pos,
        rx_arp_op_request,
        rx_arp_op_reply,
        rx_arp_target_ours,
        rx_ipv4_dst_ours,
        rx_icmp_data,
        rx_icmp_valid,
        rx_icmp_type,
        rx_icmp_code
    ],
    outputs: [
        tx_busy,
        tx_done,
        tx_done_tag,
        phy_tx_data,
        phy_tx_valid,
        arp_learned,
        reply_sent,
        reply_dropped
    ],
});

use tcpip_hdl::board::led_stretch::LedStretch;
use tcpip_hdl::link::rmii_rx::RmiiRx;
use tcpip_hdl::link::rmii_tx::RmiiTx;
cosim_ports!(RmiiRx {
    inputs: [crs_dv, rxd, rx_er],
    outputs: [data, valid, start, frame_end, error, speed_10],
});
cosim_ports!(RmiiTx {
    inputs: [data, empty, speed_10],
    outputs: [read, tx_en, txd, underrun],
});
cosim_ports!(LedStretch {
    inputs: [pulses],
    outputs: [leds],
});
use tcpip_hdl::board::stream_register::StreamRegister;
cosim_ports!(StreamRegister {
    inputs: [data, valid, last, out_ready],
    outputs: [ready, out_data, out_valid, out_last],
});
use tcpip_hdl::board::stream_skid::StreamSkid;
cosim_ports!(StreamSkid {
    inputs: [data, valid, last, out_ready],
    outputs: [ready, out_data, out_valid, out_last],
});
