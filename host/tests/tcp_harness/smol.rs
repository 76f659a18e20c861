//! smoltcp as a peer: an in-memory IP device, an interface with one TCP socket, and
//! a lossy wire that both sides use.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};
use std::collections::VecDeque;
use std::time::Duration;
use tcpip_host::tcp::Time;

/// IP packets in, IP packets out.
#[derive(Default)]
pub struct QueueDevice {
    pub rx: VecDeque<Vec<u8>>,
    pub tx: Vec<Vec<u8>>,
}

pub struct Rx(Vec<u8>);
pub struct Tx<'a>(&'a mut Vec<Vec<u8>>);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut b = vec![0; len];
        let r = f(&mut b);
        self.0.push(b);
        r
    }
}

impl Device for QueueDevice {
    type RxToken<'a>
        = Rx
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a>
    where
        Self: 'a;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx<'_>)> {
        let p = self.rx.pop_front()?;
        Some((Rx(p), Tx(&mut self.tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = 1500;
        c
    }
}

pub fn instant(t: Time) -> Instant {
    Instant::from_micros(t.micros() as i64)
}

pub fn time(i: Instant) -> Time {
    Time(i.total_micros().max(0) as u64)
}

/// A smoltcp interface owning `addr`, with one TCP socket.
pub struct SmolPeer {
    pub dev: QueueDevice,
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub handle: SocketHandle,
}

impl SmolPeer {
    pub fn new(addr: [u8; 4], buffer: usize) -> SmolPeer {
        let mut dev = QueueDevice::default();
        let mut iface = Interface::new(
            IfaceConfig::new(HardwareAddress::Ip),
            &mut dev,
            Instant::from_micros(0),
        );
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(
                IpAddress::v4(addr[0], addr[1], addr[2], addr[3]),
                24,
            ))
            .unwrap();
        });
        let mut sockets = SocketSet::new(vec![]);
        let sock = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; buffer]),
            tcp::SocketBuffer::new(vec![0; buffer]),
        );
        let handle = sockets.add(sock);
        SmolPeer {
            dev,
            iface,
            sockets,
            handle,
        }
    }

    pub fn socket(&mut self) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(self.handle)
    }

    pub fn connect(&mut self, remote: ([u8; 4], u16), local_port: u16) {
        let r = remote.0;
        let cx = self.iface.context();
        self.sockets
            .get_mut::<tcp::Socket>(self.handle)
            .connect(
                cx,
                (IpAddress::v4(r[0], r[1], r[2], r[3]), remote.1),
                local_port,
            )
            .unwrap();
    }

    /// Run the interface at `now`; returns the packets it transmitted.
    pub fn poll(&mut self, now: Time) -> Vec<Vec<u8>> {
        self.iface
            .poll(instant(now), &mut self.dev, &mut self.sockets);
        std::mem::take(&mut self.dev.tx)
    }

    pub fn poll_at(&mut self, now: Time) -> Option<Time> {
        self.iface.poll_at(instant(now), &self.sockets).map(time)
    }
}

/// A wire that loses, duplicates and reorders packets, deterministically per seed.
pub struct LossyWire {
    rng: StdRng,
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
    pub delay: Duration,
    /// (deliver at, sequence for stable ordering, to side B?, packet)
    queue: Vec<(Time, u64, bool, Vec<u8>)>,
    count: u64,
    pub lost: u64,
    pub reordered: u64,
}

impl LossyWire {
    pub fn new(seed: u64, loss: f64, duplicate: f64, reorder: f64) -> LossyWire {
        LossyWire {
            rng: StdRng::seed_from_u64(seed),
            loss,
            duplicate,
            reorder,
            delay: Duration::from_millis(5),
            queue: Vec::new(),
            count: 0,
            lost: 0,
            reordered: 0,
        }
    }

    pub fn send(&mut self, now: Time, to_b: bool, p: Vec<u8>) {
        if self.rng.gen_bool(self.loss) {
            self.lost += 1;
            return;
        }
        let copies = if self.rng.gen_bool(self.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = now + self.delay;
            if self.rng.gen_bool(self.reorder) {
                // Held back long enough for later packets to overtake it.
                at = at + Duration::from_micros(self.rng.gen_range(1_000..20_000));
                self.reordered += 1;
            }
            self.count += 1;
            self.queue.push((at, self.count, to_b, p.clone()));
        }
    }

    pub fn next_at(&self) -> Option<Time> {
        self.queue.iter().map(|q| q.0).min()
    }

    /// Packets due at `now`, in delivery order: (to side B?, packet).
    pub fn due(&mut self, now: Time) -> Vec<(bool, Vec<u8>)> {
        let mut due: Vec<(Time, u64, bool, Vec<u8>)> = Vec::new();
        let mut i = 0;
        while i < self.queue.len() {
            if self.queue[i].0 <= now {
                due.push(self.queue.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|d| (d.0, d.1));
        due.into_iter().map(|d| (d.2, d.3)).collect()
    }
}
