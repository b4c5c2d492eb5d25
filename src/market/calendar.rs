//! Scheduled events (FOMC meetings, CPI and PPI releases, ...) by kind.
//!
//! Event kinds are case-insensitive names, stored in upper case: `FOMC`,
//! `CPI`, `PPI`, or any name a user calendar file brings.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use super::error::{Location, MarketError};
use super::text;

/// Dates of scheduled events, by kind, and the spans where a kind's events
/// are not known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Upper-case kind → sorted, de-duplicated dates.
    events: BTreeMap<String, Vec<NaiveDate>>,
    /// Upper-case kind → spans (first and last day, both included) inside
    /// its coverage where its events are not known: a release whose date
    /// was never found. Sorted by start.
    unknown: BTreeMap<String, Vec<(NaiveDate, NaiveDate)>>,
}

/// The event kind the FOMC loader files meetings under.
pub const FOMC: &str = "FOMC";

/// The most calendar days the releases of a bundled kind are ever apart,
/// with room: CPI and PPI are monthly (76 days at most in the bundled
/// history, over the 2025 shutdown), FOMC's scheduled meetings eight times
/// a year (58 days at most since 1975, but for the 91 days around March
/// 2020, whose meeting was held unscheduled on the 15th and is not in the
/// bundled calendar). Dates a `--calendar` file adds
/// further apart than this, beyond what the calendar covered, leave the
/// days between unknown ([`Calendar::add_unknown`]).
pub const MAX_GAP_DAYS: &[(&str, i64)] = &[("CPI", 80), ("PPI", 80), ("FOMC", 70)];

impl Calendar {
    /// An empty calendar.
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// Adds one event. Adding the same kind and date twice keeps one. An
    /// event inside an [unknown span](Calendar::add_unknown) of its kind
    /// settles the span (it is dropped): a span stands for a release whose
    /// date nobody had, and this is its date (the bundled July 2002 span and
    /// a `--calendar` line giving the June 2002 CPI's release day). A span
    /// added after the event stands.
    pub fn add(&mut self, kind: &str, date: NaiveDate) {
        let kind = normalize(kind);
        if let Some(spans) = self.unknown.get_mut(&kind) {
            spans.retain(|(from, to)| !(*from <= date && date <= *to));
            if spans.is_empty() {
                self.unknown.remove(&kind);
            }
        }
        let dates = self.events.entry(kind).or_default();
        if let Err(i) = dates.binary_search(&date) {
            dates.insert(i, date);
        }
    }

    /// Removes one event; returns whether it was there.
    pub fn remove(&mut self, kind: &str, date: NaiveDate) -> bool {
        let Some(dates) = self.events.get_mut(&normalize(kind)) else {
            return false;
        };
        let Ok(i) = dates.binary_search(&date) else {
            return false;
        };
        dates.remove(i);
        if dates.is_empty() {
            self.events.remove(&normalize(kind));
        }
        true
    }

    /// Marks `from ..= to` as a span where the events of `kind` are not
    /// known (see [`Calendar::knows`]).
    pub fn add_unknown(&mut self, kind: &str, from: NaiveDate, to: NaiveDate) {
        let spans = self.unknown.entry(normalize(kind)).or_default();
        let span = (from.min(to), from.max(to));
        let i = spans.partition_point(|s| *s < span);
        spans.insert(i, span);
    }

