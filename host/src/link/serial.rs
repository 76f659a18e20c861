//! [`Link`] over a serial port (the board's USB UART, or one end of a PTY pair).
//!
//! A rate change ([`Link::set_rate`]) waits until what was written has left the port
//! (tcdrain, which for the FT2232H waits for its transmitter to be empty), gives the
//! adapter [`SWITCH_SETTLE`] to finish, switches the port, waits as long again for
//! whatever the board sent at the other rate to arrive (the adapter holds received
//! bytes up to its 16 ms latency timer), discards it, and sends a lone delimiter at the
//! new rate so that the board starts its next frame clean.

use super::codec::{DecodeStats, Decoder};
use super::message::{encode_frame_into, LinkRate, Message};
use super::Link;
use anyhow::Context;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a rate change waits on either side of switching the port.
pub const SWITCH_SETTLE: Duration = Duration::from_millis(20);

/// A board reached through a serial port.
pub struct SerialLink {
    port: Box<dyn serialport::SerialPort>,
    path: String,
    rate: LinkRate,
    decoder: Decoder,
    /// Messages decoded but not yet returned (one read can complete several).
    ready: VecDeque<Message>,
    read_buf: Vec<u8>,
    write_buf: Vec<u8>,
}

impl SerialLink {
    /// Opens `path` at `rate` (8N1, no flow control).
    pub fn open(path: &str, rate: LinkRate) -> anyhow::Result<SerialLink> {
        let baud = rate.baud();
        // On Unix a port is a device file; Windows names (COM3) are not paths.
        if cfg!(unix) && !Path::new(path).exists() {
            anyhow::bail!("{}", absent_port_message(path));
        }
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(100))
            .open()
            .with_context(|| format!("cannot open serial port {path} at {baud} baud"))?;
        let mut link = SerialLink {
            port,
            path: path.to_string(),
            rate,
            decoder: Decoder::new(),
            ready: VecDeque::new(),
            read_buf: vec![0; 4096],
            write_buf: Vec::new(),
        };
        // A lone delimiter ends any half-frame the other end was holding from before.
        link.port
            .write_all(&[0])
            .with_context(|| format!("cannot write to {path}"))?;
        Ok(link)
    }

    /// Frames received and dropped so far, by reason.
    pub fn stats(&self) -> DecodeStats {
        self.decoder.stats()
    }
}

/// One sentence: the port is missing, and which ports exist instead.
fn absent_port_message(path: &str) -> String {
    let names: Vec<String> = serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.port_name)
        .collect();
    if names.is_empty() {
        format!("serial port {path} does not exist, and no serial ports were found.")
    } else {
        format!(
            "serial port {path} does not exist; available ports: {}.",
            names.join(", ")
        )
    }
}

impl Link for SerialLink {
    fn send(&mut self, msg: &Message) -> anyhow::Result<()> {
        self.write_buf.clear();
        encode_frame_into(msg, &mut self.write_buf)
            .with_context(|| format!("cannot encode a message of type 0x{:02x}", msg.kind()))?;
        self.port
            .write_all(&self.write_buf)
            .and_then(|_| self.port.flush())
            .with_context(|| format!("cannot write to {}", self.path))
    }

    fn set_rate(&mut self, rate: LinkRate) -> anyhow::Result<()> {
        if rate == self.rate {
            return Ok(());
        }
        let path = &self.path;
        self.port
            .flush()
            .with_context(|| format!("cannot drain {path}"))?;
        std::thread::sleep(SWITCH_SETTLE);
        self.port
            .set_baud_rate(rate.baud())
            .with_context(|| format!("cannot set {path} to {} baud", rate.baud()))?;
        self.rate = rate;
        std::thread::sleep(SWITCH_SETTLE);
        self.port
            .clear(serialport::ClearBuffer::Input)
            .with_context(|| format!("cannot clear {path}'s input"))?;
        self.decoder.restart();
        self.port
            .write_all(&[0])
            .and_then(|_| self.port.flush())
            .with_context(|| format!("cannot write to {path}"))
    }

    fn rate(&self) -> LinkRate {
        self.rate
    }

    fn recv(&mut self, timeout: Duration) -> anyhow::Result<Option<Message>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(msg) = self.ready.pop_front() {
                return Ok(Some(msg));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            // A zero timeout would mean "block forever" to some drivers.
            let wait = (deadline - now).max(Duration::from_millis(1));
            self.port
                .set_timeout(wait)
                .with_context(|| format!("cannot set a read timeout on {}", self.path))?;
            match self.port.read(&mut self.read_buf) {
                // Some drivers report a quiet line as a zero-length read: don't spin.
                Ok(0) => std::thread::sleep(Duration::from_millis(1)),
                Ok(n) => {
                    let mut out = Vec::new();
                    self.decoder.feed_into(&self.read_buf[..n], &mut out);
                    self.ready.extend(out);
                }
                Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
                Err(e) => return Err(e).with_context(|| format!("cannot read from {}", self.path)),
            }
        }
    }
}
