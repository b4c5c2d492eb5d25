//! Exposure analysis: the exact size at every step of a full losing cycle, the
//! cumulative capital at risk, and where a cap binds. `vixshield check --explain`
//! prints it; the checker turns what it finds into warnings.
//!
//! Worst case, by design: every step of the cycle loses its whole size (the
//! size is the condor's risk budget). With percentages of equity, each step's
//! equity is the capital less the sizes lost before it.

use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::ladder::{self, StepSize, fmt_amount};
use crate::model::{Account, Sizing, Strategy};
use crate::money::{self, Overflow, fmt_money, fmt_percent, fmt_share, share_of_capital};
use crate::source::Span;
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// Where the sizing settings are, for warnings.
#[derive(Clone, Debug, Default)]
pub struct SizingSpans {
    /// The `sizing` keyword.
    pub section: Span,
    /// `base`'s value.
    pub base: Span,
    /// `layer_cap`'s value.
    pub layer_cap: Span,
    /// `total_cap`'s value.
    pub total_cap: Span,
    /// The setting giving each step's multiplier (steps 2..).
    pub multipliers: Vec<Span>,
    /// The setting giving each step's max loss (steps 1..).
    pub max_loss: Vec<Span>,
    /// A cap is written but could not be read (misspelt, or `cap`): not
    /// a ladder without a cap, so no W0103.
    pub cap_unread: bool,
}

/// One step of a full losing cycle.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Rung {
    /// The size and its derivation.
    #[serde(flatten)]
    pub size: StepSize,
    /// Equity before this step, after losing every earlier step in full.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub equity_before: Decimal,
    /// Capital at risk over the cycle so far, this step included.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub cumulative: Decimal,
    /// `cumulative` as a fraction of the capital.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub cumulative_fraction: Decimal,
    /// Max loss as a fraction of the credit (JSON `max_loss_pct`, as in
    /// `run`'s decisions, where `max_loss` is an amount of money).
    #[serde(
        rename = "max_loss_pct",
        serialize_with = "crate::money::serde_plain::serialize"
    )]
    pub max_loss: Decimal,
    /// The size's arithmetic in words.
    pub derivation: String,
}

/// The whole ladder.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Exposure {
    /// The initial capital.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub capital: Decimal,
    /// One row a step.
    pub rungs: Vec<Rung>,
    /// The total cap in money, if any (at the initial capital).
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub total_cap: Option<Decimal>,
    /// What a full losing cycle risks.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub cycle_risk: Decimal,
    /// The first step at which the layer cap binds.
    pub cap_binds_at: Option<u32>,
    /// The first step at which the cumulative risk exceeds the total cap.
    pub total_cap_exceeded_at: Option<u32>,
}

/// Computes the ladder of a full losing cycle.
pub fn analyze(sizing: &Sizing, account: &Account) -> Result<Exposure, Overflow> {
    let capital = account.capital;
    let mut rungs: Vec<Rung> = Vec::new();
    let mut cumulative = Decimal::ZERO;
    for step in 1..=sizing.steps {
        let equity = money::sub(capital, cumulative)?;
        let size = match rungs.last() {
            None => ladder::base_size(sizing, capital, equity)?,
            Some(prev) => ladder::next_size(sizing, step, prev.size.size, capital, equity)?,
        };
        cumulative = money::add(cumulative, size.size)?;
        rungs.push(Rung {
            equity_before: equity,
            cumulative,
            cumulative_fraction: cumulative.checked_div(capital).ok_or(Overflow)?,
            max_loss: ladder::max_loss(sizing, step),
            derivation: size.derivation(),
            size,
        });
    }
    let total_cap = sizing
        .total_cap
        .map(|c| ladder::resolve(c, capital, capital))
        .transpose()?;
    Ok(Exposure {
        capital,
        cap_binds_at: rungs.iter().find(|r| r.size.capped).map(|r| r.size.step),
        total_cap_exceeded_at: total_cap
            .and_then(|t| rungs.iter().find(|r| r.cumulative > t).map(|r| r.size.step)),
        cycle_risk: cumulative,
        total_cap,
        rungs,
    })
}

