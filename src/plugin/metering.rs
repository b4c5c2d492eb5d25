//! How fuel meters a plugin's work.
//!
//! Fuel is what bounds a plugin's running time, so it must grow with the
//! work done. Some operators do work proportional to an operand: `memory.fill`,
//! `memory.copy` and `memory.init` write one byte per unit of length, the
//! table operators one element. Cranelift charges them one fuel unit per
//! byte or element on top of their flat cost (wasmtime's default
//! `VariableOperatorCost`). Winch, in wasmtime 48, charges only the flat
//! cost: a loop that fills 64 KiB per iteration would run for hours on the
//! default budget instead of stopping within a second, and the same plugin
//! would use different fuel on the two compilers.
//!
//! Rust code built for `wasm32-unknown-unknown` uses `memory.copy` and
//! `memory.fill` for its `memcpy` and `memset` (bulk memory is on by default
//! since Rust 1.87), so most plugins written with `std` have them. The host
//! meters those two itself, the same way for both compilers:
//! `meter_bulk_memory` routes each through a small function it appends to
//! the module, which runs a counting loop of one iteration per
//! [`BULK_BLOCK_BYTES`] bytes before the operator, and both engines charge
//! nothing per byte for them (only their flat cost). Such a module compiles
//! with Winch like any other, and uses the same fuel on both compilers.
//! The rarer operators (`memory.init`, the table operators) keep wasmtime's
//! per-byte charge, so a module with any of them is compiled with Cranelift,
//! whatever tier was asked for ([`winch_meters_fully`]).
//!
//! The flat costs matter too. wasmtime charges every operator one unit, but
//! the operators it carries out by calling into its runtime take 10 to 70
//! times as long as an ordinary instruction: an endless loop of `ref.func`
//! burned the default budget in 31–34 s, of `memory.grow 0` in 9 s, of
//! `table.grow 0` or `elem.drop` in 5 s, where a loop of plain instructions
//! takes 0.3–2 s. [`operator_costs`] charges them accordingly, on both
//! compilers, and charges `br` two units (see [`BRANCH_COST`]), so that no
//! loop measured spends the default budget in more than about 1.1 s.

use std::ops::Range;

use wasm_encoder::{BlockType, CodeSection, Function, FunctionSection, RawSection, ValType};
use wasmtime::OperatorCost;
use wasmtime::wasmparser::{BinaryReader, Operator, Parser, Payload};

/// What an operator carried out by a call into wasmtime's runtime costs.
pub const RUNTIME_CALL_COST: u8 = 32;

/// What `ref.func` costs: its call takes about twice as long as the others.
pub const REF_FUNC_COST: u8 = 64;

/// What an unconditional `br` costs, so that every loop iteration costs at
/// least two units (`br_if` and `br_table` need an operand, one unit more):
/// the fuel check each iteration makes takes about as long as two
/// instructions on Winch. At one unit, `(loop (br 0))` spent the default
/// budget in 1.9–2.1 s on Winch; at two, 1.1 s.
pub const BRANCH_COST: u8 = 2;

/// wasmtime's default fuel costs (one unit an operator, none for `nop`,
/// `drop` and structure; one a byte or element for `memory.init` and the
/// table operators; `memory.copy` and `memory.fill` are charged by the
/// host's own loop, see `meter_bulk_memory`),
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
    cost.Br = BRANCH_COST;
    // Metered by the counting loop of `meter_bulk_memory` instead.
    cost.variable.memory_copy_per_byte = 0;
    cost.variable.memory_fill_per_byte = 0;
    cost
}

/// The operators whose fuel Winch under-charges (see the module docs).
fn has_variable_cost(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::MemoryInit { .. }
            | Operator::TableFill { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. }
            | Operator::TableGrow { .. }
    )
}

/// Whether Winch, the baseline compiler, would meter `bytes` correctly: no
/// operator in its code has a per-byte or per-element cost (once
/// `meter_bulk_memory` has taken care of `memory.copy` and `memory.fill`).
/// When not, the host compiles the module with Cranelift. A module that does
/// not parse answers `true`: compiling it reports the error properly.
pub fn winch_meters_fully(bytes: &[u8]) -> bool {
    scan(bytes).is_none_or(|scan| !scan.per_element)
}

/// How many `memory.copy` and `memory.fill` operators of `bytes` the host
/// meters itself (`meter_bulk_memory`); 0 for a module that does not
/// parse.
pub fn host_metered_operators(bytes: &[u8]) -> usize {
    scan(bytes).map_or(0, |scan| {
        scan.bodies.iter().map(|body| body.sites.len()).sum()
    })
}

