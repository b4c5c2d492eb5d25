//! The rule graph: what a checked strategy compiles to.
//!
//! A flat table of [`Node`]s addressed by [`NodeId`]; each node names the
//! nodes it depends on. Two kinds of nodes:
//!
//! - **market nodes** (series, constants, built-in and plugin signals,
//!   operators, event windows) have one value per market bar and are
//!   computed once for the whole history ([`crate::eval::MarketValues`]);
//! - **decision nodes** (the engine's state as inputs, the ladder's size, the
//!   max loss, hedge budgets, the roll, guards, the decision) are evaluated
//!   for every event, reading market nodes at the event's bar.
//!
//! The compiler only ever refers to nodes it has already added, so index order
//! is a topological order; [`Graph::topo_order`] checks that and finds cycles
//! in graphs built any other way.

use crate::ast::BinOp;
use crate::signals::Builtin;
use std::fmt::Write as _;

/// A node's index in [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct NodeId(pub u32);

impl NodeId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An input the engine sets from its state before each evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// The declared initial capital.
    Capital,
    /// The equity after all prior trades.
    Equity,
    /// The step of the next trade.
    Step,
    /// The size traded at the step before (in a cycle).
    PrevSize,
    /// The credit of the trade being sized, when known.
    Credit,
    /// The realized profit of the last trade's hedge.
    HedgeProfit,
    /// The decision's date (the last trade's), at which the blackout guard
    /// reads the event calendar: not a market bar's, which may be days older.
    Date,
}

impl Input {
    fn name(self) -> &'static str {
        match self {
            Input::Capital => "capital",
            Input::Equity => "equity",
            Input::Step => "step",
            Input::PrevSize => "previous size",
            Input::Credit => "credit",
            Input::HedgeProfit => "hedge profit",
            Input::Date => "date",
        }
    }
}

/// One node of the graph.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// `capital`, `equity`, `step`, ...: the engine's state.
    Input(Input),
    /// `vix`: a market series.
    Series(String),
    /// `70`, `25%` (as 0.25).
    Const(f64),
    /// `rsi(vix, 14)`.
    Builtin {
        /// Which built-in.
        func: Builtin,
        /// Its period arguments.
        periods: Vec<i64>,
        /// Its series arguments.
        args: Vec<NodeId>,
    },
    /// `theta_decay(vix, vix3m)`: a wasm plugin signal.
    Plugin {
        /// The plugin's name.
        name: String,
        /// Its series arguments.
        args: Vec<NodeId>,
        /// Its params, in manifest order (those not given take their default).
        params: Vec<f64>,
    },
    /// `not a`.
    Not(NodeId),
    /// `-a`.
    Neg(NodeId),
    /// `a op b`: arithmetic, comparison, `and`, `or`, `crosses above/below`.
    Binary(BinOp, NodeId, NodeId),
    /// `within 1d of FOMC, CPI`.
    Within {
        /// Days before an event.
        days: u32,
        /// The event kinds.
        events: Vec<String>,
    },
    /// `signal name = ...`: a named signal, the value of another node.
    Signal {
        /// Its name.
        name: String,
        /// Its definition.
        value: NodeId,
    },
    /// The next trade's size: the ladder at the current step.
    Size {
        /// `step`.
        step: NodeId,
        /// `previous size`.
        prev: NodeId,
        /// `capital`.
        capital: NodeId,
        /// `equity`.
        equity: NodeId,
    },
    /// The next trade's max loss as a fraction of the credit.
    MaxLossPct {
        /// `step`.
        step: NodeId,
    },
    /// The max loss in money, when the credit is known.
    MaxLoss {
        /// The fraction.
        pct: NodeId,
        /// `credit`.
        credit: NodeId,
    },
    /// Whether a hedge layer's trigger fires (always, when it has none).
    Trigger {
        /// The layer, by index in the strategy.
        layer: usize,
        /// The condition, if any.
        condition: Option<NodeId>,
    },
    /// A hedge layer's budget: its allocation of the size when active.
    HedgeBudget {
        /// The layer, by index in the strategy.
        layer: usize,
        /// `step` (for activation).
        step: NodeId,
        /// The size.
        size: NodeId,
        /// The trigger.
        trigger: NodeId,
        /// The roll amount, when the strategy rolls: the first active
        /// layer receives it on top of its allocation (added when the
        /// decision is assembled, so the budget's own value leaves it out).
        roll: Option<NodeId>,
    },
    /// The roll coefficient: overrides (by priority) and the clamp applied.
    RollCoefficient {
        /// The overrides' conditions, in the order they are tried.
        conditions: Vec<NodeId>,
    },
    /// The rolled amount: realized hedge profit × coefficient.
    RollAmount {
        /// The coefficient.
        coefficient: NodeId,
        /// `hedge profit`.
        profit: NodeId,
    },
    /// One entry guard.
    Guard {
        /// The guard, by index in the strategy.
        index: usize,
        /// What it reads.
        deps: Vec<NodeId>,
    },
    /// The decision: everything above, together.
    Decision {
        /// What it gathers.
        deps: Vec<NodeId>,
    },
}

