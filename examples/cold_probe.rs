//! Probe for the ninth round of BENCHMARKS.md's plugin load target: how much
//! of a plugin only the panic path reaches, and so could be compiled only
//! when a computation first reaches it (rerun on the whole module then,
//! which gives the same values and fuel). It counts the functions that
//! syntactically never return (their last operator before `end` is
//! `unreachable`, with no `return` and no branch out of the body) and those
//! reachable from the exports, the start function and, once a reachable
//! function makes an indirect call, the table, without passing through one
//! that never returns; it writes the module with every other body replaced
//! by `unreachable`, validated, for `plugin_probe` to time.
//!
//! `cold_probe IN.wasm OUT.wasm`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use wasmtime::wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};

struct Body {
    calls: BTreeSet<u32>,
    refs: BTreeSet<u32>,
    indirect: bool,
    diverges: bool,
    bytes: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).unwrap();
    let mut imported = 0u32;
    let mut roots: BTreeSet<u32> = BTreeSet::new();
    let mut table_funcs: BTreeSet<u32> = BTreeSet::new();
    let mut table_exported = false;
    let mut bodies: Vec<Body> = Vec::new();
    let mut code_range = 0..0;
    let mut body_ranges = Vec::new();
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.unwrap() {
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    if matches!(imp.unwrap().ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.unwrap();
                    match e.kind {
                        ExternalKind::Func => {
                            roots.insert(e.index);
                        }
                        ExternalKind::Table => table_exported = true,
                        _ => {}
                    }
                }
            }
            Payload::StartSection { func, .. } => {
                roots.insert(func);
            }
            Payload::ElementSection(r) => {
                for el in r {
                    let el = el.unwrap();
                    match el.items {
                        wasmtime::wasmparser::ElementItems::Functions(fs) => {
                            for f in fs {
                                table_funcs.insert(f.unwrap());
                            }
                        }
                        wasmtime::wasmparser::ElementItems::Expressions(_, es) => {
                            for e in es {
                                for op in e.unwrap().get_operators_reader() {
                                    if let Operator::RefFunc { function_index } = op.unwrap() {
                                        table_funcs.insert(function_index);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Payload::CodeSectionStart { range, .. } => code_range = range,
            Payload::CodeSectionEntry(body) => {
                body_ranges.push(body.range());
                let mut b = Body {
                    calls: BTreeSet::new(),
                    refs: BTreeSet::new(),
                    indirect: false,
                    diverges: false,
                    bytes: body.range().len(),
                };
                let mut depth = 0u32;
                let mut returns = false;
                let mut last_unreachable = false;
                let mut ops = body.get_operators_reader().unwrap();
                while !ops.eof() {
                    let op = ops.read().unwrap();
                    let mut unreachable_now = false;
                    match &op {
                        Operator::Block { .. }
                        | Operator::Loop { .. }
                        | Operator::If { .. }
                        | Operator::TryTable { .. } => depth += 1,
                        Operator::End => {
                            if depth == 0 {
                                b.diverges = last_unreachable && !returns;
                            } else {
                                depth -= 1;
                            }
                        }
                        Operator::Return
                        | Operator::ReturnCall { .. }
                        | Operator::ReturnCallIndirect { .. }
                        | Operator::ReturnCallRef { .. } => returns = true,
                        Operator::Br { relative_depth } | Operator::BrIf { relative_depth }
                            if *relative_depth == depth =>
                        {
                            returns = true;
                        }
                        Operator::BrTable { targets } => {
                            for t in targets.targets().chain([Ok(targets.default())]) {
                                if t.unwrap() == depth {
                                    returns = true;
                                }
                            }
                        }
                        Operator::Unreachable => unreachable_now = true,
                        Operator::Call { function_index } => {
                            b.calls.insert(*function_index);
                        }
                        Operator::CallIndirect { .. } | Operator::CallRef { .. } => {
                            b.indirect = true
                        }
                        Operator::RefFunc { function_index } => {
                            b.refs.insert(*function_index);
                        }
                        _ => {}
                    }
                    if !matches!(op, Operator::End) {
                        last_unreachable = unreachable_now;
                    }
                }
                bodies.push(b);
            }
            _ => {}
        }
    }
    let n = bodies.len() as u32;
    let body = |f: u32| f.checked_sub(imported).and_then(|i| bodies.get(i as usize));
    let mut warm: BTreeSet<u32> = BTreeSet::new();
    let mut stack: Vec<u32> = roots.iter().copied().collect();
    if table_exported {
        stack.extend(table_funcs.iter().copied());
    }
    let mut tables_in = table_exported;
    while let Some(f) = stack.pop() {
        let Some(b) = body(f) else { continue };
        if b.diverges || !warm.insert(f) {
            continue;
        }
        stack.extend(b.calls.iter().copied());
        stack.extend(b.refs.iter().copied());
        if b.indirect && !tables_in {
            tables_in = true;
            stack.extend(table_funcs.iter().copied());
        }
    }
    let diverging = bodies.iter().filter(|b| b.diverges).count();
    let warm_bytes: usize = warm.iter().filter_map(|&f| body(f)).map(|b| b.bytes).sum();
    let all_bytes: usize = bodies.iter().map(|b| b.bytes).sum();
    eprintln!(
        "{n} functions, {diverging} diverging, {} warm ({warm_bytes} of {all_bytes} body bytes), table functions {} (reached: {tables_in})",
        warm.len(),
        table_funcs.len()
    );
    // Write the module with cold bodies stubbed.
    let mut code = wasm_encoder::CodeSection::new();
    for (i, r) in body_ranges.iter().enumerate() {
        let f = i as u32 + imported;
        if warm.contains(&f) {
            code.raw(&bytes[r.clone()]);
        } else {
            let mut func = wasm_encoder::Function::new([]);
            func.instruction(&wasm_encoder::Instruction::Unreachable);
            func.instruction(&wasm_encoder::Instruction::End);
            code.function(&func);
        }
    }
    let mut out = Vec::new();
    // Everything before the code section's id byte and size, then the new
    // section, then everything after.
    let header_start = {
        // The section's id byte (10) and its LEB128 size end where its
        // contents start.
        let mut s = code_range.start - 1;
        while bytes[s] != 10 || {
            let mut r = wasmtime::wasmparser::BinaryReader::new(&bytes[s + 1..], 0);
            r.read_var_u32().ok().map(|_| s + 1 + r.original_position()) != Some(code_range.start)
        } {
            s -= 1;
        }
        s
    };
    out.extend_from_slice(&bytes[..header_start]);
    use wasm_encoder::Encode;
    out.push(10);
    let mut sec = Vec::new();
    code.encode(&mut sec);
    out.extend_from_slice(&sec);
    out.extend_from_slice(&bytes[code_range.end..]);
    wasmtime::wasmparser::Validator::new()
        .validate_all(&out)
        .unwrap();
    std::fs::write(&args[2], &out).unwrap();
    eprintln!("wrote {} bytes (from {})", out.len(), bytes.len());
}
