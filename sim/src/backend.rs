//! The two models of the receive hardware behind one interface, so the same vectors run
//! on both: [`RustRx`], rust-hdl's simulation of `RxPipeline`, and [`VerilatorRx`], a
//! Verilator model of the Verilog rust-hdl generates for the same pipeline (whose
//! monitor ports bring the report registers out). The Verilog is
//! what synthesizes, and its model runs an order of magnitude faster.
//!
//! The Verilator model exists when `verilator` was installed when tcpip-sim was built
//! (see build.rs); [`Backend::verilator_built`] says whether it was.

use crate::rx::{Fcs, Probe, RxConfig, INTER_FRAME_GAP, MIN_FRAME};
use anyhow::{bail, Result};
use rust_hdl::prelude::*;
use tcpip_hdl::link::mac_rx::phy_bytes;
use tcpip_hdl::rx_pipeline::RxPipeline;

pub use crate::rx_ports::{RxFields, RxInputs, RxOutputs, FIELD_NAMES, INPUT_NAMES, OUTPUT_NAMES};

/// Which model of the hardware runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// rust-hdl's own simulation of the Rust description.
    Rust,
    /// A Verilator model of the generated Verilog, linked in over FFI.
    Verilator,
}

impl Backend {
    /// Whether this build of tcpip-sim holds the Verilator model.
    pub const fn verilator_built() -> bool {
        cfg!(verilator_model)
    }

    /// The default: Verilator when it is built (faster, and it is the synthesized
    /// Verilog), Rust otherwise.
    pub const fn preferred() -> Backend {
        if Self::verilator_built() {
            Backend::Verilator
        } else {
            Backend::Rust
        }
    }

    /// The back end named by env TCPIP_BACKEND (`rust` or `verilator`), else
    /// [`Backend::preferred`]: lets a whole test suite run on either model.
    pub fn from_env() -> Result<Backend> {
        match std::env::var("TCPIP_BACKEND") {
            Ok(name) => name
                .parse()
                .map_err(|e| anyhow::anyhow!("TCPIP_BACKEND: {e}")),
            Err(_) => Ok(Self::preferred()),
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Backend::Rust => "rust",
            Backend::Verilator => "verilator",
        }
    }

    /// Fails, saying why, if this back end cannot run in this build.
    pub fn check_available(self) -> Result<()> {
        if self == Backend::Verilator && !Self::verilator_built() {
            bail!("{NOT_BUILT}");
        }
        Ok(())
    }
}

/// The signals the Verilator models of the receive pipeline and of the board core
/// trigger on (`clock` alone when every register is on its rising edge and no false
/// combinational loop between blocks made Verilator watch another signal; the models
/// then evaluate one edge a clock). None without the Verilator back end.
pub const RX_MODEL_TRIGGERS: Option<&str> = option_env!("TCPIP_RX_MODEL_TRIGGERS");
pub const BOARD_MODEL_TRIGGERS: Option<&str> = option_env!("TCPIP_BOARD_MODEL_TRIGGERS");

/// The error for the Verilator back end when it is not built.
pub const NOT_BUILT: &str = "the Verilator back end is not built: `verilator` was not installed when tcpip-sim was compiled (or TCPIP_VERILATOR=0 was set); run `apt-get install -y verilator` and rebuild, or use `--backend rust`";

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Backend {
    type Err = anyhow::Error;
    /// `rust` or `verilator` (case-insensitive).
    fn from_str(s: &str) -> Result<Backend> {
        match s.to_ascii_lowercase().as_str() {
            "rust" => Ok(Backend::Rust),
            "verilator" => Ok(Backend::Verilator),
            _ => bail!("unknown backend `{s}`: expected `rust` or `verilator`"),
        }
    }
}

/// One model of the receive pipeline, driven a clock at a time with plain integers.
pub trait RxBackend {
    fn backend(&self) -> Backend;
    /// Applies `inputs` with the clock low, lets the logic settle, raises the clock,
    /// settles again, and returns the outputs after the rising edge.
    fn cycle(&mut self, inputs: &RxInputs) -> RxOutputs;
    /// The outputs now (before the first clock: after the initial settle).
    fn outputs(&self) -> RxOutputs;
    /// The report registers now.
    fn fields(&self) -> RxFields;
    /// Calls `probe` on every clock just before the rising edge; only the Rust model
    /// can show its internals this way.
    fn set_probe(&mut self, _probe: Probe) -> Result<()> {
        bail!(
            "set_probe needs the Rust back end ({} is running): use RxSim::with_backend(config, Backend::Rust)",
            self.backend()
        )
    }
}

/// Opens a fresh model; errors when `backend` is not built.
pub fn open(backend: Backend) -> Result<Box<dyn RxBackend>> {
    Ok(match backend {
        Backend::Rust => Box::new(RustRx::new()),
        Backend::Verilator => Box::new(VerilatorRx::new()?),
    })
}

