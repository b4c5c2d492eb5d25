//! Compiling: checked strategy → rule graph.
//!
//! Every expression becomes market nodes (shared when identical), every
//! sizing rule a decision node. Nodes are added dependencies first, so the
//! table's order is a topological order.

use crate::ast::{self, ExprKind, Literal, UnOp};
use crate::graph::{Graph, GraphNames, Input, Node, NodeId};
use crate::model::{Guard, Strategy};
use crate::signals;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;

/// Why a checked strategy did not compile. The checker rules these out; they
/// exist so that a strategy built by hand cannot make the compiler panic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A name that is no series, signal or param: `vixx`.
    #[error("unknown name `{0}` in an expression")]
    UnknownName(String),
    /// A call to a function that is no built-in or known plugin.
    #[error("unknown signal function `{0}`")]
    UnknownFunction(String),
    /// A period that is not a whole number: `rsi(vix, 2.5)`.
    #[error("`{0}` takes whole-number periods")]
    BadPeriod(String),
    /// An expression the graph has no node for (`15% of size` in a signal).
    #[error("`{0}` has no meaning in a signal expression")]
    Unsupported(String),
    /// The graph has a cycle.
    #[error(transparent)]
    Cycle(#[from] crate::graph::CycleError),
}

/// A plugin signal as the compiler needs it: its params' defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginDefaults {
    /// The plugin's name.
    pub name: String,
    /// How many series it takes.
    pub inputs: usize,
    /// Default values of its params, in manifest order.
    pub defaults: Vec<f64>,
    /// Whether it gives a boolean (0.0 false, other numbers true, NaN unknown).
    pub boolean: bool,
}

/// The graph with the ids of the nodes the engine reads and writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    /// The graph.
    pub graph: Graph,
    /// Where things are.
    pub ids: Ids,
}

/// Ids of the nodes the engine sets (inputs) and reads (results).
#[derive(Clone, Debug, PartialEq)]
pub struct Ids {
    /// `capital`.
    pub capital: NodeId,
    /// `equity`.
    pub equity: NodeId,
    /// `step`.
    pub step: NodeId,
    /// `previous size`.
    pub prev: NodeId,
    /// `credit`.
    pub credit: NodeId,
    /// `hedge profit`.
    pub hedge_profit: NodeId,
    /// The size.
    pub size: NodeId,
    /// Max loss % of credit.
    pub max_loss_pct: NodeId,
    /// Max loss $.
    pub max_loss: NodeId,
    /// Each layer's trigger.
    pub triggers: Vec<NodeId>,
    /// Each layer's budget.
    pub budgets: Vec<NodeId>,
    /// The roll coefficient, when the strategy rolls.
    pub roll_coefficient: Option<NodeId>,
    /// The roll amount, when the strategy rolls.
    pub roll_amount: Option<NodeId>,
    /// The roll overrides' conditions, in the order they are tried.
    pub roll_conditions: Vec<NodeId>,
    /// Each guard.
    pub guards: Vec<NodeId>,
    /// Each guard's market condition (blackout window or condition), if it has one.
    pub guard_conditions: Vec<Option<NodeId>>,
    /// Each layer's trigger leaves: the calls, named signals, series and
    /// event windows its condition reads, as written (`rsi(vix, 14)`), for
    /// decisions to show their values. Empty for a layer without trigger.
    pub trigger_leaves: Vec<Vec<(String, NodeId)>>,
    /// The market values each guard reads, by name: a condition guard's
    /// leaves, `spx` and `vix` for the quick ratio's stress, none otherwise.
    pub guard_inputs: Vec<Vec<(String, NodeId)>>,
    /// Named signals.
    pub signals: Vec<(String, NodeId)>,
    /// The decision.
    pub decision: NodeId,
}

struct Compiler<'a> {
    graph: Graph,
    signals: HashMap<&'a str, NodeId>,
    params: HashMap<&'a str, &'a Literal>,
    plugins: &'a [PluginDefaults],
    /// Where the file calls plugins (`Strategy::plugin_calls`).
    plugin_calls: &'a [(crate::source::Span, String)],
}

