//! vixshield: a rules engine and strategy language for sizing SPX iron condors
//! with a capped modified martingale and an adaptive layered VIX hedge.
//!
//! The pipeline, one module per step:
//! grammar → [`parse`] → [`ast`] → [`check`] → compile (rule graph) → eval → cli.

pub mod ast;
pub mod backtest;
pub mod check;
pub mod cli;
pub mod compile;
pub mod decision;
pub mod diag;
pub mod eval;
pub mod fmt;
pub mod graph;
pub mod guards;
pub mod input;
pub mod irr;
pub mod journal;
pub mod ladder;
pub mod market;
pub mod model;
pub mod money;
pub mod parse;
pub mod plugin;
pub mod risk;
pub mod signals;
pub mod source;
pub mod summary;
pub mod sweep;
