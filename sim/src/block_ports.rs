//! The port lists of every hardware block, so each can be co-simulated on its own
//! (`cosim::check_block`) with vectors recorded from the whole pipeline.

use crate::cosim_ports;
use tcpip_hdl::board::cobs_encoder::CobsEncoder;
use tcpip_hdl::board::crc_append::CrcAppend;
use tcpip_hdl::board::rx_counters::RxCounters;
use tcpip_hdl::internet::arp_rx::ArpRx;
use tcpip_hdl::internet::checksum::OnesSum;
use tcpip_hdl::internet::icmp_rx::IcmpRx;
use tcpip_hdl::internet::ipv4_rx::Ipv4Rx;
use tcpip_hdl::link::crc32::Crc32;
use tcpip_hdl::link::eth_rx::EthRx;
use tcpip_hdl::link::mac_rx::MacRx;
use tcpip_hdl::rx_pipeline::{RxFifoDefault, RxPipeline};
use tcpip_hdl::rx_verdict::RxVerdict;
use tcpip_hdl::transport::tcp_rx::TcpRx;
use tcpip_hdl::transport::udp_rx::UdpRx;

cosim_ports!(Crc32 {
    inputs: [data, enable, init],
    outputs: [crc, residue_ok]
});
cosim_ports!(OnesSum {
    inputs: [data, enable, high, clear, init],
    outputs: [acc, sum, ok]
});
cosim_ports!(MacRx {
    inputs: [
        phy_data,
        phy_valid,
        phy_error,
        mac_hi,
        mac_mid,
        mac_lo,
        promiscuous
    ],
    outputs: [data, valid, last, reason],
});
cosim_ports!(EthRx {
    inputs: [data, valid, last],
    outputs: [
        out_data,
        out_valid,
        out_last,
        l3,
        dst_hi,
        dst_mid,
        dst_lo,
        src_hi,
        src_mid,
        src_lo,
        ethertype,
        tagged,
        vlan_id,
        is_ipv4,
        is_arp,
        header_done,
        reason
    ],
});
cosim_ports!(ArpRx {
    inputs: [data, valid, last, l3, is_arp],
    outputs: [
        op,
        sender_mac_hi,
        sender_mac_mid,
        sender_mac_lo,
        sender_ip,
        target_mac_hi,
        target_mac_mid,
        target_mac_lo,
        target_ip,
        done,
        reason
    ],
});
cosim_ports!(Ipv4Rx {
    inputs: [data, valid, last, l3, is_ipv4, our_ip, promiscuous],
    outputs: [
        out_data,
        out_valid,
        out_last,
        l4,
        version,
        ihl,
        total_len,
        id,
        flags_fragment,
        ttl,
        protocol,
        src,
        dst,
        header_ok,
        l4_len,
        pseudo_sum,
        l4_parse,
        header_done,
        reason
    ],
});
cosim_ports!(IcmpRx {
    inputs: [data, valid, last, l4, l4_parse, protocol],
    outputs: [
        icmp_type,
        code,
        identifier,
        sequence,
        checksum_ok,
        done,
        reason
    ],
});
cosim_ports!(TcpRx {
    inputs: [data, valid, last, l4, l4_parse, protocol, l4_len, pseudo_sum],
    outputs: [
        out_data,
        out_valid,
        out_last,
        body,
        src_port,
        dst_port,
        seq,
        ack,
        header_len,
        flags,
        window,
        urgent,
        payload_len,
        checksum_ok,
        mss,
        mss_present,
        window_scale,
        window_scale_present,
        sack_permitted,
        ts_val,
        ts_ecr,
        timestamps_present,
        done,
        reason
    ],
});
cosim_ports!(UdpRx {
    inputs: [data, valid, last, l4, l4_parse, protocol, l4_len, pseudo_sum],
    outputs: [
        out_data,
        out_valid,
        out_last,
        body,
        src_port,
        dst_port,
        length,
        checksum_ok,
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
        icmp_reason,
        udp_reason,
        tcp_reason,
        is_arp,
        protocol
    ],
    outputs: [done, reason, class, to_fifo],
});
cosim_ports!(RxFifoDefault {
    inputs: [data, write, finish, keep, desc_word, body_read, desc_read],
    outputs: [room, desc_index, body_data, body_empty, desc_data, desc_empty],
});
cosim_ports!(RxCounters {
    inputs: [bump, index, read_index],
    outputs: [read_value, read_valid],
});

cosim_ports!(RxPipeline {
    inputs: [
        phy_data,
        phy_valid,
        phy_error,
        mac_hi,
        mac_mid,
        mac_lo,
        our_ip,
        promiscuous,
        body_read,
        desc_read,
        counter_index
    ],
    outputs: [
        report_valid,
        report_reason,
        report_class,
        body_data,
        body_empty,
        desc_data,
        desc_empty,
        counter_value,
        counter_valid,
        eth_header_done,
        eth_dst_hi,
        eth_dst_mid,
        eth_dst_lo,
        eth_src_hi,
        eth_src_mid,
        eth_src_lo,
        eth_ethertype,
        eth_tagged,
        eth_vlan_id,
        eth_is_ipv4,
        eth_is_arp,
        arp_done,
        arp_op,
        arp_sender_mac_hi,
        arp_sender_mac_mid,
        arp_sender_mac_lo,
        arp_sender_ip,
        arp_target_mac_hi,
        arp_target_mac_mid,
        arp_target_mac_lo,
        arp_target_ip,
        ipv4_header_done,
        ipv4_src,
        ipv4_dst,
        ipv4_protocol,
        ipv4_ttl,
        ipv4_total_len,
        ipv4_id,
        ipv4_header_ok,
        ipv4_l4_parse,
        icmp_done,
        icmp_type,
        icmp_code,
        icmp_checksum_ok,
        tcp_done,
        tcp_src_port,
        tcp_dst_port,
        tcp_seq,
        tcp_ack,
        tcp_flags,
        tcp_window,
        tcp_urgent,
        tcp_header_len,
        tcp_payload_len,
        tcp_checksum_ok,
        tcp_mss,
        tcp_mss_present,
        tcp_window_scale,
        tcp_window_scale_present,
        tcp_sack_permitted,
        tcp_ts_val,
        tcp_ts_ecr,
        tcp_timestamps_present,
        udp_done,
        udp_src_port,
        udp_dst_port,
        udp_length,
        udp_checksum_ok,
    ],
});

/// The UART at 4 Mbaud from 100 MHz, as the board uses it.
pub type UartTx4M = tcpip_hdl::board::uart_tx::UartTx<25>;
pub type UartRx4M = tcpip_hdl::board::uart_rx::UartRx<25>;
cosim_ports!(UartTx4M {
    inputs: [data, valid],
    outputs: [ready, txd]
});
cosim_ports!(UartRx4M {
    inputs: [rxd],
    outputs: [data, valid, framing_error]
});

cosim_ports!(CobsEncoder {
    inputs: [data, valid, last, out_ready],
    outputs: [ready, out_data, out_valid],
});
cosim_ports!(CrcAppend {
    inputs: [data, valid, last, out_ready],
    outputs: [ready, out_data, out_valid, out_last],
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
    inputs: [pulses, levels],
    outputs: [leds],
});
use tcpip_hdl::board::stream_register::StreamRegister;
cosim_ports!(StreamRegister {
    inputs: [data, valid, last, out_ready],
    outputs: [ready, out_data, out_valid, out_last],
});
