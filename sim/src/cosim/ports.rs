//! The ports of a block under co-simulation: names, widths, and how to read and write
//! them as plain `u64`s, so the Rust driver and the Verilog testbench share one list.

use rust_hdl::prelude::*;

/// A value that can sit on a port: `bool` (1 bit) or `Bits<N>` with N <= 64.
pub trait PortValue: Synth {
    fn to_u64(self) -> u64;
    /// `v` must fit in `Self::BITS` bits (the driver checks this before calling).
    fn from_u64(v: u64) -> Self;
}

impl PortValue for bool {
    fn to_u64(self) -> u64 {
        self as u64
    }
    fn from_u64(v: u64) -> Self {
        v != 0
    }
}

impl<const N: usize> PortValue for Bits<N> {
    fn to_u64(self) -> u64 {
        Bits::<N>::to_u64(self)
    }
    fn from_u64(v: u64) -> Self {
        Bits::<N>::from(v)
    }
}

#[doc(hidden)]
pub use rust_hdl::prelude::Logic as __Logic;

/// The width of the signal a field accessor points at; lets the macro read a port's
/// width from its type without an instance of the block.
pub fn signal_width<B, D: Direction, T: PortValue>(_field: impl Fn(&B) -> &Signal<D, T>) -> usize {
    T::BITS
}

/// The ports of a block, in a fixed order, excluding the clock (always named `clock`).
/// Implement it with [`cosim_ports!`](crate::cosim_ports).
pub trait Ports: Block {
    /// (name, width) of each input, in the order of the values in an input vector.
    fn inputs() -> Vec<(&'static str, usize)>;
    /// (name, width) of each output, in the order of the values `get_outputs` returns.
    fn outputs() -> Vec<(&'static str, usize)>;
    /// Writes `.next` of every input; `values` follows the order of `inputs()`.
    fn set_inputs(&mut self, values: &[u64]);
    /// The current value of every output, in the order of `outputs()`.
    fn get_outputs(&self) -> Vec<u64>;
    /// The current value of every input, in the order of `inputs()`: for a block inside
    /// a larger design, what its parent drives it with (to record vectors).
    fn get_inputs(&self) -> Vec<u64>;
    /// Writes `.next` of the clock input.
    fn set_clock(&mut self, high: bool);
    /// Marks the clock and every input as driven (rust-hdl's `connect()`), as a
    /// testbench must before `connect_all` for the top-level block.
    fn connect_inputs(&mut self);
}

/// Implements [`Ports`] from field names:
/// `cosim_ports!(Counter { inputs: [enable], outputs: [count] });`
/// Every field must be a `Signal<In, _>` / `Signal<Out, _>` of `bool` or `Bits<N>`
/// (N <= 64), and the block must have a `clock: Signal<In, Clock>` field.
#[macro_export]
macro_rules! cosim_ports {
    ($ty:ty { inputs: [$($i:ident),* $(,)?], outputs: [$($o:ident),* $(,)?] $(,)? }) => {
        impl $crate::cosim::Ports for $ty {
            fn inputs() -> Vec<(&'static str, usize)> {
                vec![$((stringify!($i), $crate::cosim::signal_width(|b: &$ty| &b.$i))),*]
            }
            fn outputs() -> Vec<(&'static str, usize)> {
                vec![$((stringify!($o), $crate::cosim::signal_width(|b: &$ty| &b.$o))),*]
            }
            #[allow(unused_variables, unused_mut)]
            fn set_inputs(&mut self, values: &[u64]) {
                let mut it = values.iter();
                $( self.$i.next = $crate::cosim::PortValue::from_u64(
                    *it.next().expect("one value per input")); )*
            }
            fn get_outputs(&self) -> Vec<u64> {
                vec![$($crate::cosim::PortValue::to_u64(self.$o.val())),*]
            }
            fn get_inputs(&self) -> Vec<u64> {
                vec![$($crate::cosim::PortValue::to_u64(self.$i.val())),*]
            }
            fn set_clock(&mut self, high: bool) {
                self.clock.next = high.into();
            }
            fn connect_inputs(&mut self) {
                $crate::cosim::__Logic::connect(&mut self.clock);
                $( $crate::cosim::__Logic::connect(&mut self.$i); )*
            }
        }
    };
}
