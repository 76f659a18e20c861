//! Which board a command talks to, as the command line names it: `sim[@BAUD]` (the
//! virtual board, the default; with a rate, its link runs at its UART's pace at that
//! rate instead of as fast as the simulation goes) or `serial:PATH[@BAUD]` (a board, or
//! `tcpip board`, on a serial device). A rate is one the board's UART runs at: 4000000
//! (the default, and the board's rate from power-up) or 12000000, which a session
//! selects in its Config.

use super::message::LinkRate;
use super::{Link, SerialLink, SimLink};
use std::str::FromStr;
use tcpip_sim::backend::Backend;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkSpec {
    /// The virtual board; `rate`: its link paced as its UART at that rate (8N1).
    Sim {
        rate: Option<LinkRate>,
    },
    Serial {
        path: String,
        rate: LinkRate,
    },
}

fn parse_rate(s: &str, baud: &str) -> Result<LinkRate, String> {
    baud.parse::<u32>()
        .ok()
        .and_then(LinkRate::from_baud)
        .ok_or_else(|| {
            format!("{s} asks for {baud} baud, and the board's UART runs at 4000000 or 12000000")
        })
}

impl FromStr for LinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<LinkSpec, String> {
        if s == "sim" {
            return Ok(LinkSpec::Sim { rate: None });
        }
        if let Some(baud) = s.strip_prefix("sim@") {
            let rate = parse_rate(s, baud)?;
            return Ok(LinkSpec::Sim { rate: Some(rate) });
        }
        let Some(rest) = s.strip_prefix("serial:") else {
            return Err(format!(
                "{s} is not a link (write sim, sim@4000000 or serial:/dev/ttyUSB1@12000000)"
            ));
        };
        let (path, rate) = match rest.rsplit_once('@') {
            Some((path, baud)) => (path, parse_rate(s, baud)?),
            None => (rest, LinkRate::Mbaud4),
        };
        if path.is_empty() {
            return Err(format!("{s} names no serial port"));
        }
        Ok(LinkSpec::Serial {
            path: path.to_string(),
            rate,
        })
    }
}

impl LinkSpec {
    /// The rate a session asks the board for.
    pub fn rate(&self) -> LinkRate {
        match self {
            LinkSpec::Sim { rate } => rate.unwrap_or_default(),
            LinkSpec::Serial { rate, .. } => *rate,
        }
    }

    /// Opens the link, its host end at the spec's rate; the virtual board runs on
    /// `backend`. (A session then selects the rate on the board: `Session::start`.)
    pub fn open(&self, backend: Backend) -> anyhow::Result<Box<dyn Link>> {
        Ok(match self {
            LinkSpec::Sim { rate } => Box::new(SimLink::paced(backend, rate.is_some())?),
            LinkSpec::Serial { path, rate } => Box::new(SerialLink::open(path, *rate)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sim_and_serial() {
        assert_eq!("sim".parse(), Ok(LinkSpec::Sim { rate: None }));
        assert_eq!(
            "sim@4000000".parse(),
            Ok(LinkSpec::Sim {
                rate: Some(LinkRate::Mbaud4)
            })
        );
        assert_eq!(
            "sim@12000000".parse(),
            Ok(LinkSpec::Sim {
                rate: Some(LinkRate::Mbaud12)
            })
        );
        assert!("sim@".parse::<LinkSpec>().is_err());
        assert!("sim@0".parse::<LinkSpec>().is_err());
        assert_eq!(
            "serial:/dev/ttyUSB1".parse(),
            Ok(LinkSpec::Serial {
                path: "/dev/ttyUSB1".into(),
                rate: LinkRate::Mbaud4
            })
        );
        assert_eq!(
            "serial:/dev/pts/3@12000000".parse(),
            Ok(LinkSpec::Serial {
                path: "/dev/pts/3".into(),
                rate: LinkRate::Mbaud12
            })
        );
        assert_eq!(
            "serial:/dev/pts/3@115200".parse::<LinkSpec>(),
            Err("serial:/dev/pts/3@115200 asks for 115200 baud, and the board's UART runs at 4000000 or 12000000".into())
        );
        assert!("usb".parse::<LinkSpec>().is_err());
        assert!("serial:".parse::<LinkSpec>().is_err());
        assert!("serial:/dev/x@fast".parse::<LinkSpec>().is_err());
        assert!("serial:/dev/x@0".parse::<LinkSpec>().is_err());
    }
}