/// Compiles a checked strategy.
pub fn compile(s: &Strategy, plugins: &[PluginDefaults]) -> Result<Compiled, CompileError> {
    let mut c = Compiler {
        graph: Graph::default(),
        signals: HashMap::new(),
        params: s
            .params
            .iter()
            .map(|p| (p.name.as_str(), &p.value))
            .collect(),
        plugins,
        plugin_calls: &s.plugin_calls,
    };
    c.graph.names = GraphNames {
        layers: s.hedges.iter().map(|h| h.name.clone()).collect(),
        guards: s.guards.iter().map(describe_guard).collect(),
        plugin_calls: Vec::new(),
    };
    let input = |c: &mut Compiler<'_>, i| c.graph.add(Node::Input(i));
    let capital = input(&mut c, Input::Capital);
    let equity = input(&mut c, Input::Equity);
    let step = input(&mut c, Input::Step);
    let prev = input(&mut c, Input::PrevSize);
    let credit = input(&mut c, Input::Credit);
    let hedge_profit = input(&mut c, Input::HedgeProfit);

    let mut signal_ids = Vec::new();
    for sig in &s.signals {
        let value = c.expr(&sig.expr)?;
        let id = c.graph.add(Node::Signal {
            name: sig.name.clone(),
            value,
        });
        c.signals.insert(&sig.name, id);
        signal_ids.push((sig.name.clone(), id));
    }

    let size = c.graph.add(Node::Size {
        step,
        prev,
        capital,
        equity,
    });
    let max_loss_pct = c.graph.add(Node::MaxLossPct { step });
    let max_loss = c.graph.add(Node::MaxLoss {
        pct: max_loss_pct,
        credit,
    });
    let (mut roll_coefficient, mut roll_amount, mut roll_conditions) = (None, None, Vec::new());
    if let Some(roll) = &s.roll {
        for o in &roll.overrides {
            roll_conditions.push(c.expr(&o.when)?);
        }
        let coefficient = c.graph.add(Node::RollCoefficient {
            conditions: roll_conditions.clone(),
        });
        roll_coefficient = Some(coefficient);
        roll_amount = Some(c.graph.add(Node::RollAmount {
            coefficient,
            profit: hedge_profit,
        }));
    }
    let mut triggers = Vec::new();
    let mut budgets = Vec::new();
    let mut trigger_leaves = Vec::new();
    for (layer, h) in s.hedges.iter().enumerate() {
        let condition = h.trigger.as_ref().map(|t| c.expr(t)).transpose()?;
        let mut leaves = Vec::new();
        if let Some(t) = &h.trigger {
            c.leaves(t, &mut leaves)?;
        }
        trigger_leaves.push(leaves);
        let trigger = c.graph.add(Node::Trigger { layer, condition });
        triggers.push(trigger);
        budgets.push(c.graph.add(Node::HedgeBudget {
            layer,
            step,
            size,
            trigger,
            roll: roll_amount,
        }));
    }
    let mut guards = Vec::new();
    let mut guard_conditions = Vec::new();
    let mut guard_inputs = Vec::new();
    let mut date = None;
    for (index, g) in s.guards.iter().enumerate() {
        let mut inputs = Vec::new();
        let (deps, condition) = match g {
            // The calendar at the decision's date (`Engine::guards`), not a
            // column over the market's bars.
            Guard::Blackout { .. } => {
                let d = *date.get_or_insert_with(|| input(&mut c, Input::Date));
                (vec![d], None)
            }
            Guard::Condition { expr } => {
                let e = c.expr(expr)?;
                c.leaves(expr, &mut inputs)?;
                (vec![e], Some(e))
            }
            Guard::Wacc { .. } => {
                let mut d = vec![equity, size];
                d.extend(budgets.iter().copied());
                d.extend(roll_amount);
                (d, None)
            }
            Guard::QuickRatio { .. } => {
                let mut d = vec![capital, equity, size];
                d.extend(budgets.iter().copied());
                d.extend(roll_amount);
                for series in ["spx", "vix"] {
                    let id = c.graph.add(Node::Series(series.into()));
                    inputs.push((series.to_string(), id));
                    d.push(id);
                }
                (d, None)
            }
            Guard::Exposure { .. } => (vec![capital, equity, size], None),
        };
        guard_conditions.push(condition);
        guard_inputs.push(inputs);
        guards.push(c.graph.add(Node::Guard { index, deps }));
    }
    let mut deps = vec![size, max_loss];
    deps.extend(budgets.iter().copied());
    deps.extend(roll_amount);
    deps.extend(guards.iter().copied());
    let decision = c.graph.add(Node::Decision { deps });
    c.graph.decision = Some(decision);
    c.graph.topo_order()?;
    Ok(Compiled {
        graph: c.graph,
        ids: Ids {
            capital,
            equity,
            step,
            prev,
            credit,
            hedge_profit,
            size,
            max_loss_pct,
            max_loss,
            triggers,
            budgets,
            roll_coefficient,
            roll_amount,
            roll_conditions,
            guards,
            guard_conditions,
            trigger_leaves,
            guard_inputs,
            signals: signal_ids,
            decision,
        },
    })
}

