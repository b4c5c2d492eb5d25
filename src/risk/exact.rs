//! Exact losing-run odds: dynamic programming over the current losing streak.
//!
//! Trades are independent; each loses with probability `q` (and wins with
//! `p = 1 − q`). The state after a trade is the length of the current losing
//! streak, `0..K−1`, plus one extra coordinate:
//!
//! - for [`losing_run`], an absorbing state "a run of K losses has happened";
//! - for [`expected_stopped_cycles`], a counter of stopped-out cycles: a cycle
//!   starts at step 1, a win resets it, and K losses in a row stop it out and
//!   start the next cycle at step 1 (the ladder's reset).
//!
//! One trade maps the state vector `v` (probabilities of each streak length) to
//! `v'[0] = p·Σv` (plus `q·v[K−1]` when a stopped cycle restarts),
//! `v'[j] = q·v[j−1]` for `1 ≤ j < K`, and the extra coordinate gains
//! `q·v[K−1]`. After N trades, `P(a run of ≥ K losses) = absorbed mass`,
//! `P(no such run) = Σv` (computed separately, not as `1 − P`, so that both a
//! tiny probability and a tiny complement keep their relative precision), and
//! `E[stopped-out cycles] = Σₙ q·vₙ₋₁[K−1]` (linearity of expectation).
//!
//! Precision: every operation is a sum or product of non-negative numbers (no
//! cancellation anywhere), carried in double-double arithmetic (about 106
//! bits, unit roundoff `u ≈ 1.2·10⁻³²`). Each computed value then has a
//! relative error of at most about `2·N·(K+1)·u`: below `10⁻²⁰` for any
//! N·K up to `10¹⁰`, far inside the `10⁻¹²` promised. The result is rounded
//! once to `f64` at the end (relative error `2⁻⁵³`).
//!
//! Cost: the direct recursion is `O(N·K)`; binary powering of the
//! `(K+1)×(K+1)` transition matrix is `O(K³·log N)`; the cheaper is used.

/// A double-double number: `hi + lo` with `|lo| ≤ ulp(hi)/2`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Dd {
    hi: f64,
    lo: f64,
}