impl Node {
    /// The nodes this one depends on.
    pub fn deps(&self) -> Vec<NodeId> {
        match self {
            Node::Input(_) | Node::Series(_) | Node::Const(_) | Node::Within { .. } => Vec::new(),
            Node::Builtin { args, .. } | Node::Plugin { args, .. } => args.clone(),
            Node::Not(a) | Node::Neg(a) => vec![*a],
            Node::Binary(_, a, b) => vec![*a, *b],
            Node::Signal { value, .. } => vec![*value],
            Node::Size {
                step,
                prev,
                capital,
                equity,
            } => vec![*step, *prev, *capital, *equity],
            Node::MaxLossPct { step } => vec![*step],
            Node::MaxLoss { pct, credit } => vec![*pct, *credit],
            Node::Trigger { condition, .. } => condition.iter().copied().collect(),
            Node::HedgeBudget {
                step,
                size,
                trigger,
                roll,
                ..
            } => [*step, *size, *trigger].into_iter().chain(*roll).collect(),
            Node::RollCoefficient { conditions } => conditions.clone(),
            Node::RollAmount {
                coefficient,
                profit,
            } => vec![*coefficient, *profit],
            Node::Guard { deps, .. } | Node::Decision { deps } => deps.clone(),
        }
    }

    /// Whether the node has one value per market bar (else it is evaluated per event).
    pub fn is_market(&self) -> bool {
        matches!(
            self,
            Node::Series(_)
                | Node::Const(_)
                | Node::Builtin { .. }
                | Node::Plugin { .. }
                | Node::Not(_)
                | Node::Neg(_)
                | Node::Binary(..)
                | Node::Within { .. }
                | Node::Signal { .. }
        )
    }

    /// A short label: what the node computes.
    pub fn label(&self, names: &GraphNames) -> String {
        match self {
            Node::Input(i) => format!("input {}", i.name()),
            Node::Series(s) => format!("series {s}"),
            Node::Const(c) => format!("{c}"),
            Node::Builtin { func, periods, .. } => {
                let mut periods = periods.iter();
                let args: Vec<String> = func
                    .signature()
                    .params
                    .iter()
                    .map(|p| match p.kind {
                        crate::signals::ParamKind::Series => "·".to_string(),
                        crate::signals::ParamKind::Period { .. } => {
                            periods.next().map_or("?".to_string(), |v| v.to_string())
                        }
                    })
                    .collect();
                format!("{}({})", func.name(), args.join(", "))
            }
            Node::Plugin { name, args, params } => {
                let p: Vec<String> = std::iter::repeat_n("·".to_string(), args.len())
                    .chain(params.iter().map(|p| p.to_string()))
                    .collect();
                format!("plugin {name}({})", p.join(", "))
            }
            Node::Not(_) => "not".into(),
            Node::Neg(_) => "-".into(),
            Node::Binary(op, ..) => op.symbol().into(),
            Node::Within { days, events } => format!("within {days}d of {}", events.join(", ")),
            Node::Signal { name, .. } => format!("signal {name}"),
            Node::Size { .. } => "size (ladder)".into(),
            Node::MaxLossPct { .. } => "max loss % of credit".into(),
            Node::MaxLoss { .. } => "max loss $".into(),
            Node::Trigger { layer, condition } => format!(
                "trigger of hedge {}{}",
                names.layer(*layer),
                if condition.is_none() { " (always)" } else { "" }
            ),
            Node::HedgeBudget { layer, .. } => format!("budget of hedge {}", names.layer(*layer)),
            Node::RollCoefficient { .. } => "roll coefficient".into(),
            Node::RollAmount { .. } => "roll amount".into(),
            Node::Guard { index, .. } => format!("guard {}", names.guard(*index)),
            Node::Decision { .. } => "decision".into(),
        }
    }
}

