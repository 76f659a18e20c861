//! `tcpip stats`: the board's counters (every drop under its named reason, and what it
//! accepted), read over the link with GetCounters. It sends no Config, so it leaves the
//! board's link rate as it is: it asks at the rate given, and if no answer comes, at
//! the other (a session may have left the board at 12 Mbaud).

use crate::cli::{BackendArg, BadInput};
use clap::Args;
use std::io::Write;
use std::time::Duration;
use tcpip_host::link::message::named_counters;
use tcpip_host::link::{Link, LinkRate, LinkSpec, Message};

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// The board: `sim` (the virtual board) or `serial:PATH[@BAUD]`.
    #[arg(long, default_value = "sim", value_parser = parse_link)]
    pub link: LinkSpec,
    /// Print JSON ({"name": value, ...}) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also list counters that are zero.
    #[arg(long)]
    pub all: bool,
    /// Which model of the hardware runs for `--link sim` (default: verilator when built).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
}

pub fn parse_link(s: &str) -> Result<LinkSpec, String> {
    s.parse()
}

/// How long a board has to answer GetCounters, at each rate.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

pub fn run(args: &StatsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let backend = BackendArg::resolve(args.backend)?;
    let mut link = args
        .link
        .open(backend)
        .map_err(|e| BadInput(format!("{e:#}")))?;
    let values = read_counters(link.as_mut())?;
    let named = named_counters(&values);
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = named
            .iter()
            .map(|(n, v)| (n.to_string(), (*v).into()))
            .collect();
        writeln!(out, "{}", serde_json::Value::Object(map))?;
    } else {
        let rows: Vec<(String, u64)> = named
            .iter()
            .map(|(n, v)| (n.to_string(), *v as u64))
            .collect();
        write_table(out, &rows, args.all)?;
        if !args.all && named.iter().all(|(_, v)| *v == 0) {
            writeln!(out, "all counters are zero (--all lists them)")?;
        }
    }
    Ok(())
}

/// Counters as `name value` lines; zeros only with `all`.
pub fn write_table(out: &mut dyn Write, rows: &[(String, u64)], all: bool) -> std::io::Result<()> {
    for (name, value) in rows.iter().filter(|(_, v)| all || *v != 0) {
        writeln!(out, "{name:<24} {value:>10}")?;
    }
    Ok(())
}

/// Asks for the counters and waits for them, skipping whatever else the board sends;
/// at the link's rate first, then at the other.
pub fn read_counters(link: &mut dyn Link) -> anyhow::Result<[u32; 32]> {
    let first = link.rate();
    let rates = std::iter::once(first).chain(LinkRate::ALL.into_iter().filter(|&r| r != first));
    for rate in rates {
        link.set_rate(rate)?;
        link.send(&Message::GetCounters)?;
        let deadline = std::time::Instant::now() + ANSWER_TIMEOUT;
        while std::time::Instant::now() < deadline {
            if let Some(Message::Counters(values)) = link.recv(Duration::from_millis(100))? {
                return Ok(values);
            }
        }
    }
    Err(BadInput(
        "the board did not answer GetCounters at 4000000 or 12000000 baud within 2 s each.".into(),
    )
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A board left at 12 Mbaud: it answers only a host at that rate.
    struct At12 {
        rate: LinkRate,
        asked: Vec<LinkRate>,
        answer: bool,
    }

    impl Link for At12 {
        fn send(&mut self, _: &Message) -> anyhow::Result<()> {
            self.asked.push(self.rate);
            self.answer = self.rate == LinkRate::Mbaud12;
            Ok(())
        }
        fn recv(&mut self, _: Duration) -> anyhow::Result<Option<Message>> {
            Ok(std::mem::take(&mut self.answer).then_some(Message::Counters([7; 32])))
        }
        fn set_rate(&mut self, rate: LinkRate) -> anyhow::Result<()> {
            self.rate = rate;
            Ok(())
        }
        fn rate(&self) -> LinkRate {
            self.rate
        }
    }

    #[test]
    fn counters_are_read_at_the_other_rate_when_the_given_one_is_not_answered() {
        let mut link = At12 {
            rate: LinkRate::Mbaud4,
            asked: vec![],
            answer: false,
        };
        assert_eq!(read_counters(&mut link).unwrap(), [7; 32]);
        assert_eq!(link.asked, vec![LinkRate::Mbaud4, LinkRate::Mbaud12]);
    }
}