/// Compiles one signal expression on its own (`vixshield signal EXPR`) to
/// market nodes: the graph and the expression's node. With `context`, the
/// strategy's params and named signals are in scope (its signals are compiled
/// first, in their dependency order). The expression is expected to have
/// been checked ([`crate::check::check_expr`]); `calls` are its plugin call
/// sites ([`crate::check::CheckedExpr::plugin_calls`]), named in a plugin's
/// errors as the context's own are.
pub fn compile_expr(
    e: &ast::Expr,
    context: Option<&Strategy>,
    plugins: &[PluginDefaults],
    calls: &[(crate::source::Span, String)],
) -> Result<(Graph, NodeId), CompileError> {
    let mut c = Compiler {
        graph: Graph::default(),
        signals: HashMap::new(),
        params: context
            .map(|s| {
                s.params
                    .iter()
                    .map(|p| (p.name.as_str(), &p.value))
                    .collect()
            })
            .unwrap_or_default(),
        plugins,
        // The context's signals first, with its call sites; the
        // expression's spans are in another text.
        plugin_calls: context.map_or(&[][..], |s| s.plugin_calls.as_slice()),
    };
    for sig in context.map_or(&[][..], |s| s.signals.as_slice()) {
        let value = c.expr(&sig.expr)?;
        let id = c.graph.add(Node::Signal {
            name: sig.name.clone(),
            value,
        });
        c.signals.insert(&sig.name, id);
    }
    c.plugin_calls = calls;
    let id = c.expr(e)?;
    c.graph.topo_order()?;
    Ok((c.graph, id))
}

/// A guard in words, for labels.
pub fn describe_guard(g: &Guard) -> String {
    match g {
        Guard::Wacc { max_bps, op } => {
            format!("wacc_impact {} {}bps", op.symbol(), max_bps.normalize())
        }
        Guard::QuickRatio { floor, sigma } => {
            format!(
                "quick_ratio >= {} under {} sigma",
                floor.normalize(),
                sigma.normalize()
            )
        }
        Guard::Blackout { days, events } => {
            format!("no entry within {days}d of {}", events.join(", "))
        }
        Guard::Exposure { max } => format!("exposure <= {}", crate::ladder::fmt_amount(*max)),
        Guard::Condition { expr } => crate::fmt::expr(expr),
    }
}

