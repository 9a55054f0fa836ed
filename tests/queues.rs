//! The checkpoint service core against queueing theory: M/M/c waits match Erlang C, M/D/c waits
//! match Pollaczek–Khinchine and the half-M/M/c approximation, throughput is capped at cμ, and an
//! overloaded checkpoint's queue grows at λ − cμ.

use cordon::checkpoint::queue::{LanePolicy, ServiceQueue, Started};
use cordon::checkpoint::queueing::{md1_wait, mdc_wait_approx, mmc_wait};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

/// Result of feeding `n` Poisson(λ) arrivals through a queue.
struct Run {
    mean_wait: f64,
    finished: Vec<Started>,
    queued_at_end: usize,
    end_t: f64,
}

fn simulate(
    lambda: f64,
    c: usize,
    n: usize,
    policy: LanePolicy,
    seed: u64,
    mut service: impl FnMut(&mut ChaCha8Rng) -> f64,
) -> Run {
    let mut arr_rng = ChaCha8Rng::seed_from_u64(seed);
    arr_rng.set_stream(1);
    let mut svc_rng = ChaCha8Rng::seed_from_u64(seed);
    svc_rng.set_stream(2);
    let gap = Exp::new(lambda).unwrap_or_else(|e| panic!("{e}"));
    let mut q = ServiceQueue::new(c, policy, 0.0);
    let (mut started, mut finished) = (Vec::new(), Vec::new());
    let mut t = 0.0;
    let mut draw = || service(&mut svc_rng);
    for id in 0..n as u64 {
        t += gap.sample(&mut arr_rng);
        q.advance(t, &mut draw, &mut started, &mut finished);
        q.join(id, t);
    }
    q.advance(t, &mut draw, &mut started, &mut finished);
    // mean wait over the services started, after a 2% warm-up
    let skip = n / 50;
    let waits: Vec<f64> = started
        .iter()
        .filter(|s| s.id >= skip as u64)
        .map(|s| s.start - s.joined)
        .collect();
    Run {
        mean_wait: waits.iter().sum::<f64>() / waits.len().max(1) as f64,
        finished,
        queued_at_end: q.queued(),
        end_t: t,
    }
}

const MEAN_SERVICE: f64 = 8.0; // s per person, a walk-through metal detector lane

fn exp_service(rng: &mut ChaCha8Rng) -> f64 {
    Exp::new(1.0 / MEAN_SERVICE).map_or(MEAN_SERVICE, |e| e.sample(rng))
}

#[test]
fn mmc_wait_matches_erlang_c_at_rho_070_and_085() {
    let (c, mu) = (4u32, 1.0 / MEAN_SERVICE);
    for rho in [0.7, 0.85] {
        let lambda = rho * f64::from(c) * mu;
        let theory = mmc_wait(lambda, mu, c).unwrap_or(f64::NAN);
        let seeds = 8;
        let mean: f64 = (0..seeds)
            .map(|s| {
                simulate(
                    lambda,
                    c as usize,
                    200_000,
                    LanePolicy::SharedQueue,
                    100 + s,
                    exp_service,
                )
                .mean_wait
            })
            .sum::<f64>()
            / seeds as f64;
        eprintln!("M/M/4 rho {rho}: simulated Wq {mean:.3} s, Erlang C {theory:.3} s");
        assert!(
            (mean - theory).abs() < 0.1 * theory,
            "rho {rho}: {mean} vs Erlang C {theory}"
        );
    }
}

#[test]
fn md1_matches_pollaczek_khinchine_and_mdc_is_below_mmc() {
    let mu = 1.0 / MEAN_SERVICE;
    let fixed = |_: &mut ChaCha8Rng| MEAN_SERVICE;
    // M/D/1 at rho 0.8: exact P-K value
    let lambda = 0.8 * mu;
    let pk = md1_wait(lambda, mu).unwrap_or(f64::NAN);
    let sim: f64 = (0..6)
        .map(|s| simulate(lambda, 1, 100_000, LanePolicy::SharedQueue, 200 + s, fixed).mean_wait)
        .sum::<f64>()
        / 6.0;
    eprintln!("M/D/1 rho 0.8: simulated Wq {sim:.3} s, Pollaczek-Khinchine {pk:.3} s");
    assert!((sim - pk).abs() < 0.1 * pk, "{sim} vs {pk}");
    // M/D/4 at rho 0.85: below M/M/4, near half of it
    let lambda = 0.85 * 4.0 * mu;
    let mm = mmc_wait(lambda, mu, 4).unwrap_or(f64::NAN);
    let approx = mdc_wait_approx(lambda, mu, 4).unwrap_or(f64::NAN);
    let sim: f64 = (0..6)
        .map(|s| simulate(lambda, 4, 150_000, LanePolicy::SharedQueue, 300 + s, fixed).mean_wait)
        .sum::<f64>()
        / 6.0;
    eprintln!("M/D/4 rho 0.85: simulated Wq {sim:.3} s, M/M/4 {mm:.3} s, half of it {approx:.3} s");
    assert!(sim < mm, "deterministic service must wait less than exponential");
    assert!((sim - approx).abs() < 0.2 * approx, "{sim} vs approximation {approx}");
}

