//! Charts of a backtest, drawn with plotters into one SVG: the equity curve
//! with its drawdown, the step ladder over time, and VIX with the days a hedge
//! trigger fired. Each series is a `<polyline>` (or circles for the markers)
//! named in its panel's legend; panels are titled in `<text>`.

use super::Backtest;
use plotters::prelude::*;

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
        let x = first.date..last.date;
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();

        // Equity and drawdown.
        let eq =
            |d: &super::Day| rust_decimal::prelude::ToPrimitive::to_f64(&d.equity).unwrap_or(0.0);
        let lo = days.iter().map(eq).fold(f64::INFINITY, f64::min);
        let hi = days.iter().map(eq).fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.05).max(1.0);
        // Room above the curve for the legend, which would hide it.
        let rows = if lo <= 0.0 { 3 } else { 2 };
        let top = hi + pad + (hi - lo + 2.0 * pad) * legend_room(rows);
        let mut c = ChartBuilder::on(&panels[0])
            .caption(
                format!("{name}: equity (marked to market) and drawdown"),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x.clone(), (lo - pad)..top)
            .map_err(err)?;
        c.configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .y_label_formatter(&dollars)
            .draw()
            .map_err(err)?;
        c.draw_series(LineSeries::new(days.iter().map(|d| (d.date, eq(d))), &BLUE))
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
        c.draw_series(LineSeries::new(under, RED.mix(0.6)))
            .map_err(err)?
            .label("running peak (drawdown below it)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.mix(0.6)));
        // An account that went to $0 or below: the line it crossed.
        if lo <= 0.0 {
            let ruin = BLACK.mix(0.5).stroke_width(2);
            c.draw_series(LineSeries::new([(first.date, 0.0), (last.date, 0.0)], ruin))
                .map_err(err)?
                .label("$0: ruined below it")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], ruin));
        }
        legend(&mut c)?;

        // The step ladder.
        let steps = days.iter().map(|d| d.step).max().unwrap_or(1).max(1);
        let mut c = ChartBuilder::on(&panels[1])
            .caption("step of the open condor (0: flat)", ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x.clone(), 0u32..steps + 1)
            .map_err(err)?;
        c.configure_mesh().draw().map_err(err)?;
        c.draw_series(LineSeries::new(
            days.iter().map(|d| (d.date, d.step)),
            &BLACK,
        ))
        .map_err(err)?;

        // VIX with hedge-trigger markers.
        let vmax = days.iter().map(|d| d.vix).fold(0.0, f64::max);
        let mut c = ChartBuilder::on(&panels[2])
            .caption(
                "VIX, with the days a hedge trigger fired",
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x, 0.0..vmax * 1.05 * (1.0 + legend_room(2)))
            .map_err(err)?;
        c.configure_mesh().draw().map_err(err)?;
        c.draw_series(LineSeries::new(
            days.iter().map(|d| (d.date, d.vix)),
            &MAGENTA,
        ))
        .map_err(err)?
        .label("VIX")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MAGENTA));
        c.draw_series(
            days.iter()
                .filter(|d| d.hedge_signal)
                .map(|d| Circle::new((d.date, d.vix), 2, GREEN.filled())),
        )
        .map_err(err)?
        .label("a hedge trigger fired")
        .legend(|(x, y)| Circle::new((x + 10, y), 2, GREEN.filled()));
        legend(&mut c)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// How much to add above a panel's data, as a fraction of its span, so that
/// a legend of `rows` lines in the top left corner sits above the data: a
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

/// The panel's legend: each labelled series, top left, on a light box.
fn legend<'a, DB, CT>(c: &mut ChartContext<'a, DB, CT>) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}
