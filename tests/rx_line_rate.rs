//! Line rate: frames back to back with only the 12-byte inter-frame gap, the most the
//! wire can carry. The pipeline must keep up: nothing dropped, every segment out whole.

#[path = "support/rx.rs"]
mod rx_support;
mod support;

use rx_support::*;
use support::*;
use tcpip_sim::rx::RxSim;

fn back_to_back(frames: Vec<Vec<u8>>, size: usize) {
    assert!(
        frames.iter().all(|f| f.len() == size),
        "every frame is {size} bytes"
    );
    let frames: Vec<(Vec<u8>, FcsMode)> =
        frames.into_iter().map(|f| (f, FcsMode::Append)).collect();
    let expected = expectations(&BOARD, &frames, 1);
    assert!(
        expected.iter().all(|e| e.segment.is_some()),
        "the oracle accepts every frame"
    );

    let mut sim = RxSim::new(rx_config(&BOARD));
    let run = run(&mut sim, &frames);
    let drops: Vec<_> = run
        .reports
        .iter()
        .filter(|r| r.verdict != "accept")
        .collect();
    assert!(
        drops.is_empty(),
        "{} of {} dropped, first: {:?}",
        drops.len(),
        frames.len(),
        drops.first()
    );
    assert_eq!(run.reports.len(), frames.len());
    assert_eq!(
        run.segments.len(),
        frames.len(),
        "every segment leaves the FIFO"
    );
    assert_agree(
        &format!("{size}-byte frames"),
        &disagreements(&run, &expected, &frames),
    );

    // Preamble and SFD (8), frame, FCS (4), gap (12): the pipeline never stalled the wire,
    // and draining after the last frame takes less than one more full-size frame time.
    let wire: u64 = frames
        .iter()
        .map(|(f, _)| (8 + f.len() + 4 + 12) as u64)
        .sum();
    assert!(run.cycles >= wire);
    assert!(
        run.cycles - wire < 1538 + 200,
        "{} cycles to drain after the last frame",
        run.cycles - wire
    );
}

#[test]
fn thousand_minimum_size_frames() {
    let mut gen = FrameGen::new(64, BOARD);
    // 14 + 20 + 8 + 18 = 60 bytes, 64 with FCS; alternate with bare TCP + 6 bytes.
    let frames = (0..1000)
        .map(|i| {
            if i % 2 == 0 {
                gen.udp_to_us(18).bytes
            } else {
                let mut b = gen.tcp_to_us(Some(6));
                while b.bytes.len() != 60 {
                    b = gen.tcp_to_us(Some(6)); // retry until the header has no options
                }
                b.bytes
            }
        })
        .collect();
    back_to_back(frames, 60);
}

#[test]
fn thousand_full_size_frames() {
    let mut gen = FrameGen::new(1514, BOARD);
    // 14 + 20 + 8 + 1472 = 1514 bytes, 1518 with FCS; TCP fills the same size.
    let frames = (0..1000)
        .map(|i| {
            if i % 2 == 0 {
                gen.udp_to_us(1472).bytes
            } else {
                gen.tcp_to_us(Some(1500)).bytes // payload is cut to what fits in 1500
            }
        })
        .collect();
    back_to_back(frames, 1514);
}