    /// The spans where the events of `kind` are not known, by start.
    pub fn unknown_spans(&self, kind: &str) -> &[(NaiveDate, NaiveDate)] {
        self.unknown
            .get(&normalize(kind))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether the calendar knows every event of `kind` from `from` to `to`
    /// (both included): the span lies between the kind's first and last
    /// dates and meets none of its [unknown spans](Calendar::add_unknown).
    pub fn knows(&self, kind: &str, from: NaiveDate, to: NaiveDate) -> bool {
        knows_between(self.dates(kind), self.unknown_spans(kind), from, to)
    }

    /// Adds the FOMC meetings of a file in the format of
    /// `henryrweiland/Central-Bank-Meeting-Dates` (see `data/README.md`):
    /// columns `date` and `fed_meeting_date_indicator`, and optionally
    /// `fed_non_scheduled_meeting_indicator` (other columns are ignored;
    /// names are matched without regard to case or surrounding spaces). Only
    /// rows whose meeting flag is `1` count, and of those only the scheduled
    /// meetings: an unscheduled meeting or conference call (non-scheduled
    /// flag `1`) could not be planned around the day before, so a blackout
    /// that knew of it would trade with hindsight (`data/README.md`). They
    /// are filed as [`FOMC`]. Rows may repeat a date and need not be sorted.
    /// Returns how many scheduled meeting rows were read.
    pub fn add_fomc_from_str(&mut self, path: &str, text: &str) -> Result<usize, MarketError> {
        let mut lines = text::lines(text);
        let Some(header) = lines.next() else {
            return Err(MarketError::Empty {
                at: Location::new(path, 1, 1),
            });
        };
        let mut fields = header.fields();
        let names: Vec<String> = fields.iter().map(|f| f.text.to_ascii_lowercase()).collect();
        let column = |name: &'static str| {
            names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| MarketError::MissingColumn {
                    at: header.start(path),
                    column: name,
                    header: header.raw.trim().to_owned(),
                })
        };
        let (date_col, flag_col) = (column("date")?, column("fed_meeting_date_indicator")?);
        let unscheduled_col = column("fed_non_scheduled_meeting_indicator").ok();
        let mut meetings = 0;
        let mut rows = 0;
        let width = names.len();
        for line in lines {
            line.split_into(&mut fields);
            text::check_width(path, &line, &fields, width)?;
            rows += 1;
            let (Some(&date), Some(&flag)) = (fields.get(date_col), fields.get(flag_col)) else {
                continue;
            };
            let date = text::date_field(path, &line, date)?;
            let set = |field: text::Field<'_>| match field.text {
                "0" => Ok(false),
                "1" => Ok(true),
                other => Err(MarketError::BadFlag {
                    at: line.at(path, field),
                    text: other.to_owned(),
                }),
            };
            let meeting = set(flag)?;
            let unscheduled = match unscheduled_col.and_then(|c| fields.get(c)) {
                Some(&field) => set(field)?,
                None => false,
            };
            if meeting && !unscheduled {
                self.add(FOMC, date);
                meetings += 1;
            }
        }
        if rows == 0 {
            return Err(MarketError::NoRows {
                at: Location::new(path, header.number + 1, 1),
            });
        }
        Ok(meetings)
    }

    /// Adds the events of a user calendar file: lines `date,event`, e.g.
    /// `2024-01-11,CPI`. Dates are `YYYY-MM-DD` or `MM/DD/YYYY`; an event is a
    /// name of letters, digits and `_` (not starting with a digit),
    /// case-insensitive. An optional first line `date,event` is a header.
    /// Lines starting with `#` are comments; blank lines are skipped; order
    /// does not matter. Returns how many events were read.
    pub fn add_events_from_str(&mut self, path: &str, text: &str) -> Result<usize, MarketError> {
        self.read(FileKind::Events, path, text, None)
    }

    /// Applies a corrections file to the events already read: lines
    /// `date,event,replaces`. `2023-02-01,FOMC,2023-02-02` moves the FOMC
    /// event of 2023-02-02 to 2023-02-01; `2023-11-01,FOMC,` (no `replaces`)
    /// adds one. A `replaces` date the calendar does not have is an error,
    /// so a correction can never silently miss its target. Same dialect as
    /// [`Calendar::add_events_from_str`] (comments, an optional
    /// `date,event,replaces` header); corrections apply in file order.
    /// Returns how many lines were applied.
    pub fn apply_corrections_from_str(
        &mut self,
        path: &str,
        text: &str,
    ) -> Result<usize, MarketError> {
        self.read(FileKind::Corrections, path, text, None)
    }

    /// Reads a calendar file of `kind`, every event one of `only` when given.
    fn read(
        &mut self,
        kind: FileKind,
        path: &str,
        text: &str,
        only: Option<&[&str]>,
    ) -> Result<usize, MarketError> {
        match kind {
            FileKind::Events => {
                let before: BTreeMap<String, (NaiveDate, NaiveDate)> = self
                    .events
                    .keys()
                    .filter_map(|k| Some((k.clone(), self.coverage(k)?)))
                    .collect();
                let mut batch = Batch::of(self);
                let n = for_each_row(path, text, 2, only, |row| {
                    batch.add(row.event, row.date);
                    Ok(())
                })?;
                let touched = batch.done(self);
                for kind in touched {
                    if let Some(&covered) = before.get(&kind) {
                        self.unknown_past(&kind, covered);
                    }
                }
                Ok(n)
            }
            FileKind::Corrections => self.read_corrections(path, text, only),
            FileKind::Unknown => self.read_unknown(path, text, only),
        }
    }

    fn read_corrections(
        &mut self,
        path: &str,
        text: &str,
        only: Option<&[&str]>,
    ) -> Result<usize, MarketError> {
        let mut batch = Batch::of(self);
        let n = for_each_row(path, text, 3, only, |row| {
            if let Some(replaces) = row.fields.get(2).filter(|f| !f.text.is_empty()) {
                let old = text::date_field(path, row.line, *replaces)?;
                if !batch.remove(row.event, old) {
                    return Err(MarketError::NothingToReplace {
                        at: row.line.at(path, *replaces),
                        kind: normalize(row.event),
                        date: old,
                    });
                }
            }
            batch.add(row.event, row.date);
            Ok(())
        })?;
        batch.done(self);
        Ok(n)
    }

    /// Reads the spans of a file of unknown events: lines `date,event,until`,
    /// e.g. `2001-02-01,CPI,2001-02-28`: nobody knows when (or whether) a
    /// CPI release fell in February 2001 (see [`Calendar::add_unknown`]).
    /// Same dialect as [`Calendar::add_events_from_str`] (comments, an
    /// optional `date,event,until` header). A span that ends before it
    /// starts is an error. Returns how many spans were read.
    pub fn add_unknown_from_str(&mut self, path: &str, text: &str) -> Result<usize, MarketError> {
        self.read(FileKind::Unknown, path, text, None)
    }

    fn read_unknown(
        &mut self,
        path: &str,
        text: &str,
        only: Option<&[&str]>,
    ) -> Result<usize, MarketError> {
        // Gathered, then sorted in once: one insertion each into the sorted
        // spans was quadratic in a file of spans out of order.
        let mut spans: Vec<(String, NaiveDate, NaiveDate)> = Vec::new();
        let n = for_each_row(path, text, 3, only, |row| {
            let Some(field) = row.fields.get(2) else {
                return Ok(());
            };
            let until = text::date_field(path, row.line, *field)?;
            if until < row.date {
                return Err(MarketError::ReversedSpan {
                    at: row.line.at(path, *field),
                    from: row.date,
                    until,
                });
            }
            spans.push((normalize(row.event), row.date, until));
            Ok(())
        })?;
        for (kind, from, to) in spans {
            self.unknown.entry(kind).or_default().push((from, to));
        }
        for spans in self.unknown.values_mut() {
            spans.sort();
        }
        Ok(n)
    }

    /// Reads a calendar file: a corrections file (see
    /// [`Calendar::apply_corrections_from_str`]) when its first line is the
    /// header `date,event,replaces`, unknown spans (see
    /// [`Calendar::add_unknown_from_str`]) under `date,event,until`,
    /// otherwise events (see [`Calendar::add_events_from_str`]).
    pub fn load_events(&mut self, path: &Path) -> Result<usize, MarketError> {
        self.load_events_only(path, None)
    }

    /// [`Calendar::load_events`], where every event must be one of `kinds`
    /// (case-insensitive): what a file read for a strategy, which can only
    /// name those, must hold. Another event is an error at its line and
    /// column rather than a date nothing could ever read.
    pub fn load_events_of(&mut self, path: &Path, kinds: &[&str]) -> Result<usize, MarketError> {
        self.load_events_only(path, Some(kinds))
    }

    fn load_events_only(
        &mut self,
        path: &Path,
        only: Option<&[&str]>,
    ) -> Result<usize, MarketError> {
        let shown = path.display().to_string();
        let bytes =
            crate::input::read(path, crate::input::CSV).map_err(|source| MarketError::Io {
                path: shown.clone(),
                source,
            })?;
        let text = text::decode(&shown, bytes)?;
        let header = text::lines(&text)
            .find(|l| !l.raw.trim_start().starts_with('#'))
            .map(|l| {
                l.fields()
                    .iter()
                    .map(|f| f.text.to_ascii_lowercase())
                    .collect::<Vec<_>>()
            });
        let kind = match header.as_deref() {
            Some([d, e, r]) if d == "date" && e == "event" && r == "replaces" => {
                FileKind::Corrections
            }
            Some([d, e, u]) if d == "date" && e == "event" && u == "until" => FileKind::Unknown,
            _ => FileKind::Events,
        };
        self.read(kind, &shown, &text, only)
    }

    /// After a file added dates of `kind` outside `covered` (its first and
    /// last date before): every interval between its dates there longer
    /// than the kind's releases are ever apart ([`MAX_GAP_DAYS`]) is a
    /// span of unknown events. The dates in between were not given, not
    /// shown to be free of releases: `2026-12-10,CPI` added to a calendar
    /// whose CPI ends on 2026-06-10 leaves July to November unknown, not
    /// known to hold no CPI.
    fn unknown_past(&mut self, kind: &str, (first, last): (NaiveDate, NaiveDate)) {
        let Some(&(_, max)) = MAX_GAP_DAYS.iter().find(|(k, _)| *k == kind) else {
            return;
        };
        let gaps: Vec<(NaiveDate, NaiveDate)> = self
            .dates(kind)
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if (*b > last || *a < first) && (*b - *a).num_days() > max => {
                    Some((a.succ_opt()?, b.pred_opt()?))
                }
                _ => None,
            })
            .collect();
        for (from, to) in gaps {
            self.add_unknown(kind, from, to);
        }
    }

    /// The kinds present, upper case, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.events.keys().map(String::as_str)
    }

    /// Whether the calendar knows a kind (case-insensitive).
    pub fn has_kind(&self, kind: &str) -> bool {
        self.events.contains_key(&normalize(kind))
    }

    /// The dates of a kind, ascending (empty when unknown).
    pub fn dates(&self, kind: &str) -> &[NaiveDate] {
        self.events.get(&normalize(kind)).map_or(&[], Vec::as_slice)
    }

    /// First and last date of a kind: outside that span the calendar knows
    /// nothing, so a strategy run past the last date sees no events.
    pub fn coverage(&self, kind: &str) -> Option<(NaiveDate, NaiveDate)> {
        let dates = self.dates(kind);
        Some((*dates.first()?, *dates.last()?))
    }

    /// Calendar days from `date` to the next event of `kind` on or after it:
    /// `Some(0)` on the event day, `None` when there is none (or the kind is unknown).
    pub fn days_to_next(&self, kind: &str, date: NaiveDate) -> Option<i64> {
        let dates = self.dates(kind);
        let next = dates.get(dates.partition_point(|d| *d < date))?;
        Some((*next - date).num_days())
    }

    /// Whether an event of one of `kinds` falls in `[date, date + days]`
    /// (calendar days, both ends included): the blackout of `no entry within
    /// Nd of FOMC, CPI`, which blocks entries on the N days before an event
    /// and on the event day itself. Unknown kinds match nothing.
    pub fn within(&self, kinds: &[&str], date: NaiveDate, days: u32) -> bool {
        kinds.iter().any(|kind| {
            self.days_to_next(kind, date)
                .is_some_and(|d| d <= i64::from(days))
        })
    }
}

