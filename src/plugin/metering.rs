//! Which compiler may meter a module's fuel.
//!
//! Fuel is what bounds a plugin's running time, so it must grow with the
//! work done. Some operators do work proportional to an operand: `memory.fill`,
//! `memory.copy` and `memory.init` write one byte per unit of length, the
//! table operators one element. Cranelift charges them one fuel unit per
//! byte or element on top of their flat cost (wasmtime's default
//! `VariableOperatorCost`). Winch, in wasmtime 48, charges only the flat
//! unit: a loop that fills 64 KiB per iteration runs for hours on the
//! default budget instead of stopping within a second, and the same plugin
//! uses different fuel on the two compilers. So a module with any of these
//! operators is compiled with Cranelift, whatever tier was asked for.
//!
//! Rust code built for `wasm32-unknown-unknown` uses `memory.copy` and
//! `memory.fill` for its `memcpy` and `memset` (bulk memory is on by default
//! since Rust 1.87), so most plugins written with `std` take this path.
//!
//! The flat costs matter too. wasmtime charges every operator one unit, but
//! the operators it carries out by calling into its runtime take 10 to 70
//! times as long as an ordinary instruction: an endless loop of `ref.func`
//! burned the default budget in 31–34 s, of `memory.grow 0` in 9 s, of
//! `table.grow 0` or `elem.drop` in 5 s, where a loop of plain instructions
//! takes 0.3–2 s. [`operator_costs`] charges them accordingly, on both
//! compilers.

use std::ops::Range;

use wasmtime::OperatorCost;
use wasmtime::wasmparser::{Operator, Parser, Payload};

/// What an operator carried out by a call into wasmtime's runtime costs.
pub const RUNTIME_CALL_COST: u8 = 32;

/// What `ref.func` costs: its call takes about twice as long as the others.
pub const REF_FUNC_COST: u8 = 64;

/// wasmtime's default fuel costs (one unit an operator, none for `nop`,
/// `drop` and structure; one a byte or element for the bulk operators),
/// with the operators that call into the runtime charged for their time, so
/// that no loop spends the default budget in more than about two seconds
/// (each `memory.grow` or `table.grow` that is refused ends the computation
/// or runs into its per-element cost, so neither can loop on failures).
pub(crate) fn operator_costs() -> OperatorCost {
    let mut cost = OperatorCost::new();
    for op in [
        &mut cost.MemoryGrow,
        &mut cost.MemoryFill,
        &mut cost.MemoryCopy,
        &mut cost.MemoryInit,
        &mut cost.DataDrop,
        &mut cost.TableGrow,
        &mut cost.TableFill,
        &mut cost.TableCopy,
        &mut cost.TableInit,
        &mut cost.ElemDrop,
    ] {
        *op = RUNTIME_CALL_COST;
    }
    cost.RefFunc = REF_FUNC_COST;
    cost
}

/// The operators whose fuel Winch under-charges (see the module docs).
fn has_variable_cost(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::MemoryFill { .. }
            | Operator::MemoryCopy { .. }
            | Operator::MemoryInit { .. }
            | Operator::TableFill { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. }
            | Operator::TableGrow { .. }
    )
}

/// Whether Winch, the baseline compiler, would meter `bytes` correctly: no
/// operator in its code has a cost that depends on an operand. When not, the
/// host compiles the module with Cranelift. A module that does not parse
/// answers `true`: compiling it reports the error properly.
pub fn winch_meters_fully(bytes: &[u8]) -> bool {
    // All these operators are encoded after a 0xFC prefix byte: code without
    // that byte (most numeric code) has none of them, and its operators need
    // no decoding. Checked for the whole code section, then per function.
    let has_prefix = |range: &Range<usize>| {
        bytes
            .get(range.clone())
            .is_some_and(|code| code.contains(&0xFC))
    };
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Err(_) => return true,
            Ok(Payload::CodeSectionStart { range, .. }) if !has_prefix(&range) => return true,
            Ok(Payload::CodeSectionEntry(body)) if has_prefix(&body.range()) => {
                let Ok(mut ops) = body.get_operators_reader() else {
                    return true;
                };
                while !ops.eof() {
                    match ops.read() {
                        Ok(op) if has_variable_cost(&op) => return false,
                        Ok(_) => {}
                        Err(_) => return true,
                    }
                }
            }
            Ok(_) => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::winch_meters_fully;

    #[allow(clippy::expect_used)]
    fn module(body: &str) -> Vec<u8> {
        wat::parse_str(format!(
            "(module (memory 1) (table 1 funcref) (func (param f64) (result f64) {body}))"
        ))
        .expect("the test's WAT parses")
    }

    #[test]
    fn numeric_code_is_metered_fully() {
        assert!(winch_meters_fully(&module(
            "(f64.add (local.get 0) (f64.const 1))"
        )));
    }

    #[test]
    fn a_0xfc_byte_is_not_an_operator() {
        // The constant's bytes hold 0xFC; so does the saturating truncation's
        // prefix, an operator with a flat cost. Both need decoding, and pass.
        let bytes = module(
            "(drop (i64.trunc_sat_f64_s (local.get 0))) (f64.mul (local.get 0) (f64.const -2.0e300))",
        );
        assert!(bytes.windows(2).any(|w| w == [0xFC, 0x06]));
        assert!(winch_meters_fully(&bytes));
    }

    #[test]
    fn bulk_memory_and_table_operators_are_not() {
        for op in [
            "(memory.fill (i32.const 0) (i32.const 0) (i32.const 8))",
            "(memory.copy (i32.const 0) (i32.const 8) (i32.const 8))",
            "(table.fill (i32.const 0) (ref.null func) (i32.const 1))",
            "(drop (table.grow (ref.null func) (i32.const 1)))",
        ] {
            assert!(
                !winch_meters_fully(&module(&format!("{op} (local.get 0)"))),
                "{op}"
            );
        }
    }

    #[test]
    fn what_does_not_parse_is_left_to_the_compiler() {
        assert!(winch_meters_fully(b"\0asm\x01\0\0\0\x0a\xff"));
        assert!(winch_meters_fully(b"junk"));
    }
}
