//! `tcpip`, the command line of tcpip-fpga: one subcommand per module (see
//! ARCHITECTURE.md, "Command line"). Errors are one sentence on stderr; bad input exits 2,
//! any other failure 1.

mod bench_cmd;
mod board_cmd;
mod cli;
mod demo;
mod replay;
mod serve;
mod stats_cmd;
mod synth;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli::boxed;

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
    /// The whole story through the simulated board, as a ladder diagram: ARP, ping,
    /// the 3-way handshake, segments delivered 1, 3, 2, data both ways, a half-close
    /// and the 4-way close through TIME-WAIT.
    Demo(demo::DemoArgs),
    /// Push every frame of a capture through the simulated receive pipeline and print
    /// what the hardware reported, one JSON object per frame.
    Replay(replay::ReplayArgs),
    /// Serve the virtual board on a serial device (one end of a PTY pair), so the host's
    /// serial code path runs without hardware.
    Board(board_cmd::BoardArgs),
    /// Print the board's counters: every drop under its reason, and what it accepted.
    Stats(stats_cmd::StatsArgs),
    /// Run the host stack with an application (echo, discard, http) on the simulated
    /// board, whose Ethernet port can be a Linux TAP device, or on a real board.
    /// Prints one line when ready; runs until interrupted.
    Serve(serve::ServeArgs),
    /// Connect to HOST:PORT through the board: standard input goes to the peer, what
    /// the peer sends goes to standard output (like nc).
    Connect(serve::ConnectArgs),
    /// Build the Alchitry Cu bitstream (yosys, nextpnr-ice40, icepack); print
    /// utilisation and Fmax per clock; fail when a clock misses its target.
    Synth(synth::SynthArgs),
    /// Program the Alchitry Cu with the bitstream (iceprog).
    Flash(synth::FlashArgs),
    /// Measure the simulated board: bulk and echo through a TAP device with Linux's
    /// TCP (KiB/s, retransmissions, fifo_full) and the link-paced goodput at 4 and 12
    /// Mbaud. Needs root (it makes a network namespace of its own).
    Bench(bench_cmd::BenchArgs),
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
        Command::Board(args) => board_cmd::run(args).map_err(boxed),
        Command::Demo(args) => demo::run(args, &mut stdout.lock()).map_err(boxed),
        Command::Stats(args) => stats_cmd::run(args, &mut stdout.lock()).map_err(boxed),
        Command::Serve(args) => serve::serve(args).map_err(boxed),
        Command::Connect(args) => serve::connect(args).map_err(boxed),
        Command::Synth(args) => synth::run(args, &mut stdout.lock()).map_err(Into::into),
        Command::Flash(args) => synth::flash(args).map_err(Into::into),
        Command::Bench(args) => bench_cmd::run(args, &mut stdout.lock()).map_err(boxed),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if replay::is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcpip: {e}");
            let bad_input = e.is::<cli::BadInput>();
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}
