//! Signals of two series: `ratio(a, b)` and the `crosses above` / `crosses
//! below` operators.

/// `a / b` at one bar: `None` when either is missing (not finite), when `b`
/// is 0, or when the quotient overflows.
pub fn ratio_of(a: f64, b: f64) -> Option<f64> {
    if !(a.is_finite() && b.is_finite()) || b == 0.0 {
        return None;
    }
    Some(a / b).filter(|q| q.is_finite())
}

/// `ratio(a, b)` over two slices, bar by bar. The output is as long as the
/// longer slice; bars past the end of the shorter one are missing.
pub fn ratio(a: &[f64], b: &[f64]) -> Vec<Option<f64>> {
    (0..a.len().max(b.len()))
        .map(|i| ratio_of(value(a, i), value(b, i)))
        .collect()
}

fn value(xs: &[f64], i: usize) -> f64 {
    xs.get(i).copied().unwrap_or(f64::NAN)
}

/// Which way a cross goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossDirection {
    /// `a crosses above b`.
    Above,
    /// `a crosses below b`.
    Below,
}

impl CrossDirection {
    /// The operator as written in a strategy: `crosses above` / `crosses below`.
    pub fn operator(self) -> &'static str {
        match self {
            CrossDirection::Above => "crosses above",
            CrossDirection::Below => "crosses below",
        }
    }
}

/// `a crosses above b` (or below), fed one bar at a time.
///
/// `a` crosses above `b` at bar `t` iff `a[t] > b[t]` and `a[t-1] <= b[t-1]`;
/// it crosses below iff `a[t] < b[t]` and `a[t-1] >= b[t-1]`. Both bars must
/// have both values: the answer is `None` on the first bar, on a bar where
/// `a` or `b` is missing (`None` or not finite), and on the bar right after
/// one. So a cross is only seen between two consecutive bars, never across a
/// gap. Touching (`a[t] == b[t]`) is not a cross; leaving the touch later is.
#[derive(Clone, Debug)]
pub struct Cross {
    direction: CrossDirection,
    previous: Option<(f64, f64)>,
}

impl Cross {
    /// A cross detector.
    pub fn new(direction: CrossDirection) -> Cross {
        Cross {
            direction,
            previous: None,
        }
    }

    /// Takes bar `t`'s values; whether the cross happens at `t`.
    pub fn update(&mut self, a: Option<f64>, b: Option<f64>) -> Option<bool> {
        let now = match (a, b) {
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() => Some((a, b)),
            _ => None,
        };
        let before = std::mem::replace(&mut self.previous, now);
        let ((a0, b0), (a1, b1)) = (before?, now?);
        Some(match self.direction {
            CrossDirection::Above => a1 > b1 && a0 <= b0,
            CrossDirection::Below => a1 < b1 && a0 >= b0,
        })
    }

    /// Forgets the previous bar.
    pub fn reset(&mut self) {
        self.previous = None;
    }
}

fn crosses(direction: CrossDirection, a: &[Option<f64>], b: &[Option<f64>]) -> Vec<Option<bool>> {
    let mut cross = Cross::new(direction);
    (0..a.len().max(b.len()))
        .map(|i| cross.update(a.get(i).copied().flatten(), b.get(i).copied().flatten()))
        .collect()
}

/// `a crosses above b` over two series (as long as the longer one).
pub fn crosses_above(a: &[Option<f64>], b: &[Option<f64>]) -> Vec<Option<bool>> {
    crosses(CrossDirection::Above, a, b)
}

/// `a crosses below b` over two series (as long as the longer one).
pub fn crosses_below(a: &[Option<f64>], b: &[Option<f64>]) -> Vec<Option<bool>> {
    crosses(CrossDirection::Below, a, b)
}