/// A function whose declared locals the host charges fuel for at each call
/// (`meter_bulk_memory` starts it with a call to its counting loop), as
/// [`host_charged_locals`] lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct LocalCharge {
    /// Its index among the module's functions.
    pub function: u32,
    /// The name it is exported under, if it is.
    pub export: Option<String>,
    /// The bytes its declared locals take (parameters apart).
    pub local_bytes: u64,
    /// The fuel units its locals cost at each call: [`BULK_BLOCK_COST`] per
    /// whole [`LOCAL_BLOCK_BYTES`] beyond [`FREE_LOCAL_BYTES`] (the counting
    /// loop's iterations; the call into it costs a few units more).
    pub fuel_per_call: u64,
}

/// The functions of `bytes` whose locals the host charges fuel for at each
/// call, in module order: those whose locals take at least
/// [`FREE_LOCAL_BYTES`] + [`LOCAL_BLOCK_BYTES`] bytes, in a module the host
/// rewrites (none for a module that imports anything, which is refused, or
/// does not parse).
pub fn host_charged_locals(bytes: &[u8]) -> Vec<LocalCharge> {
    let Some(scan) = scan(bytes).filter(|scan| !scan.imports) else {
        return Vec::new();
    };
    let mut exports = std::collections::HashMap::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::ExportSection(section)) => {
                for export in section.into_iter().flatten() {
                    if export.kind == wasmtime::wasmparser::ExternalKind::Func {
                        exports.entry(export.index).or_insert(export.name);
                    }
                }
                break;
            }
            Ok(Payload::CodeSectionStart { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    (0_u32..)
        .zip(&scan.bodies)
        .filter(|(_, body)| body.local_blocks > 0)
        .map(|(function, body)| LocalCharge {
            function,
            export: exports.get(&function).map(|name| (*name).to_string()),
            local_bytes: body.local_bytes,
            fuel_per_call: u64::from(body.local_blocks) * BULK_BLOCK_COST,
        })
        .collect()
}

/// What [`scan`] finds of a module's code in one pass.
#[derive(Default)]
struct Scan {
    /// How many types the module declares (counting each type of a
    /// recursion group), if it has a type section.
    types: Option<u32>,
    /// How many functions it defines.
    funcs: u32,
    /// It imports something.
    imports: bool,
    /// Each function body.
    bodies: Vec<Body>,
    /// Some operator keeps a per-byte or per-element cost (see
    /// [`has_variable_cost`]).
    per_element: bool,
}

/// Whether `code` may hold a bulk memory or table operator: they are all
/// encoded as 0xFC and a LEB128 sub-opcode, 8 to 17. A byte after 0xFC with
/// its high bit set may be an over-long encoding of one of them (which
/// wasmparser accepts), so it needs decoding too. Most code has no such pair
/// (0xFC is more often part of a constant, or a saturating truncation).
fn may_have_bulk(code: &[u8]) -> bool {
    code.windows(2)
        .any(|w| w[0] == 0xFC && (matches!(w[1], 0x08..=0x11) || w[1] & 0x80 != 0))
}

/// Read `bytes` for what metering needs to know, decoding only the function
/// bodies that [may have](may_have_bulk) a bulk operator. `None` when it does
/// not parse.
fn scan(bytes: &[u8]) -> Option<Scan> {
    let mut scan = Scan::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            Payload::ImportSection(imports) => scan.imports |= imports.count() > 0,
            Payload::TypeSection(section) => {
                // Types, not recursion groups (a group may hold several).
                let mut types = 0_u32;
                for group in section {
                    let len = u32::try_from(group.ok()?.types().len()).ok()?;
                    types = types.checked_add(len)?;
                }
                scan.types = Some(types);
            }
            Payload::FunctionSection(section) => scan.funcs = section.count(),
            Payload::CodeSectionEntry(body) => {
                let mut locals = body.get_locals_reader().ok()?;
                let mut local_bytes = 0_u64;
                for _ in 0..locals.get_count() {
                    let (count, ty) = locals.read().ok()?;
                    local_bytes = local_bytes.saturating_add(u64::from(count) * local_size(ty));
                }
                let code_start = locals.original_position();
                let mut sites = Vec::new();
                if may_have_bulk(bytes.get(body.range())?) {
                    let mut ops = body.get_operators_reader().ok()?;
                    while !ops.eof() {
                        let (op, start) = ops.read_with_offset().ok()?;
                        let fill = match op {
                            Operator::MemoryFill { .. } => true,
                            Operator::MemoryCopy { .. } => false,
                            op => {
                                scan.per_element |= has_variable_cost(&op);
                                continue;
                            }
                        };
                        let at = start..ops.original_position();
                        sites.push(BulkSite { at, fill });
                    }
                }
                scan.bodies.push(Body {
                    range: body.range(),
                    code_start,
                    local_bytes,
                    local_blocks: local_blocks(local_bytes),
                    sites,
                });
            }
            _ => {}
        }
    }
    Some(scan)
}

/// How many bytes of a `memory.copy` or `memory.fill` cost
/// [`BULK_BLOCK_COST`] fuel units: one iteration of the counting loop that
/// `meter_bulk_memory` runs before the operator.
pub const BULK_BLOCK_BYTES: u32 = 64;

