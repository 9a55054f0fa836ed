//! Queueing theory references used to validate checkpoints: Erlang C (M/M/c) and the
//! Pollaczek–Khinchine mean wait (M/D/1), plus the usual M/D/c approximation.

/// Offered load `a = λ/μ` and utilisation `ρ = λ/(cμ)` of an M/M/c queue.
pub fn load(lambda: f64, mu: f64, c: u32) -> (f64, f64) {
    let a = lambda / mu;
    (a, a / f64::from(c))
}

/// Erlang C: probability that an arrival has to wait in an M/M/c queue (`None` if ρ ≥ 1).
pub fn erlang_c(lambda: f64, mu: f64, c: u32) -> Option<f64> {
    let (a, rho) = load(lambda, mu, c);
    if !(rho < 1.0) || c == 0 {
        return None;
    }
    // Σ_{k<c} a^k/k! and a^c/c!, accumulated term by term (no factorial overflow)
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    let last = term / (1.0 - rho);
    Some(last / (sum + last))
}

/// Mean wait in queue of an M/M/c queue: `Wq = C(c, a) / (cμ − λ)`.
pub fn mmc_wait(lambda: f64, mu: f64, c: u32) -> Option<f64> {
    erlang_c(lambda, mu, c).map(|p| p / (f64::from(c) * mu - lambda))
}

/// Mean wait of an M/D/1 queue (Pollaczek–Khinchine): `ρ / (2μ(1 − ρ))`.
pub fn md1_wait(lambda: f64, mu: f64) -> Option<f64> {
    let rho = lambda / mu;
    (rho < 1.0).then(|| rho / (2.0 * mu * (1.0 - rho)))
}

/// The common M/D/c approximation: half the M/M/c wait (exact for c = 1).
pub fn mdc_wait_approx(lambda: f64, mu: f64, c: u32) -> Option<f64> {
    mmc_wait(lambda, mu, c).map(|w| 0.5 * w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_known_values() {
        // c = 1 reduces to M/M/1: P(wait) = ρ, Wq = ρ / (μ − λ)
        assert!((erlang_c(0.5, 1.0, 1).unwrap_or(0.0) - 0.5).abs() < 1e-12);
        assert!((mmc_wait(0.5, 1.0, 1).unwrap_or(0.0) - 1.0).abs() < 1e-12);
        // c = 2, a = 1 (ρ = 0.5): C = 1/3
        assert!((erlang_c(1.0, 1.0, 2).unwrap_or(0.0) - 1.0 / 3.0).abs() < 1e-12);
        // M/D/1 is half of M/M/1
        assert!((md1_wait(0.5, 1.0).unwrap_or(0.0) - 0.5).abs() < 1e-12);
        assert_eq!(erlang_c(4.0, 1.0, 4), None);
    }
}
