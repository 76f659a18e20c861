//! ARP receive (RFC 826): what decides about an Ethernet/IPv4 ARP message.
//!
//! Only hardware type 1, protocol 0x0800, address lengths 6 and 4, in at least 28 bytes,
//! are accepted; anything else is `arp_malformed` (7). Requests for any address are
//! accepted here: deciding whom to answer is the responder's job. Registers hold only
//! what decides: the format, the opcode and the target IP are decided on as they pass,
//! a byte at a time, into flags (format, request, reply, target IP ours): no byte is
//! kept for a 16-bit compare. No address
//! is kept here: the responder (`ArpTx`) and LinkTx's ArpReply take the sender's MAC
//! and IP from the Ethernet payload stream as it passes (the header store's `l3`
//! stream and positions), and a report reads every address from the header store
//! (`crate::rx_header_store`).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct ArpRx {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<8>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub l3: Signal<In, Bit>,
    pub is_arp: Signal<In, Bit>,
    /// The beat's position in the Ethernet payload (the header store's `l3_pos`, the
    /// receive path's one count of where a byte is).
    pub pos: Signal<In, Bits<5>>,
    /// The byte of our IP address that this position's byte is compared with (high
    /// byte first at positions 24..=27): Ipv4Rx's, which picks it a clock ahead for
    /// its own compares at 16..=19 from the same count of the same stream.
    pub our_byte: Signal<In, Bits<8>>,
    /// The opcode is 1 (who-has).
    pub op_request: Signal<Out, Bit>,
    /// The opcode is 2 (is-at).
    pub op_reply: Signal<Out, Bit>,
    /// The target IP is `our_ip`.
    pub target_ours: Signal<Out, Bit>,
    /// All 28 bytes arrived: the frame reports an ARP layer.
    pub done: Signal<Out, Bit>,
    pub reason: Signal<Out, Bits<5>>,
    mid_frame: DFF<Bit>,
    format_ok: DFF<Bit>,
    op_request_r: DFF<Bit>,
    op_reply_r: DFF<Bit>,
    target_ours_r: DFF<Bit>,
    done_r: DFF<Bit>,
    /// The frame is ARP and malformed: the reason is arp_malformed (7). A flag, not
    /// the reason's five bits.
    malformed: DFF<Bit>,
    off: Signal<Local, Bits<5>>,
}

