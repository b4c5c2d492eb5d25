//! Charts of a backtest, drawn with plotters into one SVG: the equity curve
//! with its running peak (the drawdown is the gap between them) and, for a
//! ruined account, the $0 line and the day of ruin; the step ladder over
//! time, as stairs; and VIX with the days each hedge layer's trigger fired,
//! a colour a layer. Each series
//! is a `<polyline>` (or circles for the markers) named in its panel's
//! legend; panels are titled in `<text>`, axes described.

use super::Backtest;
use chrono::{Datelike, NaiveDate};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::types::RangedDate;
use plotters::prelude::*;
use std::ops::Range;

/// Width and height of the SVG.
pub const SIZE: (u32, u32) = (1200, 900);

/// The backtest's charts as SVG text.
pub fn svg(name: &str, bt: &Backtest) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let panels = root.split_evenly((3, 1));
        let days = &bt.days;
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Err("the backtest has no days to chart".into());
        };
        // A range of one day is drawn over three, so it has a width.
        let x = Dates::new(if first.date < last.date {
            first.date..last.date
        } else {
            first.date.pred_opt().unwrap_or(first.date)..last.date.succ_opt().unwrap_or(last.date)
        });
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();

        // Equity and its running peak.
        let eq =
            |d: &super::Day| rust_decimal::prelude::ToPrimitive::to_f64(&d.equity).unwrap_or(0.0);
        let lo = days.iter().map(eq).fold(f64::INFINITY, f64::min);
        let hi = days.iter().map(eq).fold(f64::NEG_INFINITY, f64::max);
        // At least 1% of the level: a flat curve's axis would repeat one
        // whole-dollar label.
        let pad = ((hi - lo) * 0.05)
            .max(hi.abs().max(lo.abs()) * 0.01)
            .max(1.0);
        // Room above the curve for the legend, which would hide it.
        let rows = if lo <= 0.0 { 4 } else { 2 };
        let top = hi + pad + (hi - lo + 2.0 * pad) * legend_room(rows);
        let mut c = ChartBuilder::on(&panels[0])
            .caption(
                format!("{name}: equity (marked to market) and its running peak"),
                ("sans-serif", 18),
            )
            .margin(10)
            .margin_right(MARGIN_RIGHT)
            .x_label_area_size(30)
            .y_label_area_size(Y_LABELS)
            .build_cartesian_2d(x.clone(), (lo - pad)..top)
            .map_err(err)?;
        c.configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .y_label_formatter(&dollars)
            .y_desc("equity ($)")
            .draw()
            .map_err(err)?;
        // One day is a point, which a line alone would not draw.
        let dot = if days.len() == 1 { 3 } else { 0 };
        c.draw_series(LineSeries::new(days.iter().map(|d| (d.date, eq(d))), &BLUE).point_size(dot))
            .map_err(err)?
            .label("equity")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        let mut peak = f64::NEG_INFINITY;
        let under: Vec<_> = days
            .iter()
            .map(|d| {
                peak = peak.max(eq(d));
                (d.date, peak)
            })
            .collect();
        c.draw_series(LineSeries::new(under, RED.mix(0.6)).point_size(dot))
            .map_err(err)?
            .label("running peak (drawdown below it)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.mix(0.6)));
        // An account that went to $0 or below: the line it crossed, and the
        // day it did, which a long curve's scale can make a pixel's dip.
        let mut corner = SeriesLabelPosition::UpperLeft;
        if lo <= 0.0 {
            let ruin = BLACK.mix(0.5).stroke_width(2);
            let whole = x.range();
            c.draw_series(LineSeries::new(
                [(whole.start, 0.0), (whole.end, 0.0)],
                ruin,
            ))
            .map_err(err)?
            .label("$0: ruined below it")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], ruin));
            if let Some(day) = days.iter().find(|d| eq(d) <= 0.0) {
                // The legend, about a fifth of the panel wide, would hide a
                // marker near the left edge: it moves right.
                let span = (whole.end - whole.start).num_days().max(1) as f64;
                if ((day.date - whole.start).num_days() as f64) < span * 0.3 {
                    corner = SeriesLabelPosition::UpperRight;
                }
                let marker = RGBColor(160, 0, 0).stroke_width(2);
                c.draw_series(LineSeries::new(
                    [(day.date, lo - pad), (day.date, top)],
                    marker,
                ))
                .map_err(err)?
                .label(format!("RUINED on {}", day.date))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x + 10, y - 6), (x + 10, y + 6)], marker)
                });
            }
        }
        legend(&mut c, corner)?;

        // The step ladder.
        let steps = days.iter().map(|d| d.step).max().unwrap_or(1).max(1);
        let mut c = ChartBuilder::on(&panels[1])
            .caption("step of the open condor (0: flat)", ("sans-serif", 18))
            .margin(10)
            .margin_right(MARGIN_RIGHT)
            .x_label_area_size(30)
            .y_label_area_size(Y_LABELS)
            .build_cartesian_2d(x.clone(), 0u32..steps + 1)
            .map_err(err)?;
        // The row above the deepest step is room, not a step.
        c.configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .y_labels(steps as usize + 2)
            .y_label_formatter(&|v: &u32| {
                if *v <= steps {
                    v.to_string()
                } else {
                    String::new()
                }
            })
            .y_desc("step")
            .draw()
            .map_err(err)?;
        c.draw_series(LineSeries::new(stairs(days), &BLACK).point_size(dot))
            .map_err(err)?;

        // VIX with hedge-trigger markers (none for a strategy without
        // hedges, or whose triggers never fired in the range).
        let fired = days.iter().any(|d| d.hedge_signal);
        // The legend: VIX, and each layer whose trigger fired.
        let all = days.iter().fold(0u64, |bits, d| bits | d.hedges_fired);
        let rows = 1 + all.count_ones();
        let vmax = days.iter().map(|d| d.vix).fold(0.0, f64::max);
        let mut c = ChartBuilder::on(&panels[2])
            .caption(
                if fired {
                    "VIX, with the days a hedge trigger fired"
                } else {
                    "VIX (no hedge trigger fired)"
                },
                ("sans-serif", 18),
            )
            .margin(10)
            .margin_right(MARGIN_RIGHT)
            .x_label_area_size(30)
            .y_label_area_size(Y_LABELS)
            .build_cartesian_2d(x, 0.0..vmax * 1.05 * (1.0 + legend_room(rows)))
            .map_err(err)?;
        c.configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .y_desc("VIX (points)")
            .draw()
            .map_err(err)?;
        c.draw_series(
            LineSeries::new(days.iter().map(|d| (d.date, d.vix)), &MAGENTA).point_size(dot),
        )
        .map_err(err)?
        .label("VIX")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MAGENTA));
        // One colour a layer, named in the legend: a day both layers'
        // triggers fired shows both dots, the deeper layer's smaller on top.
        for (i, name) in bt.hedge_layers.iter().enumerate().take(64) {
            let bit = 1u64 << i;
            if !days.iter().any(|d| d.hedges_fired & bit != 0) {
                continue;
            }
            let colour = LAYER_COLOURS[i % LAYER_COLOURS.len()];
            let size = if i == 0 { 3 } else { 2 };
            c.draw_series(
                days.iter()
                    .filter(|d| d.hedges_fired & bit != 0)
                    .map(|d| Circle::new((d.date, d.vix), size, colour.filled())),
            )
            .map_err(err)?
            .label(format!("the trigger of hedge `{name}` fired"))
            .legend(move |(x, y)| Circle::new((x + 10, y), size, colour.filled()));
        }
        legend(&mut c, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The date axis: mapped as plotters maps dates, with its ticks on round
/// dates (the first day of a year, a month or a week) and labelled as
/// such (`2004`, `2020-03`, `2020-03-16`); plotters' own ticks fell a
/// fixed number of days apart from the first day (`2002-05-06`,
/// `2004-09-06`).
#[derive(Clone)]
struct Dates {
    dates: RangedDate<NaiveDate>,
    ticks: Vec<NaiveDate>,
    label: &'static str,
}

impl Dates {
    /// At most about ten ticks (thirteen years): the fewest years apart of
    /// 1, 2, 5, 10, ... that give two or more, else months (1, 2, 3 or 6
    /// apart), else days (every day, or Mondays).
    fn new(range: Range<NaiveDate>) -> Dates {
        let (start, end) = (range.start, range.end);
        let years = |every: i32| {
            (start.year()..=end.year())
                .filter(|y| y % every == 0)
                .filter_map(|y| NaiveDate::from_ymd_opt(y, 1, 1))
                .filter(|d| (start..=end).contains(d))
                .collect::<Vec<_>>()
        };
        let months = |every: u32| {
            let first = start.year() * 12 + start.month0() as i32;
            let last = end.year() * 12 + end.month0() as i32;
            (first..=last)
                .filter(|m| (m.rem_euclid(12) as u32).is_multiple_of(every))
                .filter_map(|m| {
                    NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1)
                })
                .filter(|d| (start..=end).contains(d))
                .collect::<Vec<_>>()
        };
        let days = |every: u32| {
            start
                .iter_days()
                .take_while(|d| *d <= end)
                .filter(|d| every == 1 || d.weekday() == chrono::Weekday::Mon)
                .collect::<Vec<_>>()
        };
        let fits = |t: &Vec<NaiveDate>, most: usize| t.len() >= 2 && t.len() <= most;
        let (ticks, label) = if let Some(t) = [1, 2, 5, 10, 20, 50, 100]
            .into_iter()
            .map(years)
            .find(|t| fits(t, 13))
        {
            (t, "%Y")
        } else if let Some(t) = [1, 2, 3, 6].into_iter().map(months).find(|t| fits(t, 10)) {
            (t, "%Y-%m")
        } else {
            let t = [1, 7]
                .into_iter()
                .map(days)
                .find(|t| t.len() <= 10)
                .unwrap_or_default();
            (t, "%Y-%m-%d")
        };
        Dates {
            dates: range.into(),
            ticks,
            label,
        }
    }
}