/// Turns the analysis into diagnostics.
pub(crate) fn warnings(
    c: &mut Checker<'_>,
    _sec: &crate::ast::Section,
    s: &Sizing,
    spans: &SizingSpans,
    account: &Account,
    hedged: bool,
    exposure_limits: &[(crate::model::Amount, Span)],
) {
    let e = match analyze(s, account) {
        Ok(e) => e,
        Err(Overflow) => {
            c.diags.push(
                Diagnostic::new(
                    Code::ImpossibleCap,
                    spans.section,
                    "the ladder's sizes overflow",
                )
                .help("the multipliers grow the size past any amount of money"),
            );
            return;
        }
    };
    let capital = account.capital;
    if let Some(first) = e.rungs.first()
        && first.size.rounded <= Decimal::ZERO
        && let Some(r) = s.rounding
    {
        c.diags.push(
            Diagnostic::new(
                Code::NotPositive,
                spans.base,
                format!(
                    "the base of {} rounds to {} ({} {}): no condor would ever be sized",
                    fmt_money(first.size.raw),
                    fmt_money(first.size.rounded),
                    r.mode.word(),
                    fmt_money(r.increment)
                ),
            )
            .label("rounds to nothing")
            .help("raise the base, or round to a smaller increment (`round = nearest $10`)"),
        );
        return;
    }
    if let (Some(first), Some(cap)) = (e.rungs.first(), s.layer_cap)
        && first.size.rounded > first.size.cap.unwrap_or(Decimal::MAX)
    {
        c.diags.push(
            Diagnostic::new(
                Code::ImpossibleCap,
                spans.base,
                format!(
                    "the base of {} is above the layer cap of {}",
                    fmt_money(first.size.rounded),
                    fmt_amount(cap)
                ),
            )
            .label("step 1 already breaks the cap")
            .related(spans.layer_cap, "the layer cap")
            .help("lower the base or raise `layer_cap`"),
        );
        return;
    }
    // An `exposure` guard whose limit (at the initial capital) is below the
    // base blocks every entry from the first one.
    if let Some(first) = e.rungs.first() {
        for (max, span) in exposure_limits {
            let Ok(limit) = ladder::resolve(*max, capital, capital) else {
                continue;
            };
            if first.size.size > limit {
                c.diags.push(
                    Diagnostic::new(
                        Code::ImpossibleCap,
                        *span,
                        format!(
                            "the exposure limit of {} is below the base of {}: every entry would be blocked",
                            fmt_money(limit),
                            fmt_money(first.size.size)
                        ),
                    )
                    .label("no condor fits under it")
                    .related(spans.base, "the base")
                    .help("raise the limit or lower the base"),
                );
            }
        }
    }
    if let (Some(first), Some(total)) = (e.rungs.first(), e.total_cap)
        && first.size.size > total
    {
        c.diags.push(
            Diagnostic::new(
                Code::ImpossibleCap,
                spans.total_cap,
                format!(
                    "the total cap of {} is below the base of {}",
                    fmt_money(total),
                    fmt_money(first.size.size)
                ),
            )
            .label("no cycle can respect it")
            .related(spans.base, "the base")
            .help("raise `total_cap` or lower the base"),
        );
        return;
    }
    if let Some(step) = e.cap_binds_at {
        let capped: Vec<String> = e
            .rungs
            .iter()
            .filter(|r| r.size.capped)
            .map(|r| {
                format!(
                    "step {}: {} → {}",
                    r.size.step,
                    fmt_money(r.size.rounded),
                    fmt_money(r.size.size)
                )
            })
            .collect();
        c.diags.push(
            Diagnostic::new(Code::CapBinds, spans.layer_cap, format!("the ladder reaches the layer cap at step {step}"))
                .label(capped.join(", "))
                .help("sizes from that step on are clamped, so the ladder no longer recovers earlier losses; see `vixshield check --explain`"),
        );
    }
    if let (Some(step), Some(total)) = (e.total_cap_exceeded_at, e.total_cap) {
        c.diags.push(
            Diagnostic::new(
                Code::TotalCapExceeded,
                spans.total_cap,
                format!("a full losing cycle risks {}, above the total cap of {}", fmt_money(e.cycle_risk), fmt_money(total)),
            )
            .label(format!("exceeded at step {step}"))
            .help("lower the multipliers or the step limit, or raise `total_cap`; see `vixshield check --explain`"),
        );
    }
    if s.steps > 1 && s.layer_cap.is_none() && s.total_cap.is_none() && !hedged && !spans.cap_unread
    {
        c.diags.push(
            Diagnostic::new(
                Code::Promoter,
                spans.section,
                format!(
                    "martingale with no cap and no hedge layer: a full losing cycle risks {} ({} of capital)",
                    fmt_money(e.cycle_risk),
                    share_of_capital(e.cycle_risk, capital)
                ),
            )
            .label("the \"promoter\" profile")
            .help("add `layer_cap`, a `total_cap`, or a `hedge` layer"),
        );
    }
    for (i, pair) in s.max_loss.windows(2).enumerate() {
        if let [a, b] = pair
            && b > a
        {
            let step = i + 2;
            let span = spans.max_loss.get(i + 1).copied().unwrap_or(spans.section);
            c.diags.push(
                Diagnostic::new(
                    Code::LooseningStop,
                    span,
                    format!(
                        "max loss loosens from {} at step {} to {} at step {step}",
                        fmt_percent(*a),
                        step - 1,
                        fmt_percent(*b)
                    ),
                )
                .label("deeper steps are larger; their stop should be tighter")
                .help("the method tightens the max loss deeper in the ladder (90%, then 65%)"),
            );
        }
    }
}

