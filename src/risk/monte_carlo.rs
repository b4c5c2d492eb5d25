//! Monte Carlo of the sizing engine: resampled returns on risk, real ladder.
//!
//! Method. Each trade of a backtest gives a return on risk: its condor P&L and
//! its hedge P&L, each divided by the size the engine decided for it (the
//! size is the risk budget). Returns, not absolute P&L, so that a resampled
//! trade scales with whatever step the simulated ladder is at. A path starts
//! the real [`Engine`] (no market data) at the strategy's capital and, for each
//! of N trades, draws one backtest trade (see below), sets the simulated
//! condor P&L to its condor return × the engine's decided size and the hedge
//! P&L likewise (both rounded to cents, half away from zero), and applies it:
//! the engine steps the ladder, resets, caps and rolls exactly as it would
//! live. A path that reaches zero equity stops trading.
//!
//! Draws. With a mean block length of 1, each trade is drawn uniformly with
//! replacement: independent trades. A backtest's trades are not independent
//! (condors entered a week apart are open together, so one sell-off loses
//! several in a row), and independent draws break up its losing streaks. With
//! a mean block length L > 1 the draws follow Politis and Romano's stationary
//! bootstrap: the first trade is uniform, and each next one is, with
//! probability 1/L, a new uniform draw, else the trade after the previous one
//! (wrapping around), so paths replay stretches of the backtest of L trades
//! on average. [`auto_block`] picks L from the number of trades.
//!
//! Reproducibility. Path `i` draws from its own ChaCha8 stream seeded with
//! `seed ^ splitmix64(i)`, paths run in parallel (rayon) and are reduced in
//! path order, so one seed gives identical output whatever the thread count.

use super::percentile;
use crate::compile::Compiled;
use crate::decision::Event;
use crate::eval::{ClosedTrade, Engine, EvalError};
use crate::model::Strategy;
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive as _, ToPrimitive as _};
use serde::Serialize;

/// One resampled trade: its condor and hedge P&L per unit of size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Condor P&L ÷ size.
    pub condor: Decimal,
    /// Hedge P&L ÷ size.
    pub hedge: Decimal,
}

impl Sample {
    /// The total return on risk.
    pub fn total(&self) -> Decimal {
        self.condor + self.hedge
    }
}

/// The returns on risk of a backtest's trades (trades of size 0 are left out).
pub fn samples(bt: &crate::backtest::Backtest) -> Vec<Sample> {
    bt.trades
        .iter()
        .filter(|t| t.size > Decimal::ZERO)
        .filter_map(|t| {
            Some(Sample {
                condor: t.pnl.checked_div(t.size)?,
                hedge: t.hedge_pnl.checked_div(t.size)?,
            })
        })
        .collect()
}

/// What to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Config {
    /// Paths.
    pub paths: usize,
    /// Trades per path.
    pub trades: usize,
    /// The seed.
    pub seed: u64,
    /// Ruin: equity below this fraction of the initial capital.
    pub ruin_level: f64,
    /// Run length whose frequency is reported (usually the step limit).
    pub run: u32,
    /// Mean block length of the stationary bootstrap; 1 draws each trade
    /// independently.
    pub block: u32,
}

/// The default mean block length for `samples` trades: the cube root of
/// their number, rounded (7 for 390 trades), at least 1. The n^(1/3) rate is
/// the stationary bootstrap's optimal order for variance estimates (Politis
/// and White, 2004); the constant is not tuned to any series.
pub fn auto_block(samples: usize) -> u32 {
    let b = (samples as f64).cbrt().round();
    if b.is_finite() && b >= 1.0 {
        b.min(f64::from(u32::MAX)) as u32
    } else {
        1
    }
}

/// What can stop a simulation.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum McError {
    /// Nothing to resample.
    #[error("no trades to resample: the backtest traded nothing")]
    NoSamples,
    /// The engine failed on a path.
    #[error("path {path}: {source}")]
    Engine {
        /// The path.
        path: usize,
        /// The engine's error.
        source: EvalError,
    },
    /// A simulated amount overflowed.
    #[error("path {path}: amounts overflow")]
    Overflow {
        /// The path.
        path: usize,
    },
}

/// One path's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PathStats {
    /// Equity after the last trade.
    pub final_equity: Decimal,
    /// Largest drawdown of equity after each trade, a fraction of the peak.
    pub max_drawdown: f64,
    /// Whether equity fell below the ruin level.
    pub ruined: bool,
    /// Longest run of consecutive condor losses.
    pub longest_losing_run: u32,
    /// Cycles stopped out (the engine's `StoppedOut` events).
    pub stopped_cycles: u32,
    /// Trades actually made (fewer than asked when equity reached zero).
    pub trades: usize,
}

