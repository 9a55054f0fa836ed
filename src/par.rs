//! A small worker pool for the movement step's data-parallel loops.
//!
//! The crowd step runs two short parallel loops per simulated step (a few hundred microseconds
//! each on the Import Expo), tens of thousands of times per simulated hour. Waking a sleeping
//! worker for each (as a general task pool does) costs tens of microseconds every time, which on
//! two cores ate a third of the gain. Here the workers spin for a short while (about 2 ms) after
//! a loop before they park, so back-to-back loops start at once; the calling thread takes chunks
//! too. Which thread runs a chunk never changes its result: [`fill`] writes element `k` from
//! `f(k)` only.
//!
//! The job is a borrowed closure handed to long-lived threads, which safe Rust cannot express
//! (scoped threads would be spawned per loop): this is the crate's one `unsafe` block, a read
//! of the job pointer that is valid for as long as the caller waits (see `claim`).

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_millis(2);

type Job<'a> = &'a (dyn Fn(usize) + Sync);

struct Shared {
    /// `epoch << 32 | next chunk to claim`; a new job bumps the epoch and resets the chunk.
    state: AtomicU64,
    /// Chunks in the current job.
    chunks: AtomicUsize,
    /// The current job: a pointer to a [`Job`] on the stack of the thread in [`Pool::run`].
    job: AtomicPtr<()>,
    /// Chunks of the current job finished.
    done: AtomicUsize,
    /// Workers parked or about to park.
    sleepers: AtomicUsize,
    /// A chunk of the current job panicked (on a worker: the caller re-raises it).
    panicked: AtomicBool,
}

/// The pool: `threads - 1` workers plus the calling thread.
pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<Thread>,
    /// One job at a time (a second caller runs its loop serially instead of waiting).
    busy: Mutex<()>,
}

static POOL: OnceLock<Pool> = OnceLock::new();

/// Starts the global pool with `threads` threads in all (first call wins; 1 or less: none).
pub fn init(threads: usize) {
    if threads > 1 {
        POOL.get_or_init(|| Pool::new(threads));
    }
}

impl Pool {
    fn new(threads: usize) -> Pool {
        let shared = Arc::new(Shared {
            state: AtomicU64::new(0),
            chunks: AtomicUsize::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            done: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
        });
        let workers = (1..threads)
            .map(|k| {
                let s = shared.clone();
                std::thread::Builder::new()
                    .name(format!("cordon-step-{k}"))
                    .spawn(move || worker(&s))
                    .map(|h| h.thread().clone())
            })
            .filter_map(Result::ok)
            .collect();
        Pool {
            shared,
            workers,
            busy: Mutex::new(()),
        }
    }

    /// Runs `f(c)` for every chunk `c < chunks` across the pool; returns when all are done.
    fn run(&self, chunks: usize, f: Job) {
        let Ok(guard) = self.busy.try_lock() else {
            (0..chunks).for_each(f);
            return;
        };
        let s = &*self.shared;
        let job: Job = f;
        s.job.store(&job as *const Job as *mut (), Ordering::Release);
        s.chunks.store(chunks, Ordering::Release);
        s.done.store(0, Ordering::Release);
        s.panicked.store(false, Ordering::Release);
        let epoch = (s.state.load(Ordering::Acquire) >> 32) + 1;
        s.state.store(epoch << 32, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            for w in &self.workers {
                w.unpark();
            }
        }
        claim(s, epoch);
        while s.done.load(Ordering::Acquire) < chunks {
            std::hint::spin_loop();
        }
        // every chunk is done, so no worker reads `job` any more (a late one fails its claim)
        s.job.store(std::ptr::null_mut(), Ordering::Release);
        let panicked = s.panicked.load(Ordering::Acquire);
        drop(guard);
        assert!(!panicked, "a chunk of a parallel loop panicked");
    }
}

