//! Option pricing for the backtest: Black-Scholes for SPX options (VIX/100 as
//! the implied volatility, plus a skew), Black-76 for VIX options on a VIX
//! forward. Prices are `f64` index points; money is made from them in
//! [`super`] with `rust_decimal`.

/// The standard normal CDF, via `libm`'s `erfc` (accurate to ~1e-15).
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The inverse standard normal CDF (Acklam's algorithm, refined by one Halley
/// step; relative error below 1e-12). `p` is clamped into (0, 1).
pub fn norm_inv(p: f64) -> f64 {
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let plow = 0.02425;
    let x = if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step.
    let e = norm_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Put or call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    /// A put.
    Put,
    /// A call.
    Call,
}

/// Black-Scholes price of a European option on a spot `s` (no dividends),
/// strike `k`, years `t`, rate `r`, volatility `vol`. At or after expiry, intrinsic.
pub fn black_scholes(right: Right, s: f64, k: f64, t: f64, r: f64, vol: f64) -> f64 {
    if t <= 0.0 || vol <= 0.0 {
        return intrinsic(right, s, k);
    }
    let sq = vol * t.sqrt();
    let d1 = ((s / k).ln() + (r + vol * vol / 2.0) * t) / sq;
    let d2 = d1 - sq;
    let df = (-r * t).exp();
    match right {
        Right::Call => s * norm_cdf(d1) - k * df * norm_cdf(d2),
        Right::Put => k * df * norm_cdf(-d2) - s * norm_cdf(-d1),
    }
}

/// Black-Scholes delta (a put's is negative).
pub fn bs_delta(right: Right, s: f64, k: f64, t: f64, r: f64, vol: f64) -> f64 {
    if t <= 0.0 || vol <= 0.0 {
        return match (right, s > k) {
            (Right::Call, true) => 1.0,
            (Right::Put, false) => -1.0,
            _ => 0.0,
        };
    }
    let d1 = ((s / k).ln() + (r + vol * vol / 2.0) * t) / (vol * t.sqrt());
    match right {
        Right::Call => norm_cdf(d1),
        Right::Put => norm_cdf(d1) - 1.0,
    }
}

/// The payoff at expiry.
pub fn intrinsic(right: Right, s: f64, k: f64) -> f64 {
    match right {
        Right::Call => (s - k).max(0.0),
        Right::Put => (k - s).max(0.0),
    }
}

/// Black-76 price of an option on a forward `f`.
pub fn black76(right: Right, f: f64, k: f64, t: f64, r: f64, vol: f64) -> f64 {
    if t <= 0.0 || vol <= 0.0 {
        return intrinsic(right, f, k);
    }
    let sq = vol * t.sqrt();
    let d1 = ((f / k).ln() + vol * vol / 2.0 * t) / sq;
    let d2 = d1 - sq;
    let df = (-r * t).exp();
    match right {
        Right::Call => df * (f * norm_cdf(d1) - k * norm_cdf(d2)),
        Right::Put => df * (k * norm_cdf(-d2) - f * norm_cdf(-d1)),
    }
}

/// The strike on a `grid`-point grid whose Black-Scholes |delta| is closest
/// to `target` (0.16 for a 16-delta short strike).
pub fn strike_for_delta(
    right: Right,
    target: f64,
    s: f64,
    t: f64,
    r: f64,
    vol: f64,
    grid: f64,
) -> f64 {
    let sq = vol * t.sqrt();
    // delta = N(d1) for a call, N(d1) − 1 for a put.
    let d1 = match right {
        Right::Call => norm_inv(target),
        Right::Put => norm_inv(1.0 - target),
    };
    let k = s * (-(d1 * sq - (r + vol * vol / 2.0) * t)).exp();
    let base = (k / grid).round() * grid;
    let mut best = base;
    let mut err = f64::INFINITY;
    for i in -2..=2 {
        let kk = base + grid * f64::from(i);
        if kk <= 0.0 {
            continue;
        }
        let e = (bs_delta(right, s, kk, t, r, vol).abs() - target).abs();
        if e < err {
            err = e;
            best = kk;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_and_inverse() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((norm_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        for p in [1e-10, 0.001, 0.16, 0.5, 0.84, 0.999] {
            assert!(
                (norm_cdf(norm_inv(p)) - p).abs() < 1e-12 * p.max(1e-3),
                "{p}"
            );
        }
    }

    #[test]
    fn black_scholes_reference_values() {
        // Hull, Options, Futures and Other Derivatives, example 15.6:
        // S = 42, K = 40, r = 10%, sigma = 20%, T = 0.5 → call 4.76, put 0.81.
        assert!((black_scholes(Right::Call, 42.0, 40.0, 0.5, 0.1, 0.2) - 4.7594).abs() < 1e-4);
        assert!((black_scholes(Right::Put, 42.0, 40.0, 0.5, 0.1, 0.2) - 0.8086).abs() < 1e-4);
        // Put-call parity.
        let (s, k, t, r, v) = (4500.0, 4300.0, 45.0 / 365.0, 0.04, 0.18);
        let c = black_scholes(Right::Call, s, k, t, r, v);
        let p = black_scholes(Right::Put, s, k, t, r, v);
        assert!((c - p - (s - k * (-r * t).exp())).abs() < 1e-9);
    }

    #[test]
    fn black76_matches_black_scholes_on_the_forward() {
        let (f, k, t, r, v) = (20.0, 25.0, 0.1, 0.0, 0.9);
        assert!(
            (black76(Right::Call, f, k, t, r, v) - black_scholes(Right::Call, f, k, t, 0.0, v))
                .abs()
                < 1e-12
        );
    }

    #[test]
    fn strikes_land_on_the_grid_near_the_delta() {
        let (s, t, r, v) = (4512.3, 45.0 / 365.0, 0.0, 0.16);
        let kp = strike_for_delta(Right::Put, 0.16, s, t, r, v, 5.0);
        let kc = strike_for_delta(Right::Call, 0.16, s, t, r, v, 5.0);
        assert_eq!(kp % 5.0, 0.0);
        assert_eq!(kc % 5.0, 0.0);
        assert!(kp < s && kc > s);
        assert!((bs_delta(Right::Put, s, kp, t, r, v).abs() - 0.16).abs() < 0.005);
        assert!((bs_delta(Right::Call, s, kc, t, r, v) - 0.16).abs() < 0.005);
    }
}
