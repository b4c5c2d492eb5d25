//! `theta_decay`: a theta-press detector, as a vixshield plugin (ABI 1).
//!
//! Inputs: `vix`, `vix3m` (aligned bars). Params: `lookback` (L, bars),
//! `drop` (relative fall), `contango` (VIX/VIX3M ceiling). For bar `t`:
//!
//! * NaN (no value) when `t < L`, or when `vix[t]`, `vix[t-L]` or `vix3m[t]`
//!   is not a finite number greater than 0;
//! * else 1.0 (true) when both
//!   `(vix[t-L] - vix[t]) / vix[t-L] >= drop` and `vix[t] / vix3m[t] < contango`;
//! * else 0.0 (false).
//!
//! Error codes: 1 = called with other than 2 input series and 3 parameters;
//! 2 = `lookback` not a whole number in 1 ..= 10000; 3 = `drop` not in
//! [0, 1); 4 = `contango` not a finite number greater than 0.
//! See `README.md` in this folder.

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
    if n_inputs != 2 || n_params != 3 || n_bars <= 0 {
        return 1;
    }
    let n = n_bars as usize;
    // SAFETY: the host allocated these buffers with `vxs_alloc` (aligned,
    // non-null, inside memory, not overlapping) with exactly these sizes.
    let (series, params, out) = unsafe {
        (
            core::slice::from_raw_parts(inputs as u32 as usize as *const f64, 2 * n),
            core::slice::from_raw_parts(params as u32 as usize as *const f64, 3),
            core::slice::from_raw_parts_mut(out as u32 as usize as *mut f64, n),
        )
    };
    let (vix, vix3m) = series.split_at(n);
    let (lookback, drop, contango) = (params[0], params[1], params[2]);
    if !(1.0..=10_000.0).contains(&lookback) || lookback != (lookback as u32) as f64 {
        return 2;
    }
    if !(0.0..1.0).contains(&drop) {
        return 3;
    }
    if !(contango.is_finite() && contango > 0.0) {
        return 4;
    }
    theta_decay(vix, vix3m, lookback as usize, drop, contango, out);
    0
}

#[inline(always)]
fn usable(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn theta_decay(
    vix: &[f64],
    vix3m: &[f64],
    lookback: usize,
    drop: f64,
    contango: f64,
    out: &mut [f64],
) {
    for (t, o) in out.iter_mut().enumerate() {
        *o = f64::NAN;
        let Some(start) = t.checked_sub(lookback) else {
            continue;
        };
        let (Some(&then), Some(&now), Some(&far)) = (vix.get(start), vix.get(t), vix3m.get(t))
        else {
            continue;
        };
        if !(usable(then) && usable(now) && usable(far)) {
            continue;
        }
        let fell = (then - now) / then >= drop;
        let contango_steep = now / far < contango;
        *o = if fell && contango_steep { 1.0 } else { 0.0 };
    }
}