/// The three kinds of calendar file, told apart by their header.
#[derive(Clone, Copy)]
enum FileKind {
    /// `date,event`: events.
    Events,
    /// `date,event,replaces`: corrections.
    Corrections,
    /// `date,event,until`: spans where a kind's dates are not known.
    Unknown,
}

/// [`Calendar::knows`] on a kind's sorted `dates` and `unknown` spans,
/// looked up once (for callers that ask bar after bar).
pub fn knows_between(
    dates: &[NaiveDate],
    unknown: &[(NaiveDate, NaiveDate)],
    from: NaiveDate,
    to: NaiveDate,
) -> bool {
    matches!(
        (dates.first(), dates.last()),
        (Some(first), Some(last)) if *first <= from && to <= *last
    ) && !unknown.iter().any(|(a, b)| *a <= to && from <= *b)
}

/// One row of a calendar file: its date and event, checked, and its fields.
struct Row<'r, 'a> {
    date: NaiveDate,
    event: &'a str,
    line: &'r text::Line<'a>,
    fields: &'r [text::Field<'a>],
}

/// Calls `row` on each row of a calendar file of `width` fields (`date`,
/// `event`, ...): lines starting with `#` and blank lines are skipped, a
/// first line whose first field is `date` is a header (of `width` fields,
/// as every row); the date is read and
/// the event name checked (one of `only`, when given) before `row` sees
/// them. Returns the rows seen.
fn for_each_row<'a>(
    path: &str,
    text: &'a str,
    width: usize,
    only: Option<&[&str]>,
    mut row: impl FnMut(Row<'_, 'a>) -> Result<(), MarketError>,
) -> Result<usize, MarketError> {
    let mut count = 0;
    let mut first = true;
    let mut fields = Vec::with_capacity(width);
    for line in text::lines(text) {
        if line.raw.trim_start().starts_with('#') {
            continue;
        }
        line.split_into(&mut fields);
        let is_header = first
            && fields
                .first()
                .is_some_and(|f| f.text.eq_ignore_ascii_case("date"));
        first = false;
        // The header too: a line taken for the header on its first field
        // alone (`date,...`) must have the rows' width, so that a malformed
        // file is not read as a header and no events.
        text::check_width(path, &line, &fields, width)?;
        if is_header {
            continue;
        }
        let (Some(&date), Some(&event)) = (fields.first(), fields.get(1)) else {
            continue;
        };
        let date = text::date_field(path, &line, date)?;
        if !is_event_name(event.text) {
            return Err(MarketError::BadEventName {
                at: line.at(path, event),
                text: event.text.to_owned(),
            });
        }
        if let Some(kinds) = only
            && !kinds.iter().any(|k| k.eq_ignore_ascii_case(event.text))
        {
            return Err(MarketError::UnknownEvent {
                at: line.at(path, event),
                text: event.text.to_owned(),
                known: kinds.join(", "),
            });
        }
        row(Row {
            date,
            event: event.text,
            line: &line,
            fields: &fields,
        })?;
        count += 1;
    }
    Ok(count)
}

