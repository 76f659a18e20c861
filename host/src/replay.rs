//! `tcpip replay`: pushes every Ethernet frame of a capture through the simulated
//! receive pipeline and prints, one JSON object per line, what the hardware reported.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::cli::{BackendArg, BadInput};
use clap::{Args, ValueEnum};
use std::time::Duration;
use tcpip_host::link::message::{encode_frame, Config as LinkConfig, Message};
use tcpip_sim::board::{phy_bytes, VirtualBoard};
use tcpip_sim::pcap::{read_frames, write_frames, CapturedFrame};
use tcpip_sim::rx::{Fcs, RxConfig, RxSim};

/// The board's identity when none is given (a locally administered MAC, TEST-NET-1 IP).
/// tests/fixtures/linux-session.pcap was recorded with the board at this address.
pub const DEFAULT_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
pub const DEFAULT_IP: [u8; 4] = [192, 0, 2, 2];

#[derive(Args, Debug)]
#[command(after_help = "\
Filtering: with neither --mac nor --ip the board listens promiscuously, so a capture of \
anyone's traffic is parsed to the last layer; giving --mac or --ip replays as a board \
with that identity (the other one keeps its default, 02:00:00:00:00:02 or 192.0.2.2), \
filtering as the hardware does unless --promiscuous is also given.

