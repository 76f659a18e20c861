//! Which board a command talks to, as the command line names it: `sim` (the virtual
//! board, the default) or `serial:PATH[@BAUD]` (a board, or `tcpip board`, on a
//! serial device).

use super::{Link, SerialLink, SimLink};
use std::str::FromStr;
use tcpip_sim::backend::Backend;

/// The board's UART rate: 4 Mbaud, 25 clocks a bit at 100 MHz.
pub const DEFAULT_BAUD: u32 = 4_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkSpec {
    Sim,
    Serial { path: String, baud: u32 },
}

impl FromStr for LinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<LinkSpec, String> {
        if s == "sim" {
            return Ok(LinkSpec::Sim);
        }
        let Some(rest) = s.strip_prefix("serial:") else {
            return Err(format!(
                "{s} is not a link (write sim or serial:/dev/ttyUSB1@4000000)"
            ));
        };
        let (path, baud) = match rest.rsplit_once('@') {
            Some((path, baud)) => match baud.parse::<u32>() {
                Ok(b) if b > 0 => (path, b),
                _ => {
                    return Err(format!(
                        "{s} has a bad baud rate (write serial:PATH@4000000)"
                    ))
                }
            },
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
            LinkSpec::Sim => Box::new(SimLink::new(backend)?),
            LinkSpec::Serial { path, baud } => Box::new(SerialLink::open(path, *baud)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sim_and_serial() {
        assert_eq!("sim".parse(), Ok(LinkSpec::Sim));
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