/// The fuel one iteration of that loop costs: its five operators.
pub const BULK_BLOCK_COST: u64 = 5;

/// What routing one `memory.copy` or `memory.fill` through its helper costs
/// beyond the operator's own flat cost, whatever its length: the call (two
/// units, as every call in wasmtime's accounting), the loop's set-up (five
/// operators) and the three `local.get`s of the operands.
pub const BULK_CALL_COST: u64 = 10;

/// `log2(BULK_BLOCK_BYTES)`.
const BULK_BLOCK_SHIFT: i32 = 6;
const _: () = assert!(1 << BULK_BLOCK_SHIFT == BULK_BLOCK_BYTES);

/// The locals a function may declare without being charged for them, in
/// bytes (16 of type i64 or f64, 32 of type i32 or f32); only whole
/// [`LOCAL_BLOCK_BYTES`] beyond are charged, so a function with less than
/// 144 bytes (17 i64s) is left alone.
pub const FREE_LOCAL_BYTES: u64 = 128;

/// How many bytes of locals beyond [`FREE_LOCAL_BYTES`] cost
/// [`BULK_BLOCK_COST`] fuel units at each call: one iteration of the
/// counting loop `meter_bulk_memory` puts at the start of the function.
///
/// The baseline compiler zeroes every declared local with a store of its
/// own each time the function is entered, which no fuel paid for: a loop
/// calling a function of 49,990 i64 locals spent 10 million units in 26.6 s
/// (a call costs a few units, its 50,000 stores about 12 µs), so the default
/// budget would have lasted 44 minutes. Charged, it runs out in about 0.6 s.
pub const LOCAL_BLOCK_BYTES: u64 = 16;

/// The bytes a local of type `ty` takes in a frame.
fn local_size(ty: wasmtime::wasmparser::ValType) -> u64 {
    use wasmtime::wasmparser::ValType;
    match ty {
        ValType::I32 | ValType::F32 => 4,
        ValType::I64 | ValType::F64 | ValType::Ref(_) => 8,
        ValType::V128 => 16,
    }
}

/// The counting loop's iterations for `bytes` of declared locals.
fn local_blocks(bytes: u64) -> u32 {
    u32::try_from(bytes.saturating_sub(FREE_LOCAL_BYTES) / LOCAL_BLOCK_BYTES).unwrap_or(u32::MAX)
}

/// One function body of a module.
struct Body {
    /// Its bytes (locals and code).
    range: Range<usize>,
    /// Where its code starts, after the locals.
    code_start: usize,
    /// The bytes its declared locals take.
    local_bytes: u64,
    /// Iterations of the counting loop that pays for its locals.
    local_blocks: u32,
    /// Its `memory.copy` and `memory.fill` operators.
    sites: Vec<BulkSite>,
}

/// A `memory.copy` or `memory.fill` at `at` (its bytes in the module).
struct BulkSite {
    at: Range<usize>,
    fill: bool,
}

/// A module as the host compiles it (`meter_bulk_memory`).
pub(crate) struct Metering {
    /// The module with its `memory.copy` and `memory.fill` metered; `None`
    /// when it is to be compiled as it is.
    pub module: Option<Vec<u8>>,
    /// Whether Winch meters the module correctly ([`winch_meters_fully`]).
    pub winch_meters_fully: bool,
}

/// `bytes` with every `memory.copy` and `memory.fill` replaced by a call to
/// a function appended to the module, which charges fuel for the length and
/// then runs the operator:
///
/// ```wat
/// (func $metered_copy (param $dst i32) (param $src i32) (param $len i32)
///   (local $blocks i32)
///   (if (local.tee $blocks (i32.shr_u (local.get $len) (i32.const 6)))
///     (then (loop $count
///       (br_if $count (local.tee $blocks (i32.sub (local.get $blocks) (i32.const 1)))))))
///   (memory.copy (local.get $dst) (local.get $src) (local.get $len)))
/// ```
///
/// A call has the operator's type, so a valid module stays valid, and
/// values and traps are unchanged (an out-of-bounds length still traps in
/// the operator, after the loop); nothing else moves: the functions are
/// appended after the existing ones and their type after the existing
/// types, so no index in the module changes. An invalid file can become
/// valid, though (one that refers to a function just past its last), so
/// the host validates the file as it is, too. Nothing is rewritten in a
/// module without these operators, one that imports anything (it is
/// refused before it runs) or one that does not parse (validating it
/// reports the error at its own offsets).
///
/// `None` when the module has these operators but cannot be rewritten (it
/// parses but is invalid, say a function of a type it does not declare):
/// neither compiler charges their bytes, so it must not run.
pub(crate) fn meter_bulk_memory(bytes: &[u8]) -> Option<Metering> {
    let Some(scan) = scan(bytes) else {
        return Some(Metering {
            module: None,
            winch_meters_fully: true,
        });
    };
    let rewrite = !scan.imports
        && scan
            .bodies
            .iter()
            .any(|body| !body.sites.is_empty() || body.local_blocks > 0);
    let module = if rewrite {
        Some(rewrite_bulk(bytes, &scan)?)
    } else {
        None
    };
    Some(Metering {
        module,
        winch_meters_fully: !scan.per_element,
    })
}