/// The `--explain` report.
pub fn render(strategy: &Strategy, e: &Exposure) -> String {
    let mut out = String::new();
    let s = &strategy.sizing;
    let _ = writeln!(
        out,
        "exposure of `{}` {}: capital {}, base {}, {} step{}, reset {}",
        strategy.name,
        strategy.version,
        fmt_money(e.capital),
        fmt_amount(s.base),
        s.steps,
        if s.steps == 1 { "" } else { "s" },
        match s.reset {
            crate::model::Reset::OnWin => "on win",
            crate::model::Reset::OnRecovery => "on recovery",
        }
    );
    let _ = writeln!(
        out,
        "worst case as planned: every step of the cycle loses its whole size, each condor \
         closed at its max loss\n"
    );
    let _ = writeln!(
        out,
        "{:>4}  {:>10}  {:>12}  {:>6}  {:>12}  {:>9}  {:>14}  derivation",
        "step", "multiplier", "size", "capped", "cumulative", "% capital", "max loss"
    );
    for r in &e.rungs {
        let _ = writeln!(
            out,
            "{:>4}  {:>10}  {:>12}  {:>6}  {:>12}  {:>9}  {:>14}  {}",
            r.size.step,
            r.size
                .multiplier
                .map_or("-".to_string(), |m| format!("{}x", m.normalize())),
            fmt_money(r.size.size),
            if r.size.capped { "yes" } else { "no" },
            fmt_money(r.cumulative),
            fmt_share(r.cumulative_fraction),
            format!("{} of credit", fmt_percent(r.max_loss)),
            r.derivation
        );
    }
    let _ = writeln!(out);
    match (s.layer_cap, e.cap_binds_at) {
        (None, _) => {
            let _ = writeln!(out, "layer cap: none");
        }
        (Some(c), None) => {
            let _ = writeln!(out, "layer cap: {} — never binds", fmt_amount(c));
        }
        (Some(c), Some(step)) => {
            let _ = writeln!(out, "layer cap: {} — binds from step {step}", fmt_amount(c));
        }
    }
    match (e.total_cap, e.total_cap_exceeded_at) {
        (None, _) => {
            let _ = writeln!(out, "total cap: none");
        }
        (Some(t), None) => {
            let _ = writeln!(
                out,
                "total cap: {} — respected by a full losing cycle",
                fmt_money(t)
            );
        }
        (Some(t), Some(step)) => {
            let _ = writeln!(out, "total cap: {} — exceeded at step {step}", fmt_money(t));
        }
    }
    let _ = writeln!(
        out,
        "a full losing cycle risks {} ({} of capital)",
        fmt_money(e.cycle_risk),
        share_of_capital(e.cycle_risk, e.capital)
    );
    // The plan's worst case assumes every stop holds; a stop is a close
    // the trader makes, and a gap passes it (spx-mastery's backtest has
    // condors that lost up to 2.24× their max loss).
    let _ = writeln!(
        out,
        "  if every stop holds: a condor that gaps past its stop loses more, up to its wings \
         (`vixshield risk FILE --backtest` says how much more in history)"
    );
    out
}
