//! The Rust model of the receive pipeline and the Verilator model of its generated
//! Verilog agree clock for clock: every output port and every report register on every
//! clock, then the reports, segments, counters and cycle counts `RxSim` derives from
//! them, over several hundred good and bad frames.
//!
//! Without the Verilator model (verilator missing when tcpip-sim was built) these tests
//! fail under CI (env CI set) and otherwise pass with a loud message on stderr.

mod support;

use rand::{rngs::StdRng, Rng, SeedableRng};
use support::{good_frame, CONFIG};
use tcpip_hdl::link::crc32::crc32_ieee;
use tcpip_sim::backend::{self, Backend};
use tcpip_sim::rx::{Fcs, RxConfig, RxSim, MIN_FRAME};

/// True when the Verilator model is built; otherwise fails under CI, or says loudly
/// that nothing was compared.
fn verilator_or_explain() -> bool {
    if Backend::verilator_built() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{}", backend::NOT_BUILT);
    }
    // Straight to the stream: eprintln! would be captured and hidden for a passing test.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("\n!!!! NOT COMPARED: {} !!!!\n\n", backend::NOT_BUILT).as_bytes(),
    );
    false
}

/// Good frames and bad ones: flipped bits, truncations (runts), garbage bytes, a wrong
/// FCS, oversized frames. (frame, FCS mode).
fn frames(seed: u64, count: usize) -> Vec<(Vec<u8>, Fcs)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = vec![];
    for i in 0..count {
        let mut f = good_frame(&mut rng, i);
        match i % 8 {
            0 | 3 => out.push((f, Fcs::Append)),
            1 => {
                // A flipped bit: the FCS is computed after, so only the checksums see it.
                let bit = rng.gen_range(0..f.len() * 8);
                f[bit / 8] ^= 1 << (bit % 8);
                out.push((f, Fcs::Append));
            }
            2 => {
                // A flipped bit with the FCS of the good frame: an FCS error.
                let mut with_fcs = f.clone();
                with_fcs.resize(f.len().max(MIN_FRAME), 0);
                let fcs = crc32_ieee(&with_fcs);
                with_fcs.extend_from_slice(&fcs.to_le_bytes());
                let bit = rng.gen_range(0..with_fcs.len() * 8);
                with_fcs[bit / 8] ^= 1 << (bit % 8);
                out.push((with_fcs, Fcs::Present));
            }
            4 => {
                f.truncate(rng.gen_range(1..f.len().min(70)));
                out.push((f, Fcs::Present));
            }
            5 => {
                let garbage: Vec<u8> = (0..rng.gen_range(1..200)).map(|_| rng.gen()).collect();
                out.push((garbage, if rng.gen() { Fcs::Append } else { Fcs::Present }));
            }
            6 => {
                f.extend((0..rng.gen_range(1100..1600)).map(|_| rng.gen::<u8>()));
                out.push((f, Fcs::Append));
            }
            _ => {
                let cut = rng.gen_range(14..f.len());
                f.truncate(cut);
                out.push((f, Fcs::Append));
            }
        }
    }
    out
}

#[test]
fn every_port_and_register_is_equal_on_every_clock() {
    if !verilator_or_explain() {
        return;
    }
    let frames = frames(11, 400);
    let cycles = backend::lock_step(CONFIG, &frames).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{} frames, {cycles} clocks identical in Rust and Verilator",
        frames.len()
    );
}

#[test]
fn promiscuous_every_port_and_register_is_equal_on_every_clock() {
    if !verilator_or_explain() {
        return;
    }
    let config = RxConfig {
        promiscuous: true,
        ..CONFIG
    };
    let frames = frames(12, 150);
    backend::lock_step(config, &frames).unwrap_or_else(|e| panic!("{e}"));
}

