//! The UART's generated Verilog passes yosys's check and matches the Rust simulation
//! clock for clock at both rates: the transmitter offered random bytes at random
//! moments, its rate switched now and then; the receiver fed the line levels of bytes
//! sent at 4 and 12 Mbaud, 2% fast, 2% slow and with bad stop bits, its rate input
//! following the sender's.

use rand::{rngs::StdRng, Rng, SeedableRng};
use tcpip_hdl::board::uart_rx::UartRx;
use tcpip_hdl::board::uart_tx::UartTx;
use tcpip_sim::cosim::check_block;

#[test]
fn uart_tx() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut fast = false;
    let vectors: Vec<Vec<u64>> = (0..30_000)
        .map(|_| {
            if rng.gen_bool(0.001) {
                fast = !fast;
            }
            vec![rng.gen_range(0..256), rng.gen_bool(0.3) as u64, fast as u64]
        })
        .collect();
    let report = check_block(UartTx::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("uart_tx: {report}");
}

#[test]
fn uart_rx() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut vectors = vec![];
    for fast in [false, true] {
        let bit = if fast { 25.0 / 3.0 } else { 25.0 };
        for (error, stop) in [(0.0, true), (0.02, true), (-0.02, true), (0.0, false)] {
            let period = bit * (1.0 + error);
            let mut bits = vec![true; 4];
            for _ in 0..20 {
                let byte: u8 = rng.gen();
                bits.push(false);
                bits.extend((0..8).map(|i| byte >> i & 1 != 0));
                bits.push(stop);
                bits.extend(std::iter::repeat(true).take(rng.gen_range(0..3)));
            }
            let clocks = (bits.len() as f64 * period) as usize;
            vectors.extend(
                (0..clocks).map(|c| vec![bits[(c as f64 / period) as usize] as u64, fast as u64]),
            );
        }
    }
    let report = check_block(UartRx::default, &vectors).unwrap_or_else(|e| panic!("{e:#}"));
    println!("uart_rx: {report}");
}
