//! Risk of ruin: exact losing-run odds, the ladder's worst case beside the
//! Kelly fraction, and a Monte Carlo of the real sizing engine.
//!
//! - [`exact`]: P(a run of K losses in N trades) and the expected number of
//!   stopped-out cycles, by dynamic programming in double-double arithmetic;
//! - [`monte_carlo`]: per-trade returns on risk resampled through
//!   [`crate::eval::Engine`], path by path, in parallel and reproducibly;
//! - this module: trade statistics (loss rate, average win and loss) and the
//!   Kelly fraction.

pub mod exact;
pub mod monte_carlo;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// Win rate and average win and loss of a set of trades.
///
/// A loss is a condor with P&L < 0 (the ladder's definition; hedge P&L apart).
/// When each trade's size is known the averages are returns on risk (P&L ÷
/// size), since sizes vary along the ladder and dollar averages would weigh
/// deep steps more; otherwise they are dollars.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TradeStats {
    /// Trades counted.
    pub trades: usize,
    /// Losing trades.
    pub losses: usize,
    /// losses ÷ trades.
    pub loss_rate: f64,
    /// Mean of the winning trades (P&L ≥ 0).
    pub avg_win: f64,
    /// Mean magnitude of the losing trades (a positive number).
    pub avg_loss: f64,
    /// Whether `avg_win` and `avg_loss` are returns on risk (else dollars).
    pub on_risk: bool,
}

impl TradeStats {
    /// From `(pnl, size)` pairs; `size` `None` means unknown (then dollars).
    pub fn from_trades(trades: impl IntoIterator<Item = (Decimal, Option<Decimal>)>) -> TradeStats {
        let mut n = 0usize;
        let mut losses = 0usize;
        let (mut win_sum, mut loss_sum) = (0.0f64, 0.0f64);
        let mut on_risk = true;
        let rows: Vec<(Decimal, Option<Decimal>)> = trades.into_iter().collect();
        if rows
            .iter()
            .any(|(_, s)| s.is_none_or(|s| s <= Decimal::ZERO))
        {
            on_risk = false;
        }
        for (pnl, size) in &rows {
            n += 1;
            let x = match (on_risk, size) {
                (true, Some(s)) => pnl.checked_div(*s).and_then(|r| r.to_f64()).unwrap_or(0.0),
                _ => pnl.to_f64().unwrap_or(0.0),
            };
            if *pnl < Decimal::ZERO {
                losses += 1;
                loss_sum += -x;
            } else {
                win_sum += x;
            }
        }
        let wins = n - losses;
        TradeStats {
            trades: n,
            losses,
            loss_rate: if n == 0 {
                0.0
            } else {
                losses as f64 / n as f64
            },
            avg_win: if wins == 0 {
                0.0
            } else {
                win_sum / wins as f64
            },
            avg_loss: if losses == 0 {
                0.0
            } else {
                loss_sum / losses as f64
            },
            on_risk,
        }
    }
}

/// Runs of losses in a sequence of trades (`true` = a loss), counted the way
/// [`exact::expected_stopped_cycles`] models them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObservedRuns {
    /// Cycles stopped out: a cycle starts at step 1, a win resets it, and
    /// `k` losses in a row stop it (the next trade starts a new one).
    pub stopped_cycles: u64,
    /// The longest run of consecutive losses.
    pub longest_losing_run: u64,
}

/// Counts [`ObservedRuns`] in `losses` for a run length `k` ≥ 1.
pub fn observed_runs(losses: impl IntoIterator<Item = bool>, k: u64) -> ObservedRuns {
    let mut out = ObservedRuns::default();
    let (mut cycle, mut streak) = (0u64, 0u64);
    for lost in losses {
        if lost {
            cycle += 1;
            streak += 1;
            out.longest_losing_run = out.longest_losing_run.max(streak);
            if cycle >= k.max(1) {
                out.stopped_cycles += 1;
                cycle = 0;
            }
        } else {
            cycle = 0;
            streak = 0;
        }
    }
    out
}

/// P(X ≥ `m`) for X Poisson with mean `mean` ≥ 0, summed from the tail (no
/// cancellation, so tiny probabilities keep their digits).
pub fn poisson_tail(mean: f64, m: u64) -> f64 {
    if m == 0 {
        return 1.0;
    }
    if mean.is_nan() || mean <= 0.0 || mean.is_infinite() {
        return 0.0;
    }
    // The first term, e^−λ λ^m / m!, in logs; then each next term is the
    // last × λ / (i + 1), summed until they stop counting.
    let m_f = m as f64;
    let log_first = -mean + m_f * mean.ln() - ln_factorial(m);
    let mut term = log_first.exp();
    let mut sum = 0.0;
    let mut i = m_f;
    for _ in 0..100_000 {
        sum += term;
        term *= mean / (i + 1.0);
        i += 1.0;
        if term <= sum * 1e-17 && i > mean {
            break;
        }
    }
    sum.min(1.0)
}

/// ln(n!), exact summation below 256, Stirling's series above.
fn ln_factorial(n: u64) -> f64 {
    if n < 256 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x * x * x)
}