/// The rewriting of `meter_bulk_memory`; `None` if the module turns out
/// not to parse after all.
fn rewrite_bulk(bytes: &[u8], scan: &Scan) -> Option<Vec<u8>> {
    let bodies = &scan.bodies;
    // Both helpers take three i32s and return nothing; the one that pays
    // for locals, appended only when a function needs it, takes one.
    let helper_type = scan.types?;
    let (copy_fn, fill_fn) = (scan.funcs, scan.funcs.checked_add(1)?);
    let charge = bodies.iter().any(|body| body.local_blocks > 0);
    let (charge_type, charge_fn) = (helper_type.checked_add(1)?, scan.funcs.checked_add(2)?);

    let mut out = wasm_encoder::Module::new();
    let mut sections = BinaryReader::new(bytes, 0);
    sections.read_bytes(8).ok()?; // magic and version: `Module::new` wrote them
    while !sections.eof() {
        let id = sections.read_u8().ok()?;
        let size = usize::try_from(sections.read_var_u32().ok()?).ok()?;
        let start = sections.original_position();
        let data = sections.read_bytes(size).ok()?;
        match id {
            TYPE_SECTION => {
                let mut entries = BinaryReader::new(data, start);
                let count = entries.read_var_u32().ok()?;
                let mut data = Vec::with_capacity(size + 8);
                let added = if charge { 2 } else { 1 };
                wasm_encoder::Encode::encode(&count.checked_add(added)?, &mut data);
                data.extend_from_slice(entries.read_bytes(entries.bytes_remaining()).ok()?);
                data.extend_from_slice(&HELPER_TYPE);
                if charge {
                    data.extend_from_slice(&CHARGE_TYPE);
                }
                out.section(&RawSection { id, data: &data });
            }
            FUNCTION_SECTION => {
                let mut section = FunctionSection::new();
                let reader = wasmtime::wasmparser::FunctionSectionReader::new(BinaryReader::new(
                    data, start,
                ))
                .ok()?;
                for ty in reader {
                    section.function(ty.ok()?);
                }
                section.function(helper_type).function(helper_type);
                if charge {
                    section.function(charge_type);
                }
                out.section(&section);
            }
            CODE_SECTION => {
                let mut code = CodeSection::new();
                for Body {
                    range,
                    code_start,
                    local_blocks,
                    sites,
                    ..
                } in bodies
                {
                    let mut body = Vec::with_capacity(range.len() + sites.len() * 2 + 8);
                    let mut from = range.start;
                    if *local_blocks > 0 {
                        // The locals, then `(call $charge (i32.const blocks))`.
                        body.extend_from_slice(bytes.get(from..*code_start)?);
                        body.push(I32_CONST);
                        wasm_encoder::Encode::encode(&local_blocks.cast_signed(), &mut body);
                        body.push(CALL);
                        wasm_encoder::Encode::encode(&charge_fn, &mut body);
                        from = *code_start;
                    }
                    for site in sites {
                        body.extend_from_slice(bytes.get(from..site.at.start)?);
                        body.push(CALL);
                        let callee = if site.fill { fill_fn } else { copy_fn };
                        wasm_encoder::Encode::encode(&callee, &mut body);
                        from = site.at.end;
                    }
                    body.extend_from_slice(bytes.get(from..range.end)?);
                    code.raw(&body);
                }
                code.function(&metered_helper(false));
                code.function(&metered_helper(true));
                if charge {
                    code.function(&charge_helper());
                }
                out.section(&code);
            }
            _ => {
                out.section(&RawSection { id, data });
            }
        }
    }
    Some(out.finish())
}

/// `(func (param i32 i32 i32))` in the binary format: the function type
/// tag, three parameters of type i32 (0x7F), no results.
const HELPER_TYPE: [u8; 6] = [0x60, 3, 0x7F, 0x7F, 0x7F, 0];
/// `(func (param i32))`: the type of the helper that pays for locals.
const CHARGE_TYPE: [u8; 4] = [0x60, 1, 0x7F, 0];
const TYPE_SECTION: u8 = 1;
const FUNCTION_SECTION: u8 = 3;
const CODE_SECTION: u8 = 10;
/// The `call` opcode.
const CALL: u8 = 0x10;
/// The `i32.const` opcode.
const I32_CONST: u8 = 0x41;