#[test]
fn throughput_is_capped_and_overload_grows_the_queue_at_lambda_minus_c_mu() {
    let (c, mu) = (4usize, 1.0 / MEAN_SERVICE);
    let lambda = 1.2 * c as f64 * mu; // rho 1.2
    let fixed = |_: &mut ChaCha8Rng| MEAN_SERVICE;
    let r = simulate(lambda, c, 50_000, LanePolicy::SharedQueue, 7, fixed);
    // deterministic service: in any hour at most c * 3600 / 8 persons finish
    let hours = (r.end_t / 3600.0).floor() as usize;
    for h in 0..hours {
        let n = r
            .finished
            .iter()
            .filter(|s| s.end >= h as f64 * 3600.0 && s.end < (h + 1) as f64 * 3600.0)
            .count();
        assert!(n <= c * 450, "hour {h}: {n} served, above c·μ = {} per hour", c * 450);
    }
    // the queue grows at λ − cμ (λ as realised: 50,000 arrivals by end_t), less c in service
    let expect = 50_000.0 - c as f64 * mu * r.end_t - c as f64;
    let nominal = (lambda - c as f64 * mu) * r.end_t;
    assert!(
        (expect - nominal).abs() < 0.06 * nominal,
        "the arrival stream is off its rate"
    );
    eprintln!(
        "overload: queue {} after {:.0} s, expected {expect:.0}",
        r.queued_at_end, r.end_t
    );
    assert!(
        (r.queued_at_end as f64 - expect).abs() < 0.01 * expect,
        "{} vs {expect}",
        r.queued_at_end
    );
    // exponential service: long-run throughput within 2% of cμ, never meaningfully above
    let r = simulate(lambda, c, 50_000, LanePolicy::SharedQueue, 8, exp_service);
    let rate = r.finished.len() as f64 / r.end_t;
    eprintln!(
        "overload, exponential service: {rate:.4} /s served, c·μ = {:.4}",
        c as f64 * mu
    );
    assert!(rate <= c as f64 * mu * 1.02 && rate >= c as f64 * mu * 0.95, "{rate}");
}

#[test]
fn shortest_queue_without_jockeying_waits_longer_than_one_shared_queue() {
    let (c, mu) = (4usize, 1.0 / MEAN_SERVICE);
    let lambda = 0.85 * c as f64 * mu;
    let shared: f64 = (0..4)
        .map(|s| simulate(lambda, c, 100_000, LanePolicy::SharedQueue, 400 + s, exp_service).mean_wait)
        .sum::<f64>()
        / 4.0;
    let shortest: f64 = (0..4)
        .map(|s| simulate(lambda, c, 100_000, LanePolicy::ShortestQueue, 400 + s, exp_service).mean_wait)
        .sum::<f64>()
        / 4.0;
    eprintln!("rho 0.85: shared queue {shared:.2} s, shortest queue {shortest:.2} s");
    assert!(shortest > shared, "{shortest} vs {shared}");
    // but not absurdly: join-the-shortest-queue stays within 2x of the pooled queue here
    assert!(shortest < 2.0 * shared);
}

#[test]
fn a_blocked_lane_keeps_its_person_and_takes_nobody_new_until_it_is_free() {
    // one lane, 10 s a person; A joins at 0, B at 1. The spot beyond the lane is taken from
    // 5 s to 25 s: A, done at 10 s, steps out at 25 s, and B starts then
    let mut q = ServiceQueue::new(1, LanePolicy::SharedQueue, 0.0);
    let (mut started, mut finished) = (Vec::new(), Vec::new());
    let mut ten = || 10.0;
    q.advance(0.0, &mut ten, &mut started, &mut finished);
    q.join(0, 0.0);
    q.advance(1.0, &mut ten, &mut started, &mut finished);
    q.join(1, 1.0);
    q.advance(5.0, &mut ten, &mut started, &mut finished);
    q.set_blocked(0, true, 5.0);
    for t in [10.0, 15.0, 20.0] {
        q.advance(t, &mut ten, &mut started, &mut finished);
        assert!(finished.is_empty(), "A let out at {t} s onto a taken spot");
        assert_eq!(started.len(), 1, "B started while A is still in the lane");
        assert!(q.serving(0));
    }
    q.set_blocked(0, false, 25.0);
    q.advance(25.0, &mut ten, &mut started, &mut finished);
    assert_eq!(finished.len(), 1);
    assert_eq!(
        (finished[0].id, finished[0].end),
        (0, 25.0),
        "A steps out when the spot frees"
    );
    assert_eq!(started.len(), 2);
    assert_eq!((started[1].id, started[1].start, started[1].end), (1, 25.0, 35.0));
    // the lane counts the blocked time as busy
    assert_eq!(q.busy_seconds(), vec![25.0]);
}