/// What RxSim derives on each back end: reports, segments, counters, clocks; over
/// enough segments that the FIFO's pointers wrap (more than twice its 4 KiB of body).
#[test]
fn rx_sim_gives_identical_results_on_both_back_ends() {
    if !verilator_or_explain() {
        return;
    }
    let frames = frames(13, 500);
    let run = |backend| {
        let mut sim = RxSim::with_backend(CONFIG, backend).unwrap();
        assert_eq!(sim.backend(), backend);
        for (f, fcs) in &frames {
            sim.push_frame(f, *fcs);
        }
        sim.flush();
        let reports = sim.take_reports();
        let segments = sim.take_segments();
        let counters = sim.counters();
        (reports, segments, counters, sim.cycles())
    };
    let rust = run(Backend::Rust);
    let veri = run(Backend::Verilator);
    assert_eq!(rust.0.len(), frames.len());
    for (r, v) in rust.0.iter().zip(&veri.0) {
        assert_eq!(r, v, "report of frame {}", r.frame);
    }
    if let Some(i) = (0..rust.1.len().max(veri.1.len())).find(|&i| rust.1.get(i) != veri.1.get(i)) {
        let brief = |s: Option<&tcpip_sim::rx::RxSegment>| {
            s.map_or("none".to_string(), |s| {
                format!(
                    "protocol {} ports {}->{}, {} body bytes",
                    s.protocol,
                    s.src_port,
                    s.dst_port,
                    s.body.len()
                )
            })
        };
        panic!(
            "segment {i} of {} (Rust) / {} (Verilator) differs: Rust {}, Verilator {}",
            rust.1.len(),
            veri.1.len(),
            brief(rust.1.get(i)),
            brief(veri.1.get(i))
        );
    }
    assert_eq!(rust.2, veri.2, "counters");
    assert_eq!(rust.3, veri.3, "clock counts");
    // The mix really exercised both outcomes and the FIFO.
    let accepted = rust.0.iter().filter(|r| r.verdict == "accept").count();
    assert!(
        accepted > 30 && accepted < frames.len() - 30,
        "{accepted} accepted"
    );
    let body_bytes: usize = rust.1.iter().map(|s| s.body.len()).sum();
    assert!(
        body_bytes > 2 * 4096,
        "only {body_bytes} segment bytes: the FIFO never wrapped"
    );
    println!(
        "{} reports ({accepted} accepted), {} segments, {} clocks identical",
        rust.0.len(),
        rust.1.len(),
        rust.3
    );
}

#[test]
fn backend_names_parse_and_unknown_ones_are_refused() {
    assert_eq!("rust".parse::<Backend>().unwrap(), Backend::Rust);
    assert_eq!("Verilator".parse::<Backend>().unwrap(), Backend::Verilator);
    let err = "icarus".parse::<Backend>().unwrap_err().to_string();
    assert_eq!(
        err,
        "unknown backend `icarus`: expected `rust` or `verilator`"
    );
    assert_eq!(RxSim::new(CONFIG).backend(), Backend::preferred());
    if Backend::verilator_built() {
        assert_eq!(Backend::preferred(), Backend::Verilator);
    } else {
        let err = RxSim::with_backend(CONFIG, Backend::Verilator)
            .err()
            .expect("Verilator is not built")
            .to_string();
        assert!(err.contains("not built"), "{err}");
        verilator_or_explain();
    }
}

/// Models built and run in parallel threads (as cargo runs tests) start from the same
/// zeroed state and give what one model alone gives, which is what the Rust model gives.
#[test]
fn models_in_parallel_threads_agree_with_one_alone_and_with_rust() {
    if !verilator_or_explain() {
        return;
    }
    let frames = frames(14, 120);
    let run = |backend| {
        let mut sim = RxSim::with_backend(CONFIG, backend).unwrap();
        for (f, fcs) in &frames {
            sim.push_frame(f, *fcs);
        }
        sim.flush();
        (sim.take_reports(), sim.take_segments(), sim.cycles())
    };
    let rust = run(Backend::Rust);
    let parallel: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| run(Backend::Verilator)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, result) in parallel.iter().enumerate() {
        assert!(
            *result == rust,
            "the Verilator model in thread {i} differs from the Rust model"
        );
    }
}

/// Both models trigger on the clock alone, so they evaluate one edge a clock. A signal
/// driven in a block that also reads a signal its driver's consumer computes from it
/// (HostRx's `tx_open` through the echo's `busy` back into HostRx) looks like a loop to
/// Verilator; the build must isolate it, or the board model runs ~25% slower.
#[test]
fn the_models_trigger_on_the_clock_alone() {
    if !verilator_or_explain() {
        return;
    }
    assert_eq!(backend::RX_MODEL_TRIGGERS, Some("clock"));
    assert_eq!(backend::BOARD_MODEL_TRIGGERS, Some("clock"));
}