impl Logic for ArpRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            mid_frame,
            format_ok,
            op_request_r,
            op_reply_r,
            target_ours_r,
            done_r,
            malformed
        );
        self.off.next = self.pos.val();
        if self.valid.val() {
            self.mid_frame.d.next = !self.last.val();
        }
        if self.valid.val() & !self.mid_frame.q.val() {
            self.format_ok.d.next = true;
            self.done_r.d.next = false;
            self.malformed.d.next = false;
        }
        if self.valid.val() & self.l3.val() {
            // Hardware type 0x0001, protocol 0x0800, lengths 6 and 4.
            if ((self.off.val() == 0) & (self.data.val() != 0x00))
                | ((self.off.val() == 1) & (self.data.val() != 0x01))
                | ((self.off.val() == 2) & (self.data.val() != 0x08))
                | ((self.off.val() == 3) & (self.data.val() != 0x00))
                | ((self.off.val() == 4) & (self.data.val() != 0x06))
                | ((self.off.val() == 5) & (self.data.val() != 0x04))
            {
                self.format_ok.d.next = false;
            }
            // The opcode's high byte zero, then its low byte 1 or 2: the flags are
            // final from position 8.
            if self.off.val() == 6 {
                self.op_request_r.d.next = self.data.val() == 0;
                self.op_reply_r.d.next = self.data.val() == 0;
            }
            if self.off.val() == 7 {
                self.op_request_r.d.next = self.op_request_r.q.val() & (self.data.val() == 1);
                self.op_reply_r.d.next = self.op_reply_r.q.val() & (self.data.val() == 2);
            }
            if self.off.val() == 24 {
                self.target_ours_r.d.next = self.data.val() == self.our_byte.val();
            }
            if ((self.off.val() == 25) | (self.off.val() == 26) | (self.off.val() == 27))
                & (self.data.val() != self.our_byte.val())
            {
                self.target_ours_r.d.next = false;
            }
            if self.off.val() == 27 {
                self.done_r.d.next = true;
            }
        }
        if self.valid.val() & self.last.val() & self.is_arp.val() {
            // Complete means 28 bytes, counting this last one.
            if !self.format_ok.q.val()
                | !(self.done_r.q.val() | ((self.off.val() == 27) & self.l3.val()))
            {
                self.malformed.d.next = true;
            }
        }
        self.op_request.next = self.op_request_r.q.val();
        self.op_reply.next = self.op_reply_r.q.val();
        self.target_ours.next = self.target_ours_r.q.val();
        self.done.next = self.done_r.q.val();
        self.reason.next = 0.into();
        if self.malformed.q.val() {
            self.reason.next = 7.into(); // arp_malformed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUR_IP: [u8; 4] = [192, 168, 1, 10];

    fn request() -> Vec<u8> {
        let mut m = vec![0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01];
        m.extend_from_slice(&[0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f]);
        m.extend_from_slice(&[10, 0, 0, 7]);
        m.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
        m.extend_from_slice(&[192, 168, 1, 10]);
        m
    }

    /// 14 header beats (not l3), the message as l3, `pad` more l3 beats (Ethernet
    /// padding), then a few idle clocks.
    fn receive_with(uut: &mut ArpRx, m: &[u8], pad: usize, is_arp: bool) {
        uut.is_arp.next = is_arp;
        let mut beats: Vec<(u8, bool)> = (0..14).map(|i| (i as u8, false)).collect();
        beats.extend(m.iter().map(|&b| (b, true)));
        beats.extend((0..pad).map(|_| (0, true)));
        let n = beats.len();
        // The position as the header store counts it: from 0 at the payload's first
        // byte, saturating at 31.
        let mut pos = 0u64;
        for i in 0..n + 3 {
            uut.valid.next = i < n;
            uut.data.next = (beats.get(i).map_or(0, |b| b.0) as u64).into();
            let l3 = beats.get(i).is_some_and(|b| b.1);
            uut.l3.next = l3;
            uut.last.next = i + 1 == n;
            uut.pos.next = pos.into();
            // Our address's byte for this position, as Ipv4Rx gives it.
            uut.our_byte.next = (OUR_IP[pos as usize % 4] as u64).into();
            if i < n {
                pos = if l3 { (pos + 1).min(31) } else { 0 };
            }
            crate::tick!(*uut);
        }
    }

    fn receive(m: &[u8], pad: usize) -> ArpRx {
        let mut uut = ArpRx::default();
        uut.connect_all();
        receive_with(&mut uut, m, pad, true);
        uut
    }

    #[test]
    fn request_fields() {
        let u = receive(&request(), 18);
        assert!(u.op_request.val() & !u.op_reply.val());
        assert!(u.target_ours.val());
        assert!(u.done.val());
        assert_eq!(u.reason.val().index(), 0);
        // A reply, with no padding (last on byte 28), is also complete.
        let mut reply = request();
        reply[7] = 2;
        let u = receive(&reply, 0);
        assert!(u.op_reply.val() & !u.op_request.val());
        assert_eq!(u.reason.val().index(), 0);
        // Neither opcode, and each byte of the target IP in turn not ours.
        let mut other = request();
        other[7] = 3;
        let u = receive(&other, 18);
        assert!(!u.op_request.val() & !u.op_reply.val());
        for at in 24..28 {
            let mut m = request();
            m[at] ^= 0x10;
            assert!(!receive(&m, 18).target_ours.val(), "byte {at}");
        }
    }

    #[test]
    fn format_errors() {
        for (at, value) in [(0, 0x01), (1, 0x06), (2, 0x86), (3, 0xDD), (4, 8), (5, 16)] {
            let mut m = request();
            m[at] = value;
            assert_eq!(
                receive(&m, 18).reason.val().index(),
                7,
                "byte {at} = {value}"
            );
        }
    }

    #[test]
    fn short_messages() {
        let m = request();
        for len in [27, 20, 8, 1] {
            let u = receive(&m[..len], 0);
            assert_eq!(u.reason.val().index(), 7, "{len} bytes");
            assert!(!u.done.val());
        }
    }

    #[test]
    fn not_arp_is_left_alone_and_reason_clears() {
        let mut uut = ArpRx::default();
        uut.connect_all();
        receive_with(&mut uut, &request()[..10], 0, false);
        assert_eq!(uut.reason.val().index(), 0);
        receive_with(&mut uut, &request()[..10], 0, true);
        assert_eq!(uut.reason.val().index(), 7);
        receive_with(&mut uut, &request(), 18, true);
        assert_eq!(uut.reason.val().index(), 0);
        assert!(uut.target_ours.val());
    }
}
