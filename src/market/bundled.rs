//! The data files bundled in `data/`, embedded in the binary.
//!
//! The files (about 0.9 MB) are compiled in with `include_str!`, so
//! [`Market::bundled`] and [`Calendar::bundled`] work from any directory and
//! do no I/O. [`data_dir`] names the same files on disk (the crate's `data/`
//! directory) for [`Market::from_dir`] or for a user who wants to edit them.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::align::Market;
use super::calendar::Calendar;
use super::error::MarketError;
use super::series::{Series, load_series, load_series_from_str};

/// One bundled file: its name under `data/` and its text.
#[derive(Clone, Copy, Debug)]
pub struct BundledFile {
    /// File name under `data/`, e.g. `vix-daily.csv`.
    pub file: &'static str,
    /// The file's contents.
    pub text: &'static str,
}

impl BundledFile {
    /// The path shown in messages: `data/<file>`.
    pub fn shown_path(&self) -> String {
        format!("data/{}", self.file)
    }
}

/// CBOE VIX, daily OHLC, ISO dates, 1990-01-02 to 2026-07-23.
pub const VIX: BundledFile = BundledFile {
    file: "vix-daily.csv",
    text: include_str!("../../data/vix-daily.csv"),
};
/// CBOE VIX3M, daily OHLC, US dates, 2009-09-18 to 2026-02-27.
pub const VIX3M: BundledFile = BundledFile {
    file: "vix3m-daily-cboe-format.csv",
    text: include_str!("../../data/vix3m-daily-cboe-format.csv"),
};
/// S&P 500 daily close, ISO dates, 2000-01-03 to 2025-08-15.
pub const SPX: BundledFile = BundledFile {
    file: "spx-daily.csv",
    text: include_str!("../../data/spx-daily.csv"),
};
/// FOMC activity dates, 1975-01-21 to 2023-10-11, as downloaded (see
/// [`FOMC_CORRECTIONS`]).
pub const FOMC_DATES: BundledFile = BundledFile {
    file: "fomc-dates.csv",
    text: include_str!("../../data/fomc-dates.csv"),
};
/// This project's corrections to [`FOMC_DATES`]: meeting dates moved to the
/// day the Fed's own documents give, and the meetings from 2023-11-01 to
/// 2027-12-08, the later ones as scheduled (sources in `data/event-sources.tsv`).
pub const FOMC_CORRECTIONS: BundledFile = BundledFile {
    file: "fomc-corrections.csv",
    text: include_str!("../../data/fomc-corrections.csv"),
};
/// US CPI and PPI release dates (see `data/README.md` for the years and caveats).
pub const CPI_PPI_DATES: BundledFile = BundledFile {
    file: "cpi-ppi-dates.csv",
    text: include_str!("../../data/cpi-ppi-dates.csv"),
};

/// The months whose CPI or PPI release date was never found: unknown, not
/// "no release".
pub const CPI_PPI_UNKNOWN: BundledFile = BundledFile {
    file: "cpi-ppi-unknown.csv",
    text: include_str!("../../data/cpi-ppi-unknown.csv"),
};

/// The bundled series: (name in strategies, file). The first is the primary.
pub const SERIES: [(&str, BundledFile); 3] = [("vix", VIX), ("vix3m", VIX3M), ("spx", SPX)];

/// The crate's `data/` directory on disk, as seen at build time.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Loads one bundled series by its strategy name (`vix`, `vix3m`, `spx`).
pub fn bundled_series(name: &str) -> Option<Result<Series, MarketError>> {
    let (name, file) = SERIES.iter().find(|(n, _)| *n == name)?;
    Some(load_series_from_str(name, &file.shown_path(), file.text))
}

impl Market {
    /// The bundled market: `vix` (primary, sets the calendar), `vix3m` and `spx`.
    pub fn bundled() -> Result<Market, MarketError> {
        Market::bundled_range(None)
    }

    /// [`Market::bundled`] restricted to a date range.
    pub fn bundled_range(range: Option<RangeInclusive<NaiveDate>>) -> Result<Market, MarketError> {
        market_of(range, |name, file| {
            load_series_from_str(name, &file.shown_path(), file.text)
        })
    }

    /// The bundled series' files read from a directory instead (same file
    /// names, e.g. [`data_dir`] or an edited copy).
    pub fn from_dir(
        dir: &Path,
        range: Option<RangeInclusive<NaiveDate>>,
    ) -> Result<Market, MarketError> {
        market_of(range, |name, file| load_series(name, &dir.join(file.file)))
    }
}

/// The first of [`SERIES`] is the primary; the others are joined on its calendar.
fn market_of(
    range: Option<RangeInclusive<NaiveDate>>,
    load: impl Fn(&str, &BundledFile) -> Result<Series, MarketError>,
) -> Result<Market, MarketError> {
    let [(name, file), others @ ..] = &SERIES;
    let mut market = Market::new(&load(name, file)?, range)?;
    for (name, file) in others {
        market.add(&load(name, file)?);
    }
    Ok(market)
}

impl Calendar {
    /// FOMC meetings from `data/fomc-dates.csv` with
    /// `data/fomc-corrections.csv` applied, plus CPI and PPI releases from
    /// `data/cpi-ppi-dates.csv`, with the months of `data/cpi-ppi-unknown.csv`
    /// marked unknown.
    pub fn bundled() -> Result<Calendar, MarketError> {
        let mut calendar = Calendar::new();
        calendar.add_fomc_from_str(&FOMC_DATES.shown_path(), FOMC_DATES.text)?;
        calendar
            .apply_corrections_from_str(&FOMC_CORRECTIONS.shown_path(), FOMC_CORRECTIONS.text)?;
        calendar.add_events_from_str(&CPI_PPI_DATES.shown_path(), CPI_PPI_DATES.text)?;
        calendar.add_unknown_from_str(&CPI_PPI_UNKNOWN.shown_path(), CPI_PPI_UNKNOWN.text)?;
        Ok(calendar)
    }
}