/// rust-hdl's simulation of [`RxPipeline`], driven directly (no `Simulation` threads).
pub struct RustRx {
    uut: Box<RxPipeline>,
    probe: Option<Probe>,
}

impl Default for RustRx {
    fn default() -> Self {
        Self::new()
    }
}

impl RustRx {
    pub fn new() -> Self {
        let mut uut = Box::new(RxPipeline::default());
        uut.connect_all();
        // Settle once, so outputs (FIFO empty flags) are valid before the first clock.
        assert!(simulate(&mut *uut, 200), "receive pipeline did not settle");
        RustRx { uut, probe: None }
    }

    pub fn pipeline(&self) -> &RxPipeline {
        &self.uut
    }
}

impl RxBackend for RustRx {
    fn backend(&self) -> Backend {
        Backend::Rust
    }

    fn cycle(&mut self, inputs: &RxInputs) -> RxOutputs {
        let uut = &mut self.uut;
        inputs.apply(uut);
        uut.clock.next = false.into();
        assert!(simulate(&mut **uut, 200), "receive pipeline did not settle");
        if let Some(probe) = &mut self.probe {
            probe(uut);
        }
        uut.clock.next = true.into();
        assert!(simulate(&mut **uut, 200), "receive pipeline did not settle");
        RxOutputs::of_pipeline(uut)
    }

    fn outputs(&self) -> RxOutputs {
        RxOutputs::of_pipeline(&self.uut)
    }

    fn fields(&self) -> RxFields {
        RxFields::of_pipeline(&self.uut)
    }

    fn set_probe(&mut self, probe: Probe) -> Result<()> {
        self.probe = Some(probe);
        Ok(())
    }
}

impl RxInputs {
    /// The filters' inputs set from `config`, everything else idle.
    pub fn configured(config: RxConfig) -> RxInputs {
        let m = config.mac;
        RxInputs {
            mac_hi: (m[0] as u32) << 8 | m[1] as u32,
            mac_mid: (m[2] as u32) << 8 | m[3] as u32,
            mac_lo: (m[4] as u32) << 8 | m[5] as u32,
            our_ip: u32::from_be_bytes(config.ip),
            netmask: u32::from_be_bytes(config.netmask),
            promiscuous: config.promiscuous as u32,
            ..Default::default()
        }
    }
}

/// Runs `frames` (sent as [`RxSim::push_frame`](crate::rx::RxSim::push_frame) sends
/// them) through both models in lock step on the same inputs, clock by clock, draining
/// the FIFO as RxSim does and stepping the counter read port through every counter.
/// Returns the clocks run; fails on the first clock where any output or report
/// register differs, naming it, or when the Verilator model is not built.
pub fn lock_step(config: RxConfig, frames: &[(Vec<u8>, Fcs)]) -> Result<u64> {
    let mut rust = open(Backend::Rust)?;
    let mut veri = open(Backend::Verilator)?;
    let mut inputs = RxInputs::configured(config);
    let mut stream: Vec<Option<u8>> = vec![];
    for (f, fcs) in frames {
        let mut f = f.clone();
        if *fcs == Fcs::Append && f.len() < MIN_FRAME {
            f.resize(MIN_FRAME, 0);
        }
        stream.extend(phy_bytes(&f, *fcs == Fcs::Append).into_iter().map(Some));
        stream.extend(std::iter::repeat_n(None, INTER_FRAME_GAP));
    }
    // Enough idle clocks for the last frame's report and its segment to drain.
    stream.extend(std::iter::repeat_n(None, 4000));
    let mut out = rust.outputs();
    if out != veri.outputs() {
        bail!(
            "the outputs differ before the first clock: {out:?} in Rust, {:?} in Verilator",
            veri.outputs()
        );
    }
    let mut reports = 0;
    for (cycle, phy) in stream.iter().enumerate() {
        inputs.phy_valid = phy.is_some() as u32;
        inputs.phy_data = phy.unwrap_or(0) as u32;
        inputs.fifo_read = (out.fifo_empty == 0) as u32;
        // Cycle through the counters, so the counter read port is compared too.
        inputs.counter_index = (cycle / 3 % 32) as u32;
        out = rust.cycle(&inputs);
        let v = veri.cycle(&inputs);
        if out != v {
            let (a, b): (Vec<u32>, Vec<u32>) = (as_words(&out), as_words(&v));
            let k = (0..a.len()).find(|&k| a[k] != b[k]).unwrap();
            bail!(
                "cycle {cycle} of {}: output `{}` is {:#x} in Rust and {:#x} in Verilator (inputs {inputs:?})",
                stream.len(),
                OUTPUT_NAMES[k],
                a[k],
                b[k]
            );
        }
        let (fr, fv) = (rust.fields(), veri.fields());
        if fr != fv {
            let (a, b) = (as_words(&fr), as_words(&fv));
            let k = (0..a.len()).find(|&k| a[k] != b[k]).unwrap();
            bail!(
                "cycle {cycle} of {}: report register `{}` is {:#x} in Rust and {:#x} in Verilator",
                stream.len(),
                FIELD_NAMES[k],
                a[k],
                b[k]
            );
        }
        reports += out.report_valid as usize;
    }
    if reports != frames.len() {
        bail!("{reports} reports for {} frames", frames.len());
    }
    Ok(stream.len() as u64)
}

