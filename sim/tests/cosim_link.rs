//! The link framing blocks' generated Verilog passes yosys's check and matches the Rust
//! simulation clock for clock.

use rand::{rngs::StdRng, Rng, SeedableRng};
use tcpip_hdl::board::cobs_encoder::CobsEncoder;
use tcpip_hdl::board::crc32_register::Crc32Register;
use tcpip_hdl::board::crc_append::CrcAppend;
use tcpip_sim::cosim::check_block;

/// Messages of random lengths with zeros and long non-zero runs, each byte offered for
/// three clocks (it may be taken more than once: these vectors test that Rust and Verilog
/// agree, not the handshake), read by a slow, irregular consumer.
#[test]
fn cobs_encoder() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut vectors = vec![];
    for _ in 0..30 {
        let len = rng.gen_range(1..700);
        for i in 0..len {
            let byte: u64 = if rng.gen_bool(0.03) {
                0
            } else {
                rng.gen_range(1..256)
            };
            // Hold each byte long enough for the encoder to take it.
            for _ in 0..3 {
                vectors.push(vec![
                    byte,
                    1,
                    (i + 1 == len) as u64,
                    rng.gen_bool(0.6) as u64,
                ]);
            }
        }
        for _ in 0..400 {
            vectors.push(vec![0, 0, 0, rng.gen_bool(0.6) as u64]);
        }
    }
    let report = check_block(CobsEncoder::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("cobs_encoder: {report}");
}

/// Messages of random lengths offered with random gaps, read by an irregular consumer.
#[test]
fn crc_append() {
    let mut rng = StdRng::seed_from_u64(4);
    let mut vectors = vec![];
    for _ in 0..40 {
        let len = rng.gen_range(1..300);
        for i in 0..len {
            let valid = rng.gen_bool(0.8) as u64;
            vectors.push(vec![
                rng.gen_range(0..256),
                valid,
                (i + 1 == len) as u64,
                rng.gen_bool(0.7) as u64,
            ]);
        }
        for _ in 0..8 {
            vectors.push(vec![0, 0, 0, rng.gen_bool(0.7) as u64]);
        }
    }
    let report = check_block(CrcAppend::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("crc_append: {report}");
}

/// Bytes absorbed a clock apart and slower, with runs of four shifts between frames
/// and shifts mixed in: the register agrees clock for clock.
#[test]
fn crc32_register() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut vectors = vec![];
    for _ in 0..60 {
        for _ in 0..rng.gen_range(1..40) {
            let shifting = rng.gen_bool(0.1) as u64;
            vectors.push(vec![rng.gen_range(0..256), 1, shifting]);
            if rng.gen_bool(0.3) {
                vectors.push(vec![rng.gen_range(0..256), 0, rng.gen_bool(0.5) as u64]);
            }
        }
        for _ in 0..4 {
            vectors.push(vec![rng.gen_range(0..256), 1, 1]);
        }
    }
    let report = check_block(Crc32Register::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("crc32_register: {report}");
}
