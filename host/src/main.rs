//! `tcpip`, the command line of tcpip-fpga: one subcommand per module (see
//! ARCHITECTURE.md, "Command line"). Errors are one sentence on stderr; bad input exits 2,
//! any other failure 1.

mod board_cmd;
mod demo;
mod replay;
mod stats_cmd;

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
        Command::Board(args) => board_cmd::run(args),
        Command::Demo(args) => demo::run(args, &mut stdout.lock()),
        Command::Stats(args) => stats_cmd::run(args, &mut stdout.lock()),
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
