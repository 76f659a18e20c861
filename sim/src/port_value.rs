// Included by rx_ports.rs and board_ports.rs (which build.rs also includes).

/// A port value from a plain integer (`Bit` ports are `bool`).
trait FromU32 {
    fn from_u32(v: u32) -> Self;
}
impl FromU32 for bool {
    fn from_u32(v: u32) -> Self {
        v != 0
    }
}
impl<const N: usize> FromU32 for rust_hdl::prelude::Bits<N> {
    fn from_u32(v: u32) -> Self {
        (v as u64).into()
    }
}