/// The Kelly fraction `f* = p − q/b`, with `p` the win rate, `q = 1 − p` and
/// `b` = average win ÷ average loss: the fraction of capital to put at risk
/// per trade that maximizes the expected logarithm of wealth, for a bet that
/// loses its stake or wins `b` times it. `None` when there is no average loss
/// (no losses: Kelly is undefined, it says to bet everything).
pub fn kelly(loss_rate: f64, avg_win: f64, avg_loss: f64) -> Option<Kelly> {
    if avg_loss.is_nan()
        || avg_loss <= 0.0
        || !(0.0..=1.0).contains(&loss_rate)
        || !avg_win.is_finite()
    {
        return None;
    }
    let b = avg_win / avg_loss;
    let p = 1.0 - loss_rate;
    // With no average win (b = 0) q/b is infinite: f* is −∞ whenever there
    // are losses, and with no losses either (p = 1, b = 0) there is nothing
    // to win: either way no finite fraction.
    let fraction = Some(p - loss_rate / b).filter(|f| f.is_finite());
    Some(Kelly {
        payoff_ratio: b,
        fraction,
        edge: p * b - loss_rate,
    })
}

/// The Kelly criterion's answer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Kelly {
    /// b: average win over average loss.
    pub payoff_ratio: f64,
    /// f* = p − q/b; ≤ 0 means no edge (do not bet). `None` when it is not
    /// finite: the average win is 0 (f* = −∞, never bet).
    pub fraction: Option<f64>,
    /// Expected gain per unit risked, p·b − q.
    pub edge: f64,
}

/// Parses a probability written `0.25` or `25%`.
pub fn parse_probability(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let x: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a probability (write 0.25 or 25%)"))?;
    let x = x / scale;
    if !(0.0..=1.0).contains(&x) {
        return Err(format!("`{s}` is not a probability between 0 and 1"));
    }
    Ok(x)
}

/// Linear interpolation between order statistics (numpy's default, R's type 7)
/// of an ascending slice; `q` in [0, 1].
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted.first().copied().unwrap_or(f64::NAN),
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let (a, b) = (
                sorted.get(lo).copied().unwrap_or(f64::NAN),
                sorted.get(hi).copied().unwrap_or(f64::NAN),
            );
            a + (b - a) * (h - lo as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kelly_textbook() {
        // 60% wins at even money: f* = 0.6 − 0.4 = 0.2.
        let k = kelly(0.4, 1.0, 1.0)
            .and_then(|k| k.fraction)
            .unwrap_or(f64::NAN);
        assert!((k - 0.2).abs() < 1e-12);
        // Win 1 for 3 risked, 80% of the time: b = 1/3, f* = 0.8 − 0.2·3 = 0.2.
        let k = kelly(0.2, 1.0, 3.0)
            .and_then(|k| k.fraction)
            .unwrap_or(f64::NAN);
        assert!((k - 0.2).abs() < 1e-12);
        assert!(kelly(0.2, 1.0, 0.0).is_none());
        // No average win: f* = −∞, not a number to print; a tiny win gives a
        // very negative but finite one.
        assert_eq!(kelly(0.25, 0.0, 900.0).map(|k| k.fraction), Some(None));
        let tiny = kelly(0.25, 0.01, 900.0).and_then(|k| k.fraction);
        assert!(tiny.is_some_and(|f| f < -20_000.0));
    }

    #[test]
    fn observed_runs_count_like_the_model() {
        let seq = |s: &str| s.chars().map(|c| c == 'L').collect::<Vec<_>>();
        // LLLL stops a cycle; the fifth L starts the next one.
        let r = observed_runs(seq("WLLLLLWLLLLW"), 4);
        assert_eq!((r.stopped_cycles, r.longest_losing_run), (2, 5));
        // Eight losses in a row are two stopped cycles.
        assert_eq!(observed_runs(seq("LLLLLLLL"), 4).stopped_cycles, 2);
        assert_eq!(
            observed_runs(seq("LLLWLLLW"), 4),
            ObservedRuns {
                stopped_cycles: 0,
                longest_losing_run: 3,
            }
        );
        assert_eq!(observed_runs(seq(""), 4), ObservedRuns::default());
    }

    #[test]
    fn poisson_tail_matches_the_closed_forms() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * b.abs().max(1e-300);
        assert_eq!(poisson_tail(0.3, 0), 1.0);
        assert_eq!(poisson_tail(0.0, 2), 0.0);
        // P(X ≥ 1) = 1 − e^−λ.
        for lambda in [0.01, 0.221_211, 1.0, 7.5] {
            let want = -f64::exp_m1(-lambda);
            assert!(close(poisson_tail(lambda, 1), want), "{lambda}");
        }
        // P(X ≥ 3) = 1 − e^−λ(1 + λ + λ²/2); for small λ the tail sum keeps
        // the digits this subtraction would lose, so compare at λ = 2.
        let l: f64 = 2.0;
        let want = 1.0 - (-l).exp() * (1.0 + l + l * l / 2.0);
        assert!((poisson_tail(l, 3) - want).abs() < 1e-15);
        // A far tail: e^−λ λ^m/m! (1 + λ/(m+1) + ...), λ = 0.2, m = 10.
        let first = (-0.2f64).exp() * 0.2f64.powi(10) / 3_628_800.0;
        let t = poisson_tail(0.2, 10);
        assert!(t > first && t < first * 1.02, "{t} vs {first}");
        // Large means: the median is near λ.
        assert!((poisson_tail(1000.0, 1000) - 0.5).abs() < 0.02);
    }

    #[test]
    fn percentiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.25), 2.0);
        assert!((percentile(&v, 0.95) - 4.8).abs() < 1e-12);
    }

    #[test]
    fn probabilities_parse() {
        assert_eq!(parse_probability("25%"), Ok(0.25));
        assert_eq!(parse_probability("0.3"), Ok(0.3));
        assert!(parse_probability("1.5").is_err());
        assert!(parse_probability("-0.1").is_err());
        assert!(parse_probability("abc").is_err());
    }
}
