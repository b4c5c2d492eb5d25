//! What `benches/plugin.rs` and `examples/plugin_probe.rs` share: the real
//! VIX closes and the generated load-benchmark module. Included by path
//! (`#[path = ...] mod support;`); a folder without `main.rs`, so Cargo
//! does not take it for a benchmark of its own.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled VIX closes (data/vix-daily.csv), oldest first.
pub fn vix_closes() -> Vec<f64> {
    let mut rdr = csv::Reader::from_path(repo().join("data/vix-daily.csv")).unwrap();
    let ci = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "CLOSE")
        .unwrap();
    rdr.records()
        .map(|r| r.unwrap()[ci].parse::<f64>().unwrap())
        .collect()
}

/// A valid ABI-1 module: the `const_one` fixture plus `funcs` filler
/// functions, each with `loops` loops of loads, float arithmetic and a
/// branch. `big_module(380, 1)` is the ~48 KB module of the load benchmark;
/// other shapes of about the same size (`54, 10`) show what is per function
/// and what per operator.
pub fn big_module(funcs: usize, loops: usize) -> Vec<u8> {
    let fixture = std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let mut wat = fixture.trim_end().strip_suffix(')').unwrap().to_string();
    for i in 0..funcs {
        wat.push_str(&format!(
            "\n  (func $f{i} (param $p i32) (param $n i32) (result f64)\n    \
             (local $i i32) (local $acc f64) (local $x f64)"
        ));
        for k in 0..loops {
            if k > 0 {
                wat.push_str("\n    (local.set $i (i32.const 0))");
            }
            wat.push_str(&format!(
                r#"
    (block $done (loop $l
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $x (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $acc (f64.add (f64.mul (local.get $acc) (f64.const 0.{i}))
                               (f64.div (local.get $x) (f64.const {i}.5))))
      (if (f64.lt (local.get $x) (local.get $acc))
        (then (local.set $acc (f64.sub (local.get $acc) (local.get $x)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))"#
            ));
        }
        wat.push_str("\n    (local.get $acc))");
    }
    wat.push_str(")\n");
    wat::parse_str(&wat).unwrap()
}