/// Five percentiles.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Percentiles<T> {
    /// 5th.
    pub p5: T,
    /// 25th.
    pub p25: T,
    /// Median.
    pub p50: T,
    /// 75th.
    pub p75: T,
    /// 95th.
    pub p95: T,
}

/// The distribution over paths.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Paths simulated.
    pub paths: usize,
    /// Trades per path.
    pub trades: usize,
    /// The seed.
    pub seed: u64,
    /// Ruin level as a fraction of capital.
    pub ruin_level: f64,
    /// Returns resampled (the backtest's trades).
    pub samples: usize,
    /// The worst of them, condor and hedges, on the condor's size (`-1.67`
    /// is a loss of 1.67 sizes, spx-mastery's): no path draws a trade worse
    /// than it (`None` without a sample).
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub worst_return: Option<Decimal>,
    /// Mean block length of the draws (1: independent).
    pub block: u32,
    /// Final equity percentiles (linear interpolation, numpy's default).
    #[serde(serialize_with = "ser_money_pct")]
    pub final_equity: Percentiles<Decimal>,
    /// Max drawdown percentiles, fractions.
    pub max_drawdown: Percentiles<f64>,
    /// P(max drawdown ≥ 25%).
    pub p_drawdown_25: f64,
    /// P(max drawdown ≥ 50%).
    pub p_drawdown_50: f64,
    /// P(equity below the ruin level at some point).
    pub p_ruin: f64,
    /// Share of paths with a run of `run` or more consecutive losses.
    pub p_losing_run: f64,
    /// The run length of `p_losing_run`.
    pub run: u32,
    /// Mean stopped-out cycles per path.
    pub mean_stopped_cycles: f64,
}

/// Amounts go to the cent half away from zero, as money is rounded
/// everywhere (`round_dp` alone would round half to even).
const HALF_AWAY: rust_decimal::RoundingStrategy =
    rust_decimal::RoundingStrategy::MidpointAwayFromZero;

/// To the cent, half away from zero (as the table prints these percentiles).
fn ser_money_pct<S: serde::Serializer>(p: &Percentiles<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    let m = |d: Decimal| {
        d.round_dp_with_strategy(2, HALF_AWAY)
            .normalize()
            .to_string()
    };
    Percentiles {
        p5: m(p.p5),
        p25: m(p.p25),
        p50: m(p.p50),
        p75: m(p.p75),
        p95: m(p.p95),
    }
    .serialize(s)
}

/// SplitMix64's finalizer: decorrelates consecutive path indices.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of one path.
pub fn path_rng(seed: u64, path: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ splitmix64(path as u64))
}

/// Simulates one path.
pub fn simulate_path(
    strategy: &Strategy,
    compiled: &Compiled,
    samples: &[Sample],
    config: &Config,
    path: usize,
) -> Result<PathStats, McError> {
    if samples.is_empty() {
        return Err(McError::NoSamples);
    }
    let err = |source| McError::Engine { path, source };
    let overflow = McError::Overflow { path };
    let mut rng = path_rng(config.seed, path);
    let mut engine = Engine::new(strategy, compiled, None);
    let mut size = engine.next_decision(None).map_err(err)?.size;
    let capital = strategy.account.capital;
    let capital_f = capital.to_f64().unwrap_or(0.0);
    let ruin = capital_f * config.ruin_level;
    let date = chrono::NaiveDate::default();
    let n = samples.len() as u64;
    let renew = 1.0 / f64::from(config.block.max(1));
    let mut i = 0usize;
    let (mut peak, mut max_dd) = (capital_f, 0.0f64);
    let mut ruined = false;
    let (mut streak, mut longest, mut stopped) = (0u32, 0u32, 0u32);
    let mut equity = capital;
    let mut made = 0usize;
    for t in 0..config.trades {
        // With blocks of 1 only `random_range` draws, so the stream is the
        // same as for independent draws.
        i = if config.block <= 1 || t == 0 || rng.random_bool(renew) {
            rng.random_range(0..n) as usize
        } else {
            (i + 1) % samples.len()
        };
        let Some(s) = samples.get(i) else { continue };
        let pnl = s
            .condor
            .checked_mul(size)
            .ok_or_else(|| overflow.clone())?
            .round_dp_with_strategy(2, HALF_AWAY);
        let hedge = s
            .hedge
            .checked_mul(size)
            .ok_or_else(|| overflow.clone())?
            .round_dp_with_strategy(2, HALF_AWAY);
        engine
            .apply(&ClosedTrade {
                date,
                pnl,
                credit: None,
                hedge_pnl: Some(hedge),
            })
            .map_err(err)?;
        let decision = engine.next_decision(None).map_err(err)?;
        size = decision.size;
        made += 1;
        if decision.event == Event::StoppedOut {
            stopped += 1;
        }
        if pnl < Decimal::ZERO {
            streak += 1;
            longest = longest.max(streak);
        } else {
            streak = 0;
        }
        equity = engine.state().equity;
        let e = equity.to_f64().unwrap_or(0.0);
        if e > peak {
            peak = e;
        } else if peak > 0.0 {
            max_dd = max_dd.max((peak - e) / peak);
        }
        if e < ruin || e <= 0.0 {
            ruined = true;
        }
        if e <= 0.0 {
            break;
        }
    }
    Ok(PathStats {
        final_equity: equity,
        max_drawdown: max_dd,
        ruined,
        longest_losing_run: longest,
        stopped_cycles: stopped,
        trades: made,
    })
}

