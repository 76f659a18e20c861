//! Every receive block's generated Verilog passes yosys's check and computes the same
//! outputs, clock for clock, as the Rust simulation — on the very inputs the block sees
//! inside the whole pipeline while it receives a mix of good and bad frames.

mod support;

use rand::{rngs::StdRng, Rng, SeedableRng};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;
use support::{good_frame, CONFIG};
use tcpip_hdl::board::rx_counters::RxCounters;
use tcpip_hdl::board::rx_message::RxMessage;
use tcpip_hdl::internet::arp_rx::ArpRx;
use tcpip_hdl::internet::checksum::OnesCheck;
use tcpip_hdl::internet::ipv4_rx::Ipv4Rx;
use tcpip_hdl::link::crc32::Crc32;
use tcpip_hdl::link::eth_rx::EthRx;
use tcpip_hdl::link::mac_rx::MacRx;
use tcpip_hdl::rx_header_store::RxHeaderStore;
use tcpip_hdl::rx_pipeline::{RxFifoDefault, RxPipeline};
use tcpip_hdl::rx_verdict::RxVerdict;
use tcpip_hdl::transport::transport_rx::TransportRx;
use tcpip_sim::backend::Backend;
use tcpip_sim::cosim::{check_block, Ports};
use tcpip_sim::rx::{Fcs, RxSim};

/// A mix of frames that takes every block through its states: each protocol, options,
/// VLAN, padding, other addresses, and a corrupted copy of most of them.
fn frames() -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut frames = vec![];
    for i in 0..24 {
        let mut f = good_frame(&mut rng, i);
        frames.push(f.clone());
        if i % 3 != 2 {
            let bit = rng.gen_range(0..f.len() * 8);
            f[bit / 8] ^= 1 << (bit % 8);
            frames.push(f);
        }
    }
    frames
}

/// Per block: the inputs it saw on every clock.
#[derive(Default)]
struct Recorded {
    blocks: Vec<(&'static str, Vec<Vec<u64>>)>,
}

impl Recorded {
    fn of(&self, name: &str) -> &[Vec<u64>] {
        &self.blocks.iter().find(|b| b.0 == name).unwrap().1
    }
}

fn recorded() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let rec = Rc::new(RefCell::new(Vec::<(&'static str, Vec<Vec<u64>>)>::new()));
        let probe_rec = rec.clone();
        // The probe sees the Rust model's internals, so this runs on the Rust back end.
        let mut sim = RxSim::with_backend(CONFIG, Backend::Rust).unwrap();
        sim.set_probe(Box::new(move |p: &RxPipeline| {
            let cycle: [(&'static str, Vec<u64>); 14] = [
                ("crc32", p.mac.crc.get_inputs()),
                ("ones_sum", p.ipv4.header_sum.get_inputs()),
                ("transport_sum", p.transport.sum.get_inputs()),
                ("mac_rx", p.mac.get_inputs()),
                ("eth_rx", p.eth.get_inputs()),
                ("arp_rx", p.arp.get_inputs()),
                ("ipv4_rx", p.ipv4.get_inputs()),
                ("transport_rx", p.transport.get_inputs()),
                ("rx_verdict", p.verdict.get_inputs()),
                ("rx_header_store", p.header.get_inputs()),
                ("rx_message", p.message.get_inputs()),
                ("rx_fifo", p.fifo.get_inputs()),
                ("rx_counters", p.counters.get_inputs()),
                ("rx_pipeline", p.get_inputs()),
            ];
            let mut rec = probe_rec.borrow_mut();
            if rec.is_empty() {
                rec.extend(cycle.iter().map(|(n, _)| (*n, vec![])));
            }
            for (slot, (_, inputs)) in rec.iter_mut().zip(cycle) {
                slot.1.push(inputs);
            }
        }));
        for f in frames() {
            sim.push_frame(&f, Fcs::Append);
        }
        sim.flush();
        let reports = sim.take_reports();
        assert!(reports.iter().any(|r| r.verdict == "accept"));
        assert!(reports.iter().any(|r| r.verdict == "drop"));
        drop(sim);
        let blocks = Rc::try_unwrap(rec).unwrap().into_inner();
        Recorded { blocks }
    })
}

fn check<B: Ports>(name: &str, make: impl Fn() -> B) {
    let vectors = recorded().of(name);
    match check_block(make, vectors) {
        Ok(report) => println!("{name}: {report}"),
        Err(e) => panic!("{name}: {e:#}"),
    }
}

#[test]
fn crc32() {
    check("crc32", Crc32::default);
}
#[test]
fn ones_check_ipv4_header() {
    check("ones_sum", OnesCheck::default);
}
#[test]
fn ones_check_transport_segment() {
    check("transport_sum", OnesCheck::default);
}
#[test]
fn mac_rx() {
    check("mac_rx", MacRx::default);
}
#[test]
fn eth_rx() {
    check("eth_rx", EthRx::default);
}
#[test]
fn arp_rx() {
    check("arp_rx", ArpRx::default);
}
#[test]
fn ipv4_rx() {
    check("ipv4_rx", Ipv4Rx::default);
}
#[test]
fn transport_rx() {
    check("transport_rx", TransportRx::default);
}
#[test]
fn rx_verdict() {
    check("rx_verdict", RxVerdict::default);
}
#[test]
fn rx_header_store() {
    check("rx_header_store", RxHeaderStore::default);
}
#[test]
fn rx_message() {
    check("rx_message", RxMessage::default);
}
#[test]
fn rx_fifo() {
    check("rx_fifo", RxFifoDefault::default);
}
#[test]
fn rx_counters() {
    check("rx_counters", RxCounters::default);
}
/// The whole pipeline, report registers (the monitor ports) included: the Verilog the
/// Verilator back end runs.
#[test]
fn rx_pipeline_whole() {
    check("rx_pipeline", RxPipeline::default);
}
