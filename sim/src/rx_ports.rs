// The ports of the receive model as plain integers, shared by both back ends and by
// build.rs (which `include!`s this file to generate the Verilator model's C shim in the
// same order): the structs are `repr(C)` runs of `u32`, so the shim reads and writes
// them as arrays.

include!("port_value.rs");

/// Defines `RxInputs`, `RxOutputs`, `RxFields` and their port names, in one order.
macro_rules! rx_ports {
    (
        inputs: [$($i:ident),* $(,)?],
        outputs: [$($o:ident),* $(,)?],
        fields: [$($f:ident = $b:ident . $p:ident),* $(,)?] $(,)?
    ) => {
        /// The receive pipeline's inputs, one `u32` per port.
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct RxInputs { $(pub $i: u32),* }
        /// The receive pipeline's outputs, one `u32` per port.
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct RxOutputs { $(pub $o: u32),* }
        /// The header registers a frame's report is read from (the monitor ports of
        /// `tcpip_hdl::rx_pipeline::RxPipeline`), one `u32` per port.
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct RxFields { $(pub $f: u32),* }
        pub const INPUT_NAMES: &[&str] = &[$(stringify!($i)),*];
        pub const OUTPUT_NAMES: &[&str] = &[$(stringify!($o)),*];
        pub const FIELD_NAMES: &[&str] = &[$(stringify!($f)),*];
        impl RxInputs {
            /// Writes every input of the Rust model.
            pub fn apply(&self, p: &mut tcpip_hdl::rx_pipeline::RxPipeline) {
                $( p.$i.next = FromU32::from_u32(self.$i); )*
            }
        }
        impl RxOutputs {
            pub fn of_pipeline(p: &tcpip_hdl::rx_pipeline::RxPipeline) -> Self {
                RxOutputs { $($o: u64::from(p.$o.val()) as u32),* }
            }
        }
        impl RxFields {
            pub fn of_pipeline(p: &tcpip_hdl::rx_pipeline::RxPipeline) -> Self {
                RxFields { $($f: u64::from(p.$b.$p.val()) as u32),* }
            }
        }
    };
}

rx_ports! {
    inputs: [
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
        header_read,
    ],
    outputs: [
        report_valid,
        report_reason,
        report_class,
        fifo_data,
        fifo_empty,
        counter_value,
        counter_valid,
        icmp_data,
        icmp_valid,
        header_data,
        header_bank,
    ],
    fields: [
        eth_header_done = eth.header_done,
        eth_tagged = eth.tagged,
        eth_is_ipv4 = eth.is_ipv4,
        eth_is_arp = eth.is_arp,
        arp_done = arp.done,
        ipv4_header_done = ipv4.header_done,
        ipv4_header_ok = ipv4.header_ok,
        ipv4_l4_parse = ipv4.l4_parse,
        icmp_done = transport.done,
        icmp_type = transport.icmp_type,
        icmp_code = transport.icmp_code,
        icmp_checksum_ok = transport.checksum_ok,
        tcp_done = transport.done,
        tcp_src_port = transport.src_port,
        tcp_header_len = transport.header_len,
        tcp_checksum_ok = transport.checksum_ok,
        tcp_mss = transport.mss,
        tcp_mss_present = transport.mss_present,
        tcp_window_scale = transport.window_scale,
        tcp_window_scale_present = transport.window_scale_present,
        tcp_sack_permitted = transport.sack_permitted,
        tcp_timestamps_present = transport.timestamps_present,
        udp_done = transport.done,
        udp_src_port = transport.src_port,
        udp_checksum_ok = transport.checksum_ok,
    ],
}