/// The events of a file being read, as sets: a date added or removed in
/// one step whatever the order of the file's lines (one insertion each into
/// the sorted dates was quadratic: 400,000 dates newest first took 8 s).
/// The calendar is changed only when the whole file has been read
/// ([`Batch::done`]); a file with an error leaves it as it was.
struct Batch {
    events: BTreeMap<String, std::collections::BTreeSet<NaiveDate>>,
    /// Every date added, by kind: each settles the unknown spans it falls
    /// in, as [`Calendar::add`] does.
    added: BTreeMap<String, Vec<NaiveDate>>,
}

impl Batch {
    fn of(calendar: &Calendar) -> Batch {
        Batch {
            events: calendar
                .events
                .iter()
                .map(|(k, dates)| (k.clone(), dates.iter().copied().collect()))
                .collect(),
            added: BTreeMap::new(),
        }
    }

    fn add(&mut self, kind: &str, date: NaiveDate) {
        let kind = normalize(kind);
        self.added.entry(kind.clone()).or_default().push(date);
        self.events.entry(kind).or_default().insert(date);
    }

    fn remove(&mut self, kind: &str, date: NaiveDate) -> bool {
        self.events
            .get_mut(&normalize(kind))
            .is_some_and(|dates| dates.remove(&date))
    }

    /// Puts the events into `calendar`, settles the unknown spans a date
    /// added falls in, and returns the kinds a date was added to.
    fn done(self, calendar: &mut Calendar) -> Vec<String> {
        calendar.events = self
            .events
            .into_iter()
            .filter(|(_, dates)| !dates.is_empty())
            .map(|(k, dates)| (k, dates.into_iter().collect()))
            .collect();
        let mut touched = Vec::new();
        for (kind, mut added) in self.added {
            added.sort_unstable();
            if let Some(spans) = calendar.unknown.get_mut(&kind) {
                spans.retain(|(from, to)| {
                    let i = added.partition_point(|d| d < from);
                    added.get(i).is_none_or(|d| d > to)
                });
                if spans.is_empty() {
                    calendar.unknown.remove(&kind);
                }
            }
            touched.push(kind);
        }
        touched
    }
}

/// The stored form of a kind.
fn normalize(kind: &str) -> String {
    kind.trim().to_ascii_uppercase()
}

/// Letters, digits and `_`, not starting with a digit.
fn is_event_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
