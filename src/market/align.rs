//! Named series aligned on one calendar.
//!
//! # Join policy
//!
//! - The calendar is the **primary series' dates** (VIX for the bundled
//!   data), restricted to a date range when one is given.
//! - For every other series, on each calendar date:
//!   - the series' own value when it has a row that day;
//!   - otherwise, between its first and last date, its **last known value
//!     carried forward**, and the bar is flagged as carried
//!     ([`AlignedSeries::is_carried`], counted by
//!     [`AlignedSeries::carried_count`]). Values from before the range start
//!     are carried in too;
//!   - before its first date, and after its last date, the value is
//!     **missing** (`NaN` in [`AlignedSeries::close`], `None` from
//!     [`AlignedSeries::get`]). A series that has ended is not carried on
//!     indefinitely: a stale close would silently drive the signals.
//! - Dates present only in a secondary series are **dropped**.
//!
//! Neither is silent to those who ask: [`AlignedSeries::longest_carried_run`]
//! (a gap of weeks in a file) and [`AlignedSeries::dropped_rows`] (rows on
//! days the calendar lacks), which the command line turns into warnings for
//! `--market` files.
//!
//! With the bundled files, VIX has rows on some US exchange holidays (from
//! 2022 on, e.g. 2022-05-30, and 2025-01-09) where SPX and VIX3M have none:
//! those SPX and VIX3M bars are carried. SPX ends on 2025-08-15 and VIX3M on
//! 2026-02-27, so both are missing on the later VIX dates.

use std::ops::RangeInclusive;

use chrono::NaiveDate;

use super::error::MarketError;
use super::series::Series;

/// One series on the market's calendar. (No `PartialEq`: missing values are
/// `NaN`, which is not equal to itself.)
#[derive(Clone, Debug)]
pub struct AlignedSeries {
    name: String,
    close: Vec<f64>,
    carried: Vec<bool>,
    carried_count: usize,
    missing_count: usize,
    longest_carried: Option<(NaiveDate, NaiveDate, usize)>,
    dropped: (usize, Option<NaiveDate>),
}

impl AlignedSeries {
    /// The series' name, e.g. `vix3m`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closing values, one per calendar date; `NaN` where missing. Loaded
    /// prices are always finite, so `NaN` here only ever means missing.
    pub fn close(&self) -> &[f64] {
        &self.close
    }

    /// The close on calendar bar `i`, `None` when missing or out of range.
    pub fn get(&self, i: usize) -> Option<f64> {
        self.close.get(i).copied().filter(|v| !v.is_nan())
    }

    /// Whether bar `i` holds a value carried forward from an earlier date.
    pub fn is_carried(&self, i: usize) -> bool {
        self.carried.get(i).copied().unwrap_or(false)
    }

    /// One flag per calendar date: `true` where the value was carried forward.
    pub fn carried(&self) -> &[bool] {
        &self.carried
    }

    /// How many bars were carried forward.
    pub fn carried_count(&self) -> usize {
        self.carried_count
    }

    /// How many bars are missing (before the series starts or after it ends).
    pub fn missing_count(&self) -> usize {
        self.missing_count
    }

    /// The longest run of consecutive carried bars: its first and last
    /// calendar date and its length (`None` when no bar is carried). A gap of
    /// weeks in a file shows here: its last close stood in for every bar.
    pub fn longest_carried_run(&self) -> Option<(NaiveDate, NaiveDate, usize)> {
        self.longest_carried
    }

    /// The series' rows dropped because the calendar has no bar on their
    /// date, counted between the calendar's first and last date (a weekend
    /// row, or the primary series' gap): how many, and the first one's date.
    pub fn dropped_rows(&self) -> (usize, Option<NaiveDate>) {
        self.dropped
    }
}

/// Named daily series on a common calendar. See the [module docs](self) for
/// the join policy.
#[derive(Clone, Debug)]
pub struct Market {
    dates: Vec<NaiveDate>,
    primary: AlignedSeries,
    others: Vec<AlignedSeries>,
}