/// Names the graph's labels use: hedge layers and guards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphNames {
    /// Hedge layer names, by index.
    pub layers: Vec<String>,
    /// Guard descriptions, by index.
    pub guards: Vec<String>,
    /// Where the file calls each plugin node, `file:line:col` (the first
    /// of the calls that share the node), from
    /// [`Strategy::plugin_calls`](crate::model::Strategy::plugin_calls).
    pub plugin_calls: Vec<(NodeId, String)>,
}

impl GraphNames {
    fn layer(&self, i: usize) -> &str {
        self.layers.get(i).map_or("?", String::as_str)
    }
    fn guard(&self, i: usize) -> &str {
        self.guards.get(i).map_or("?", String::as_str)
    }
}

/// A cycle among nodes: the nodes on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the rule graph has a cycle through nodes {0:?}")]
pub struct CycleError(pub Vec<NodeId>);

/// The compiled strategy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    /// The nodes; a node only depends on nodes before it when built by the compiler.
    pub nodes: Vec<Node>,
    /// Names for labels.
    pub names: GraphNames,
    /// The decision node.
    pub decision: Option<NodeId>,
    /// The market nodes [`Graph::add`] has added, by a hash of their
    /// contents, so that sharing one costs a look-up, not a scan of every
    /// node (a file of 40,000 signals compiled in 20 s with the scan).
    shared: SharedIndex,
}

/// Market nodes by [`node_hash`]. Only a cache: it never decides equality
/// (candidates are compared with [`same_market_node`]), and it takes no
/// part in comparing or printing graphs.
#[derive(Clone, Default)]
struct SharedIndex(std::collections::HashMap<u64, Vec<NodeId>>);

impl PartialEq for SharedIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for SharedIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("..")
    }
}

/// Whether [`Graph::add`] may share `old` for `new`: the nodes are equal
/// with their `f64` constants and params compared bit for bit. `==` would
/// take `0.0` for `-0.0`, which a plugin can tell apart (`copysign`), and
/// never share a NaN. Consistent with [`node_hash`]: nodes shared hash alike.
fn same_market_node(old: &Node, new: &Node) -> bool {
    fn bits(xs: &[f64]) -> impl Iterator<Item = u64> + '_ {
        xs.iter().map(|x| x.to_bits())
    }
    match (old, new) {
        (Node::Const(a), Node::Const(b)) => a.to_bits() == b.to_bits(),
        (
            Node::Plugin { name, args, params },
            Node::Plugin {
                name: name2,
                args: args2,
                params: params2,
            },
        ) => name == name2 && args == args2 && bits(params).eq(bits(params2)),
        // No other market node holds an `f64`.
        _ => old == new,
    }
}

