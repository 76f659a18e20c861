//! `tcpip`, the command line of tcpip-fpga: one subcommand per module (see
//! ARCHITECTURE.md, "Command line"). Errors are one sentence on stderr; bad input exits 2,
//! any other failure 1.

mod replay;
mod serve;
mod soft_board;

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
    /// Run the host stack with an application (echo, discard, http) on the simulated
    /// board, whose Ethernet port can be a Linux TAP device, or on a real board.
    /// Prints one line when ready; runs until interrupted.
    Serve(serve::ServeArgs),
    /// Connect to HOST:PORT through the board: standard input goes to the peer, what
    /// the peer sends goes to standard output (like nc).
    Connect(serve::ConnectArgs),
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
        Command::Serve(args) => serve::serve(args).map_err(serve::boxed),
        Command::Connect(args) => serve::connect(args).map_err(serve::boxed),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if replay::is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcpip: {e}");
            let bad_input = e.is::<replay::ReplayError>() || serve::is_bad_input(e.as_ref());
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}
