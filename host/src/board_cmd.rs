//! `tcpip board --serial PATH`: the virtual board served on a serial device, so that a
//! host (`tcpip stats --link serial:…`, or any program speaking the link protocol)
//! reaches it through a real serial port exactly as it would reach the Alchitry Cu.
//! With a PTY pair (`socat -d -d pty,raw,echo=0 pty,raw,echo=0`) no hardware is needed.
//!
//! The port follows the board's UART: 4 Mbaud from the start, and whatever rate a
//! Config selects from the moment the board applies it (a PTY carries bytes at any
//! rate, so this mirrors the board for whoever looks at the port's settings). Each
//! change is logged on stderr.

use crate::cli::{BackendArg, BadInput};
use anyhow::Context;
use clap::Args;
use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::time::Duration;
use tcpip_host::link::LinkRate;
use tcpip_sim::board::VirtualBoard;
use tcpip_sim::pcap::{read_frames, write_frames, CapturedFrame};

#[derive(Args, Debug)]
#[command(after_help = "\
The board runs until the process is killed. Its Ethernet side is quiet unless --inject \
gives it frames: they arrive on its PHY once the host has sent a complete frame that \
leaves the link's rate as it was (say, Config; after a Config that selects 12 Mbaud, the \
Config the host sends again at the new rate), as traffic would reach a board that was \
just brought up.")]
pub struct BoardArgs {
    /// The serial device to serve the board on (one end of a PTY pair, say).
    #[arg(long, value_name = "PATH")]
    pub serial: String,
    /// Frames (pcap or pcapng, Ethernet) to put on the board's wire once a host is there.
    #[arg(long, value_name = "FILE")]
    pub inject: Option<PathBuf>,
    /// Write every frame the board transmits to this pcap.
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,
    /// Which model of the hardware runs (default: verilator when built).
    #[arg(long, value_enum)]
    pub backend: Option<crate::cli::BackendArg>,
}

pub fn run(args: &BoardArgs) -> anyhow::Result<()> {
    let backend = BackendArg::resolve(args.backend)?;
    let inject = match &args.inject {
        Some(path) => read_frames(path)
            .map_err(|e| BadInput(format!("cannot read {}: {e}", path.display())))?,
        None => vec![],
    };
    if cfg!(unix) && !std::path::Path::new(&args.serial).exists() {
        return Err(BadInput(format!("serial device {} does not exist.", args.serial)).into());
    }
    let mut rate = LinkRate::Mbaud4;
    let mut port = serialport::new(&args.serial, rate.baud())
        .timeout(Duration::from_millis(5))
        .open()
        .map_err(|e| BadInput(format!("cannot open serial device {}: {e}", args.serial)))?;
    let mut board = VirtualBoard::new(backend).map_err(|e| BadInput(format!("{e}")))?;
    eprintln!(
        "tcpip board: virtual board ({backend} model) on {}, MAC 02:00:00:00:00:02, IP 192.0.2.2",
        args.serial
    );
    let mut sent = vec![];
    let mut pending_inject = Some(inject);
    let mut host_settled = false;
    let mut in_frame = false;
    let mut buf = vec![0u8; 4096];
    loop {
        let mut frame_ended = false;
        match port.read(&mut buf) {
            Ok(n) => {
                for &b in &buf[..n] {
                    // A 0x00 after frame bytes ends a frame of the host's.
                    frame_ended |= b == 0 && in_frame;
                    in_frame = b != 0;
                }
                board.write_link(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {}
            // The other end of a PTY closed: wait for the next host.
            Err(e) if e.raw_os_error() == Some(5) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e).context(format!("cannot read from {}", args.serial)),
        }
        board.run_until_idle(200_000);
        let now = if board.link_fast() {
            LinkRate::Mbaud12
        } else {
            LinkRate::Mbaud4
        };
        if now != rate {
            rate = now;
            port.set_baud_rate(rate.baud())
                .with_context(|| format!("cannot set {} to {} baud", args.serial, rate.baud()))?;
            eprintln!("tcpip board: link at {} baud", rate.baud());
        } else if frame_ended {
            // The host speaks at the rate the board runs: it is settled.
            host_settled = true;
        }
        if host_settled {
            if let Some(frames) = pending_inject.take() {
                // One at a time, as a wire paced by the link would deliver them: the
                // receive FIFO holds 4 KiB, and a capture pushed at line rate would
                // overflow it (whole segments dropped, counted as fifo_full).
                for f in &frames {
                    board.push_frame(&f.data);
                    board.run_until_idle(200_000);
                }
            }
        }
        let out = board.read_link();
        if !out.is_empty() {
            port.write_all(&out)
                .and_then(|_| port.flush())
                .with_context(|| format!("cannot write to {}", args.serial))?;
        }
        if let Some(path) = &args.capture {
            let frames = board.take_frames();
            if !frames.is_empty() {
                // Stamped with the board's own time: 10 ns a clock.
                let timestamp = Duration::from_nanos(board.cycles() * 10);
                sent.extend(
                    frames
                        .into_iter()
                        .map(|data| CapturedFrame { timestamp, data }),
                );
                write_frames(path, &sent)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
}