/// `a + b` exactly as `s + e` (Knuth's TwoSum).
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a + b` exactly as `s + e`, given `|a| ≥ |b|` (Dekker's FastTwoSum).
#[inline]
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// Veltkamp's split of `a` into two 26-bit halves.
#[inline]
fn split(a: f64) -> (f64, f64) {
    const SPLITTER: f64 = 134_217_729.0; // 2^27 + 1
    let t = SPLITTER * a;
    let hi = t - (t - a);
    (hi, a - hi)
}

/// `a × b` exactly as `p + e` (Dekker's TwoProduct; no FMA needed, so the
/// result is the same on every platform).
#[inline]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

impl Dd {
    const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };
    const ONE: Dd = Dd { hi: 1.0, lo: 0.0 };

    fn from(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }

    /// Sum of two non-negative double-doubles (no cancellation possible, so
    /// the short form is accurate to a few `u`).
    #[inline]
    fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let (s, e) = fast_two_sum(s, e + self.lo + o.lo);
        Dd { hi: s, lo: e }
    }

    #[inline]
    fn mul(self, o: Dd) -> Dd {
        let (p, e) = two_prod(self.hi, o.hi);
        let (p, e) = fast_two_sum(p, e + (self.hi * o.lo + self.lo * o.hi));
        Dd { hi: p, lo: e }
    }

    fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
}

/// Why the odds cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OddsError {
    /// The loss probability is not a number in [0, 1].
    #[error("the loss rate must be a probability between 0 and 1, found {0}")]
    LossRate(f64),
    /// A run length of zero.
    #[error("the run length must be at least 1")]
    Run,
    /// N and K so large that even the cheaper method would take too long.
    #[error(
        "{trades} trades with runs of {run} are too many to compute exactly (about {cost:.0e} operations)"
    )]
    TooLarge {
        /// N.
        trades: u64,
        /// K.
        run: u64,
        /// Estimated operations.
        cost: f64,
    },
}

/// The odds of a losing run.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RunOdds {
    /// P(at least one run of K or more consecutive losses in N trades).
    pub p_losing_run: f64,
    /// P(no such run), computed on its own (not as `1 − p_losing_run`).
    pub p_no_losing_run: f64,
}

/// Operations beyond which we refuse (about a minute of work).
const MAX_COST: f64 = 2e10;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The extra coordinate absorbs: P(run).
    Absorb,
    /// The extra coordinate counts stopped cycles, which restart at step 1.
    Count,
}

fn validate(q: f64, k: u64) -> Result<(), OddsError> {
    if !(0.0..=1.0).contains(&q) {
        return Err(OddsError::LossRate(q));
    }
    if k == 0 {
        return Err(OddsError::Run);
    }
    Ok(())
}

/// `(live mass Σv, extra coordinate)` after `n` trades, from streak 0.
fn solve(q: f64, k: u64, n: u64, kind: Kind) -> Result<(Dd, Dd), OddsError> {
    let linear = n as f64 * k as f64;
    let kk = k as f64 + 1.0;
    let bits = f64::from(64 - n.leading_zeros()).max(1.0);
    let matrix = kk * kk * kk * 2.0 * bits;
    let cost = linear.min(matrix);
    if cost > MAX_COST {
        return Err(OddsError::TooLarge {
            trades: n,
            run: k,
            cost,
        });
    }
    // K ≤ N here (callers handle K > N), and N·K ≤ MAX_COST or K³ ≤ MAX_COST,
    // so K fits in memory.
    let k = usize::try_from(k).map_err(|_| OddsError::TooLarge {
        trades: n,
        run: k,
        cost,
    })?;
    let qd = Dd::from(q);
    let (p_hi, p_lo) = two_sum(1.0, -q); // exact: 1 − q as a double-double
    let pd = Dd { hi: p_hi, lo: p_lo };
    if linear <= matrix {
        Ok(direct(pd, qd, k, n, kind))
    } else {
        Ok(powered(pd, qd, k, n, kind))
    }
}

/// The recursion, trade by trade: `O(N·K)`.
fn direct(p: Dd, q: Dd, k: usize, n: u64, kind: Kind) -> (Dd, Dd) {
    // v[j] = P(streak = j); a ring buffer so that a trade is one pass.
    let mut v = vec![Dd::ZERO; k];
    if let Some(first) = v.first_mut() {
        *first = Dd::ONE;
    }
    let mut extra = Dd::ZERO;
    // head: index of streak 0 in the ring.
    let mut head = 0usize;
    for _ in 0..n {
        let mut total = Dd::ZERO;
        for x in &v {
            total = total.add(*x);
        }
        if total.hi == 0.0 {
            break; // every path has been absorbed
        }
        // The streak K−1 entry sits just before head in the ring.
        let last_at = (head + k - 1) % k;
        let last = v.get(last_at).copied().unwrap_or(Dd::ZERO);
        let stop = q.mul(last);
        extra = extra.add(stop);
        // Shift: every streak grows by one (multiplied by q); the slot of
        // streak K−1 becomes the new streak 0.
        for x in &mut v {
            *x = q.mul(*x);
        }
        let mut fresh = p.mul(total);
        if kind == Kind::Count {
            fresh = fresh.add(stop);
        }
        if let Some(slot) = v.get_mut(last_at) {
            *slot = fresh;
        }
        head = last_at;
    }
    let mut total = Dd::ZERO;
    for x in &v {
        total = total.add(*x);
    }
    (total, extra)
}

/// Binary powering of the transition matrix: `O(K³·log N)`.
fn powered(p: Dd, q: Dd, k: usize, n: u64, kind: Kind) -> (Dd, Dd) {
    let d = k + 1;
    // Row-vector convention: v' = v·M; M[i][j] = weight from state i to j;
    // index k is the extra coordinate.
    let mut m = vec![Dd::ZERO; d * d];
    let at = |i: usize, j: usize| i * d + j;
    for i in 0..k {
        if let Some(x) = m.get_mut(at(i, 0)) {
            *x = p;
        }
        if i + 1 < k {
            if let Some(x) = m.get_mut(at(i, i + 1)) {
                *x = q;
            }
        } else {
            if let Some(x) = m.get_mut(at(i, k)) {
                *x = q;
            }
            if kind == Kind::Count
                && let Some(x) = m.get_mut(at(i, 0))
            {
                *x = x.add(q);
            }
        }
    }
    if let Some(x) = m.get_mut(at(k, k)) {
        *x = Dd::ONE;
    }
    let mut v = vec![Dd::ZERO; d];
    if let Some(x) = v.first_mut() {
        *x = Dd::ONE;
    }
    let mut e = n;
    let mut scratch = vec![Dd::ZERO; d * d];
    while e > 0 {
        if e & 1 == 1 {
            let mut out = vec![Dd::ZERO; d];
            for (i, vi) in v.iter().enumerate() {
                if vi.hi == 0.0 {
                    continue;
                }
                for (j, o) in out.iter_mut().enumerate() {
                    if let Some(mij) = m.get(at(i, j))
                        && mij.hi != 0.0
                    {
                        *o = o.add(vi.mul(*mij));
                    }
                }
            }
            v = out;
        }
        e >>= 1;
        if e > 0 {
            for x in scratch.iter_mut() {
                *x = Dd::ZERO;
            }
            for i in 0..d {
                for l in 0..d {
                    let a = m.get(at(i, l)).copied().unwrap_or(Dd::ZERO);
                    if a.hi == 0.0 {
                        continue;
                    }
                    for j in 0..d {
                        let b = m.get(at(l, j)).copied().unwrap_or(Dd::ZERO);
                        if b.hi != 0.0
                            && let Some(s) = scratch.get_mut(at(i, j))
                        {
                            *s = s.add(a.mul(b));
                        }
                    }
                }
            }
            std::mem::swap(&mut m, &mut scratch);
        }
    }
    let mut live = Dd::ZERO;
    for x in v.iter().take(k) {
        live = live.add(*x);
    }
    (live, v.get(k).copied().unwrap_or(Dd::ZERO))
}

/// The exact probability of at least one run of `k` or more consecutive
/// losses in `n` independent trades that each lose with probability `q`.
pub fn losing_run(q: f64, k: u64, n: u64) -> Result<RunOdds, OddsError> {
    validate(q, k)?;
    let none = RunOdds {
        p_losing_run: 0.0,
        p_no_losing_run: 1.0,
    };
    if k > n || q == 0.0 {
        return Ok(none);
    }
    if q == 1.0 {
        return Ok(RunOdds {
            p_losing_run: 1.0,
            p_no_losing_run: 0.0,
        });
    }
    let (live, absorbed) = solve(q, k, n, Kind::Absorb)?;
    Ok(RunOdds {
        p_losing_run: absorbed.to_f64(),
        p_no_losing_run: live.to_f64(),
    })
}

/// The expected number of stopped-out cycles in `n` trades: a cycle starts at
/// step 1, a win resets it, and `k` losses in a row stop it out (the next
/// trade starts a new cycle at step 1).
pub fn expected_stopped_cycles(q: f64, k: u64, n: u64) -> Result<f64, OddsError> {
    validate(q, k)?;
    if k > n || q == 0.0 {
        return Ok(0.0);
    }
    if q == 1.0 {
        return Ok((n / k) as f64);
    }
    let (_, count) = solve(q, k, n, Kind::Count)?;
    Ok(count.to_f64())
}

/// The long-run rate of stopped-out cycles per trade, `p·q^K / (1 − q^K)`: one
/// over the expected number of trades until K losses in a row (renewal
/// theorem). `expected_stopped_cycles(q, k, n) / n` tends to it.
///
/// Where q^K is near 1, `1 − q^K` as written cancels (q = 0.999, K = 12 lost
/// 8e-15 relatively, q = 0.99999999, K = 2 lost 6e-10): it is computed as
/// `−expm1(K·ln q)` there, which keeps every digit.
pub fn stopped_cycle_rate(q: f64, k: u64) -> f64 {
    if q <= 0.0 || k == 0 {
        return 0.0;
    }
    if q >= 1.0 {
        return 1.0 / k as f64;
    }
    let x = k as f64 * q.ln();
    let qk = match i32::try_from(k) {
        Ok(e) => q.powi(e),
        Err(_) => x.exp(),
    };
    let not_qk = if qk < 0.5 { 1.0 - qk } else { -x.exp_m1() };
    (1.0 - q) * qk / not_qk
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_and_powered_agree() {
        for &(q, k, n) in &[
            (0.3, 3u64, 50u64),
            (0.5, 1, 17),
            (0.9, 4, 200),
            (0.05, 2, 1000),
        ] {
            let (pd, qd) = {
                let (h, l) = two_sum(1.0, -q);
                (Dd { hi: h, lo: l }, Dd::from(q))
            };
            for kind in [Kind::Absorb, Kind::Count] {
                let (a, b) = direct(pd, qd, k as usize, n, kind);
                let (c, d) = powered(pd, qd, k as usize, n, kind);
                assert!((a.to_f64() - c.to_f64()).abs() < 1e-15, "{q} {k} {n}");
                assert!((b.to_f64() - d.to_f64()).abs() < 1e-13, "{q} {k} {n}");
            }
        }
    }

    #[test]
    fn complement_adds_to_one() {
        let o = losing_run(0.25, 5, 1234).unwrap_or(RunOdds {
            p_losing_run: f64::NAN,
            p_no_losing_run: f64::NAN,
        });
        assert!((o.p_losing_run + o.p_no_losing_run - 1.0).abs() < 1e-15);
    }

    #[test]
    fn rate_matches_long_horizon() {
        let (q, k, n) = (0.4, 3, 200_000);
        let e = expected_stopped_cycles(q, k, n).unwrap_or(f64::NAN);
        let r = stopped_cycle_rate(q, k);
        assert!((e / n as f64 - r).abs() < 1e-4, "{} vs {r}", e / n as f64);
    }
}