/// The helper called at the start of a function with more than
/// [`FREE_LOCAL_BYTES`] of locals, with the number of [`LOCAL_BLOCK_BYTES`]
/// blocks beyond them (at least 1): a counting loop of that many iterations,
/// [`BULK_BLOCK_COST`] fuel units each.
///
/// ```wat
/// (func $charge (param $blocks i32)
///   (loop $count
///     (br_if $count (local.tee $blocks (i32.sub (local.get $blocks) (i32.const 1))))))
/// ```
fn charge_helper() -> Function {
    let mut f = Function::new([]);
    f.instructions()
        .loop_(BlockType::Empty)
        .local_get(0)
        .i32_const(1)
        .i32_sub()
        .local_tee(0)
        .br_if(0)
        .end()
        .end();
    f
}

/// The helper `meter_bulk_memory` calls in place of `memory.copy` or, with
/// `fill`, `memory.fill`.
fn metered_helper(fill: bool) -> Function {
    let blocks = 3;
    let mut f = Function::new([(1, ValType::I32)]);
    let mut sink = f.instructions();
    sink.local_get(2)
        .i32_const(BULK_BLOCK_SHIFT)
        .i32_shr_u()
        .local_tee(blocks)
        .if_(BlockType::Empty)
        .loop_(BlockType::Empty)
        .local_get(blocks)
        .i32_const(1)
        .i32_sub()
        .local_tee(blocks)
        .br_if(0)
        .end()
        .end()
        .local_get(0)
        .local_get(1)
        .local_get(2);
    if fill {
        sink.memory_fill(0);
    } else {
        sink.memory_copy(0, 0);
    }
    sink.end();
    f
}

#[cfg(test)]
mod tests {
    use super::{
        BULK_BLOCK_COST, FREE_LOCAL_BYTES, LOCAL_BLOCK_BYTES, LocalCharge, Operator, Parser,
        Payload, host_charged_locals, host_metered_operators, meter_bulk_memory,
        winch_meters_fully,
    };

