//! Drives the transmit pipeline hardware ([`TxPipeline`], rust-hdl's simulation) cycle
//! by cycle, as HostRx and a PHY would: requests in through the `tx_*` ports, PHY bytes
//! out, each frame with the clock it started and ended on, and every `tx_done`.

use rust_hdl::prelude::*;
use tcpip_hdl::tx_pipeline::TxPipeline;

/// A TxTcp, TxUdp or TxIcmp request as HostRx hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRequest {
    pub is_udp: bool,
    /// A TxIcmp: `payload` is the whole ICMP message; ports, seq, ack, flags and
    /// window are not sent.
    pub is_icmp: bool,
    pub tag: u16,
    pub dst_mac: [u8; 6],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN from bit 8 down to bit 0.
    pub flags: u16,
    pub window: u16,
    /// TCP options, a multiple of 4 bytes (none for UDP).
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

/// What left the PHY port: one frame from preamble to FCS.
#[derive(Clone, Debug)]
pub struct WireFrame {
    pub bytes: Vec<u8>,
    pub first_clock: u64,
    pub last_clock: u64,
}

/// Called on every clock with the pipeline settled just before the rising edge.
pub type TxProbe = Box<dyn FnMut(&TxPipeline)>;

pub struct TxSim {
    uut: Box<TxPipeline>,
    clock: u64,
    frames: Vec<WireFrame>,
    current: Option<WireFrame>,
    /// (clock, tag) of every `tx_done` pulse.
    pub done: Vec<(u64, u16)>,
    probe: Option<TxProbe>,
}

/// The header words HostRx writes for `req`, (descriptor index, word), in message order:
/// tag, destination MAC and IP, ports (not for ICMP), and for TCP seq, ack (low word
/// first, as the little-endian message brings them) and window.
pub fn header_words(req: &TxRequest) -> Vec<(usize, u16)> {
    let be = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
    let mut words = vec![
        (6, req.tag),
        (0, be(&req.dst_mac[0..])),
        (1, be(&req.dst_mac[2..])),
        (2, be(&req.dst_mac[4..])),
        (3, be(&req.dst_ip[0..])),
        (4, be(&req.dst_ip[2..])),
    ];
    if req.is_icmp {
        return words;
    }
    words.extend([(8, req.src_port), (9, req.dst_port)]);
    if !req.is_udp {
        words.extend([
            (11, req.seq as u16),
            (10, (req.seq >> 16) as u16),
            (13, req.ack as u16),
            (12, (req.ack >> 16) as u16),
            (14, req.window),
        ]);
    }
    words
}

fn mac_words(mac: [u8; 6]) -> [u64; 3] {
    [0, 2, 4].map(|i| (mac[i] as u64) << 8 | mac[i + 1] as u64)
}

impl TxSim {
    pub fn new(mac: [u8; 6], ip: [u8; 4]) -> Self {
        let mut uut = Box::<TxPipeline>::default();
        uut.connect_all();
        let [hi, mid, lo] = mac_words(mac);
        uut.mac_hi.next = hi.into();
        uut.mac_mid.next = mid.into();
        uut.mac_lo.next = lo.into();
        uut.our_ip.next = (u32::from_be_bytes(ip) as u64).into();
        assert!(simulate(&mut *uut, 200));
        TxSim {
            uut,
            clock: 0,
            frames: vec![],
            current: None,
            done: vec![],
            probe: None,
        }
    }

    pub fn set_probe(&mut self, probe: TxProbe) {
        self.probe = Some(probe);
    }

    pub fn clocks(&self) -> u64 {
        self.clock
    }

    pub fn busy(&self) -> bool {
        self.uut.tx_busy.val()
    }

    /// One clock with the inputs as they are.
    pub fn cycle(&mut self) {
        let u = &mut *self.uut;
        u.clock.next = false.into();
        assert!(simulate(u, 200), "circuit did not settle");
        if let Some(p) = self.probe.as_mut() {
            p(u);
        }
        if u.phy_tx_valid.val() {
            let b = u.phy_tx_data.val().index() as u8;
            let f = self.current.get_or_insert(WireFrame {
                bytes: vec![],
                first_clock: self.clock,
                last_clock: self.clock,
            });
            f.bytes.push(b);
            f.last_clock = self.clock;
        } else if let Some(f) = self.current.take() {
            self.frames.push(f);
        }
        if u.tx_done.val() {
            self.done
                .push((self.clock, u.tx_done_tag.val().index() as u16));
        }
        u.clock.next = true.into();
        assert!(simulate(u, 200), "circuit did not settle");
        self.clock += 1;
    }

    /// Waits for `tx_busy` to fall, then hands the request over as HostRx does: its
    /// header words (TxStage's descriptor layout) in the order the message brings them,
    /// a byte per clock, and `tx_finish` with `keep` (false: HostRx rolls it back, as
    /// after a bad CRC).
    pub fn submit(&mut self, req: &TxRequest, keep: bool) {
        while self.busy() {
            self.cycle();
        }
        // Open from the clock after the one that found the transmitter free.
        self.uut.tx_open.next = true;
        for (index, word) in header_words(req) {
            self.uut.tx_word_write.next = true;
            self.uut.tx_word_index.next = (index as u64).into();
            self.uut.tx_word.next = (word as u64).into();
            self.cycle();
        }
        self.uut.tx_word_write.next = false;
        for &b in req.options.iter().chain(&req.payload) {
            self.uut.tx_write.next = true;
            self.uut.tx_word.next = (b as u64).into();
            self.cycle();
        }
        self.uut.tx_write.next = false;
        self.cycle();
        let u = &mut *self.uut;
        u.tx_open.next = false;
        u.tx_finish.next = true;
        u.tx_keep.next = keep;
        u.tx_is_udp.next = req.is_udp;
        u.tx_is_icmp.next = req.is_icmp;
        u.tx_flags.next = (req.flags as u64).into();
        u.tx_options_len.next = (req.options.len() as u64).into();
        self.cycle();
        self.uut.tx_finish.next = false;
        self.uut.tx_keep.next = false;
        self.cycle();
        // Flags and options length are only valid with tx_finish and the clock after:
        // scramble them.
        self.uut.tx_flags.next = 0x1A5u64.into();
        self.uut.tx_options_len.next = 0x3Fu64.into();
    }

    /// Runs until the wire has been idle for `idle` clocks with nothing staged.
    pub fn run_idle(&mut self, idle: u64) {
        let mut quiet = 0;
        while quiet < idle {
            self.cycle();
            let active =
                self.uut.phy_tx_valid.val() || self.uut.stage.req_valid.val() || self.busy();
            quiet = if active { 0 } else { quiet + 1 };
        }
    }

    /// The frames that have ended so far.
    pub fn take_frames(&mut self) -> Vec<WireFrame> {
        std::mem::take(&mut self.frames)
    }
}
