//! What every subcommand shares: the one error kind the user can fix, and the
//! `--backend` choice.

use clap::ValueEnum;
use tcpip_sim::backend::Backend;

/// Input the user can fix (a bad flag value, a missing file or device), printed as
/// the one sentence it holds; `tcpip` exits 2 on it.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// `Err(BadInput(msg))` as an anyhow error.
pub fn bad<T>(msg: String) -> anyhow::Result<T> {
    Err(BadInput(msg).into())
}

/// An anyhow error as `main` reports it, [`BadInput`] kept recognisable.
pub fn boxed(e: anyhow::Error) -> Box<dyn std::error::Error> {
    match e.downcast::<BadInput>() {
        Ok(b) => Box::new(b),
        Err(e) => e.into(),
    }
}

/// `--backend`: which model of the hardware the simulated board runs.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BackendArg {
    /// rust-hdl's simulation of the Rust description.
    Rust,
    /// The generated Verilog under Verilator.
    Verilator,
}

impl BackendArg {
    /// The model to run: the one named, else the one env TCPIP_BACKEND names, else
    /// Verilator when it was built and the Rust model otherwise.
    pub fn resolve(arg: Option<BackendArg>) -> Result<Backend, BadInput> {
        match arg {
            Some(BackendArg::Rust) => Ok(Backend::Rust),
            Some(BackendArg::Verilator) => Ok(Backend::Verilator),
            None => Backend::from_env().map_err(|e| BadInput(format!("{e}."))),
        }
    }
}