    #[allow(clippy::expect_used)]
    fn module(body: &str) -> Vec<u8> {
        wat::parse_str(format!(
            "(module (memory 1) (table 1 funcref) (data $d \"x\") (func (param f64) (result f64) {body}))"
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
    fn table_operators_and_memory_init_are_not() {
        for op in [
            "(table.fill (i32.const 0) (ref.null func) (i32.const 1))",
            "(drop (table.grow (ref.null func) (i32.const 1)))",
            "(memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))",
        ] {
            assert!(
                !winch_meters_fully(&module(&format!("{op} (local.get 0)"))),
                "{op}"
            );
        }
    }

    #[test]
    fn copy_and_fill_are_metered_by_the_host_instead() {
        for op in [
            "(memory.fill (i32.const 0) (i32.const 0) (i32.const 8))",
            "(memory.copy (i32.const 0) (i32.const 8) (i32.const 8))",
        ] {
            let bytes = module(&format!("{op} (local.get 0)"));
            assert!(winch_meters_fully(&bytes), "{op}");
            assert_eq!(host_metered_operators(&bytes), 1, "{op}");
            assert!(
                meter_bulk_memory(&bytes).and_then(|m| m.module).is_some(),
                "{op}"
            );
        }
    }

    /// `bytes` rewritten by `meter_bulk_memory`, checked to be valid.
    #[allow(clippy::expect_used)]
    fn rewritten_and_valid(bytes: &[u8]) -> Vec<u8> {
        let metered = meter_bulk_memory(bytes)
            .and_then(|m| m.module)
            .expect("rewritten");
        let mut validator = wasmtime::wasmparser::Validator::new();
        validator.validate_all(&metered).expect("still valid");
        metered
    }

    /// Every `memory.copy`/`memory.fill` of a function, in order: `true` for a
    /// fill; and every function it calls.
    #[allow(clippy::expect_used)]
    fn bulk_ops_and_calls(bytes: &[u8]) -> Vec<(Vec<bool>, Vec<u32>)> {
        let mut funcs = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            if let Payload::CodeSectionEntry(body) = payload.expect("parses") {
                let (mut bulk, mut calls) = (Vec::new(), Vec::new());
                let mut ops = body.get_operators_reader().expect("parses");
                while !ops.eof() {
                    match ops.read().expect("parses") {
                        Operator::MemoryFill { .. } => bulk.push(true),
                        Operator::MemoryCopy { .. } => bulk.push(false),
                        Operator::Call { function_index } => calls.push(function_index),
                        _ => {}
                    }
                }
                funcs.push((bulk, calls));
            }
        }
        funcs
    }

    #[test]
    #[allow(clippy::expect_used)]
    fn bulk_operators_become_calls_to_two_appended_functions() {
        let bytes = wat::parse_str(
            r#"(module
                (type $unused (func (param f32)))
                (memory (export "memory") 1)
                (func $a (export "a") (param i32)
                  (memory.copy (local.get 0) (i32.const 0) (i32.const 64))
                  (call $b (i32.const 1))
                  (memory.fill (local.get 0) (i32.const 7) (i32.const 100))
                  (memory.copy (i32.const 9) (local.get 0) (i32.const 3)))
                (func $b (param i32) (drop (i32.trunc_sat_f64_s (f64.const 1))))
                (@custom "keep" "these bytes"))"#,
        )
        .expect("the test's WAT parses");
        let metered = rewritten_and_valid(&bytes);
        assert_eq!(
            bulk_ops_and_calls(&metered),
            vec![
                // $a calls the copy helper (2), $b (1), the fill helper (3),
                // the copy helper; nothing else moved.
                (vec![], vec![2, 1, 3, 2]),
                (vec![], vec![]),
                (vec![false], vec![]),
                (vec![true], vec![]),
            ]
        );
        // Exports and custom sections (the name section among them) are
        // copied as they were.
        let exports_and_custom = |bytes: &[u8]| {
            let (mut exports, mut custom) = (Vec::new(), Vec::new());
            for payload in Parser::new(0).parse_all(bytes) {
                match payload.expect("parses") {
                    Payload::ExportSection(section) => {
                        for e in section {
                            let e = e.expect("parses");
                            exports.push((e.name.to_string(), e.index));
                        }
                    }
                    Payload::CustomSection(c) => {
                        custom.push((c.name().to_string(), c.data().to_vec()));
                    }
                    _ => {}
                }
            }
            (exports, custom)
        };
        let (exports, custom) = exports_and_custom(&metered);
        assert_eq!(exports, vec![("memory".into(), 0), ("a".into(), 0)]);
        assert_eq!(custom[0], ("keep".into(), b"these bytes".to_vec()));
        assert_eq!((exports, custom), exports_and_custom(&bytes));
    }

    /// A function with more locals than are free starts with a call to a
    /// third appended function, with the blocks to charge; one with no more
    /// than that is left alone, and a module of only such functions too.
    #[test]
    #[allow(clippy::expect_used)]
    fn many_locals_become_a_call_to_a_third_appended_function() {
        let free = FREE_LOCAL_BYTES / 8;
        let bytes = wat::parse_str(format!(
            r#"(module
                (memory 1)
                (func $fat (param i32) (local {}) (local v128 i32)
                  (memory.fill (local.get 0) (i32.const 0) (i32.const 8)))
                (func $lean (local {})))"#,
            "i64 ".repeat(1000),
            "i64 ".repeat(usize::try_from(free).expect("small"))
        ))
        .expect("the test's WAT parses");
        let metered = rewritten_and_valid(&bytes);
        let blocks = (1000 * 8 + 16 + 4 - FREE_LOCAL_BYTES) / LOCAL_BLOCK_BYTES;
        assert_eq!(
            bulk_ops_and_calls(&metered),
            vec![
                (vec![], vec![4, 3]),
                (vec![], vec![]),
                (vec![false], vec![]),
                (vec![true], vec![]),
                (vec![], vec![]),
            ]
        );
        // The charge's argument: `i32.const blocks` right before the call.
        let mut ops = Vec::new();
        for payload in Parser::new(0).parse_all(&metered) {
            if let Payload::CodeSectionEntry(body) = payload.expect("parses") {
                let mut reader = body.get_operators_reader().expect("parses");
                let first = reader.read().expect("parses");
                ops.push(matches!(first, Operator::I32Const { value } if i64::from(value) == i64::try_from(blocks).expect("small")));
            }
        }
        assert_eq!(ops, vec![true, false, false, false, false]);
        // What `plugin inspect` reports is that charge.
        assert_eq!(
            host_charged_locals(&bytes),
            vec![LocalCharge {
                function: 0,
                export: None,
                local_bytes: 1000 * 8 + 16 + 4,
                fuel_per_call: blocks * BULK_BLOCK_COST,
            }]
        );

        let lean = wat::parse_str(format!("(module (func (local {})))", "i64 ".repeat(16)))
            .expect("the test's WAT parses");
        assert!(meter_bulk_memory(&lean).is_some_and(|m| m.module.is_none()));
    }

