//! Echo (RFC 862): every byte comes back, in order; the server closes after the peer.

use super::Protocol;

pub struct Echo;

impl Protocol for Echo {
    fn input(&mut self, data: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(data);
    }
}
