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
//! whose averages stay finite the output is bit-for-bit theirs. A bar with
//! no value (NaN or infinite) has none in the output and changes nothing,
//! as in the built-in.
//!
//! Error codes: 1 = called with other than 1 input series and 1 parameter;
//! 2 = `period` is not a whole number in 2 ..= 100000.

#![no_std]

use core::arch::wasm32;
use core::sync::atomic::{AtomicUsize, Ordering};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}

/// ABI version 1 marker; never called.
#[unsafe(no_mangle)]
pub extern "C" fn vxs_signal_v1() {}

const PAGE: usize = 65536;

/// The next free byte after the stack and static data (0: not started).
static NEXT: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" {
    /// Where the linker ends the stack and static data.
    static __heap_base: u8;
}

/// Hands out 8-byte-aligned memory past the stack and static data, growing
/// memory when needed; 0 when it cannot (never 0 for success: the stack
/// comes first). Each growth costs the host a system call, so it grows for
/// twice the request: the host asks for the inputs, the params, then the
/// output (the size of one input series), and one growth serves all three.
#[unsafe(no_mangle)]
pub extern "C" fn vxs_alloc(size: i32) -> i32 {
    if size <= 0 {
        return 0;
    }
    let size = size as usize;
    let next = match NEXT.load(Ordering::Relaxed) {
        0 => &raw const __heap_base as usize,
        n => n,
    };
    let start = next.next_multiple_of(8);
    let Some(end) = start.checked_add(size) else {
        return 0;
    };
    let have = wasm32::memory_size(0) * PAGE;
    if end > have {
        let pages = (end.saturating_add(size) - have).div_ceil(PAGE);
        if wasm32::memory_grow(0, pages) == usize::MAX
            && wasm32::memory_grow(0, (end - have).div_ceil(PAGE)) == usize::MAX
        {
            return 0;
        }
    }
    NEXT.store(end, Ordering::Relaxed);
    // Below 4 GiB, so this fits in 32 bits; the host reads it as u32.
    start as i32
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

/// `(max(d, 0), max(-d, 0))`, as the built-in `rsi` splits a change, bit
/// for bit once added to the averages (which are never negative, so adding
/// `+0.0` or `-0.0` leaves them unchanged). One comparison per change: the
/// loss is `gain - d`, exact in both cases. About 10% faster on the
/// optimized tier than `if d < 0.0 { loss -= d } else { gain += d }`.
#[inline(always)]
fn split(d: f64) -> (f64, f64) {
    let up = if d > 0.0 { d } else { 0.0 };
    (up, up - d)
}

fn rsi(input: &[f64], period: usize, out: &mut [f64]) {
    // A bar without a value poisons the averages (NaN from then on): only
    // then is the series taken again, bar by bar. No scan of its own for
    // a series with a value on every bar, the usual case.
    if !finite(input, period, out) {
        gaps(input, period, out);
    }
}

/// The RSI of a series with gaps (NaN or infinite where it has no value, as
/// `vix3m` before 2009-09-18 and after its last close), as the built-in
/// `rsi` takes them: a gap bar has no value and changes nothing, and the
/// next change is from the last bar that had one.
fn gaps(input: &[f64], period: usize, out: &mut [f64]) {
    let inv = 1.0 / period as f64;
    let keep = (period - 1) as f64;
    let (mut prev, mut seen, mut gain, mut loss) = (None, 0, 0.0, 0.0);
    for (&x, o) in input.iter().zip(out.iter_mut()) {
        *o = f64::NAN;
        if !x.is_finite() {
            continue;
        }
        let Some(p) = prev.replace(x) else {
            continue;
        };
        let (up, down) = split(x - p);
        if seen < period {
            gain += up;
            loss += down;
            seen += 1;
            if seen < period {
                continue;
            }
            gain *= inv;
            loss *= inv;
        } else {
            gain = (gain * keep + up) * inv;
            loss = (loss * keep + down) * inv;
        }
        *o = value(gain, loss);
    }
}

/// The RSI of a series with a value on every bar; false when a bar had none
/// (its averages ended as NaN), and `out` is then to be written again.
fn finite(input: &[f64], period: usize, out: &mut [f64]) -> bool {
    for o in out.iter_mut() {
        *o = f64::NAN;
    }
    let (Some(&first), true) = (input.first(), input.len() > period) else {
        return true;
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
    let (input, out) = (&input[period + 1..], &mut out[period + 1..]);
    // Two bars per iteration: the host checks fuel once per loop iteration.
    let (pairs, rest) = input.as_chunks::<2>();
    let (out_pairs, out_rest) = out.as_chunks_mut::<2>();
    for ([a, b], [oa, ob]) in pairs.iter().zip(out_pairs) {
        let (up, down) = split(a - prev);
        gain = (gain * keep + up) * inv;
        loss = (loss * keep + down) * inv;
        *oa = value(gain, loss);
        let (up, down) = split(b - a);
        prev = *b;
        gain = (gain * keep + up) * inv;
        loss = (loss * keep + down) * inv;
        *ob = value(gain, loss);
    }
    for (&x, o) in rest.iter().zip(out_rest) {
        let (up, down) = split(x - prev);
        prev = x;
        gain = (gain * keep + up) * inv;
        loss = (loss * keep + down) * inv;
        *o = value(gain, loss);
    }
    !(gain.is_nan() || loss.is_nan())
}