/// A hash of a node consistent with [`same_market_node`]: nodes it shares
/// hash alike (`f64`s hashed by their bits, so `0.0` and `-0.0` differ).
fn node_hash(node: &Node) -> u64 {
    use std::hash::{Hash, Hasher};
    fn float(x: f64, h: &mut impl Hasher) {
        x.to_bits().hash(h);
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::mem::discriminant(node).hash(&mut h);
    match node {
        Node::Series(name) => name.hash(&mut h),
        Node::Const(x) => float(*x, &mut h),
        Node::Builtin {
            func,
            periods,
            args,
        } => {
            func.hash(&mut h);
            periods.hash(&mut h);
            args.hash(&mut h);
        }
        Node::Plugin { name, args, params } => {
            name.hash(&mut h);
            args.hash(&mut h);
            for p in params {
                float(*p, &mut h);
            }
        }
        Node::Not(a) | Node::Neg(a) => a.hash(&mut h),
        Node::Binary(op, a, b) => {
            op.hash(&mut h);
            a.hash(&mut h);
            b.hash(&mut h);
        }
        Node::Within { days, events } => {
            days.hash(&mut h);
            events.hash(&mut h);
        }
        Node::Signal { name, value } => {
            name.hash(&mut h);
            value.hash(&mut h);
        }
        // Not market nodes: never shared, never looked up.
        _ => {}
    }
    h.finish()
}

impl Graph {
    /// Adds a node, returning its id (an identical market node is shared;
    /// its `f64` constants and params must be identical to the bit).
    pub fn add(&mut self, node: Node) -> NodeId {
        if !node.is_market() {
            self.nodes.push(node);
            return NodeId((self.nodes.len() - 1) as u32);
        }
        let hash = node_hash(&node);
        let candidates = self.shared.0.entry(hash).or_default();
        if let Some(&id) = candidates.iter().find(|id| {
            self.nodes
                .get(id.index())
                .is_some_and(|old| same_market_node(old, &node))
        }) {
            return id;
        }
        self.nodes.push(node);
        let id = NodeId((self.nodes.len() - 1) as u32);
        candidates.push(id);
        id
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    /// A topological order of the nodes (dependencies first), or the nodes on a cycle.
    pub fn topo_order(&self) -> Result<Vec<NodeId>, CycleError> {
        let n = self.nodes.len();
        let mut indegree = vec![0usize; n];
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in self.nodes.iter().enumerate() {
            for d in node.deps() {
                if d.index() < n {
                    indegree[i] += 1;
                    users[d.index()].push(i);
                }
            }
        }
        let mut ready: std::collections::VecDeque<usize> =
            (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop_front() {
            order.push(NodeId(i as u32));
            for &u in &users[i] {
                indegree[u] -= 1;
                if indegree[u] == 0 {
                    ready.push_back(u);
                }
            }
        }
        if order.len() == n {
            Ok(order)
        } else {
            Err(CycleError(
                (0..n)
                    .filter(|&i| indegree[i] > 0)
                    .map(|i| NodeId(i as u32))
                    .collect(),
            ))
        }
    }

    /// The graph as text: one node a line, `#id label <- deps`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let kind = if node.is_market() { "market" } else { "decide" };
            let deps: Vec<String> = node.deps().iter().map(|d| format!("#{}", d.0)).collect();
            let _ = write!(out, "#{i:<3} {kind}  {}", node.label(&self.names));
            if !deps.is_empty() {
                let _ = write!(out, "  <- {}", deps.join(", "));
            }
            out.push('\n');
        }
        out
    }

    /// The graph as JSON: `{"nodes": [{"id", "kind", "label", "deps"}],
    /// "decision"}`, nodes in the order of [`Graph::to_text`] (every node
    /// after what it depends on), `kind` `market` (one value a bar) or
    /// `decide` (evaluated a decision at a time).
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct NodeView {
            id: usize,
            kind: &'static str,
            label: String,
            deps: Vec<u32>,
        }
        #[derive(serde::Serialize)]
        struct GraphView {
            nodes: Vec<NodeView>,
            decision: Option<u32>,
        }
        let view = GraphView {
            nodes: self
                .nodes
                .iter()
                .enumerate()
                .map(|(id, node)| NodeView {
                    id,
                    kind: if node.is_market() { "market" } else { "decide" },
                    label: node.label(&self.names),
                    deps: node.deps().iter().map(|d| d.0).collect(),
                })
                .collect(),
            decision: self.decision.map(|d| d.0),
        };
        let mut out = serde_json::to_string_pretty(&view).unwrap_or_default();
        out.push('\n');
        out
    }

    /// The graph in Graphviz's dot language.
    pub fn to_dot(&self) -> String {
        let mut out =
            String::from("digraph strategy {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let shape = match node {
                Node::Input(_) | Node::Series(_) => "invhouse",
                Node::Decision { .. } => "doubleoctagon",
                Node::Guard { .. } => "octagon",
                n if n.is_market() => "ellipse",
                _ => "box",
            };
            let label = node
                .label(&self.names)
                .replace('\\', "\\\\")
                .replace('"', "\\\"");
            let _ = writeln!(out, "  n{i} [label=\"{label}\", shape={shape}];");
        }
        for (i, node) in self.nodes.iter().enumerate() {
            // An operation's operands in order, numbered from 1 (`<` read
            // `vix < ema` and `ema < vix` alike); other nodes' inputs have
            // no order to show.
            let ordered = matches!(
                node,
                Node::Binary(..) | Node::Builtin { .. } | Node::Plugin { .. }
            ) && node.deps().len() > 1;
            for (k, d) in node.deps().iter().enumerate() {
                if ordered {
                    let _ = writeln!(out, "  n{} -> n{i} [label=\"{}\"];", d.0, k + 1);
                } else {
                    let _ = writeln!(out, "  n{} -> n{i};", d.0);
                }
            }
        }
        out.push_str("}\n");
        out
    }
}