impl Ranged for Dates {
    type FormatOption = NoDefaultFormatting;
    type ValueType = NaiveDate;

    fn map(&self, value: &NaiveDate, limit: (i32, i32)) -> i32 {
        self.dates.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<NaiveDate> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<NaiveDate> {
        self.dates.range()
    }
}

impl ValueFormatter<NaiveDate> for Dates {
    fn format_ext(&self, value: &NaiveDate) -> String {
        value.format(self.label).to_string()
    }
}

/// The hedge layers' marker colours, in the strategy's order.
const LAYER_COLOURS: [RGBColor; 4] = [
    RGBColor(0, 170, 0),
    RGBColor(230, 120, 0),
    RGBColor(0, 150, 200),
    RGBColor(120, 0, 160),
];

/// Room right of each panel for the last date label, which a tick on the
/// last day would centre on the edge.
const MARGIN_RIGHT: u32 = 40;

/// Room left of each panel for the axis labels and its description.
const Y_LABELS: u32 = 90;

/// The open condor's step day by day as stairs: a step holds until the day
/// it changes, where the line rises or falls straight (a line from point
/// to point made a ramp of every change).
fn stairs(days: &[super::Day]) -> Vec<(chrono::NaiveDate, u32)> {
    let mut points: Vec<(chrono::NaiveDate, u32)> = Vec::with_capacity(days.len() * 2);
    for d in days {
        if let Some(&(_, before)) = points.last()
            && before != d.step
        {
            points.push((d.date, before));
        }
        points.push((d.date, d.step));
    }
    points
}

/// How much to add above a panel's data, as a fraction of its span, so that
/// a legend of `rows` lines in a top corner sits above the data: a
/// legend is about 12 + 16 × rows pixels of a plot about 220 high.
fn legend_room(rows: u32) -> f64 {
    let legend = 16.0 + 16.0 * f64::from(rows);
    legend / (220.0 - legend)
}

/// An equity axis label: whole dollars, as the report writes them
/// (`$150,000`, `-$50,000`), not `150000.0`.
fn dollars(v: &f64) -> String {
    rust_decimal::Decimal::from_f64_retain(v.round())
        .map_or_else(|| format!("{v:.0}"), crate::money::fmt_money)
}

/// The panel's legend: each labelled series, in a top corner, on a light box.
fn legend<'a, DB, CT>(
    c: &mut ChartContext<'a, DB, CT>,
    corner: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    c.configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}
