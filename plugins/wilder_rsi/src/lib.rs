//! `wilder_rsi`: RSI with Wilder smoothing, exactly as TA-Lib's `TA_RSI`
//! (classic, not Metastock), as a vixshield plugin (ABI version 1).
//!
//! With `n = period` and `d[i] = x[i] - x[i-1]`:
//! * seed: `avg_gain = (sum of d[i] > 0 over i = 1..=n) * (1 / n)`,
//!   `avg_loss = (sum of -d[i] for d[i] < 0 over i = 1..=n) * (1 / n)`;
//! * then for each later bar: `avg = (avg * (n - 1) + today) * (1 / n)`;
//! * `rsi = 100 * (avg_gain / (avg_gain + avg_loss))`, or 0 when that sum is 0;
//! * the first value is at bar `n` (0-based); earlier bars are NaN.
//!
//! These are TA-Lib 0.6+'s operations in its order (it multiplies by `1 / n`
//! where 0.4 divided by `n`), and the built-in `rsi`'s: on any finite series
//! whose averages stay finite the output is bit-for-bit theirs.
//!
//! Error codes: 1 = called with other than 1 input series and 1 parameter;
//! 2 = `period` is not a whole number in 2 ..= 100000.

#![no_std]

use core::arch::wasm32;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}

/// ABI version 1 marker; never called.
#[unsafe(no_mangle)]
pub extern "C" fn vxs_signal_v1() {}

/// Hands out fresh, page-aligned memory by growing it; 0 when it cannot.
/// Never returns 0 for success: the stack occupies the first page.
#[unsafe(no_mangle)]
pub extern "C" fn vxs_alloc(size: i32) -> i32 {
    if size <= 0 {
        return 0;
    }
    let pages = (size as usize).div_ceil(65536);
    let old = wasm32::memory_grow(0, pages);
    if old == usize::MAX {
        return 0;
    }
    // At most 65535 pages, so this fits in 32 bits; the host reads it as u32.
    old.wrapping_mul(65536) as i32
}

/// See the crate documentation.
#[unsafe(no_mangle)]
pub extern "C" fn vxs_compute(
    inputs: i32,
    n_inputs: i32,
    n_bars: i32,
    params: i32,
    n_params: i32,
    out: i32,
) -> i32 {
    if n_inputs != 1 || n_params != 1 || n_bars <= 0 {
        return 1;
    }
    let n = n_bars as usize;
    // SAFETY: the host allocated these buffers with `vxs_alloc` (aligned,
    // non-null, inside memory, not overlapping) with exactly these sizes.
    let (input, period, out) = unsafe {
        (
            core::slice::from_raw_parts(inputs as u32 as usize as *const f64, n),
            *(params as u32 as usize as *const f64),
            core::slice::from_raw_parts_mut(out as u32 as usize as *mut f64, n),
        )
    };
    if !(2.0..=100_000.0).contains(&period) || period != (period as u32) as f64 {
        return 2;
    }
    rsi(input, period as usize, out);
    0
}

#[inline(always)]
fn value(gain: f64, loss: f64) -> f64 {
    let sum = gain + loss;
    if sum == 0.0 {
        0.0
    } else {
        100.0 * (gain / sum)
    }
}

/// `(max(d, 0), max(-d, 0))`, as the built-in `rsi` splits a change (a
/// change of ±0 or NaN is all gain). Written with an integer mask rather than
/// `if`: Cranelift compiles a float select to a branch, which mispredicts on
/// about every other bar of a real price series; the mask is three bit
/// operations off the loop-carried chain.
#[inline(always)]
fn split(d: f64) -> (f64, f64) {
    let falling = u64::from(d < 0.0).wrapping_neg(); // all ones when d < 0
    (
        f64::from_bits(d.to_bits() & !falling),
        f64::from_bits((-d).to_bits() & falling),
    )
}

fn rsi(input: &[f64], period: usize, out: &mut [f64]) {
    for o in out.iter_mut() {
        *o = f64::NAN;
    }
    let (Some(&first), true) = (input.first(), input.len() > period) else {
        return;
    };
    let p = period as f64;
    let inv = 1.0 / p;
    let keep = p - 1.0;
    let mut gain = 0.0;
    let mut loss = 0.0;
    let mut prev = first;
    for &x in &input[1..=period] {
        let (up, down) = split(x - prev);
        prev = x;
        gain += up;
        loss += down;
    }
    gain *= inv;
    loss *= inv;
    out[period] = value(gain, loss);
    for (&x, o) in input[period + 1..].iter().zip(&mut out[period + 1..]) {
        let (up, down) = split(x - prev);
        prev = x;
        gain = (gain * keep + up) * inv;
        loss = (loss * keep + down) * inv;
        *o = value(gain, loss);
    }
}
