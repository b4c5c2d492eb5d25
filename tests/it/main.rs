//! vixshield's integration suite, one test binary.
//!
//! Every module was once its own `tests/*.rs` crate; each of those linked the
//! whole library (wasmtime included) into a binary of its own, which made the
//! suite slow to link and heavy on disk. Here they share one link.
//! Snapshots live in `tests/it/snapshots/`, data-driven cases in
//! `tests/cases/`, fixtures in `tests/fixtures/`.

// The crate's restriction lints are for library code: a test that cannot
// unwrap its own fixtures should fail loudly, which is what these do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod backtest;
mod bounds;
mod check_cases;
mod cli;
mod cli_output;
mod cli_signal;
mod decisions;
mod engine;
mod engine_guards;
mod engine_props;
mod fmt;
mod fuzz;
mod guards;
mod hostile;
mod input_files;
mod irr;
mod journal;
mod json_contract;
mod market_align;
mod market_errors;
mod market_load;
mod money;
mod plugin_cli;
mod plugin_disk_cache;
mod plugin_host;
mod plugin_new;
mod risk_exact;
mod risk_mc;
mod signal_expr;
mod signals_props;
mod signals_talib;
mod strategies;
mod sweep;
