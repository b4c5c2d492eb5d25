//! vixshield: a rules engine and strategy language for sizing SPX iron condors
//! with a capped modified martingale and an adaptive layered VIX hedge.
//!
//! The pipeline, one module per step:
//! grammar → [`parse`] → [`ast`] → [`check`] → compile (rule graph) → eval → cli.

pub mod market;
pub mod plugin;
pub mod signals;
