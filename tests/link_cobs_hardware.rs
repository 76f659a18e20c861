//! The board's COBS encoder (hardware) against the host's decoder (software): every
//! message the hardware frames comes back byte for byte, and 0x00 appears on the link
//! only as the delimiter after each frame.

use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_hdl::prelude::*;
use tcpip_fpga::hdl::board::cobs_encoder::CobsEncoder;
use tcpip_fpga::host::link::cobs;

#[test]
fn host_decodes_what_the_hardware_encodes() {
    let mut rng = StdRng::seed_from_u64(11);
    let messages: Vec<Vec<u8>> = (0..60)
        .map(|_| {
            let len = rng.gen_range(1..1600);
            let zeros = [0.0, 0.01, 0.3][rng.gen_range(0..3)];
            (0..len)
                .map(|_| {
                    if rng.gen_bool(zeros) {
                        0
                    } else {
                        rng.gen_range(1..=255)
                    }
                })
                .collect()
        })
        .collect();
    let mut uut = CobsEncoder::default();
    uut.connect_all();
    assert!(simulate(&mut uut, 100));
    let bytes: Vec<(u8, bool)> = messages
        .iter()
        .flat_map(|m| {
            m.iter()
                .enumerate()
                .map(move |(i, &b)| (b, i + 1 == m.len()))
        })
        .collect();
    let (mut next, mut wire) = (0, vec![]);
    while next < bytes.len() || uut.out_valid.val() || wire.last() != Some(&0) {
        let (b, last) = bytes.get(next).copied().unwrap_or((0, false));
        let offer = next < bytes.len();
        uut.valid.next = offer;
        uut.data.next = (b as u64).into();
        uut.last.next = last;
        uut.out_ready.next = true;
        let taken = offer && uut.ready.val();
        if uut.out_valid.val() {
            wire.push(uut.out_data.val().index() as u8);
        }
        tcpip_fpga::hdl::tick!(uut);
        next += taken as usize;
    }
    let frames: Vec<&[u8]> = wire.split(|&b| b == 0).filter(|f| !f.is_empty()).collect();
    assert_eq!(frames.len(), messages.len());
    for (frame, message) in frames.iter().zip(&messages) {
        assert_eq!(&cobs::decode(frame).expect("a valid COBS frame"), message);
    }
}
