//! The host → board link blocks' generated Verilog passes yosys's check and matches the
//! Rust simulation clock for clock: COBS decoder, CRC check, and HostRx as a whole.

use rand::{rngs::StdRng, Rng, SeedableRng};
use tcpip_hdl::board::cobs_decoder::CobsDecoder;
use tcpip_hdl::board::cobs_encoder::cobs_frame;
use tcpip_hdl::board::crc_check::{CrcCheck, MIN_CLOCKS_AFTER_END};
use tcpip_hdl::board::host_rx::{min_clocks_after, HostRx};
use tcpip_hdl::link::crc32::crc32_ieee;
use tcpip_sim::cosim::check_block;

/// A message body of random length with some zeros (so COBS blocks vary).
fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.gen_range(0..=max);
    (0..len)
        .map(|_| if rng.gen_bool(0.05) { 0 } else { rng.gen() })
        .collect()
}

/// COBS(message | CRC LE) and 0x00.
fn frame(message: &[u8]) -> Vec<u8> {
    let mut m = message.to_vec();
    m.extend(crc32_ieee(message).to_le_bytes());
    cobs_frame(&m)
}

/// Link traffic of every kind: good messages of each type (TxIcmp too), corrupted bytes, truncated
/// and overlong messages, unknown types, garbage and empty frames.
fn link_traffic(rng: &mut StdRng, frames: usize) -> Vec<u8> {
    let mut link = vec![];
    for _ in 0..frames {
        let mut message = match rng.gen_range(0..8) {
            0 => [
                vec![0x81],
                random_bytes(rng, 0),
                (0..16).map(|_| rng.gen()).collect(),
            ]
            .concat(),
            1 => vec![0x85],
            2 => vec![0x84, rng.gen(), rng.gen(), rng.gen(), rng.gen()],
            3 => {
                let options = 4 * rng.gen_range(0..=10);
                let mut m = vec![0x82];
                m.extend((0..28).map(|_| rng.gen::<u8>()));
                m.push(options as u8);
                m.extend(random_bytes(rng, 300));
                m
            }
            4 => [
                vec![0x83],
                (0..16).map(|_| rng.gen()).collect(),
                random_bytes(rng, 300),
            ]
            .concat(),
            5 => [
                vec![0x86],
                (0..12).map(|_| rng.gen()).collect(),
                random_bytes(rng, 300),
            ]
            .concat(),
            6 => [vec![rng.gen()], random_bytes(rng, 40)].concat(),
            _ => random_bytes(rng, 8),
        };
        if rng.gen_bool(0.1) && !message.is_empty() {
            message.truncate(rng.gen_range(0..message.len()));
        }
        let mut f = frame(&message);
        if rng.gen_bool(0.15) {
            let at = rng.gen_range(0..f.len());
            f[at] = rng.gen();
        }
        if rng.gen_bool(0.05) {
            f.push(0);
        }
        link.extend(f);
    }
    link
}

#[test]
fn cobs_decoder() {
    let mut rng = StdRng::seed_from_u64(21);
    let link = link_traffic(&mut rng, 150);
    let vectors: Vec<Vec<u64>> = link
        .iter()
        .flat_map(|&b| {
            let gap = rng.gen_bool(0.2);
            std::iter::once(vec![b as u64, 1]).chain(gap.then(|| vec![0, 0]))
        })
        .collect();
    let report = check_block(CobsDecoder::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("cobs_decoder: {report}");
}

#[test]
fn crc_check() {
    let mut rng = StdRng::seed_from_u64(22);
    let mut vectors = vec![];
    for _ in 0..120 {
        let mut m = random_bytes(&mut rng, 60);
        m.extend(crc32_ieee(&m).to_le_bytes());
        if rng.gen_bool(0.3) {
            let at = rng.gen_range(0..m.len());
            m[at] ^= 1 << rng.gen_range(0..8);
        }
        if rng.gen_bool(0.1) {
            m.truncate(rng.gen_range(0..6));
        }
        // At the fastest pace the CRC check takes, or a little slower.
        for b in m {
            vectors.push(vec![b as u64, 1, 0]);
            let gap = rng.gen_bool(0.2) as usize;
            vectors.extend((0..gap).map(|_| vec![0, 0, 0]));
        }
        vectors.push(vec![0, 0, 1]);
        vectors.extend((0..MIN_CLOCKS_AFTER_END - 1).map(|_| vec![0, 0, 0]));
    }
    let report = check_block(CrcCheck::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("crc_check: {report}");
}

#[test]
fn host_rx() {
    let mut rng = StdRng::seed_from_u64(23);
    let mut link = link_traffic(&mut rng, 300);
    // Overlong requests and a longest legal one.
    let mut tcp = vec![0x82];
    tcp.extend([0x11; 28]);
    tcp.push(0);
    link.extend(frame(&[tcp.clone(), vec![0x5A; 1480]].concat()));
    link.extend(frame(&[tcp, vec![0x5A; 1600]].concat()));
    link.extend(frame(
        &[vec![0x83], vec![0x22; 16], vec![0x33; 1500]].concat(),
    ));
    link.extend(frame(&[0x85; 2100]));
    link.extend(frame(&[0x85]));
    let mut busy = false;
    let vectors: Vec<Vec<u64>> = link
        .iter()
        .flat_map(|&b| {
            if rng.gen_bool(0.01) {
                busy = !busy;
            }
            // No closer than HostRx takes them.
            let gap = min_clocks_after(b) - 1 + rng.gen_bool(0.1) as usize;
            std::iter::once(vec![b as u64, 1, busy as u64])
                .chain((0..gap).map(move |_| vec![0, 0, busy as u64]))
        })
        .chain((0..40).map(|_| vec![0, 0, 0]))
        .collect();
    let report = check_block(HostRx::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("host_rx: {report}");
}