impl Market {
    /// A market whose calendar is `primary`'s dates within `range` (all of
    /// them when `None`).
    ///
    /// # Errors
    /// [`MarketError::EmptyRange`] when the range holds no date of `primary`.
    pub fn new(
        primary: &Series,
        range: Option<RangeInclusive<NaiveDate>>,
    ) -> Result<Market, MarketError> {
        let rows = primary.dates.iter().zip(&primary.close);
        let (dates, close): (Vec<NaiveDate>, Vec<f64>) = match &range {
            Some(range) => rows.filter(|(d, _)| range.contains(d)).unzip(),
            None => rows.unzip(),
        };
        if let (Some(range), true) = (&range, dates.is_empty()) {
            return Err(MarketError::EmptyRange {
                path: primary.path.clone(),
                start: *range.start(),
                end: *range.end(),
            });
        }
        let n = dates.len();
        let primary = AlignedSeries {
            name: primary.name.clone(),
            close,
            carried: vec![false; n],
            carried_count: 0,
            missing_count: 0,
            longest_carried: None,
            dropped: (0, None),
        };
        Ok(Market {
            dates,
            primary,
            others: Vec::new(),
        })
    }

    /// Adds (or replaces, by name) a secondary series, joined on the calendar.
    /// A series named like the primary is stored but shadowed: [`Market::get`]
    /// finds the primary first.
    pub fn add(&mut self, series: &Series) {
        let aligned = self.align(series);
        match self.others.iter_mut().find(|s| s.name == series.name) {
            Some(slot) => *slot = aligned,
            None => self.others.push(aligned),
        }
    }

    /// [`Market::add`], by value.
    pub fn with(mut self, series: &Series) -> Market {
        self.add(series);
        self
    }

    fn align(&self, series: &Series) -> AlignedSeries {
        let n = self.dates.len();
        let mut close = Vec::with_capacity(n);
        let mut carried = Vec::with_capacity(n);
        let (mut carried_count, mut missing_count) = (0, 0);
        let last_date = series.dates.last().copied();
        let mut rows = series.dates.iter().zip(&series.close).peekable();
        let mut last: Option<(NaiveDate, f64)> = None;
        let mut run: Option<(NaiveDate, NaiveDate, usize)> = None;
        let mut longest_carried: Option<(NaiveDate, NaiveDate, usize)> = None;
        for &date in &self.dates {
            while let Some((&d, &v)) = rows.next_if(|(d, _)| **d <= date) {
                last = Some((d, v));
            }
            let (value, was_carried) = match last {
                Some((d, v)) if d == date => (v, false),
                Some((_, v)) if last_date.is_some_and(|end| date <= end) => (v, true),
                _ => (f64::NAN, false),
            };
            carried_count += usize::from(was_carried);
            missing_count += usize::from(value.is_nan());
            run = match (was_carried, run) {
                (false, _) => None,
                (true, Some((first, _, bars))) => Some((first, date, bars + 1)),
                (true, None) => Some((date, date, 1)),
            };
            if let Some(r) = run
                && longest_carried.is_none_or(|l| r.2 > l.2)
            {
                longest_carried = Some(r);
            }
            close.push(value);
            carried.push(was_carried);
        }
        let dropped = match (self.dates.first(), self.dates.last()) {
            (Some(&first), Some(&last)) => {
                let mut off = series
                    .dates
                    .iter()
                    .filter(|d| first <= **d && **d <= last && self.index_of(**d).is_none());
                let first_dropped = off.next().copied();
                (
                    usize::from(first_dropped.is_some()) + off.count(),
                    first_dropped,
                )
            }
            _ => (0, None),
        };
        AlignedSeries {
            name: series.name.clone(),
            close,
            carried,
            carried_count,
            missing_count,
            longest_carried,
            dropped,
        }
    }

    /// The calendar.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether the calendar is empty.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// The bar of `date`, if it is on the calendar.
    pub fn index_of(&self, date: NaiveDate) -> Option<usize> {
        self.dates.binary_search(&date).ok()
    }

    /// The primary series (it sets the calendar; never carried or missing).
    pub fn primary(&self) -> &AlignedSeries {
        &self.primary
    }

    /// A series by name (the primary's name finds the primary).
    pub fn get(&self, name: &str) -> Option<&AlignedSeries> {
        self.series().find(|s| s.name == name)
    }

    /// All series, the primary first, then the others in the order added.
    pub fn series(&self) -> impl Iterator<Item = &AlignedSeries> {
        std::iter::once(&self.primary).chain(&self.others)
    }
}