/// A decimal of the language (a literal, or a value computed from literals
/// in decimal) as the nearest `f64`. Through the decimal's text, which
/// Rust's parser rounds correctly: `Decimal::to_f64` adds the integer and
/// the fraction apart and can round twice (`4.254318748406980` gave
/// 4.254318748406981, one ulp off, where a TOML reader gives the nearest,
/// 4.25431874840698). Every place a strategy's decimal becomes an `f64`
/// goes through here, so that a plugin default in a manifest and the same
/// number in a strategy are one value.
pub fn f64_of(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

impl<'a> Compiler<'a> {
    /// Compiles an expression to a market node.
    fn expr(&mut self, e: &'a ast::Expr) -> Result<NodeId, CompileError> {
        Ok(match &e.kind {
            ExprKind::Lit(l) => {
                self.graph
                    .add(Node::Const(literal_value(l).ok_or_else(|| {
                        CompileError::Unsupported(crate::fmt::expr(e))
                    })?))
            }
            ExprKind::Name(n) => {
                if let Some(id) = self.signals.get(n.as_str()) {
                    *id
                } else if let Some(l) = self.params.get(n.as_str()) {
                    let v = literal_value(l).ok_or_else(|| CompileError::Unsupported(n.clone()))?;
                    self.graph.add(Node::Const(v))
                } else if crate::check::expr::SERIES.contains(&n.as_str()) {
                    self.graph.add(Node::Series(n.clone()))
                } else {
                    return Err(CompileError::UnknownName(n.clone()));
                }
            }
            ExprKind::Paren(inner) => self.expr(inner)?,
            ExprKind::Unary(UnOp::Not, a) => {
                let a = self.expr(a)?;
                self.graph.add(Node::Not(a))
            }
            ExprKind::Unary(UnOp::Neg, a) => {
                let a = self.expr(a)?;
                self.graph.add(Node::Neg(a))
            }
            ExprKind::Binary(ast::BinOp::Of, ..) => {
                return Err(CompileError::Unsupported(crate::fmt::expr(e)));
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                self.graph.add(Node::Binary(*op, a, b))
            }
            ExprKind::Within { days, events } => {
                let days = match days {
                    ast::Count::Lit(d) => Some(*d),
                    ast::Count::Param(p) => match self.params.get(p.name.as_str()) {
                        Some(Literal::Days(d)) => Some(*d),
                        _ => None,
                    },
                };
                let days = days
                    .and_then(|d| d.to_u32())
                    .ok_or_else(|| CompileError::Unsupported(crate::fmt::expr(e)))?;
                self.graph.add(Node::Within {
                    days,
                    events: events.iter().map(|e| e.name.clone()).collect(),
                })
            }
            ExprKind::Call { name, args } => {
                if let Some(func) = signals::lookup(&name.name) {
                    let sig = func.signature();
                    let mut series = Vec::new();
                    let mut periods = Vec::new();
                    for (a, p) in args.iter().zip(sig.params) {
                        match p.kind {
                            signals::ParamKind::Series => series.push(self.expr(a)?),
                            signals::ParamKind::Period { .. } => {
                                periods.push(self.period(a, &name.name)?)
                            }
                        }
                    }
                    self.graph.add(Node::Builtin {
                        func,
                        periods,
                        args: series,
                    })
                } else if let Some(p) = self.plugins.iter().find(|p| p.name == name.name) {
                    let mut series = Vec::new();
                    let mut params = p.defaults.clone();
                    for (i, a) in args.iter().enumerate() {
                        if i < p.inputs {
                            series.push(self.expr(a)?);
                        } else if let Some(slot) = params.get_mut(i - p.inputs) {
                            *slot = self
                                .constant(a)
                                .ok_or_else(|| CompileError::Unsupported(crate::fmt::expr(a)))?;
                        }
                    }
                    let plugin = self.graph.add(Node::Plugin {
                        name: name.name.clone(),
                        args: series,
                        params,
                    });
                    let sites = &mut self.graph.names.plugin_calls;
                    if !sites.iter().any(|(id, _)| *id == plugin)
                        && let Some((_, at)) = self
                            .plugin_calls
                            .iter()
                            .find(|(span, _)| *span == name.span())
                    {
                        sites.push((plugin, at.clone()));
                    }
                    if p.boolean {
                        // The plugin's column holds numbers (0.0 false, NaN
                        // unknown); `!= 0` makes it the condition the rest of
                        // the graph expects, with NaN staying unknown.
                        let zero = self.graph.add(Node::Const(0.0));
                        self.graph.add(Node::Binary(ast::BinOp::Ne, plugin, zero))
                    } else {
                        plugin
                    }
                } else {
                    return Err(CompileError::UnknownFunction(name.name.clone()));
                }
            }
        })
    }

    /// The leaves of a condition, each once, in reading order: calls (not
    /// their arguments), named signals, series and `within` windows, with
    /// their (shared) market nodes. Literals and params are not leaves.
    fn leaves(
        &mut self,
        e: &'a ast::Expr,
        out: &mut Vec<(String, NodeId)>,
    ) -> Result<(), CompileError> {
        match &e.kind {
            ExprKind::Lit(_) => {}
            ExprKind::Name(n) if self.params.contains_key(n.as_str()) => {}
            ExprKind::Paren(a) | ExprKind::Unary(_, a) => self.leaves(a, out)?,
            ExprKind::Binary(_, a, b) => {
                self.leaves(a, out)?;
                self.leaves(b, out)?;
            }
            ExprKind::Name(_) | ExprKind::Call { .. } | ExprKind::Within { .. } => {
                let text = crate::fmt::expr(e);
                if !out.iter().any(|(t, _)| *t == text) {
                    let id = self.expr(e)?;
                    out.push((text, id));
                }
            }
        }
        Ok(())
    }

    /// A literal or param's value.
    fn constant(&self, e: &ast::Expr) -> Option<f64> {
        match &e.kind {
            ExprKind::Lit(l) => literal_value(l),
            ExprKind::Unary(UnOp::Neg, a) => self.constant(a).map(|v| -v),
            ExprKind::Name(n) => self.params.get(n.as_str()).and_then(|l| literal_value(l)),
            ExprKind::Paren(a) => self.constant(a),
            _ => None,
        }
    }

    fn period(&self, e: &ast::Expr, func: &str) -> Result<i64, CompileError> {
        let v = self
            .constant(e)
            .ok_or_else(|| CompileError::BadPeriod(func.to_string()))?;
        if v.fract() == 0.0 && v >= 1.0 && v <= signals::MAX_PERIOD as f64 {
            Ok(v as i64)
        } else {
            Err(CompileError::BadPeriod(func.to_string()))
        }
    }
}

/// A literal's value in a signal expression: percentages and basis points as fractions.
fn literal_value(l: &Literal) -> Option<f64> {
    match l {
        Literal::Number(d) => Some(f64_of(*d)),
        Literal::Percent(d) => Some(f64_of(*d / Decimal::ONE_HUNDRED)),
        Literal::Bps(d) => Some(f64_of(*d / Decimal::from(10_000))),
        _ => None,
    }
}
