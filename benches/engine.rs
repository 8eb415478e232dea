//! Hold-model benchmark of the event queue: with `n` events pending, pop one
//! and schedule one a random increment later, over and over. Compared in the
//! same run with a bare `BinaryHeap<Reverse<(u64, u64)>>` doing the same work,
//! so the ratio is meaningful on a noisy machine.
//!
//! `cargo bench --bench engine`

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use orchsim::engine::{EventQueue, Phase};
use orchsim::event::Event;
use orchsim::model::PodId;
use orchsim::time::{SimDuration, SimTime};

/// Holds per measured iteration.
const HOLDS: u64 = 10_000;

/// xorshift64*: a cheap increment generator, identical for both queues.
struct Incr(u64);
impl Incr {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        // Increments of up to ~2 s in µs: many distinct times, some ties.
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 43) & 0x1F_FFFF
    }
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(HOLDS));
    for &n in &[1_000usize, 100_000, 1_000_000] {
        group.bench_with_input(BenchmarkId::new("BinaryHeap", n), &n, |b, &n| {
            let mut r = Incr(0x9E37_79B9_7F4A_7C15);
            let mut heap = BinaryHeap::with_capacity(n + 1);
            let mut seq = 0u64;
            for _ in 0..n {
                heap.push(Reverse((r.next(), seq)));
                seq += 1;
            }
            b.iter(|| {
                for _ in 0..HOLDS {
                    let Reverse((t, _)) = heap.pop().unwrap();
                    heap.push(Reverse((t + r.next(), seq)));
                    seq += 1;
                }
                black_box(heap.len())
            });
        });
        group.bench_with_input(BenchmarkId::new("EventQueue", n), &n, |b, &n| {
            let mut r = Incr(0x9E37_79B9_7F4A_7C15);
            let mut q: EventQueue<Event> = EventQueue::with_capacity(n + 1);
            for i in 0..n {
                q.schedule(SimTime::from_micros(r.next()), Phase::STATE, Event::PodFinished { pod: PodId(i as u32) }).unwrap();
            }
            b.iter(|| {
                for _ in 0..HOLDS {
                    let (t, ev) = q.pop().unwrap();
                    q.schedule(t + SimDuration::from_micros(r.next()), ev.phase(), ev).unwrap();
                }
                black_box(q.len())
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = hold
}
criterion_main!(benches);
