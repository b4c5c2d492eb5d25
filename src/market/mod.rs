//! Market data: named daily series loaded from CSV, aligned on one calendar,
//! and a calendar of scheduled events.
//!
//! - [`load_series`] / [`load_series_from_str`] read one file into a
//!   [`Series`]; every error names `PATH:LINE:COLUMN` ([`MarketError`]).
//! - [`Market`] joins named series on the primary series' dates (see
//!   [`align`] for the join policy); [`Market::bundled`] uses the files in
//!   `data/`, embedded in the binary.
//! - [`Calendar`] holds event dates by kind (`FOMC`, `CPI`, `PPI`, ...) and
//!   answers "is there an event within N days?".
//!
//! Architecture invariant: only [`load_series`], [`Calendar::load_events`]
//! and [`Market::from_dir`] touch the file system; everything else works on
//! text or on loaded values.

pub mod align;
pub mod bundled;
mod calendar;
mod error;
mod series;
pub(crate) mod text;

pub use align::{AlignedSeries, Market};
pub use bundled::{BundledFile, bundled_series, data_dir};
pub use calendar::{Calendar, FOMC, knows_between};
pub use error::{Location, MarketError};
pub use series::{Series, load_series, load_series_from_str};
/// The market files' date reader (`YYYY-MM-DD`, or `MM/DD/YYYY` month
/// first), which journals share.
pub(crate) use text::parse_date;