Output: one JSON object per frame, numbered from 1 in capture order, as the hardware \
reported it (verdict, drop_reason, and the layers it parsed). Exit status 0 when every \
frame was replayed, whatever the verdicts; 2 for bad input.")]
pub struct ReplayArgs {
    /// Capture to replay (pcap or pcapng, Ethernet link type).
    pub file: PathBuf,
    /// The board's MAC address, as aa:bb:cc:dd:ee:ff.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// The board's IPv4 address, as a.b.c.d.
    #[arg(long, value_name = "A")]
    pub ip: Option<String>,
    /// Accept frames for any MAC and IP address.
    #[arg(long)]
    pub promiscuous: bool,
    /// append: frames are as captured (no FCS); short ones are zero-padded to 60 bytes
    /// as the sender's MAC did and an FCS is added. present: each frame already ends
    /// with its FCS and is sent as it is.
    #[arg(long, value_enum, default_value_t = FcsArg::Append)]
    pub fcs: FcsArg,
    /// Write the frames the board transmitted in answer (ARP and echo replies) as a pcap.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Which model of the hardware runs: the generated Verilog under Verilator (the
    /// default when it was built), or rust-hdl's simulation of the Rust description.
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FcsArg {
    Append,
    Present,
}

pub fn parse_mac(text: &str) -> Result<[u8; 6], BadInput> {
    let bad = || {
        BadInput(format!(
            "--mac {text} is not a MAC address (write it as 02:00:00:00:00:02)."
        ))
    };
    let parts: Vec<&str> = text.split([':', '-']).collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(parts) {
        if part.len() != 2 {
            return Err(bad());
        }
        *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
    }
    Ok(mac)
}

pub fn parse_ip(text: &str) -> Result<[u8; 4], BadInput> {
    text.parse::<std::net::Ipv4Addr>()
        .map(|ip| ip.octets())
        .map_err(|_| {
            BadInput(format!(
                "--ip {text} is not an IPv4 address (write it as 192.0.2.2)."
            ))
        })
}

/// The receive configuration the arguments ask for (see the help text for the rules).
pub fn config(args: &ReplayArgs) -> Result<RxConfig, BadInput> {
    let mac = args.mac.as_deref().map(parse_mac).transpose()?;
    let ip = args.ip.as_deref().map(parse_ip).transpose()?;
    let promiscuous = args.promiscuous || (mac.is_none() && ip.is_none());
    Ok(RxConfig {
        mac: mac.unwrap_or(DEFAULT_MAC),
        ip: ip.unwrap_or(DEFAULT_IP),
        // A capture has no subnet: a /32, so only 255.255.255.255 and multicast are
        // broadcast destinations.
        netmask: [255; 4],
        promiscuous,
    })
}

/// Runs the replay, writing one JSON line per frame to `out`.
pub fn run(args: &ReplayArgs, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let config = config(args)?;
    let backend = BackendArg::resolve(args.backend)?;
    let frames = read_frames(&args.file).map_err(|e| BadInput(e.to_string()))?;
    let fcs = match args.fcs {
        FcsArg::Append => Fcs::Append, // the driver pads short frames before the FCS
        FcsArg::Present => Fcs::Present,
    };
    let mut sim = RxSim::with_backend(config, backend).map_err(|e| BadInput(e.to_string()))?;
    for frame in &frames {
        sim.push_frame(&frame.data, fcs);
    }
    sim.flush();
    let reports = sim.take_reports();
    if reports.len() != frames.len() {
        return Err(format!(
            "the simulated pipeline reported {} frames for the {} it was given.",
            reports.len(),
            frames.len()
        )
        .into());
    }
    for report in &reports {
        writeln!(out, "{}", serde_json::to_string(report)?)?;
    }
    out.flush()?;
    if let Some(path) = &args.out {
        let replies = answers(config, backend, &frames, fcs)?;
        write_frames(path, &replies).map_err(|e| BadInput(e.to_string()))?;
    }
    Ok(())
}

/// What the whole board (the virtual board: receive and transmit pipelines) sends in
/// answer to the capture: ARP and echo replies, each stamped with its request's time
/// plus the board's latency.
fn answers(
    config: RxConfig,
    backend: tcpip_sim::backend::Backend,
    frames: &[CapturedFrame],
    fcs: Fcs,
) -> Result<Vec<CapturedFrame>, Box<dyn std::error::Error>> {
    let mut board = VirtualBoard::new(backend).map_err(|e| BadInput(e.to_string()))?;
    let configure = Message::Config(LinkConfig {
        mac: config.mac,
        ip: config.ip,
        netmask: [255, 255, 255, 0],
        promiscuous: config.promiscuous,
        link_rate: Default::default(),
    });
    board.write_link(&encode_frame(&configure)?);
    board.run_until_idle(100_000);
    let mut replies = vec![];
    for frame in frames {
        let start = board.cycles();
        match fcs {
            Fcs::Append => board.push_frame(&frame.data),
            Fcs::Present => board.push_phy_bytes(&phy_bytes(&frame.data, false)),
        }
        board.run_until_idle(1_000_000);
        // What the board tells the host is not part of the wire.
        board.read_link();
        for data in board.take_frames() {
            let latency = Duration::from_nanos((board.cycles() - start) * 10);
            replies.push(CapturedFrame {
                timestamp: frame.timestamp + latency,
                data,
            });
        }
    }
    Ok(replies)
}

/// Whether an error is the reader of our output going away (`tcpip replay ... | head`).
pub fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_and_ip_syntax() {
        assert_eq!(
            parse_mac("02:00:5E:10:00:01").unwrap(),
            [2, 0, 0x5e, 0x10, 0, 1]
        );
        assert_eq!(
            parse_mac("02-00-5e-10-00-01").unwrap(),
            [2, 0, 0x5e, 0x10, 0, 1]
        );
        for bad in [
            "",
            "02:00:5e:10:00",
            "02:00:5e:10:00:01:02",
            "2:0:5e:10:0:1",
            "zz:00:00:00:00:00",
        ] {
            assert!(parse_mac(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_ip("10.0.0.2").unwrap(), [10, 0, 0, 2]);
        for bad in ["", "10.0.0", "10.0.0.256", "a.b.c.d", "10.0.0.2/24"] {
            assert!(parse_ip(bad).is_err(), "{bad:?}");
        }
    }

    fn args(mac: Option<&str>, ip: Option<&str>, promiscuous: bool) -> ReplayArgs {
        ReplayArgs {
            file: "x.pcap".into(),
            mac: mac.map(String::from),
            ip: ip.map(String::from),
            promiscuous,
            fcs: FcsArg::Append,
            out: None,
            backend: None,
        }
    }

    #[test]
    fn promiscuous_unless_an_identity_is_given() {
        let c = config(&args(None, None, false)).unwrap();
        assert_eq!(
            (c.mac, c.ip, c.promiscuous),
            (DEFAULT_MAC, DEFAULT_IP, true)
        );
        let c = config(&args(None, Some("10.0.0.9"), false)).unwrap();
        assert_eq!(
            (c.mac, c.ip, c.promiscuous),
            (DEFAULT_MAC, [10, 0, 0, 9], false)
        );
        let c = config(&args(Some("02:00:00:00:00:09"), None, true)).unwrap();
        assert_eq!((c.mac[5], c.ip, c.promiscuous), (9, DEFAULT_IP, true));
    }
}
