// The ports of the board core (`tcpip_hdl::board::board_core::BoardCore`) as plain
// integers, shared by both back ends and by build.rs (which `include!`s this file to
// generate the Verilator model's C shim in the same order): the structs are `repr(C)`
// runs of `u32`, so the shim reads and writes them as arrays.

include!("port_value.rs");

/// Defines `BoardInputs`, `BoardOutputs` and their port names, in one order.
macro_rules! board_ports {
    (inputs: [$($i:ident),* $(,)?], outputs: [$($o:ident),* $(,)?] $(,)?) => {
        /// The board core's inputs, one `u32` per port.
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct BoardInputs { $(pub $i: u32),* }
        /// The board core's outputs, one `u32` per port.
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct BoardOutputs { $(pub $o: u32),* }
        pub const BOARD_INPUT_NAMES: &[&str] = &[$(stringify!($i)),*];
        pub const BOARD_OUTPUT_NAMES: &[&str] = &[$(stringify!($o)),*];
        impl BoardInputs {
            /// Writes every input of the Rust model.
            pub fn apply(&self, b: &mut tcpip_hdl::board::board_core::BoardCore) {
                $( b.$i.next = FromU32::from_u32(self.$i); )*
            }
            /// The values in [`BOARD_INPUT_NAMES`] order.
            pub fn words(&self) -> Vec<u32> {
                vec![$(self.$i),*]
            }
        }
        impl BoardOutputs {
            pub fn of_board(b: &tcpip_hdl::board::board_core::BoardCore) -> Self {
                BoardOutputs { $($o: u64::from(b.$o.val()) as u32),* }
            }
            /// The values in [`BOARD_OUTPUT_NAMES`] order.
            pub fn words(&self) -> Vec<u32> {
                vec![$(self.$o),*]
            }
        }
    };
}

board_ports! {
    inputs: [
        phy_rx_data,
        phy_rx_valid,
        phy_rx_error,
        phy_tx_ready,
        link_in_data,
        link_in_valid,
        link_out_ready,
    ],
    outputs: [
        phy_tx_data,
        phy_tx_valid,
        link_out_data,
        link_out_valid,
        link_fast,
        rx_frame,
        rx_drop,
        tx_frame,
        link_error,
    ],
}
