//! `tcpip`, the command line of tcpip-fpga: one subcommand per module (see
//! ARCHITECTURE.md, "Command line"). Errors are one sentence on stderr; bad input exits 2,
//! any other failure 1.

mod replay;
mod synth;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "tcpip",
    version,
    about = "A TCP/IP network interface for the Alchitry Cu, simulated or on the board"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Push every frame of a capture through the simulated receive pipeline and print
    /// what the hardware reported, one JSON object per frame.
    Replay(replay::ReplayArgs),
    /// Build the Alchitry Cu bitstream (yosys, nextpnr-ice40, icepack); print
    /// utilisation and Fmax per clock; fail when a clock misses its target.
    Synth(synth::SynthArgs),
    /// Program the Alchitry Cu with the bitstream (iceprog).
    Flash(synth::FlashArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints usage errors (exit 2) and --help / --version (exit 0) itself.
        Err(e) => e.exit(),
    };
    let stdout = std::io::stdout();
    let result = match &cli.command {
        Command::Replay(args) => replay::run(args, &mut stdout.lock()),
        Command::Synth(args) => synth::run(args, &mut stdout.lock()).map_err(Into::into),
        Command::Flash(args) => synth::flash(args).map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if replay::is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcpip: {e}");
            ExitCode::from(if e.is::<replay::ReplayError>() { 2 } else { 1 })
        }
    }
}
