//! The movement step's data-parallel loops, on rayon's global pool.
//!
//! The crowd step runs two short parallel loops per simulated step (a few hundred microseconds
//! each on the Import Expo), tens of thousands of times per simulated hour. rayon's workers spin
//! a little before they sleep, so back-to-back loops start at once. Which thread runs a chunk
//! never changes the result: [`fill`] writes element `k` from `f(k)` only.

use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Elements per chunk of a parallel loop (and half the length below which a loop stays serial).
const CHUNK: usize = 512;

/// Loops that [`fill`] split across two or more threads since the process started.
static PARALLEL_LOOPS: AtomicU64 = AtomicU64::new(0);

/// Threads of the pool that [`fill`] uses: 1 until [`init`] set one up.
static THREADS: AtomicUsize = AtomicUsize::new(1);

/// Sets up rayon's global pool with `threads` threads (the first call with 2 or more wins;
/// later calls, or a pool already set up by someone else, leave it as it is). With one thread
/// there is no pool: the step's loops stay serial, and nothing asks rayon for its default pool
/// (which would start a thread per core).
pub fn init(threads: usize) {
    if threads < 2 || THREADS.load(Ordering::Relaxed) >= 2 {
        return;
    }
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|k| format!("cordon-step-{k}"))
        .build_global();
    // already built elsewhere in the process: that pool is the one in use
    let n = if built.is_ok() {
        threads
    } else {
        rayon::current_num_threads()
    };
    THREADS.store(n, Ordering::Relaxed);
}

/// Threads the step's loops run on (1: serial).
pub fn threads() -> usize {
    THREADS.load(Ordering::Relaxed)
}

/// How many loops have run split across threads so far (for tests and `--profile`: it shows
/// that the parallel path ran at all).
pub fn parallel_loops() -> u64 {
    PARALLEL_LOOPS.load(Ordering::Relaxed)
}

/// Fills `out[k] = f(k)` for every `k`, split across the pool when it has two or more threads
/// and there is enough work. Each element depends only on `k`, so the split never changes the
/// result.
pub fn fill<T: Send>(out: &mut [T], f: impl Fn(usize) -> T + Sync) {
    if out.len() < 2 * CHUNK || threads() < 2 {
        for (k, o) in out.iter_mut().enumerate() {
            *o = f(k);
        }
        return;
    }
    PARALLEL_LOOPS.fetch_add(1, Ordering::Relaxed);
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, part)| {
        for (j, o) in part.iter_mut().enumerate() {
            *o = f(c * CHUNK + j);
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn fill_matches_a_serial_loop_whatever_the_split() {
        super::init(3);
        // a length that crosses a multiple of the chunk size from one call to the next (the
        // pattern of a crowd that grows and shrinks)
        for n in [0, 5, 1023, 1024, 1025, 1535, 1536, 1537, 5000, 100_000, 511, 2049] {
            let mut out = vec![0u64; n];
            super::fill(&mut out, |k| (k as u64).wrapping_mul(2_654_435_761) ^ 7);
            let want: Vec<u64> = (0..n as u64).map(|k| k.wrapping_mul(2_654_435_761) ^ 7).collect();
            assert_eq!(out, want, "n = {n}");
        }
    }

    #[test]
    fn a_panicking_chunk_is_reported_to_the_caller_not_a_hang() {
        super::init(2);
        let r = std::panic::catch_unwind(|| {
            let mut out = vec![0u32; 4096];
            super::fill(&mut out, |k| if k == 4000 { panic!("chunk {k}") } else { 1 });
        });
        assert!(r.is_err());
        let mut out = vec![0u32; 4096];
        super::fill(&mut out, |k| k as u32);
        assert!(out.iter().enumerate().all(|(k, &v)| v == k as u32));
    }

    #[test]
    fn jobs_from_several_threads_of_changing_sizes_all_finish() {
        super::init(2);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                s.spawn(move || {
                    for i in 0..200usize {
                        let n = 1000 + (i * 37 + t as usize * 101) % 3000;
                        let mut out = vec![0u64; n];
                        super::fill(&mut out, |k| k as u64 * t);
                        assert!(out.iter().enumerate().all(|(k, &v)| v == k as u64 * t));
                    }
                });
            }
        });
    }
}