/// The u32 words of a repr(C) struct of u32s.
fn as_words<T: Copy>(v: &T) -> Vec<u32> {
    let n = std::mem::size_of::<T>() / 4;
    // Safety: only used on RxOutputs and RxFields, repr(C) structs of u32 only.
    unsafe { std::slice::from_raw_parts(v as *const T as *const u32, n) }.to_vec()
}

#[cfg(verilator_model)]
mod ffi {
    use std::ffi::c_void;
    extern "C" {
        pub fn tcpip_rxm_layout() -> u32;
        pub fn tcpip_rxm_new() -> *mut c_void;
        pub fn tcpip_rxm_free(model: *mut c_void);
        pub fn tcpip_rxm_cycle(model: *mut c_void, inputs: *const u32, outputs: *mut u32);
        pub fn tcpip_rxm_outputs(model: *mut c_void, outputs: *mut u32);
        pub fn tcpip_rxm_fields(model: *mut c_void, fields: *mut u32);
    }
}

/// The Verilator model of the generated Verilog of the receive pipeline.
pub struct VerilatorRx {
    #[cfg(verilator_model)]
    model: std::ptr::NonNull<std::ffi::c_void>,
}

impl VerilatorRx {
    /// A fresh model, every register at its `initial` value or 0.
    #[cfg(verilator_model)]
    pub fn new() -> Result<Self> {
        use std::mem::size_of;
        // The shim was generated from the same rx_ports.rs; this catches a stale build.
        let (i, o, f) = (INPUT_NAMES.len(), OUTPUT_NAMES.len(), FIELD_NAMES.len());
        assert_eq!(size_of::<RxInputs>(), 4 * i);
        assert_eq!(size_of::<RxOutputs>(), 4 * o);
        assert_eq!(size_of::<RxFields>(), 4 * f);
        let layout = unsafe { ffi::tcpip_rxm_layout() } as usize;
        if layout != i * 10000 + o * 100 + f {
            bail!("the Verilator model's shim has {layout} as port layout, the Rust side {}: rebuild tcpip-sim", i * 10000 + o * 100 + f);
        }
        let model = unsafe { ffi::tcpip_rxm_new() };
        let model = std::ptr::NonNull::new(model).expect("tcpip_rxm_new returned null");
        Ok(VerilatorRx { model })
    }

    #[cfg(not(verilator_model))]
    pub fn new() -> Result<Self> {
        bail!("{NOT_BUILT}")
    }
}

#[cfg(verilator_model)]
impl Drop for VerilatorRx {
    fn drop(&mut self) {
        unsafe { ffi::tcpip_rxm_free(self.model.as_ptr()) }
    }
}

#[cfg(verilator_model)]
impl RxBackend for VerilatorRx {
    fn backend(&self) -> Backend {
        Backend::Verilator
    }

    fn cycle(&mut self, inputs: &RxInputs) -> RxOutputs {
        let mut out = RxOutputs::default();
        // Safety: the structs are repr(C) runs of u32 of the lengths the shim uses
        // (checked in `new`).
        unsafe {
            ffi::tcpip_rxm_cycle(
                self.model.as_ptr(),
                inputs as *const RxInputs as *const u32,
                &mut out as *mut RxOutputs as *mut u32,
            )
        };
        out
    }

    fn outputs(&self) -> RxOutputs {
        let mut out = RxOutputs::default();
        unsafe {
            ffi::tcpip_rxm_outputs(self.model.as_ptr(), &mut out as *mut RxOutputs as *mut u32)
        };
        out
    }

    fn fields(&self) -> RxFields {
        let mut f = RxFields::default();
        unsafe { ffi::tcpip_rxm_fields(self.model.as_ptr(), &mut f as *mut RxFields as *mut u32) };
        f
    }
}

#[cfg(not(verilator_model))]
impl RxBackend for VerilatorRx {
    fn backend(&self) -> Backend {
        Backend::Verilator
    }
    fn cycle(&mut self, _inputs: &RxInputs) -> RxOutputs {
        unreachable!("{NOT_BUILT}")
    }
    fn outputs(&self) -> RxOutputs {
        unreachable!("{NOT_BUILT}")
    }
    fn fields(&self) -> RxFields {
        unreachable!("{NOT_BUILT}")
    }
}