    /// The metered operators do what the originals do: a file with one
    /// exported `memory.copy` and one `memory.fill` over a page of random
    /// bytes, and its rewrite, run the same 2,000 random operations (lengths
    /// up to past the end, overlaps both ways, a few out of bounds): the same
    /// trap or none each time, and the same memory after each.
    #[test]
    #[allow(clippy::expect_used)]
    fn metered_operators_do_what_the_originals_do() {
        use rand::{Rng, SeedableRng};
        use wasmtime::{Engine, Instance, Module, Store, TypedFunc};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(64);
        let page: String = (0..65_536)
            .map(|_| format!("\\{:02x}", rng.random::<u8>()))
            .collect();
        let wat = format!(
            r#"(module
                (memory (export "memory") 1 1)
                (data (i32.const 0) "{page}")
                (func (export "copy") (param i32 i32 i32)
                  (memory.copy (local.get 0) (local.get 1) (local.get 2)))
                (func (export "fill") (param i32 i32 i32)
                  (memory.fill (local.get 0) (local.get 1) (local.get 2))))"#
        );
        let bytes = wat::parse_str(&wat).expect("the test's WAT parses");
        let metered = meter_bulk_memory(&bytes)
            .and_then(|m| m.module)
            .expect("rewritten");
        let engine = Engine::default();
        type Op = TypedFunc<(i32, i32, i32), ()>;
        let mut instances = Vec::new();
        for module in [&bytes, &metered] {
            let module = Module::new(&engine, module).expect("compiles");
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
            let copy: Op = instance
                .get_typed_func(&mut store, "copy")
                .expect("exported");
            let fill: Op = instance
                .get_typed_func(&mut store, "fill")
                .expect("exported");
            let memory = instance.get_memory(&mut store, "memory").expect("exported");
            instances.push((store, copy, fill, memory));
        }
        let mut trapped = 0;
        for step in 0..2000 {
            let is_copy = rng.random_bool(0.5);
            let mut offset = || -> i32 {
                if rng.random_bool(0.05) {
                    rng.random_range(60_000..70_000)
                } else {
                    rng.random_range(0..65_536)
                }
            };
            let (a, b) = (offset(), offset());
            let len = match rng.random_range(0..4) {
                0 => rng.random_range(0..16),
                1 => rng.random_range(0..200),
                2 => rng.random_range(0..5_000),
                _ => rng.random_range(0..70_000),
            };
            let mut outcomes = Vec::new();
            for (store, copy, fill, memory) in &mut instances {
                let f = if is_copy { &*copy } else { &*fill };
                let outcome = f
                    .call(&mut *store, (a, b, len))
                    .map_err(|e| e.downcast_ref::<wasmtime::Trap>().copied());
                outcomes.push((outcome, memory.data(&*store).to_vec()));
            }
            trapped += usize::from(outcomes[0].0.is_err());
            assert!(
                outcomes[0] == outcomes[1],
                "step {step}: {} {a} {b} {len}",
                if is_copy { "copy" } else { "fill" }
            );
        }
        // Some of them trapped, most did not.
        assert!((50..1000).contains(&trapped), "{trapped} traps");
    }

    /// The helpers' type goes after every type, not after every recursion
    /// group (wasmparser accepts groups of several; the host's engines do
    /// not, but the rewrite does not rely on that).
    #[test]
    #[allow(clippy::expect_used)]
    fn the_helper_type_counts_types_not_groups() {
        let bytes = wat::parse_str(
            r#"(module
                (rec (type (func)) (type (func (param i32))))
                (memory 1)
                (func (type 0) (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))))"#,
        )
        .expect("the test's WAT parses");
        rewritten_and_valid(&bytes);
    }

    /// A module of one function whose code is `code` (no locals, `end`
    /// added), with a memory and a table.
    fn raw_module(code: &[u8]) -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, FunctionSection, MemorySection, MemoryType, Module, RefType, TableSection,
            TableType, TypeSection,
        };
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        let mut tables = TableSection::new();
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: 1,
            maximum: None,
            shared: false,
        });
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut body = vec![0];
        body.extend_from_slice(code);
        body.push(0x0B);
        let mut bodies = CodeSection::new();
        bodies.raw(&body);
        let mut module = Module::new();
        module
            .section(&types)
            .section(&funcs)
            .section(&tables)
            .section(&memories)
            .section(&bodies);
        module.finish()
    }

    /// The sub-opcode after 0xFC is a LEB128 number, which may be encoded
    /// over-long: such an operator is still found.
    #[test]
    #[allow(clippy::expect_used)]
    fn an_over_long_encoding_does_not_hide_an_operator() {
        let three_zeros = [0x41, 0, 0x41, 0, 0x41, 0];
        // memory.fill (0x0B) as 0x8B 0x00, then its memory index.
        let fill = raw_module(&[&three_zeros[..], &[0xFC, 0x8B, 0x00, 0x00]].concat());
        // table.fill (0x11) as 0x91 0x80 0x00: i32, funcref, i32.
        let table = raw_module(&[0x41, 0, 0xD0, 0x70, 0x41, 0, 0xFC, 0x91, 0x80, 0x00, 0x00]);
        let mut validator = wasmtime::wasmparser::Validator::new();
        validator.validate_all(&fill).expect("valid");
        let mut validator = wasmtime::wasmparser::Validator::new();
        validator.validate_all(&table).expect("valid");

        let metered = meter_bulk_memory(&fill)
            .and_then(|m| m.module)
            .expect("rewritten");
        let ops = bulk_ops_and_calls(&metered);
        assert_eq!(ops[0], (vec![], vec![2]));
        assert!(!winch_meters_fully(&table));
    }

    /// 4,000 of wasm-smith's random valid modules (no imports, one 32-bit
    /// memory, the proposals the host enables, integer and memory operators:
    /// `memory.copy` and `memory.fill` need three i32s on the stack, which the
    /// generator rarely has; 58 of these end up with one).
    fn smith_modules() -> Vec<Vec<u8>> {
        use rand::{RngCore, SeedableRng};
        let config = wasm_smith::Config {
            max_imports: 0,
            min_memories: 1,
            max_memories: 1,
            memory64_enabled: false,
            gc_enabled: false,
            exceptions_enabled: false,
            threads_enabled: false,
            tail_call_enabled: false,
            relaxed_simd_enabled: false,
            wide_arithmetic_enabled: false,
            simd_enabled: false,
            reference_types_enabled: false,
            min_funcs: 1,
            max_funcs: 20,
            max_instructions: 300,
            allowed_instructions: wasm_smith::InstructionKinds::new(&[
                wasm_smith::InstructionKind::NumericInt,
                wasm_smith::InstructionKind::Variable,
                wasm_smith::InstructionKind::MemoryInt,
                wasm_smith::InstructionKind::Control,
            ]),
            ..wasm_smith::Config::default()
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_122);
        let mut seed = vec![0u8; 1 << 16];
        let mut modules = Vec::new();
        while modules.len() < 4000 {
            rng.fill_bytes(&mut seed);
            let mut u = arbitrary::Unstructured::new(&seed);
            if let Ok(module) = wasm_smith::Module::new(config.clone(), &mut u) {
                modules.push(module.to_bytes());
            }
        }
        modules
    }

    /// The rewrite of every random module with bulk operators is valid,
    /// keeps its exports and custom sections, has no `memory.copy` or
    /// `memory.fill` left outside the two appended helpers, and calls each
    /// helper exactly where the file had its operator.
    #[test]
    #[allow(clippy::expect_used)]
    fn random_modules_are_rewritten_validly_and_completely() {
        let (modules, mut rewritten) = (smith_modules(), 0);
        for bytes in &modules {
            let metering = meter_bulk_memory(bytes).expect("a valid module can be metered");
            let before = bulk_ops_and_calls(bytes);
            let Some(metered) = metering.module else {
                assert!(before.iter().all(|(bulk, _)| bulk.is_empty()));
                continue;
            };
            rewritten += 1;
            let mut validator = wasmtime::wasmparser::Validator::new();
            validator
                .validate_all(&metered)
                .expect("the rewrite is valid");

            let after = bulk_ops_and_calls(&metered);
            assert_eq!(after.len(), before.len() + 2);
            let funcs = u32::try_from(before.len()).expect("few functions");
            let (copy_fn, fill_fn) = (funcs, funcs + 1);
            assert_eq!(after[before.len()], (vec![false], vec![]));
            assert_eq!(after[before.len() + 1], (vec![true], vec![]));
            for ((bulk, calls), (bulk_after, calls_after)) in before.iter().zip(&after) {
                assert!(bulk_after.is_empty());
                // The file's own calls, in order, and one helper call for
                // each of its operators, in order.
                let (own, helper): (Vec<u32>, Vec<u32>) =
                    calls_after.iter().partition(|&&c| c < funcs);
                assert_eq!(&own, calls);
                let want: Vec<u32> = bulk
                    .iter()
                    .map(|&fill| if fill { fill_fn } else { copy_fn })
                    .collect();
                assert_eq!(helper, want);
            }
        }
        // Enough of them for this to mean something.
        assert!(
            rewritten >= 40,
            "only {rewritten} of {} modules had bulk operators",
            modules.len()
        );
    }

    #[test]
    fn modules_without_copy_or_fill_are_left_alone() {
        // No 0xFC byte at all; a 0xFC that is a saturating truncation; an
        // import (the module is refused before it runs); not a module.
        let untouched = |bytes: &[u8]| meter_bulk_memory(bytes).is_some_and(|m| m.module.is_none());
        assert!(untouched(&module("(local.get 0)")));
        assert!(untouched(&module(
            "(drop (i32.trunc_sat_f64_s (local.get 0))) (local.get 0)"
        )));
        #[allow(clippy::expect_used)]
        let imported = wat::parse_str(
            r#"(module (import "env" "f" (func)) (memory 1)
                (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))))"#,
        )
        .expect("the test's WAT parses");
        assert!(untouched(&imported));
        assert!(untouched(b"\0asm\x01\0\0\0\x0a\xfc"));
    }

    /// A module that parses, has a `memory.fill`, but declares no types (its
    /// function's type does not exist) cannot be rewritten: it must not run.
    #[test]
    fn a_module_that_cannot_be_metered_is_not_passed_on() {
        use wasm_encoder::{CodeSection, FunctionSection, Module};
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        let mut bodies = CodeSection::new();
        bodies.raw(&[0, 0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0B, 0, 0x0B]);
        let mut module = Module::new();
        module.section(&funcs).section(&bodies);
        assert!(meter_bulk_memory(&module.finish()).is_none());
    }

    #[test]
    fn what_does_not_parse_is_left_to_the_compiler() {
        assert!(winch_meters_fully(b"\0asm\x01\0\0\0\x0a\xff"));
        assert!(winch_meters_fully(b"junk"));
    }
}
