//! Which board a command talks to, as the command line names it: `sim[@BAUD]` (the
//! virtual board, the default; with a rate, its link runs at that UART's pace instead
//! of as fast as the simulation goes) or `serial:PATH[@BAUD]` (a board, or `tcpip
//! board`, on a serial device).

use super::{Link, SerialLink, SimLink};
use std::str::FromStr;
use tcpip_sim::backend::Backend;

/// The board's UART rate: 4 Mbaud, 25 clocks a bit at 100 MHz.
pub const DEFAULT_BAUD: u32 = 4_000_000;
/// The board's clock, which the simulated link's pace is counted in.
const BOARD_CLOCK_HZ: u64 = 100_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkSpec {
    /// The virtual board; `baud`: its link paced as a UART at that rate (8N1).
    Sim {
        baud: Option<u32>,
    },
    Serial {
        path: String,
        baud: u32,
    },
}

/// Board clocks per link byte at `baud` (8N1: ten bits a byte), at least one.
pub fn clocks_per_byte(baud: u32) -> u64 {
    (BOARD_CLOCK_HZ * 10 / baud.max(1) as u64).max(1)
}

fn parse_baud(s: &str, baud: &str, example: &str) -> Result<u32, String> {
    match baud.parse::<u32>() {
        Ok(b) if b > 0 => Ok(b),
        _ => Err(format!("{s} has a bad baud rate (write {example})")),
    }
}

impl FromStr for LinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<LinkSpec, String> {
        if s == "sim" {
            return Ok(LinkSpec::Sim { baud: None });
        }
        if let Some(baud) = s.strip_prefix("sim@") {
            let baud = parse_baud(s, baud, "sim@4000000")?;
            return Ok(LinkSpec::Sim { baud: Some(baud) });
        }
        let Some(rest) = s.strip_prefix("serial:") else {
            return Err(format!(
                "{s} is not a link (write sim, sim@4000000 or serial:/dev/ttyUSB1@4000000)"
            ));
        };
        let (path, baud) = match rest.rsplit_once('@') {
            Some((path, baud)) => (path, parse_baud(s, baud, "serial:PATH@4000000")?),
            None => (rest, DEFAULT_BAUD),
        };
        if path.is_empty() {
            return Err(format!("{s} names no serial port"));
        }
        Ok(LinkSpec::Serial {
            path: path.to_string(),
            baud,
        })
    }
}

impl LinkSpec {
    /// Opens the link; the virtual board runs on `backend`.
    pub fn open(&self, backend: Backend) -> anyhow::Result<Box<dyn Link>> {
        Ok(match self {
            LinkSpec::Sim { baud } => Box::new(SimLink::paced(backend, *baud)?),
            LinkSpec::Serial { path, baud } => Box::new(SerialLink::open(path, *baud)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sim_and_serial() {
        assert_eq!("sim".parse(), Ok(LinkSpec::Sim { baud: None }));
        assert_eq!(
            "sim@4000000".parse(),
            Ok(LinkSpec::Sim {
                baud: Some(4_000_000)
            })
        );
        assert_eq!(clocks_per_byte(4_000_000), 250);
        assert!("sim@".parse::<LinkSpec>().is_err());
        assert!("sim@0".parse::<LinkSpec>().is_err());
        assert_eq!(
            "serial:/dev/ttyUSB1".parse(),
            Ok(LinkSpec::Serial {
                path: "/dev/ttyUSB1".into(),
                baud: DEFAULT_BAUD
            })
        );
        assert_eq!(
            "serial:/dev/pts/3@115200".parse(),
            Ok(LinkSpec::Serial {
                path: "/dev/pts/3".into(),
                baud: 115_200
            })
        );
        assert!("usb".parse::<LinkSpec>().is_err());
        assert!("serial:".parse::<LinkSpec>().is_err());
        assert!("serial:/dev/x@fast".parse::<LinkSpec>().is_err());
        assert!("serial:/dev/x@0".parse::<LinkSpec>().is_err());
    }
}
