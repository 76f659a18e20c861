//! Link-paced goodput: how much of the UART's payload capacity the simulated board
//! carries when full-size TCP segments flow from the wire to the host link, with the
//! link paced as the board's UART runs it (4 Mbaud from power-up, 12 Mbaud once a
//! Config chose it). A new segment goes on the wire whenever the receive FIFO has room
//! for it, so the link never waits for the wire: what is measured is the framing (CRC,
//! COBS, record headers) and any clock the hardware leaves the UART idle.
//!
//! Shared by the `board` bench and `tcpip bench`.

use crate::backend::Backend;
use crate::board::{VirtualBoard, DEFAULT_IP, DEFAULT_MAC};
use anyhow::{ensure, Result};
use etherparse::PacketBuilder;
use tcpip_hdl::board::cobs_encoder::cobs_frame;
use tcpip_hdl::link::crc32::crc32_ieee;

const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const PEER_IP: [u8; 4] = [192, 0, 2, 1];
/// A full-size segment's payload (1,500-byte IPv4 packet).
pub const FULL_PAYLOAD: usize = 1460;
/// The core clock, Hz.
const CLOCK_HZ: f64 = 100e6;

/// A full-size TCP segment to the board's default address, sequence number `seq`.
pub fn tcp_frame(payload_len: usize, seq: u32) -> Vec<u8> {
    let mut f = vec![];
    PacketBuilder::ethernet2(PEER_MAC, DEFAULT_MAC)
        .ipv4(PEER_IP, DEFAULT_IP, 64)
        .tcp(40000, 7, seq, 65535)
        .ack(1)
        .write(&mut f, &vec![0x5A; payload_len])
        .expect("a TCP frame builds");
    f
}

/// The link frame of a Config that keeps the board's address and selects 12 Mbaud
/// (`link_rate` 1): type, MAC, IP, netmask, promiscuous, link_rate, CRC-32 LE, COBS.
pub fn config_12_mbaud() -> Vec<u8> {
    let mut m = vec![0x81];
    m.extend(DEFAULT_MAC);
    m.extend(DEFAULT_IP);
    m.extend([255, 255, 255, 0, 0, 1]);
    m.extend(crc32_ieee(&m).to_le_bytes());
    cobs_frame(&m)
}

/// One paced run's figures.
#[derive(Clone, Copy, Debug)]
pub struct Goodput {
    /// The UART's rate, bits a second.
    pub baud: u64,
    pub segments: usize,
    /// TCP payload bytes carried.
    pub payload_bytes: u64,
    /// Link bytes the board sent for them (records, CRC, COBS).
    pub link_bytes: u64,
    /// Simulated clocks from the first segment on the wire to the last link byte.
    pub clocks: u64,
}

impl Goodput {
    /// Payload bytes a second, in simulated time.
    pub fn bytes_per_second(&self) -> f64 {
        self.payload_bytes as f64 / (self.clocks as f64 / CLOCK_HZ)
    }

    /// The UART's payload capacity: baud / 10 bytes a second (8N1).
    pub fn capacity(&self) -> f64 {
        self.baud as f64 / 10.0
    }

    /// Goodput as a fraction of the capacity (goal ≥ 0.9).
    pub fn fraction(&self) -> f64 {
        self.bytes_per_second() / self.capacity()
    }
}

/// `segments` full-size segments wire → link at the UART's pace, 12 Mbaud if `fast`.
pub fn paced_goodput(backend: Backend, fast: bool, segments: usize) -> Result<Goodput> {
    let mut board = VirtualBoard::new(backend)?;
    board.set_uart_pace();
    board.run_until_idle(1_000_000);
    if fast {
        board.write_link(&config_12_mbaud());
        board.run_until_idle(1_000_000);
        ensure!(board.link_fast(), "the Config did not select 12 Mbaud");
    }
    board.read_link();
    // A full-size segment's record is 1,495 bytes of the FIFO's 2,048 (1,504 link
    // bytes with CRC and COBS): the next goes on the wire once at most 500 link bytes
    // of those before it are still to come, which leaves it room.
    let (mut pushed, mut received) = (0, 0usize);
    let start = board.cycles();
    let mut end = start;
    while pushed < segments || board.busy() {
        if pushed < segments && pushed * 1504 < received + 500 {
            board.push_frame(&tcp_frame(FULL_PAYLOAD, 1 + (FULL_PAYLOAD * pushed) as u32));
            pushed += 1;
        }
        board.run(2_000);
        let got = board.read_link().len();
        if got > 0 {
            received += got;
            end = board.cycles();
        }
    }
    ensure!(received > 0, "the board sent nothing on its link");
    Ok(Goodput {
        baud: if fast { 12_000_000 } else { 4_000_000 },
        segments,
        payload_bytes: (FULL_PAYLOAD * segments) as u64,
        link_bytes: received as u64,
        clocks: end - start,
    })
}
