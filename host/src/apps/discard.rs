//! Discard (RFC 863): every byte is read and dropped; the server closes after the peer.

use super::Protocol;

pub struct Discard;

impl Protocol for Discard {
    fn input(&mut self, _data: &[u8], _out: &mut Vec<u8>) {}
}