/// Takes and runs chunks of job `epoch` until none are left (or a newer job started). A panic
/// in a chunk must neither leave `done` short (the caller would wait for ever) nor unwind the
/// caller's frame, which holds the job, while other threads still run it: it is caught, the
/// chunk counted as done and the panic recorded for the caller to raise once all are done.
fn claim(s: &Shared, epoch: u64) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| claim_loop(s, epoch))).is_err() {
        s.panicked.store(true, Ordering::Release);
        // the chunk this thread was running when it panicked
        s.done.fetch_add(1, Ordering::Release);
    }
}

fn claim_loop(s: &Shared, epoch: u64) {
    loop {
        let st = s.state.load(Ordering::Acquire);
        if st >> 32 != epoch {
            return;
        }
        let c = (st & 0xffff_ffff) as usize;
        // read after seeing `epoch`, so it is this job's count (a newer job fails the exchange)
        if c >= s.chunks.load(Ordering::Acquire) {
            return;
        }
        if s.state
            .compare_exchange_weak(st, st + 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: chunk `c` of job `epoch` is ours, so the job is not finished: the thread
            // in `Pool::run` is still waiting for `done` to reach the chunk count, so the `Job`
            // it stored (on its stack) is alive and is this job's.
            #[allow(unsafe_code)]
            let job = unsafe { *(s.job.load(Ordering::Acquire) as *const Job) };
            job(c);
            s.done.fetch_add(1, Ordering::Release);
        }
    }
}

fn worker(s: &Shared) {
    let mut seen = 0u64;
    loop {
        let mut idle_since = Instant::now();
        let mut spins = 0u32;
        let epoch = loop {
            let e = s.state.load(Ordering::Acquire) >> 32;
            if e != seen {
                break e;
            }
            spins = spins.wrapping_add(1);
            if spins % 256 != 0 || idle_since.elapsed() < SPIN {
                std::hint::spin_loop();
                continue;
            }
            // park; `run` unparks when it sees a sleeper after publishing a job, and this
            // thread re-checks the epoch after announcing itself, so no wake-up is lost
            s.sleepers.fetch_add(1, Ordering::SeqCst);
            if s.state.load(Ordering::SeqCst) >> 32 == seen {
                std::thread::park();
            }
            s.sleepers.fetch_sub(1, Ordering::SeqCst);
            idle_since = Instant::now();
        };
        seen = epoch;
        claim(s, epoch);
    }
}

/// Fills `out[k] = f(k)` for every `k`, split across the pool when there is one and enough
/// work. Each element depends only on `k`, so the split never changes the result.
pub fn fill<T: Send>(out: &mut [T], f: impl Fn(usize) -> T + Sync) {
    const CHUNK: usize = 512;
    let n = out.len();
    let pool = match POOL.get() {
        Some(p) if n >= 2 * CHUNK => p,
        _ => {
            for (k, o) in out.iter_mut().enumerate() {
                *o = f(k);
            }
            return;
        }
    };
    let parts: Vec<Mutex<&mut [T]>> = out.chunks_mut(CHUNK).map(Mutex::new).collect();
    pool.run(parts.len(), &|c| {
        if let Ok(mut part) = parts[c].lock() {
            for (j, o) in part.iter_mut().enumerate() {
                *o = f(c * CHUNK + j);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn fill_matches_a_serial_loop_whatever_the_split() {
        super::init(3);
        for n in [0, 5, 1023, 1024, 5000, 100_000] {
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
        // the pool still works afterwards
        let mut out = vec![0u32; 4096];
        super::fill(&mut out, |k| k as u32);
        assert!(out.iter().enumerate().all(|(k, &v)| v == k as u32));
    }

    #[test]
    fn jobs_from_several_threads_all_finish() {
        super::init(2);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                s.spawn(move || {
                    for _ in 0..200 {
                        let mut out = vec![0u64; 3000];
                        super::fill(&mut out, |k| k as u64 * t);
                        assert!(out.iter().enumerate().all(|(k, &v)| v == k as u64 * t));
                    }
                });
            }
        });
    }
}