/// Simulates every path (in parallel) and returns them in path order.
pub fn simulate_paths(
    strategy: &Strategy,
    compiled: &Compiled,
    samples: &[Sample],
    config: &Config,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PathStats>, McError> {
    if samples.is_empty() {
        return Err(McError::NoSamples);
    }
    let results: Vec<Result<PathStats, McError>> = (0..config.paths)
        .into_par_iter()
        .map(|i| {
            let r = simulate_path(strategy, compiled, samples, config, i);
            progress();
            r
        })
        .collect();
    // The first error in path order, whatever the thread count.
    results.into_iter().collect()
}

/// The distribution of paths.
pub fn summarize(paths: &[PathStats], samples: &[Sample], config: &Config) -> Summary {
    let n = paths.len().max(1) as f64;
    let share = |f: &dyn Fn(&PathStats) -> bool| paths.iter().filter(|p| f(p)).count() as f64 / n;
    let mut eq: Vec<Decimal> = paths.iter().map(|p| p.final_equity).collect();
    eq.sort();
    let mut dd: Vec<f64> = paths.iter().map(|p| p.max_drawdown).collect();
    dd.sort_by(f64::total_cmp);
    let pe = |q: f64| percentile_dec(&eq, q);
    let pd = |q: f64| percentile(&dd, q);
    Summary {
        paths: paths.len(),
        trades: config.trades,
        seed: config.seed,
        ruin_level: config.ruin_level,
        samples: samples.len(),
        worst_return: samples.iter().map(Sample::total).min(),
        block: config.block.max(1),
        final_equity: Percentiles {
            p5: pe(0.05),
            p25: pe(0.25),
            p50: pe(0.5),
            p75: pe(0.75),
            p95: pe(0.95),
        },
        max_drawdown: Percentiles {
            p5: pd(0.05),
            p25: pd(0.25),
            p50: pd(0.5),
            p75: pd(0.75),
            p95: pd(0.95),
        },
        p_drawdown_25: share(&|p| p.max_drawdown >= 0.25),
        p_drawdown_50: share(&|p| p.max_drawdown >= 0.5),
        p_ruin: share(&|p| p.ruined),
        p_losing_run: share(&|p| p.longest_losing_run >= config.run),
        run: config.run,
        mean_stopped_cycles: paths
            .iter()
            .map(|p| f64::from(p.stopped_cycles))
            .sum::<f64>()
            / n,
    }
}

/// [`percentile`] over decimals, exactly interpolated.
fn percentile_dec(sorted: &[Decimal], q: f64) -> Decimal {
    let n = sorted.len();
    if n == 0 {
        return Decimal::ZERO;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (
        sorted.get(lo).copied().unwrap_or_default(),
        sorted.get(hi).copied().unwrap_or_default(),
    );
    let frac = Decimal::from_f64(h - lo as f64).unwrap_or_default();
    (b - a)
        .checked_mul(frac)
        .and_then(|d| a.checked_add(d))
        .unwrap_or(a)
}

/// Runs the whole simulation.
pub fn run(
    strategy: &Strategy,
    compiled: &Compiled,
    samples: &[Sample],
    config: &Config,
    progress: &(dyn Fn() + Sync),
) -> Result<Summary, McError> {
    let paths = simulate_paths(strategy, compiled, samples, config, progress)?;
    Ok(summarize(&paths, samples, config))
}
