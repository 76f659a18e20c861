//! `tcpip board --serial PATH`: the virtual board served on a serial device, so that a
//! host (`tcpip stats --link serial:…`, or any program speaking the link protocol)
//! reaches it through a real serial port exactly as it would reach the Alchitry Cu.
//! With a PTY pair (`socat -d -d pty,raw,echo=0 pty,raw,echo=0`) no hardware is needed.

use crate::cli::{BackendArg, BadInput};
use anyhow::Context;
use clap::Args;
use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::time::Duration;
use tcpip_host::link::spec::DEFAULT_BAUD;
use tcpip_sim::board::VirtualBoard;
use tcpip_sim::pcap::{read_frames, write_frames, CapturedFrame};

#[derive(Args, Debug)]
#[command(after_help = "\
The board runs until the process is killed. Its Ethernet side is quiet unless --inject \
gives it frames: they arrive on its PHY once the host has sent its first complete frame \
(say, Config), as traffic would reach a board that was just brought up.")]
pub struct BoardArgs {
    /// The serial device to serve the board on (one end of a PTY pair, say).
    #[arg(long, value_name = "PATH")]
    pub serial: String,
    /// Line rate; a PTY ignores it.
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    pub baud: u32,
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
    let mut port = serialport::new(&args.serial, args.baud)
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
    let mut host_frame_seen = false;
    let mut in_frame = false;
    let mut buf = vec![0u8; 4096];
    loop {
        match port.read(&mut buf) {
            Ok(n) => {
                for &b in &buf[..n] {
                    // A 0x00 after frame bytes ends the host's first frame.
                    host_frame_seen |= b == 0 && in_frame;
                    in_frame = b != 0;
                }
                board.write_link(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {}
            // The other end of a PTY closed: wait for the next host.
            Err(e) if e.raw_os_error() == Some(5) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e).context(format!("cannot read from {}", args.serial)),
        }
        if host_frame_seen {
            if let Some(frames) = pending_inject.take() {
                // One at a time, as a wire paced by the link would deliver them: the
                // receive FIFO holds 2 KiB, and a capture pushed at line rate would
                // overflow it (whole segments dropped, counted as fifo_full).
                for f in &frames {
                    board.push_frame(&f.data);
                    board.run_until_idle(200_000);
                }
            }
        }
        board.run_until_idle(200_000);
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
