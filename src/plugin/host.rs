//! The wasmtime-based sandbox that loads and runs plugins.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{
    Config, Enabled, Engine, ExternType, FuncType, InstanceAllocationStrategy, InstancePre, Linker,
    Memory, Module, OptLevel, PoolingAllocationConfig, ResourceLimiter, Store, Strategy, Trap,
    TypedFunc, ValType,
};

use super::disk_cache::{DiskCache, EntryKey, Miss};
use super::error::PluginError;
use super::manifest::{Manifest, OutputKind};
use super::metering::{meter_bulk_memory, operator_costs};

/// Default fuel budget for one computation: 1 billion units.
///
/// One unit is roughly one WebAssembly instruction; an operator wasmtime
/// carries out in its runtime costs [`RUNTIME_CALL_COST`](super::RUNTIME_CALL_COST)
/// (`ref.func` [`REF_FUNC_COST`](super::REF_FUNC_COST)), and the bulk
/// operators one more per byte or table element. `wilder_rsi` spends about
/// 59 units per bar (545,858 for the 9,235 VIX bars), so the default leaves
/// room for series over a thousand times longer, while an endless loop is
/// stopped after about a second on the optimized tier (1.2 s measured for
/// `(loop br 0)`) and two on the baseline tier (2.0 s), whose fuel counter
/// lives in memory rather than in a register.
pub const DEFAULT_FUEL: u64 = 1_000_000_000;

/// How long the optimizing compiler may take over one module by default
/// (see [`HostConfig::compile_deadline`]).
pub const COMPILE_DEADLINE: Duration = Duration::from_secs(10);

/// Default ceiling a manifest's `[limits] fuel` may ask for: 50 billion units.
pub const MAX_FUEL: u64 = 50_000_000_000;

/// Default memory cap of a plugin, in MiB.
pub const DEFAULT_MEMORY_MIB: u32 = 256;

/// Default ceiling a manifest's `[limits] memory_mib` may ask for, in MiB.
pub const MAX_MEMORY_MIB: u32 = 1024;

/// Maximum WebAssembly stack of a plugin, in bytes (deep recursion traps
/// with `stack overflow` past this).
pub const MAX_WASM_STACK: usize = 512 * 1024;

/// Under [`Tiering::Adaptive`], a plugin moves to the optimizing compiler
/// once its computations on the baseline tier have used this much fuel per
/// byte of its module (about 28 million units for the 1,701-byte
/// `wilder_rsi`, some 50 computations over the VIX history).
///
/// Cranelift compiles about 2.5 µs per module byte, and baseline code runs
/// about 5–7 fuel units per ns, so this is "once the plugin has run about as
/// long as optimizing it would take": a plugin computed once (as every
/// command does) never pays for Cranelift, and one computed many times
/// spends at most about twice the best time.
pub const TIER_UP_FUEL_PER_BYTE: u64 = 16_384;

/// Bytes of a plugin's linear memory kept mapped (and reset by writing
/// zeros) between the computations that reuse a pool slot, instead of being
/// returned to the kernel and faulted in again page by page.
const KEEP_RESIDENT: usize = 1 << 20;

const EXPORT_MEMORY: &str = "memory";
const EXPORT_MARKER: &str = "vxs_signal_v1";
const EXPORT_ALLOC: &str = "vxs_alloc";
const EXPORT_COMPUTE: &str = "vxs_compute";
const INSTANTIATION: &str = "instantiation";

const TYPE_MEMORY: &str = "a 32-bit, non-shared memory";
const TYPE_MARKER: &str = "(func)";
const TYPE_ALLOC: &str = "(func (param i32) (result i32))";
const TYPE_COMPUTE: &str = "(func (param i32 i32 i32 i32 i32 i32) (result i32))";

/// Which compiler produced the code a computation ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Winch, wasmtime's baseline compiler: one pass, no optimisation;
    /// compiles a module an order of magnitude faster than Cranelift, and
    /// its code runs about 1.2–1.5× slower.
    Baseline,
    /// Cranelift, wasmtime's optimizing compiler.
    Optimized,
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tier::Baseline => "baseline (Winch)",
            Tier::Optimized => "optimized (Cranelift)",
        })
    }
}

/// Which compiler a host uses, and when.
///
/// Both tiers give the same results and use the same fuel (wasmtime counts
/// fuel per WebAssembly instruction, with one cost table for both
/// compilers; a module whose bulk operators Winch would not charge per byte
/// is always compiled with Cranelift); the sandbox (fuel, memory cap, stack
/// limit, traps) is the same. Two differences: without [NaN canonicalisation](HostConfig::canonicalize_nans)
/// the bits of a NaN may differ, and the two compilers lay out stack frames
/// differently, so recursion within a few frames of [`MAX_WASM_STACK`] may
/// overflow on one tier and not on the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Tiering {
    /// Load with the baseline compiler; move a plugin to the optimizing one
    /// once it has run long enough on the baseline tier (see
    /// [`TIER_UP_FUEL_PER_BYTE`]). The move happens on the thread whose
    /// computation crosses the threshold, after that computation.
    #[default]
    Adaptive,
    /// The baseline compiler only.
    Baseline,
    /// The optimizing compiler from the start: the slowest loads, the
    /// fastest first computation.
    Optimized,
}

/// Limits and compiler settings of a [`PluginHost`]; a manifest's `[limits]`
/// may override the fuel and memory defaults up to the maxima.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostConfig {
    /// Fuel for one computation when the manifest does not say.
    pub default_fuel: u64,
    /// The most fuel a manifest may ask for.
    pub max_fuel: u64,
    /// Memory cap (MiB) when the manifest does not say.
    pub default_memory_mib: u32,
    /// The most memory (MiB) a manifest may ask for.
    pub max_memory_mib: u32,
    /// Canonicalise NaNs: every float operation that yields a NaN yields the
    /// one canonical NaN, so even the bits of NaNs are the same on every CPU
    /// architecture. Off by default (it makes float-heavy plugins about 2×
    /// slower); `vixshield.toml` `[plugins] canonicalize_nans = true` turns
    /// it on. See [`PluginHost`] for what stays deterministic without it.
    pub canonicalize_nans: bool,
    /// Which compiler, when.
    pub tiering: Tiering,
    /// [`Tiering::Adaptive`]'s threshold, in fuel per module byte.
    pub tier_up_fuel_per_byte: u64,
    /// How long the optimizing compiler (Cranelift) may take over one
    /// module. Its time can grow far faster than the module's size, so a
    /// hostile module could otherwise stall a command for minutes. A load
    /// that needs Cranelift and misses the deadline fails with
    /// [`PluginError::CompileTimeout`]; a tier-up that misses it leaves the
    /// plugin on the baseline tier. The compilation cannot be interrupted: it
    /// finishes on its own thread and its result is dropped. Winch, whose
    /// time grows with the module's size, has no deadline.
    pub compile_deadline: Duration,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            default_fuel: DEFAULT_FUEL,
            max_fuel: MAX_FUEL,
            default_memory_mib: DEFAULT_MEMORY_MIB,
            max_memory_mib: MAX_MEMORY_MIB,
            canonicalize_nans: false,
            tiering: Tiering::Adaptive,
            tier_up_fuel_per_byte: TIER_UP_FUEL_PER_BYTE,
            compile_deadline: COMPILE_DEADLINE,
        }
    }
}

impl HostConfig {
    /// Set the default fuel budget (clamped to at least 1; raises `max_fuel`
    /// if needed).
    pub fn with_default_fuel(mut self, fuel: u64) -> Self {
        self.default_fuel = fuel.max(1);
        self.max_fuel = self.max_fuel.max(self.default_fuel);
        self
    }

    /// Set the default memory cap in MiB (clamped to 1 ..= 4096; raises
    /// `max_memory_mib` if needed).
    pub fn with_default_memory_mib(mut self, mib: u32) -> Self {
        self.default_memory_mib = mib.clamp(1, 4096);
        self.max_memory_mib = self.max_memory_mib.max(self.default_memory_mib);
        self
    }

    /// Set the ceilings a manifest may ask for (each at least the default;
    /// memory at most 4096 MiB).
    pub fn with_maxima(mut self, max_fuel: u64, max_memory_mib: u32) -> Self {
        self.max_fuel = max_fuel.max(self.default_fuel);
        self.max_memory_mib = max_memory_mib.clamp(self.default_memory_mib, 4096);
        self
    }

    /// Turn NaN canonicalisation on or off.
    pub fn with_nan_canonicalization(mut self, on: bool) -> Self {
        self.canonicalize_nans = on;
        self
    }

    /// Choose the compilers.
    pub fn with_tiering(mut self, tiering: Tiering) -> Self {
        self.tiering = tiering;
        self
    }

    /// Set how long the optimizing compiler may take over one module.
    pub fn with_compile_deadline(mut self, deadline: Duration) -> Self {
        self.compile_deadline = deadline;
        self
    }

    /// Set [`Tiering::Adaptive`]'s threshold in fuel per module byte (0:
    /// move up after the first computation).
    pub fn with_tier_up_fuel_per_byte(mut self, fuel: u64) -> Self {
        self.tier_up_fuel_per_byte = fuel;
        self
    }
}

/// The sandboxed WebAssembly host for custom signals (plugin ABI version 1).
///
/// # The plugin contract (ABI version 1)
///
/// A plugin is a core WebAssembly module plus a `plugin.toml` manifest in its
/// own folder (see [`Manifest`]).
///
/// * The module **imports nothing**; a module with any import is rejected at
///   load, naming the import (e.g. `wasi_snapshot_preview1.fd_write`).
/// * It exports:
///   * `memory`: its (32-bit) linear memory;
///   * `vxs_signal_v1`: a `() -> ()` function that is never called; its
///     presence declares ABI version 1. Without it the module is rejected at
///     load, before any of its code runs;
///   * `vxs_alloc(size: i32) -> i32`: the offset of `size` writable bytes in
///     `memory`, 0 if it cannot;
///   * `vxs_compute(inputs: i32, n_inputs: i32, n_bars: i32, params: i32,
///     n_params: i32, out: i32) -> i32`: `inputs` holds `n_inputs × n_bars`
///     little-endian f64, series after series, oldest bar first; `params`
///     holds `n_params` f64 in manifest order; the plugin writes `n_bars` f64
///     to `out`, NaN where it has no value yet, and returns 0, or a non-zero
///     error code that the host reports. The host returns the output as
///     written; the evaluator (and `vixshield plugin test`) reads NaN, +inf
///     and -inf alike as no value.
/// * For each computation the host creates a fresh instance, asks
///   `vxs_alloc` for the inputs, params and output buffers (in that order;
///   a zero-sized buffer is not allocated and passed as offset 0), checks
///   that each returned range lies inside memory and that they do not overlap
///   (0 = allocation failure), writes inputs and params, calls `vxs_compute`
///   once for the whole series and reads the output. A series of 0 bars is
///   answered with an empty output without running the plugin.
/// * Booleans (`output = "bool"`): 0.0 is false, any other number true; the
///   host normalises them to 0.0 / 1.0 and keeps NaN as "no value yet".
///
/// # Sandbox
///
/// No imports are linked, so a plugin can only compute. Each computation (its
/// `vxs_alloc` calls and `vxs_compute`) runs on a fuel budget
/// ([`DEFAULT_FUEL`] by default), a memory cap ([`DEFAULT_MEMORY_MIB`] MiB by
/// default, never unlimited), and a [`MAX_WASM_STACK`]-byte stack. Every trap
/// becomes a [`PluginError`] naming the plugin, the export and the trap. Run
/// computations on a thread with at least 1 MiB of native stack (the main
/// thread and Rust's default 2 MiB threads qualify), so the wasm stack limit
/// is reached before the native one.
///
/// # Determinism
///
/// Fuel is counted per WebAssembly instruction executed, so the same inputs
/// use the same fuel on every machine and on both [tiers](Tier). Values are
/// bit-for-bit the same for the same vixshield build on the same CPU
/// architecture. Across architectures (x86-64 against aarch64) only the bits
/// of NaNs can differ, and only when [`HostConfig::canonicalize_nans`] is
/// off (the default): the host reads every NaN as "no value", so outputs
/// differ only for a plugin that looks at a NaN's bits (its sign through
/// `copysign`, or its payload reinterpreted as an integer), and fuel only if
/// it branches on them. Relaxed SIMD is disabled.
///
/// # Compilation and instances
///
/// Modules are compiled per [`Tiering`]: by default with the baseline
/// compiler at load, and again with the optimizing compiler once a plugin has
/// run long enough. Compiled modules are cached for the life of the process
/// by the SHA-256 of their bytes (a changed file is recompiled), and, with
/// a [`DiskCache`] ([`with_disk_cache`](Self::with_disk_cache)), between
/// processes. Instances
/// come from a pool of reusable slots, each a reserved 4 GiB address range
/// whose first MiB stays mapped between computations; a slot is wiped before
/// it is reused. When every slot is busy a computation waits for one.
#[derive(Clone)]
pub struct PluginHost {
    config: HostConfig,
    /// Compiled modules kept between runs; off unless asked for.
    disk: Option<Arc<DiskCache>>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("config", &self.config)
            .field("disk", &self.disk)
            .finish()
    }
}

/// Where a load found the code it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadOrigin {
    /// Compiled by this load.
    Compiled,
    /// Compiled earlier in this process.
    Memory,
    /// Read from the [`DiskCache`], compiled by an earlier run.
    Disk,
}

impl std::fmt::Display for LoadOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LoadOrigin::Compiled => "compiled",
            LoadOrigin::Memory => "compiled earlier in this process",
            LoadOrigin::Disk => "read from the disk cache",
        })
    }
}

/// A wasmtime engine (one compiler, one NaN setting) and its instance pool.
struct Backend {
    engine: Engine,
    tier: Tier,
    /// `None` when the pool could not be reserved and instances are
    /// allocated on demand instead.
    slots: Option<Slots>,
}

/// Free slots of an engine's instance pool.
struct Slots {
    state: Mutex<SlotCount>,
    freed: Condvar,
}

/// How many slots are free, and how many computations wait for one.
struct SlotCount {
    free: u32,
    waiting: u32,
}

/// A taken pool slot, given back on drop.
struct SlotGuard<'a> {
    slots: Option<&'a Slots>,
}

impl Slots {
    fn lock(&self) -> MutexGuard<'_, SlotCount> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        if let Some(slots) = self.slots {
            let mut count = slots.lock();
            count.free += 1;
            // Waking is a system call; skip it when nobody waits.
            if count.waiting > 0 {
                slots.freed.notify_one();
            }
        }
    }
}

/// The number of instance slots in each engine's pool: twice the CPUs,
/// 8 ..= 64 (each reserves about 4 GiB of address space, not memory).
fn pool_slots() -> u32 {
    let cpus = std::thread::available_parallelism().map_or(4, std::num::NonZero::get);
    u32::try_from(cpus.saturating_mul(2))
        .unwrap_or(64)
        .clamp(8, 64)
}

impl Backend {
    fn new(tier: Tier, canonicalize_nans: bool) -> Result<Backend, String> {
        let slots = pool_slots();
        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots.saturating_mul(MAX_TABLES))
            .max_tables_per_module(MAX_TABLES)
            .table_elements(MAX_TABLE_ELEMENTS)
            .max_memories_per_module(1)
            // 4 GiB, all a 32-bit memory can address; the limiter enforces
            // the plugin's own cap.
            .max_memory_size(usize::try_from(1_u64 << 32).unwrap_or(usize::MAX))
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(64 * 1024)
            .pagemap_scan(Enabled::Auto);
        let pooled = Engine::new(
            Self::config(tier, canonicalize_nans)
                .allocation_strategy(InstanceAllocationStrategy::Pooling(pool)),
        );
        match pooled {
            Ok(engine) => Ok(Backend {
                engine,
                tier,
                slots: Some(Slots {
                    state: Mutex::new(SlotCount {
                        free: slots,
                        waiting: 0,
                    }),
                    freed: Condvar::new(),
                }),
            }),
            // The pool reserves address space up front; where that is refused
            // (a small `ulimit -v`), allocate each instance on demand.
            Err(_) => Engine::new(&Self::config(tier, canonicalize_nans))
                .map(|engine| Backend {
                    engine,
                    tier,
                    slots: None,
                })
                .map_err(|e| format!("{e:#}")),
        }
    }

    fn config(tier: Tier, canonicalize_nans: bool) -> Config {
        let mut config = Config::new();
        config
            .strategy(match tier {
                Tier::Baseline => Strategy::Winch,
                Tier::Optimized => Strategy::Cranelift,
            })
            // Functions compile on rayon's pool: on the baseline tier with
            // two cores the generated 48 KB module loads in 4.6-5.8 ms
            // (fastest of 50) instead of 7.3-7.5 ms compiled on one thread;
            // a 1.7 KB module is no slower (0.8-0.9 ms against 0.9-1.0).
            .parallel_compilation(true)
            .consume_fuel(true)
            .operator_cost(operator_costs())
            // Also read by Winch.
            .cranelift_nan_canonicalization(canonicalize_nans)
            .wasm_relaxed_simd(false)
            .relaxed_simd_deterministic(true)
            .wasm_memory64(false)
            .wasm_multi_memory(false)
            .wasm_backtrace_max_frames(None)
            // The native-to-wasm address map only serves backtraces, which
            // are off (a trap's message is its kind alone). Without it each
            // function compiles a little faster (2% fewer instructions per
            // load of the 48 KB module).
            .generate_address_map(false)
            .max_wasm_stack(MAX_WASM_STACK);
        // `.eh_frame`-style unwind info is only for the system unwinder and
        // profilers, never read by wasmtime's own trap handling or stack
        // walking (frame pointers). Skipping it saves building it per
        // function and registering/deregistering it per module. Windows'
        // ABI requires it, and wasmtime refuses to turn it off there.
        if !cfg!(windows) {
            config.native_unwind_info(false);
        }
        if tier == Tier::Baseline {
            // Winch compiles the functions but leaves the trampolines (into
            // each exported function, out to wasmtime's built-ins) to
            // Cranelift, which reads this setting; Winch itself does not.
            // Unoptimized, they compile faster: a cold load of `wilder_rsi`
            // runs 9% fewer instructions (5.4 M -> 4.9 M), of the 48 KB
            // module 0.6% (80.7 M -> 80.2 M); a computation, which crosses
            // them a few times, runs the same count within noise.
            config.cranelift_opt_level(OptLevel::None);
        }
        config
    }

    /// Take a pool slot, waiting for one if all are busy.
    fn slot(&self) -> SlotGuard<'_> {
        if let Some(slots) = &self.slots {
            let mut count = slots.lock();
            while count.free == 0 {
                count.waiting += 1;
                count = slots
                    .freed
                    .wait(count)
                    .unwrap_or_else(PoisonError::into_inner);
                count.waiting -= 1;
            }
            count.free -= 1;
        }
        SlotGuard {
            slots: self.slots.as_ref(),
        }
    }
}

type EngineCell = OnceLock<Result<Backend, String>>;

static BASELINE: EngineCell = OnceLock::new();
static BASELINE_CANONICAL: EngineCell = OnceLock::new();
static OPTIMIZED: EngineCell = OnceLock::new();
static OPTIMIZED_CANONICAL: EngineCell = OnceLock::new();

/// The process-wide engine of a tier and NaN setting, created on first use.
fn backend(tier: Tier, canonicalize_nans: bool) -> Result<&'static Backend, PluginError> {
    let cell = match (tier, canonicalize_nans) {
        (Tier::Baseline, false) => &BASELINE,
        (Tier::Baseline, true) => &BASELINE_CANONICAL,
        (Tier::Optimized, false) => &OPTIMIZED,
        (Tier::Optimized, true) => &OPTIMIZED_CANONICAL,
    };
    cell.get_or_init(|| Backend::new(tier, canonicalize_nans))
        .as_ref()
        .map_err(|message| PluginError::Engine {
            message: message.clone(),
        })
}

/// A module compiled by one tier, validated, ready to instantiate.
#[derive(Clone)]
struct Code {
    backend: &'static Backend,
    pre: InstancePre<StoreState>,
}

/// Everything known about one module (one SHA-256, one NaN setting): its
/// code on each tier compiled so far, and the fuel it has used on the
/// baseline tier.
struct Compiled {
    /// What the compilers get: the module with its `memory.copy` and
    /// `memory.fill` metered by the host (`metering::meter_bulk_memory`),
    /// without unread custom sections over [`MAX_UNREAD_SECTION_BYTES`]
    /// ([`strip_unread_sections`]), or the bytes as loaded when neither
    /// applies.
    bytes: Arc<[u8]>,
    /// The SHA-256 of the file as loaded, and of `bytes` (the same unless
    /// the host rewrote it): the disk cache's key.
    source_sha: [u8; 32],
    compiled_sha: [u8; 32],
    /// Winch meters the module correctly (`metering::winch_meters_fully`).
    winch_meters_fully: bool,
    canonicalize_nans: bool,
    baseline: OnceLock<Code>,
    /// `Some(None)`: the optimizing compiler failed where the baseline one
    /// did not; never retried.
    optimized: OnceLock<Option<Code>>,
    /// Only the optimizing compiler takes the module: the baseline one refused
    /// it, or would not meter its bulk operators (see `metering`).
    baseline_refused: AtomicBool,
    baseline_fuel: AtomicU64,
    tiering_up: AtomicBool,
}

impl Compiled {
    fn optimized(&self) -> Option<&Code> {
        self.optimized.get().and_then(Option::as_ref)
    }
}

/// The cache key: the NaN setting and the module's SHA-256.
type CacheKey = (bool, [u8; 32]);
type Modules = HashMap<CacheKey, Arc<Compiled>>;

static CACHE: OnceLock<Mutex<Modules>> = OnceLock::new();

fn cache() -> MutexGuard<'static, Modules> {
    CACHE
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// The store's data: just the resource limiter.
struct StoreState {
    limiter: Limiter,
}

/// Caps memory, tables and instances; remembers a refused memory growth.
struct Limiter {
    memory_cap: usize,
    refused: Option<usize>,
}

/// The most functions a plugin's module may define. The compilers' time
/// and memory grow with the count even for empty functions: Winch took
/// 20–28 s and 5.2 GB over a 4 MB module of 999,990 `(func)`s (about 5 KB
/// and 20 µs each), and Winch has no deadline. Plugins have far fewer (the
/// 49 KB `std` plugin 91).
pub const MAX_FUNCTIONS: u32 = 20_000;

/// The most types a plugin's module may declare (200,000 took Winch 0.9 s
/// and 220 MB; a Rust plugin has a few dozen).
pub const MAX_TYPES: u32 = 10_000;

/// The largest function body the host compiles, in bytes. A compiler's
/// memory grows with a function's nesting: one function of 2,000,000 nested
/// blocks (6 MB) took Winch 7.3 s and 2.3 GB, one of 1 MiB (349,000) 0.8 s
/// and 410 MB ([`MAX_FUNCTION_BRANCHES`] bounds that now). It grows with its
/// size too, and the functions compile side by side, one on each core:
/// Cranelift took some 35–50 MB over a 1 MiB function of plain
/// instructions, Winch 25 MB over one of `br_table`s, for each core. The
/// `std` plugin's largest function is 5 KB, a debug build's 6 KB.
pub const MAX_FUNCTION_BYTES: usize = 256 << 10;

/// The most code (all function bodies) the host compiles, in bytes: compile
/// time and memory grow with it. Sixteen 1 MiB functions of nested blocks
/// took Winch 7.2 s and 850 MB; sixteen of `br_table`s of 65,000 targets
/// (the most Winch takes), 3.2 s and 243 MB, as Winch keeps some 14 bytes
/// of code a target. Data segments do not count (they are copied, not
/// compiled). The `std` plugin has 44 KB of code, a debug build of it 86 KB.
pub const MAX_CODE_BYTES: usize = 4 << 20;

/// The most blocks, branches and calls one function may have: its blocks,
/// loops, ifs and `try`s, its `br_if`s and `br_table`s, its calls, and its
/// operators wasmtime carries out by a call into its runtime (`memory.grow`,
/// the bulk and table operators, `ref.func`, ...), each counted once, and
/// its indirect calls six times ([`INDIRECT_CALL_WEIGHT`]). Cranelift's
/// memory over a function grows with them: about 0.9 KB a block, 3 KB a
/// `br_if`, a call or an `if` with an `else`, 18 KB an indirect call. One
/// 256 KiB function of 87,000 calls took it 263 MB, of 52,000 indirect
/// calls 963 MB before its 10 s deadline, of 175,000 `if`s (1 MiB) 540 MB,
/// and the functions compile one per core. Winch's grows with blocks'
/// nesting, about 1.1 KB a level (a 1 MiB function of 349,000 nested
/// blocks took it 400 MB). At 10,000 of them a function took Cranelift
/// up to 44 MB, at this cap about half that. The `std` plugin's largest
/// count is 272 (319 in a debug build); its functions have at most 114
/// blocks and nest 36 deep. Counted only in a function that could exceed
/// it.
pub const MAX_FUNCTION_BRANCHES: usize = 5_000;

/// The most blocks, branches and calls (as [`MAX_FUNCTION_BRANCHES`] counts
/// them) the module's functions may have in all. Each call costs both
/// compilers some 130–200 bytes kept until the module is done (its
/// relocation, its call site's records, its code): 130 functions of
/// 9,990 calls each took Winch 246 MB, and Cranelift over 260 MB; 40 of
/// 4,990 took 48 MB and 80 MB. The `std` plugin has 2,387 (a debug build
/// 3,580), about one in 20 bytes of code, so this is about what the 4 MiB
/// of code ([`MAX_CODE_BYTES`]) holds (at 100,000 this cap bound first,
/// near 2 MB). Counted only in a module of more than 50,000 bytes of code.
pub const MAX_MODULE_BRANCHES: usize = 200_000;

/// What an indirect call counts toward [`MAX_FUNCTION_BRANCHES`]: it costs
/// Cranelift six times what a direct call does (a table lookup, a type
/// check and a null check, each a branch).
pub const INDIRECT_CALL_WEIGHT: usize = 6;

/// The most bytes of locals the module's functions may declare in all
/// (parameters apart): Winch zeroes each declared local at every call
/// with code of its own, about 2 bytes of code per byte of locals, all of
/// it kept in memory while the module compiles: 2,000 functions of 50,000
/// `v128` locals (16 bytes each) took it 20 s and 4.3 GB, 19,990 of 50,000
/// `i64`s 86 s and 12 GB before it failed. The `std` plugin declares
/// 2,444 bytes, a debug build of it 6,152.
pub const MAX_LOCAL_BYTES: u64 = 4 << 20;

/// The most elements the module's element segments may hold in all: each
/// costs wasmtime some 3.6 KB to compile (one passive segment of 1,000,000
/// took 20 s and 3.5 GB). A Rust plugin's one segment holds its function
/// pointers: 15 in the `std` plugin, 31 in a debug build. A pool slot's
/// tables hold at most 100,000 anyway.
pub const MAX_ELEMENTS: u64 = 10_000;

/// The most parameters and results the module's function types may have in
/// all, each type counted once and once more for each function (defined or
/// imported) of that type: wasmtime compiles code for each type and each
/// function whose size grows with them (about 30 bytes a value for a type,
/// 20 to 115 for a function). 9,990 types of 1,000 parameters took Winch
/// 18 s and 600 MB, 2,000 functions of 1,000 parameters and 1,000 results
/// in a table 40 s and 474 MB. The `std` plugin has 345 (80 in its types,
/// 265 in its functions), a debug build of it 1,050.
pub const MAX_SIGNATURE_VALUES: u64 = 100_000;

/// The largest data section the host loads, in bytes: wasmtime keeps a few
/// copies of the data while it compiles (a 60 MiB segment took 240 MB).
/// The `std` plugin has 4.7 KB of data.
pub const MAX_DATA_BYTES: usize = 4 << 20;

/// The largest `name` section (the functions' names, for messages) the
/// host loads, in bytes: wasmtime reads it into tables of its own, 60 MiB
/// of names took 240 MB. A debug build of the `std` plugin has 25 KB of
/// names. Other custom sections (its DWARF) are not read: see
/// [`MAX_UNREAD_SECTION_BYTES`].
pub const MAX_NAME_SECTION_BYTES: usize = 4 << 20;

/// Custom sections other than `name` (a debug build's DWARF, `producers`)
/// mean nothing to the host or to wasmtime, which compiles without debug
/// information. Over this many bytes in all they are dropped from the
/// module before it is rewritten and compiled, so that no copy of them is
/// made: a 60 MiB `.debug_info` section took a load 195 MB and 280 ms,
/// from the disk cache too. Under it (a release build's few hundred bytes)
/// the module is compiled as it is.
pub const MAX_UNREAD_SECTION_BYTES: usize = 64 << 10;

/// `bytes` without its custom sections other than `name`, when they are
/// more than [`MAX_UNREAD_SECTION_BYTES`] in all; `None` when they are not,
/// or when the sections do not parse (the compiler reports that, at the
/// file's own offsets). Sections are copied as they are, in their order;
/// nothing else changes, so every index and every function's code is the
/// file's.
pub fn strip_unread_sections(bytes: &[u8]) -> Option<Vec<u8>> {
    use wasmtime::wasmparser::BinaryReader;
    let mut reader = BinaryReader::new(bytes, 0);
    let header = reader.read_bytes(8).ok()?;
    // Each section as `(range, kept)`.
    let mut sections: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
    let mut unread = 0usize;
    while !reader.eof() {
        let start = reader.original_position();
        let id = reader.read_u8().ok()?;
        let size = usize::try_from(reader.read_var_u32().ok()?).ok()?;
        let body = reader.original_position();
        let end = body.checked_add(size).filter(|&e| e <= bytes.len())?;
        let kept = id != 0 || {
            let mut custom = BinaryReader::new(bytes.get(body..end)?, body);
            custom.read_string().ok()? == "name"
        };
        if !kept {
            unread = unread.saturating_add(end - start);
        }
        sections.push((start..end, kept));
        reader.skip(|r| r.read_bytes(size).map(|_| ())).ok()?;
    }
    if unread <= MAX_UNREAD_SECTION_BYTES {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() - unread);
    out.extend_from_slice(header);
    for (range, kept) in sections {
        if kept {
            out.extend_from_slice(bytes.get(range)?);
        }
    }
    Some(out)
}

/// The most imports a module may declare for [`PluginHost::describe`] to
/// list them (a plugin has none, and loading refuses the first): wasmtime
/// compiles each, and 500,000 took `plugin inspect` 5.1 s and 490 MB. A
/// `wasm32-wasip1` build of a Rust plugin imports a handful.
pub const MAX_IMPORTS: u32 = 10_000;

/// The most globals a plugin's module may define (Rust plugins define 3,
/// AssemblyScript's a few dozen): 1,000,000 took 1.4 s and 150 MB to
/// compile before the instance was found too large for a pool slot.
pub const MAX_GLOBALS: u32 = 10_000;

/// The most exports a plugin's module may declare (a Rust plugin has 6):
/// 999,000 took `plugin inspect` 3.9 s and 490 MB, and loaded.
pub const MAX_EXPORTS: u32 = 10_000;

/// The most element segments a plugin's module may declare (a Rust plugin
/// with a function table has one); each is applied at every instantiation.
pub const MAX_ELEMENT_SEGMENTS: u32 = 10_000;

/// Whether [`check_counts`] refuses a module that imports anything.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Imports {
    /// Loading: the first import is refused.
    Refuse,
    /// Describing: imports are listed, up to [`MAX_IMPORTS`].
    List,
}

/// Refuse a module with more functions, types, globals, exports or element
/// segments, a larger function or more code than the host compiles, a
/// function of more blocks, branches and calls, more locals, elements,
/// parameters and results, data or names than the host compiles, before
/// any compiler sees it (the bodies are only measured, not read, except a
/// large one's operators when its bytes could hold too many branches); and, with [`Imports::Refuse`], one
/// that imports anything, naming its first import. A module that does not
/// parse passes: the compiler reports it.
fn check_counts(manifest: &Manifest, bytes: &[u8], imports: Imports) -> Result<(), PluginError> {
    use wasmtime::wasmparser::{
        CompositeInnerType, ElementItems, Parser, Payload, TypeRef, ValType,
    };
    let refuse = |message: String| PluginError::InvalidModule {
        plugin: manifest.name.clone(),
        path: manifest.wasm_path(),
        message,
    };
    // Text saved under the module's name: wasmparser's "bad magic number
    // ... actual=[0x28, 0x6d, ...]" leaves the reader to decode `(mod`.
    if !bytes.starts_with(b"\0asm") {
        let text = String::from_utf8_lossy(bytes.get(..256).unwrap_or(bytes));
        let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if start.starts_with("(module") || start.starts_with(";;") {
            return Err(refuse(
                "it is WebAssembly text (WAT), not a binary module: assemble it first (`wat2wasm`, or `wasm-tools parse`)".into(),
            ));
        }
    }
    let too_many = |what: &str, count: u32, max: u32| {
        refuse(format!(
            "it {what} {count}, more than the {max} the host accepts"
        ))
    };
    // Parameters and results of each type, and in all so far (types, then
    // each function of a type).
    let mut signatures: Vec<u64> = Vec::new();
    let mut signature_values = 0_u64;
    let too_many_values = |values: u64| {
        refuse(format!(
            "its types and functions have {values} parameters and results in all, more than the {MAX_SIGNATURE_VALUES} the host accepts"
        ))
    };
    let mut local_bytes = 0_u64;
    // At most the blocks, branches and calls of the functions read so far
    // (see `branches`), and the functions, when they may be too many.
    let mut module_branches = 0_usize;
    let mut bodies = None;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::ImportSection(s)) if imports == Imports::Refuse => {
                if let Some(Ok(import)) = s.into_imports().next() {
                    return Err(PluginError::Import {
                        plugin: manifest.name.clone(),
                        module: import.module.to_string(),
                        field: import.name.to_string(),
                    });
                }
            }
            Ok(Payload::ImportSection(s)) if s.count() > MAX_IMPORTS => {
                return Err(too_many("has an import count of", s.count(), MAX_IMPORTS));
            }
            Ok(Payload::ImportSection(s)) => {
                for import in s.into_imports().flatten() {
                    if let TypeRef::Func(ty) = import.ty {
                        let values = signatures.get(ty as usize).copied().unwrap_or(0);
                        signature_values = signature_values.saturating_add(values);
                    }
                }
                if signature_values > MAX_SIGNATURE_VALUES {
                    return Err(too_many_values(signature_values));
                }
            }
            Ok(Payload::GlobalSection(s)) if s.count() > MAX_GLOBALS => {
                return Err(too_many("has a global count of", s.count(), MAX_GLOBALS));
            }
            Ok(Payload::ExportSection(s)) if s.count() > MAX_EXPORTS => {
                return Err(too_many("has an export count of", s.count(), MAX_EXPORTS));
            }
            Ok(Payload::ElementSection(s)) if s.count() > MAX_ELEMENT_SEGMENTS => {
                return Err(too_many(
                    "has an element segment count of",
                    s.count(),
                    MAX_ELEMENT_SEGMENTS,
                ));
            }
            Ok(Payload::ElementSection(s)) => {
                let mut elements = 0_u64;
                for segment in s.into_iter().map_while(Result::ok) {
                    elements += u64::from(match segment.items {
                        ElementItems::Functions(items) => items.count(),
                        ElementItems::Expressions(_, items) => items.count(),
                    });
                }
                if elements > MAX_ELEMENTS {
                    return Err(refuse(format!(
                        "its element segments hold {elements} elements, more than the {MAX_ELEMENTS} the host accepts"
                    )));
                }
            }
            Ok(Payload::TypeSection(s)) if s.count() > MAX_TYPES => {
                return Err(too_many("has a type count of", s.count(), MAX_TYPES));
            }
            Ok(Payload::TypeSection(s)) => {
                for group in s.into_iter().map_while(Result::ok) {
                    for ty in group.types() {
                        let values = match &ty.composite_type.inner {
                            CompositeInnerType::Func(f) => f.params().len() + f.results().len(),
                            _ => 0,
                        };
                        signatures.push(values as u64);
                        signature_values = signature_values.saturating_add(values as u64);
                    }
                }
                if signature_values > MAX_SIGNATURE_VALUES {
                    return Err(too_many_values(signature_values));
                }
            }
            Ok(Payload::FunctionSection(s)) if s.count() > MAX_FUNCTIONS => {
                return Err(too_many(
                    "has a function count of",
                    s.count(),
                    MAX_FUNCTIONS,
                ));
            }
            Ok(Payload::FunctionSection(s)) => {
                for ty in s.into_iter().map_while(Result::ok) {
                    let values = signatures.get(ty as usize).copied().unwrap_or(0);
                    signature_values = signature_values.saturating_add(values);
                }
                if signature_values > MAX_SIGNATURE_VALUES {
                    return Err(too_many_values(signature_values));
                }
            }
            Ok(Payload::CodeSectionStart { size, .. }) if size as usize > MAX_CODE_BYTES => {
                return Err(refuse(format!(
                    "its code is {size} bytes, more than the {MAX_CODE_BYTES} the host compiles"
                )));
            }
            // Each function's count below is at most twice its bytes: only
            // code of more than half the module's cap could exceed it.
            Ok(Payload::CodeSectionStart { size, .. })
                if (size as usize).saturating_mul(2) > MAX_MODULE_BRANCHES =>
            {
                bodies = Some(Vec::new());
            }
            Ok(Payload::CodeSectionEntry(body)) => {
                let code = bytes.get(body.range()).unwrap_or_default();
                if code.len() > MAX_FUNCTION_BYTES {
                    return Err(refuse(format!(
                        "one of its functions is {} bytes, more than the {MAX_FUNCTION_BYTES} the host compiles",
                        code.len()
                    )));
                }
                if let Ok(mut locals) = body.get_locals_reader() {
                    for _ in 0..locals.get_count() {
                        let Ok((count, ty)) = locals.read() else {
                            break;
                        };
                        let size = match ty {
                            ValType::I32 | ValType::F32 => 4,
                            ValType::V128 => 16,
                            _ => 8,
                        };
                        local_bytes = local_bytes.saturating_add(u64::from(count) * size);
                    }
                }
                let branches = branches(&body, code, MAX_FUNCTION_BRANCHES);
                if branches > MAX_FUNCTION_BRANCHES {
                    return Err(refuse(format!(
                        "one of its functions has {branches} blocks, branches and calls (an indirect call counting {INDIRECT_CALL_WEIGHT}), more than the {MAX_FUNCTION_BRANCHES} the host compiles"
                    )));
                }
                module_branches = module_branches.saturating_add(branches);
                if let Some(bodies) = &mut bodies {
                    bodies.push((body, code));
                }
            }
            Ok(Payload::DataSection(s)) if s.range().len() > MAX_DATA_BYTES => {
                return Err(refuse(format!(
                    "its data section is {} bytes, more than the {MAX_DATA_BYTES} the host accepts",
                    s.range().len()
                )));
            }
            Ok(Payload::CustomSection(c))
                if c.name() == "name" && c.data().len() > MAX_NAME_SECTION_BYTES =>
            {
                return Err(refuse(format!(
                    "its `name` section is {} bytes, more than the {MAX_NAME_SECTION_BYTES} the host accepts",
                    c.data().len()
                )));
            }
            Err(_) => break,
            Ok(_) => {}
        }
    }
    if local_bytes > MAX_LOCAL_BYTES {
        return Err(refuse(format!(
            "its functions declare {local_bytes} bytes of locals, more than the {MAX_LOCAL_BYTES} the host compiles"
        )));
    }
    if module_branches > MAX_MODULE_BRANCHES {
        let bodies = bodies.unwrap_or_default();
        let bound = |(_, code): &(_, &[u8])| code.len().saturating_mul(2).min(branch_bytes(code));
        let mut total: usize = bodies.iter().map(bound).sum();
        if total > MAX_MODULE_BRANCHES {
            total = bodies.iter().map(|(body, _)| decoded_branches(body)).sum();
        }
        if total > MAX_MODULE_BRANCHES {
            return Err(refuse(format!(
                "its functions have {total} blocks, branches and calls in all (an indirect call counting {INDIRECT_CALL_WEIGHT}), more than the {MAX_MODULE_BRANCHES} the host compiles"
            )));
        }
    }
    Ok(())
}

/// What a byte counts toward [`MAX_FUNCTION_BRANCHES`] when it is the
/// opcode of an operator: at least what every operator it opens counts, so
/// the sum over a function's bytes bounds the sum over its operators.
const fn branch_weight(byte: u8) -> u8 {
    match byte {
        // call_indirect, return_call_indirect
        0x11 | 0x13 => INDIRECT_CALL_WEIGHT as u8,
        // block, loop, if, try, br_if, br_table, call, return_call,
        // call_ref, return_call_ref, try_table, table.get, table.set,
        // memory.grow, ref.func, br_on_null, br_on_non_null, and the
        // prefixes of the bulk, table and atomic operators
        0x02..=0x04
        | 0x06
        | 0x0D
        | 0x0E
        | 0x10
        | 0x12
        | 0x14
        | 0x15
        | 0x1F
        | 0x25
        | 0x26
        | 0x40
        | 0xD2
        | 0xD5
        | 0xD6
        | 0xFC
        | 0xFE => 1,
        _ => 0,
    }
}

/// [`branch_weight`] of every byte.
static BRANCH_WEIGHTS: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = branch_weight(byte as u8);
        byte += 1;
    }
    table
};

/// The blocks, branches and calls of a function whose bytes are `code`
/// (locals and code) as [`MAX_FUNCTION_BRANCHES`] counts them, exactly when
/// more than `limit`, else at least as many. Each such operator takes two
/// bytes at least (an indirect call three), and its first byte counts at
/// least what it does ([`branch_weight`]): only a function of more than
/// half `limit`'s bytes, whose bytes count more than `limit`, has its
/// operators decoded.
fn branches(body: &wasmtime::wasmparser::FunctionBody<'_>, code: &[u8], limit: usize) -> usize {
    let bound = code.len().saturating_mul(2);
    if bound <= limit {
        return bound;
    }
    let bound = branch_bytes(code);
    if bound <= limit {
        return bound;
    }
    decoded_branches(body)
}

/// What the bytes of `code` count by [`branch_weight`].
fn branch_bytes(code: &[u8]) -> usize {
    code.iter()
        .map(|&b| usize::from(BRANCH_WEIGHTS[usize::from(b)]))
        .sum()
}

/// The blocks, branches and calls of a function, its operators decoded.
/// Decoding stops at an operator that does not parse (the compiler reports
/// it).
fn decoded_branches(body: &wasmtime::wasmparser::FunctionBody<'_>) -> usize {
    use wasmtime::wasmparser::Operator;
    let Ok(mut ops) = body.get_operators_reader() else {
        return 0;
    };
    let mut branches = 0;
    while !ops.eof() {
        let Ok(op) = ops.read() else { break };
        branches += match op {
            Operator::CallIndirect { .. } | Operator::ReturnCallIndirect { .. } => {
                INDIRECT_CALL_WEIGHT
            }
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::BrOnNull { .. }
            | Operator::BrOnNonNull { .. }
            | Operator::Call { .. }
            | Operator::ReturnCall { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. }
            | Operator::MemoryGrow { .. }
            | Operator::MemoryFill { .. }
            | Operator::MemoryCopy { .. }
            | Operator::MemoryInit { .. }
            | Operator::DataDrop { .. }
            | Operator::TableGet { .. }
            | Operator::TableSet { .. }
            | Operator::TableGrow { .. }
            | Operator::TableFill { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. }
            | Operator::TableSize { .. }
            | Operator::ElemDrop { .. }
            | Operator::RefFunc { .. }
            | Operator::MemoryAtomicNotify { .. }
            | Operator::MemoryAtomicWait32 { .. }
            | Operator::MemoryAtomicWait64 { .. } => 1,
            _ => 0,
        };
    }
    branches
}

/// The most table elements a plugin may have.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// The most tables a plugin may have.
const MAX_TABLES: u32 = 4;

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.refused = Some(desired);
            // An error (rather than `Ok(false)`) traps right away, so the
            // plugin cannot stumble on into a confusing failure.
            return Err(wasmtime::Error::msg("memory limit exceeded"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        MAX_TABLES as usize
    }

    fn memories(&self) -> usize {
        1
    }
}

/// The tier a host compiles with at load.
fn load_tier(tiering: Tiering) -> Tier {
    match tiering {
        Tiering::Adaptive | Tiering::Baseline => Tier::Baseline,
        Tiering::Optimized => Tier::Optimized,
    }
}

impl PluginHost {
    /// A host with the given limits and compiler settings, sharing the
    /// process-wide engines (the one it loads with is started here).
    pub fn new(config: HostConfig) -> Result<Self, PluginError> {
        backend(load_tier(config.tiering), config.canonicalize_nans)?;
        Ok(PluginHost { config, disk: None })
    }

    /// Keep compiled modules in `cache` between runs (`None`: do not). A
    /// load then reads a module an earlier run compiled instead of
    /// compiling it, and writes what it compiles; see [`DiskCache`] for what
    /// is trusted and when a file is passed over.
    pub fn with_disk_cache(mut self, cache: Option<DiskCache>) -> Self {
        self.disk = cache.map(Arc::new);
        self
    }

    /// The host's limits and compiler settings.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Read the manifest's wasm file and [`load_bytes`](Self::load_bytes) it.
    pub fn load(&self, manifest: &Manifest) -> Result<LoadedPlugin, PluginError> {
        let path = manifest.wasm_path();
        let bytes = crate::input::read_regular(&path, crate::input::WASM).map_err(|source| {
            let source = if source.kind() == std::io::ErrorKind::NotFound {
                std::io::Error::new(source.kind(), super::error::missing_module_hint(manifest))
            } else {
                source
            };
            PluginError::Io {
                path: path.clone(),
                source,
            }
        })?;
        self.load_bytes(manifest, &bytes)
    }

    /// Validate and compile (or fetch from the cache) the module `bytes` for
    /// `manifest`: no imports, the ABI marker, the exports and their types,
    /// and the manifest's limits against the host's maxima. Runs no plugin code.
    pub fn load_bytes(
        &self,
        manifest: &Manifest,
        bytes: &[u8],
    ) -> Result<LoadedPlugin, PluginError> {
        let name = &manifest.name;
        let fuel = manifest.limits.fuel.unwrap_or(self.config.default_fuel);
        if fuel > self.config.max_fuel {
            return Err(PluginError::LimitTooHigh {
                manifest: manifest.path.clone(),
                pos: manifest.limits.fuel_at,
                plugin: name.clone(),
                what: "fuel",
                requested: fuel,
                max: self.config.max_fuel,
            });
        }
        let memory_mib = manifest
            .limits
            .memory_mib
            .unwrap_or(self.config.default_memory_mib);
        if memory_mib > self.config.max_memory_mib {
            return Err(PluginError::LimitTooHigh {
                manifest: manifest.path.clone(),
                pos: manifest.limits.memory_mib_at,
                plugin: name.clone(),
                what: "memory_mib",
                requested: u64::from(memory_mib),
                max: u64::from(self.config.max_memory_mib),
            });
        }

        check_counts(manifest, bytes, Imports::Refuse)?;
        let canonical = self.config.canonicalize_nans;
        let source_sha: [u8; 32] = Sha256::digest(bytes).into();
        let key = (canonical, source_sha);
        let cached = cache().get(&key).cloned();
        let tier = load_tier(self.config.tiering);
        // A file whose bulk operators the host rewrites is also validated as
        // it is, not only as rewritten: errors at its own offsets, and a file
        // that refers to a function just past its last (where the host's
        // helpers go) stays invalid.
        let check_source = || validate_source(tier, manifest, bytes, canonical);
        let (compiled, rewritten) = match cached {
            Some(c) => (c, false),
            // Compiled before it enters the cache, so the cache only ever
            // holds modules that passed validation.
            None => {
                let stripped = strip_unread_sections(bytes);
                let unread_dropped = stripped.is_some();
                let bytes: &[u8] = stripped.as_deref().unwrap_or(bytes);
                let Some(metered) = meter_bulk_memory(bytes) else {
                    check_source()?;
                    return Err(PluginError::InvalidModule {
                        plugin: manifest.name.clone(),
                        path: manifest.wasm_path(),
                        message: "its `memory.copy` and `memory.fill` operators cannot be metered"
                            .into(),
                    });
                };
                let rewritten = unread_dropped || metered.module.is_some();
                let module: Arc<[u8]> = metered.module.map_or_else(|| bytes.into(), Into::into);
                let compiled_sha = if rewritten {
                    Sha256::digest(&module).into()
                } else {
                    source_sha
                };
                let compiled = Arc::new(Compiled {
                    bytes: module,
                    source_sha,
                    compiled_sha,
                    winch_meters_fully: metered.winch_meters_fully,
                    canonicalize_nans: canonical,
                    baseline: OnceLock::new(),
                    optimized: OnceLock::new(),
                    baseline_fuel: AtomicU64::new(0),
                    tiering_up: AtomicBool::new(false),
                    baseline_refused: AtomicBool::new(false),
                });
                (compiled, rewritten)
            }
        };
        let existing = match self.config.tiering {
            // Adaptive is happy with either tier, the optimized one first.
            Tiering::Adaptive => compiled.optimized().or(compiled.baseline.get()),
            Tiering::Baseline if compiled.baseline_refused.load(Ordering::Relaxed) => {
                compiled.optimized()
            }
            Tiering::Baseline => compiled.baseline.get(),
            Tiering::Optimized => compiled.optimized(),
        };
        let mut note = None;
        let (loaded, origin) = match existing {
            Some(code) => (code.clone(), LoadOrigin::Memory),
            None => match self.read_from_disk(manifest, &compiled, &mut note) {
                // The file passed validation when the entry was written (its
                // SHA-256 is part of the key).
                Some(code) => (code, LoadOrigin::Disk),
                None if rewritten => (
                    alongside(check_source, || {
                        self.compile_new(manifest, &compiled, &mut note)
                    })?,
                    LoadOrigin::Compiled,
                ),
                None => (
                    self.compile_new(manifest, &compiled, &mut note)?,
                    LoadOrigin::Compiled,
                ),
            },
        };
        // A memory that starts above the limit could never be instantiated:
        // refused here, so `check` and `plugin inspect` say so, not the
        // first computation.
        if let Some(ExternType::Memory(m)) = loaded.pre.module().get_export(EXPORT_MEMORY) {
            let initial_bytes = m.minimum().saturating_mul(64 * 1024);
            if initial_bytes > u64::from(memory_mib) << 20 {
                return Err(PluginError::MemoryTooLarge {
                    plugin: manifest.name.clone(),
                    initial_mib: initial_bytes.div_ceil(1 << 20),
                    limit_mib: memory_mib,
                });
            }
        }
        // Another thread may have cached the same module meanwhile; use
        // whichever entry got there first.
        let compiled = cache().entry(key).or_insert(compiled).clone();
        Ok(LoadedPlugin {
            manifest: manifest.clone(),
            compiled,
            loaded,
            origin,
            disk_note: note,
            disk: self.disk.clone(),
            tiering: self.config.tiering,
            tier_up_fuel_per_byte: self.config.tier_up_fuel_per_byte,
            compile_deadline: self.config.compile_deadline,
            fuel,
            memory_mib,
        })
    }

    /// The code of the load tier (the optimized one for a module Winch does
    /// not meter) from the disk cache, recorded in `compiled`; `None` on a
    /// miss or without a cache. Under [`Tiering::Adaptive`] only the
    /// baseline tier is looked for here (looking for optimized code would
    /// start the optimizing engine in every run); optimized code on disk is
    /// picked up when the plugin tiers up.
    fn read_from_disk(
        &self,
        manifest: &Manifest,
        compiled: &Compiled,
        note: &mut Option<String>,
    ) -> Option<Code> {
        let disk = self.disk.as_deref()?;
        let mut tier = load_tier(self.config.tiering);
        if tier == Tier::Baseline && !compiled.winch_meters_fully {
            tier = Tier::Optimized;
        }
        match read_code(disk, tier, manifest, compiled) {
            Ok(code) => {
                record(compiled, &code);
                Some(code)
            }
            Err(miss) => {
                *note = miss_note(disk, miss);
                None
            }
        }
    }

    /// Compile `compiled` for this host's tiering (after
    /// [`read_from_disk`](Self::read_from_disk) missed), recording the code.
    fn compile_new(
        &self,
        manifest: &Manifest,
        compiled: &Compiled,
        note: &mut Option<String>,
    ) -> Result<Code, PluginError> {
        let mut wanted = load_tier(self.config.tiering);
        // Fuel must bound a plugin's time on every tier: a module
        // with `memory.init` or table operators, which Winch would
        // charge a flat cost, goes to Cranelift, which charges them
        // per byte or element.
        if wanted == Tier::Baseline && !compiled.winch_meters_fully {
            compiled.baseline_refused.store(true, Ordering::Relaxed);
            wanted = Tier::Optimized;
        }
        let deadline = self.config.compile_deadline;
        let disk = self.disk.as_deref();
        // `wanted` is the tier `read_from_disk` looked for already.
        let code = match compile(wanted, manifest, compiled, deadline, disk, note) {
            Ok(code) => Ok(code),
            // A module the baseline compiler cannot take (e.g. it uses
            // tail calls, which Winch does not implement) may still be
            // fine for the optimizing one, which then also serves
            // hosts that asked for the baseline tier.
            Err(PluginError::InvalidModule { .. }) if wanted == Tier::Baseline => {
                let code =
                    read_or_compile(Tier::Optimized, manifest, compiled, deadline, disk, note)?;
                compiled.baseline_refused.store(true, Ordering::Relaxed);
                Ok(code)
            }
            Err(e) => Err(e),
        }?;
        record(compiled, &code);
        Ok(code)
    }

    /// Forget every compiled module (they are recompiled on next load).
    /// Mostly for benchmarks measuring cold loads.
    pub fn clear_module_cache() {
        cache().clear();
    }

    /// What the module `bytes` imports and exports, with their types, for
    /// people inspecting a plugin (`vixshield plugin inspect`). Compiles the
    /// module (bypassing the cache) but checks nothing against the ABI: see
    /// [`load_bytes`](Self::load_bytes) for that.
    pub fn describe(&self, manifest: &Manifest, bytes: &[u8]) -> Result<ModuleInfo, PluginError> {
        check_counts(manifest, bytes, Imports::List)?;
        let canonical = self.config.canonicalize_nans;
        let deadline = self.config.compile_deadline;
        let bytes: Arc<[u8]> = bytes.into();
        let module = match compile_module(Tier::Baseline, canonical, manifest, &bytes, deadline) {
            Ok(module) => module,
            Err(PluginError::InvalidModule { .. }) => {
                compile_module(Tier::Optimized, canonical, manifest, &bytes, deadline)?
            }
            Err(e) => return Err(e),
        };
        Ok(ModuleInfo {
            imports: module
                .imports()
                .map(|i| ModuleItem {
                    name: format!("{}.{}", i.module(), i.name()),
                    ty: fmt_extern(&i.ty()),
                })
                .collect(),
            exports: module
                .exports()
                .map(|e| ModuleItem {
                    name: e.name().to_string(),
                    ty: fmt_extern(&e.ty()),
                })
                .collect(),
        })
    }
}

/// Run `check` on a thread of its own while `work` runs on this one (here
/// validating a file while its rewritten module compiles: a load begins
/// with wasmtime translating the module on one thread, which leaves a core
/// free, before it compiles the functions on all of them). `check`'s error
/// comes first.
fn alongside<T>(
    check: impl Fn() -> Result<(), PluginError> + Sync,
    work: impl FnOnce() -> Result<T, PluginError>,
) -> Result<T, PluginError> {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("vixshield-validate".into())
            .spawn_scoped(scope, &check);
        let result = work();
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(PluginError::Engine {
                    message: "the WebAssembly validator stopped unexpectedly".into(),
                })
            }),
            // No thread to be had: check here.
            Err(_) => check(),
        }?;
        result
    })
}

/// Validate the module `bytes` as loaded, with `tier`'s engine.
fn validate_source(
    tier: Tier,
    manifest: &Manifest,
    bytes: &[u8],
    canonicalize_nans: bool,
) -> Result<(), PluginError> {
    let backend = backend(tier, canonicalize_nans)?;
    Module::validate(&backend.engine, bytes).map_err(|e| PluginError::InvalidModule {
        plugin: manifest.name.clone(),
        path: manifest.wasm_path(),
        message: one_line(&format!("{e:#}")),
    })
}

/// A compiler's message on one line: wasmparser prints some byte arrays as
/// an indented list (`expected=[\n    0x0,\n ...]`), which would break up
/// `plugin list`, `plugin inspect` and diagnostics.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .replace("[ ", "[")
        .replace(", ]", "]")
        .replace(",]", "]")
}

/// The most threads a module's functions compile on. Each thread holds the
/// function it compiles, up to some 25 MB for one at the host's caps
/// (`check_counts`), so on rayon's global pool (a thread per core) a
/// hostile module's peak grew with the machine: a module at every cap took
/// 168 MB on 2 threads and 292 MB on 16 (`RAYON_NUM_THREADS=16`). Four
/// keep it near 200 MB on any machine; a plugin's few dozen functions gain
/// little from more.
const MAX_COMPILE_THREADS: usize = 4;

/// The pool modules compile on: [`MAX_COMPILE_THREADS`] at most, fewer on
/// a machine with fewer cores, with the 8 MiB stacks the compilers are
/// given on a thread of their own. `None` if no thread could be started:
/// compiles then run on rayon's global pool as before.
fn compile_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores.min(MAX_COMPILE_THREADS))
            .thread_name(|i| format!("vixshield-compile-{i}"))
            .stack_size(8 << 20)
            .build()
            .ok()
    })
    .as_ref()
}

/// `Module::from_binary` on [`compile_pool`]: wasmtime compiles a module's
/// functions in parallel on the rayon pool it is called from.
fn from_binary(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
    match compile_pool() {
        Some(pool) => pool.install(|| Module::from_binary(engine, bytes)),
        None => Module::from_binary(engine, bytes),
    }
}

/// Compile `bytes` with `tier`'s engine.
fn compile_module(
    tier: Tier,
    canonicalize_nans: bool,
    manifest: &Manifest,
    bytes: &Arc<[u8]>,
    deadline: Duration,
) -> Result<Module, PluginError> {
    let backend = backend(tier, canonicalize_nans)?;
    let invalid = |e: wasmtime::Error| PluginError::InvalidModule {
        plugin: manifest.name.clone(),
        path: manifest.wasm_path(),
        message: one_line(&format!("{e:#}")),
    };
    if tier == Tier::Baseline {
        return from_binary(&backend.engine, bytes).map_err(invalid);
    }
    // Cranelift's time can grow far faster than the module's size: compile
    // on a thread of its own and stop waiting at the deadline.
    let (engine, owned) = (backend.engine.clone(), Arc::clone(bytes));
    let (done, result) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("vixshield-cranelift".into())
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = done.send(from_binary(&engine, &owned));
        });
    if spawned.is_err() {
        // No thread to be had: compile here, without a deadline.
        return from_binary(&backend.engine, bytes).map_err(invalid);
    }
    match result.recv_timeout(deadline) {
        Ok(module) => module.map_err(invalid),
        Err(RecvTimeoutError::Timeout) => Err(PluginError::CompileTimeout {
            plugin: manifest.name.clone(),
            path: manifest.wasm_path(),
            seconds: deadline.as_secs_f64(),
        }),
        Err(RecvTimeoutError::Disconnected) => Err(invalid(wasmtime::Error::msg(
            "the compiler stopped without a result",
        ))),
    }
}

/// Keep `code` as `compiled`'s code of its tier (the first one stays).
fn record(compiled: &Compiled, code: &Code) {
    match code.backend.tier {
        Tier::Baseline => {
            let _ = compiled.baseline.set(code.clone());
        }
        Tier::Optimized => {
            let _ = compiled.optimized.set(Some(code.clone()));
        }
    }
}

/// The disk cache's key for `compiled` on `tier`.
fn entry_key(backend: &Backend, compiled: &Compiled) -> EntryKey {
    EntryKey::new(
        &backend.engine,
        backend.tier,
        compiled.canonicalize_nans,
        &compiled.source_sha,
        &compiled.compiled_sha,
    )
}

/// `compiled`'s code on `tier` from the disk cache, validated against the
/// ABI like freshly compiled code.
fn read_code(
    disk: &DiskCache,
    tier: Tier,
    manifest: &Manifest,
    compiled: &Compiled,
) -> Result<Code, Miss> {
    let backend =
        backend(tier, compiled.canonicalize_nans).map_err(|e| Miss::Refused(e.to_string()))?;
    let module = disk.get(&backend.engine, &entry_key(backend, compiled))?;
    ready(backend, manifest, &module).map_err(|e| Miss::Stale(e.to_string()))
}

/// Why a load did not use the disk cache, for the people asking
/// ([`LoadedPlugin::disk_cache_note`]); `None` for an entry not written yet.
fn miss_note(disk: &DiskCache, miss: Miss) -> Option<String> {
    let dir = disk.dir().display();
    match miss {
        Miss::Absent => None,
        Miss::Refused(why) => Some(format!("the disk cache in {dir} was not used: {why}")),
        Miss::Stale(why) => Some(format!(
            "the disk cache's entry in {dir} could not be used ({why}); compiled afresh"
        )),
    }
}

/// [`compile`], unless `disk` already holds the code.
fn read_or_compile(
    tier: Tier,
    manifest: &Manifest,
    compiled: &Compiled,
    deadline: Duration,
    disk: Option<&DiskCache>,
    note: &mut Option<String>,
) -> Result<Code, PluginError> {
    if let Some(disk) = disk {
        match read_code(disk, tier, manifest, compiled) {
            Ok(code) => return Ok(code),
            Err(miss) => *note = miss_note(disk, miss),
        }
    }
    compile(tier, manifest, compiled, deadline, disk, note)
}

/// Compile and validate a module on one tier, writing it to `disk`; why
/// the disk cache did not take it goes to `note`.
fn compile(
    tier: Tier,
    manifest: &Manifest,
    compiled: &Compiled,
    deadline: Duration,
    disk: Option<&DiskCache>,
    note: &mut Option<String>,
) -> Result<Code, PluginError> {
    let backend = backend(tier, compiled.canonicalize_nans)?;
    let canonical = compiled.canonicalize_nans;
    let module = compile_module(tier, canonical, manifest, &compiled.bytes, deadline)?;
    let code = ready(backend, manifest, &module)?;
    // Only modules that passed validation are written; a failed write only
    // means the next run compiles again.
    if let Some(disk) = disk
        && let Err(why) = disk.put(&entry_key(backend, compiled), &module)
    {
        let dir = disk.dir().display();
        note.get_or_insert_with(|| format!("could not keep the compiled plugin in {dir}: {why}"));
    }
    Ok(code)
}

/// Validate a compiled module against the ABI and prepare its instances.
fn ready(
    backend: &'static Backend,
    manifest: &Manifest,
    module: &Module,
) -> Result<Code, PluginError> {
    validate(&manifest.name, module)?;
    let linker: Linker<StoreState> = Linker::new(&backend.engine);
    let pre = linker
        .instantiate_pre(module)
        .map_err(|e| PluginError::InvalidModule {
            plugin: manifest.name.clone(),
            path: manifest.wasm_path(),
            message: one_line(&format!("{e:#}")),
        })?;
    Ok(Code { backend, pre })
}

/// A module's imports and exports, as [`PluginHost::describe`] lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ModuleInfo {
    /// Imports (`module.field`), in declaration order; a plugin has none.
    pub imports: Vec<ModuleItem>,
    /// Exports, in declaration order.
    pub exports: Vec<ModuleItem>,
}

/// One import or export: its name and its type in words
/// (`(func (param i32) (result i32))`, `a 32-bit memory`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ModuleItem {
    /// The name (`module.field` for an import).
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub ty: String,
}

fn fmt_func(ty: &FuncType) -> String {
    let mut s = String::from("(func");
    let list = |kw: &str, tys: Vec<ValType>| -> String {
        if tys.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = tys.iter().map(ToString::to_string).collect();
            format!(" ({kw} {})", names.join(" "))
        }
    };
    s.push_str(&list("param", ty.params().collect()));
    s.push_str(&list("result", ty.results().collect()));
    s.push(')');
    s
}

fn fmt_extern(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => fmt_func(f),
        ExternType::Global(_) => "a global".into(),
        ExternType::Table(_) => "a table".into(),
        ExternType::Memory(m) => {
            let mut s = String::from(if m.is_64() { "a 64-bit" } else { "a 32-bit" });
            s.push_str(if m.is_shared() {
                " shared memory"
            } else {
                " memory"
            });
            s
        }
        ExternType::Tag(_) => "a tag".into(),
    }
}

/// Is `ty` a function of `params` i32 parameters and `results` i32 results?
fn func_matches(ty: &ExternType, params: usize, results: usize) -> bool {
    let ExternType::Func(f) = ty else {
        return false;
    };
    let all_i32 = |mut it: Box<dyn ExactSizeIterator<Item = ValType> + '_>, n: usize| {
        it.len() == n && it.all(|t| matches!(t, ValType::I32))
    };
    all_i32(Box::new(f.params()), params) && all_i32(Box::new(f.results()), results)
}

/// Check a compiled module against ABI version 1, in the documented order:
/// imports, ABI marker, then the other exports and their types.
fn validate(name: &str, module: &Module) -> Result<(), PluginError> {
    if let Some(import) = module.imports().next() {
        return Err(PluginError::Import {
            plugin: name.to_string(),
            module: import.module().to_string(),
            field: import.name().to_string(),
        });
    }
    let export = |n: &str| module.get_export(n);
    let wrong = |export: &'static str, expected: &'static str, found: &ExternType| {
        PluginError::ExportType {
            plugin: name.to_string(),
            export,
            expected,
            found: fmt_extern(found),
        }
    };
    let missing = |export: &'static str, expected: &'static str| PluginError::MissingExport {
        plugin: name.to_string(),
        export,
        expected,
    };

    let Some(marker) = export(EXPORT_MARKER) else {
        return Err(PluginError::MissingAbiMarker {
            plugin: name.to_string(),
        });
    };
    if !func_matches(&marker, 0, 0) {
        return Err(wrong(EXPORT_MARKER, TYPE_MARKER, &marker));
    }

    match export(EXPORT_MEMORY) {
        None => return Err(missing(EXPORT_MEMORY, TYPE_MEMORY)),
        Some(ExternType::Memory(m)) if !m.is_64() && !m.is_shared() => {}
        Some(other) => return Err(wrong(EXPORT_MEMORY, TYPE_MEMORY, &other)),
    }

    match export(EXPORT_ALLOC) {
        None => return Err(missing(EXPORT_ALLOC, TYPE_ALLOC)),
        Some(t) if func_matches(&t, 1, 1) => {}
        Some(other) => return Err(wrong(EXPORT_ALLOC, TYPE_ALLOC, &other)),
    }
    match export(EXPORT_COMPUTE) {
        None => return Err(missing(EXPORT_COMPUTE, TYPE_COMPUTE)),
        Some(t) if func_matches(&t, 6, 1) => {}
        Some(other) => return Err(wrong(EXPORT_COMPUTE, TYPE_COMPUTE, &other)),
    }
    Ok(())
}

/// A plugin that passed validation, ready to [`compute`](Self::compute).
/// Cheap to clone; shareable across threads. Clones (and other loads of the
/// same module) share the compiled code, so they move to the optimized tier
/// together.
#[derive(Clone)]
pub struct LoadedPlugin {
    manifest: Manifest,
    compiled: Arc<Compiled>,
    /// The code loading found or compiled (the tier asked for, or the
    /// other one if only that compiler took the module).
    loaded: Code,
    /// Where the load found `loaded`.
    origin: LoadOrigin,
    /// Why the disk cache did not serve or take the load.
    disk_note: Option<String>,
    /// Where a tier-up looks for optimized code first, and writes it.
    disk: Option<Arc<DiskCache>>,
    tiering: Tiering,
    tier_up_fuel_per_byte: u64,
    compile_deadline: Duration,
    fuel: u64,
    memory_mib: u32,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.manifest.name)
            .field("tier", &self.tier())
            .field("fuel", &self.fuel)
            .field("memory_mib", &self.memory_mib)
            .finish_non_exhaustive()
    }
}

/// The result of one computation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Computation {
    /// One value per bar; NaN where the plugin has no value yet. For
    /// `output = "bool"` plugins: 0.0 false, 1.0 true, NaN no value.
    pub values: Vec<f64>,
    /// Fuel the computation used (deterministic).
    pub fuel_used: u64,
    /// The compiler whose code ran it (for an empty series: the one that
    /// would have).
    pub tier: Tier,
}

/// A guest buffer: its offset and length in bytes.
#[derive(Clone, Copy)]
struct Buffer {
    offset: u32,
    len: u32,
}

impl Buffer {
    fn range(self) -> Range<usize> {
        let start = self.offset as usize;
        start..start.saturating_add(self.len as usize)
    }
}

/// A computation's arguments, checked and sized.
struct Call<'a> {
    inputs: &'a [&'a [f64]],
    params: &'a [f64],
    n_inputs: i32,
    n_bars: i32,
    n_params: i32,
    in_size: u32,
    params_size: u32,
    out_size: u32,
}

impl LoadedPlugin {
    /// The manifest this plugin was loaded with.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The fuel budget of one computation.
    pub fn fuel_budget(&self) -> u64 {
        self.fuel
    }

    /// The memory cap, in MiB.
    pub fn memory_mib(&self) -> u32 {
        self.memory_mib
    }

    /// Where loading found the plugin's code: compiled it, or found it
    /// compiled earlier in this process or on disk.
    pub fn origin(&self) -> LoadOrigin {
        self.origin
    }

    /// Why the load did not read or write the disk cache when it had one:
    /// the folder or file failed its checks, the entry was damaged or of
    /// another engine, or it could not be written. `None` when the cache
    /// served the load, took what it compiled, or is off.
    pub fn disk_cache_note(&self) -> Option<&str> {
        self.disk_note.as_deref()
    }

    /// The tier the next computation will run on.
    pub fn tier(&self) -> Tier {
        self.code().backend.tier
    }

    /// The code to run: the optimized tier once there is one (unless this
    /// host asked for the baseline tier only), else what loading gave.
    fn code(&self) -> &Code {
        match self.tiering {
            Tiering::Baseline => &self.loaded,
            Tiering::Adaptive | Tiering::Optimized => {
                self.compiled.optimized().unwrap_or(&self.loaded)
            }
        }
    }

    /// [`compute`](Self::compute) with the manifest's default parameters.
    pub fn compute_with_defaults(&self, inputs: &[&[f64]]) -> Result<Computation, PluginError> {
        self.compute(inputs, &self.manifest.default_params())
    }

    /// Run the plugin once over whole series. `inputs` must hold the
    /// manifest's number of series, all of the same length; `params` the
    /// manifest's parameters in order.
    pub fn compute(&self, inputs: &[&[f64]], params: &[f64]) -> Result<Computation, PluginError> {
        let code = self.code();
        let Some(call) = self.check_call(inputs, params)? else {
            return Ok(Computation {
                values: Vec::new(),
                fuel_used: 0,
                tier: code.backend.tier,
            });
        };
        let (result, fuel_used) = {
            // Declared before the store, so the slot is given back only
            // after the store (and its instance) is gone.
            let _slot = code.backend.slot();
            let mut store = Store::new(
                &code.backend.engine,
                StoreState {
                    limiter: Limiter {
                        memory_cap: (self.memory_mib as usize).saturating_mul(1024 * 1024),
                        refused: None,
                    },
                },
            );
            store.limiter(|s| &mut s.limiter);
            let result = match store.set_fuel(self.fuel) {
                Ok(()) => self.run(&mut store, code, &call),
                Err(e) => Err(self.call_error(&store, INSTANTIATION, e)),
            };
            let fuel_left = store.get_fuel().unwrap_or(0);
            (result, self.fuel.saturating_sub(fuel_left))
        };
        if code.backend.tier == Tier::Baseline {
            self.account_baseline_fuel(fuel_used);
        }
        result.map(|values| Computation {
            values,
            fuel_used,
            tier: code.backend.tier,
        })
    }

    /// Check the arguments against the manifest and size the buffers;
    /// `None` for a series of 0 bars.
    fn check_call<'a>(
        &self,
        inputs: &'a [&'a [f64]],
        params: &'a [f64],
    ) -> Result<Option<Call<'a>>, PluginError> {
        let name = &self.manifest.name;
        let n_inputs = self.manifest.inputs as usize;
        if inputs.len() != n_inputs {
            return Err(PluginError::InputCount {
                plugin: name.clone(),
                expected: n_inputs,
                found: inputs.len(),
            });
        }
        if params.len() != self.manifest.params.len() {
            return Err(PluginError::ParamCount {
                plugin: name.clone(),
                expected: self.manifest.params.len(),
                found: params.len(),
                names: self
                    .manifest
                    .params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let n_bars = inputs.first().map_or(0, |s| s.len());
        for (index, series) in inputs.iter().enumerate() {
            if series.len() != n_bars {
                return Err(PluginError::InputLength {
                    plugin: name.clone(),
                    index,
                    expected: n_bars,
                    found: series.len(),
                });
            }
        }
        if n_bars == 0 {
            return Ok(None);
        }
        let size = |what: &'static str, count: u128| -> Result<u32, PluginError> {
            let bytes = count.saturating_mul(8);
            match i32::try_from(bytes) {
                Ok(b) => Ok(b.cast_unsigned()),
                Err(_) => Err(PluginError::TooLarge {
                    plugin: name.clone(),
                    what,
                    bytes,
                }),
            }
        };
        let in_size = size("inputs", (n_inputs as u128).saturating_mul(n_bars as u128))?;
        let params_size = size("params", params.len() as u128)?;
        let out_size = size("output", n_bars as u128)?;
        // All three fit in i32 (checked above), so these conversions are lossless.
        Ok(Some(Call {
            inputs,
            params,
            n_inputs: i32::try_from(n_inputs).unwrap_or(i32::MAX),
            n_bars: i32::try_from(n_bars).unwrap_or(i32::MAX),
            n_params: i32::try_from(params.len()).unwrap_or(i32::MAX),
            in_size,
            params_size,
            out_size,
        }))
    }

    /// Instantiate, allocate, copy in, compute, copy out: the values.
    fn run(
        &self,
        store: &mut Store<StoreState>,
        code: &Code,
        call: &Call<'_>,
    ) -> Result<Vec<f64>, PluginError> {
        let name = &self.manifest.name;
        let instance = code
            .pre
            .instantiate(&mut *store)
            .map_err(|e| self.call_error(store, INSTANTIATION, e))?;
        let memory: Memory = instance
            .get_memory(&mut *store, EXPORT_MEMORY)
            .ok_or_else(|| PluginError::MissingExport {
                plugin: name.clone(),
                export: EXPORT_MEMORY,
                expected: TYPE_MEMORY,
            })?;
        let alloc: TypedFunc<i32, i32> = instance
            .get_typed_func(&mut *store, EXPORT_ALLOC)
            .map_err(|e| self.call_error(store, EXPORT_ALLOC, e))?;
        let compute: TypedFunc<(i32, i32, i32, i32, i32, i32), i32> = instance
            .get_typed_func(&mut *store, EXPORT_COMPUTE)
            .map_err(|e| self.call_error(store, EXPORT_COMPUTE, e))?;

        let mut taken: Vec<(&'static str, Buffer)> = Vec::with_capacity(3);
        let mut allocate = |store: &mut Store<StoreState>,
                            what: &'static str,
                            len: u32|
         -> Result<Buffer, PluginError> {
            if len == 0 {
                return Ok(Buffer { offset: 0, len: 0 });
            }
            let offset = alloc
                .call(&mut *store, len.cast_signed())
                .map_err(|e| self.call_error(store, EXPORT_ALLOC, e))?
                .cast_unsigned();
            if offset == 0 {
                return Err(PluginError::AllocFailed {
                    plugin: name.clone(),
                    what,
                    size: len,
                });
            }
            let buf = Buffer { offset, len };
            let mem_size = memory.data_size(&*store);
            let bad = |problem: String| PluginError::BadAlloc {
                plugin: name.clone(),
                what,
                offset,
                size: len,
                problem,
            };
            let end = u64::from(offset) + u64::from(len);
            if end > mem_size as u64 {
                return Err(bad(format!("past the end of its {mem_size}-byte memory")));
            }
            for (other, b) in &taken {
                let (r, s) = (buf.range(), b.range());
                if r.start < s.end && s.start < r.end {
                    return Err(bad(format!("overlapping the {other} buffer")));
                }
            }
            taken.push((what, buf));
            Ok(buf)
        };
        let in_buf = allocate(store, "inputs", call.in_size)?;
        let params_buf = allocate(store, "params", call.params_size)?;
        let out_buf = allocate(store, "output", call.out_size)?;

        {
            let data = memory.data_mut(&mut *store);
            let region_error = |what: &'static str, b: Buffer| PluginError::BadAlloc {
                plugin: name.clone(),
                what,
                offset: b.offset,
                size: b.len,
                problem: "past the end of its memory".into(),
            };
            let dst = data
                .get_mut(in_buf.range())
                .ok_or_else(|| region_error("inputs", in_buf))?;
            // Series after series: each is one straight copy.
            let (mut chunks, _) = dst.as_chunks_mut::<8>();
            for series in call.inputs {
                let (head, rest) = chunks.split_at_mut(series.len().min(chunks.len()));
                for (chunk, v) in head.iter_mut().zip(series.iter()) {
                    *chunk = v.to_le_bytes();
                }
                chunks = rest;
            }
            let dst = data
                .get_mut(params_buf.range())
                .ok_or_else(|| region_error("params", params_buf))?;
            let (chunks, _) = dst.as_chunks_mut::<8>();
            for (chunk, v) in chunks.iter_mut().zip(call.params) {
                *chunk = v.to_le_bytes();
            }
            // A bar the plugin does not write has no value, not the 0.0 of
            // fresh memory (a valid number, and `false` for a bool).
            let dst = data
                .get_mut(out_buf.range())
                .ok_or_else(|| region_error("output", out_buf))?;
            let (chunks, _) = dst.as_chunks_mut::<8>();
            chunks.fill(f64::NAN.to_le_bytes());
        }

        let status = compute
            .call(
                &mut *store,
                (
                    in_buf.offset.cast_signed(),
                    call.n_inputs,
                    call.n_bars,
                    params_buf.offset.cast_signed(),
                    call.n_params,
                    out_buf.offset.cast_signed(),
                ),
            )
            .map_err(|e| self.call_error(store, EXPORT_COMPUTE, e))?;
        if status != 0 {
            let plural = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            let params: Vec<String> = self
                .manifest
                .params
                .iter()
                .zip(call.params)
                .map(|(p, v)| format!("{} = {v}", p.name))
                .collect();
            let given = format!(
                "{} of {} and {}",
                plural(call.inputs.len(), "input series", "input series"),
                plural(call.n_bars.unsigned_abs() as usize, "bar", "bars"),
                match params.len() {
                    0 => "no params".to_string(),
                    n => format!("{} ({})", plural(n, "param", "params"), params.join(", ")),
                }
            );
            return Err(PluginError::Status {
                plugin: name.clone(),
                code: status,
                meaning: self
                    .manifest
                    .errors
                    .get(&status)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default(),
                call: given,
            });
        }

        // `vxs_compute` may have grown memory, never shrunk it: the range is
        // still inside, but check anyway rather than trust it.
        let src =
            memory
                .data(&*store)
                .get(out_buf.range())
                .ok_or_else(|| PluginError::BadAlloc {
                    plugin: name.clone(),
                    what: "output",
                    offset: out_buf.offset,
                    size: out_buf.len,
                    problem: "past the end of its memory".into(),
                })?;
        let (chunks, _) = src.as_chunks::<8>();
        let mut values: Vec<f64> = chunks.iter().map(|c| f64::from_le_bytes(*c)).collect();
        if self.manifest.output == OutputKind::Bool {
            for v in &mut values {
                if !v.is_nan() {
                    *v = if *v == 0.0 { 0.0 } else { 1.0 };
                }
            }
        }
        Ok(values)
    }

    /// Add a baseline computation's fuel to the module's total and, under
    /// [`Tiering::Adaptive`], compile the optimized tier once the total
    /// reaches the threshold. Only one thread compiles; the others carry on
    /// with the baseline code meanwhile.
    fn account_baseline_fuel(&self, fuel_used: u64) {
        let compiled = &self.compiled;
        let total = compiled
            .baseline_fuel
            .fetch_add(fuel_used, Ordering::Relaxed)
            .saturating_add(fuel_used);
        let threshold = self
            .tier_up_fuel_per_byte
            .saturating_mul(compiled.bytes.len() as u64);
        if self.tiering != Tiering::Adaptive
            || total < threshold
            || compiled.optimized.get().is_some()
            || compiled.tiering_up.swap(true, Ordering::AcqRel)
        {
            return;
        }
        // The module already passed validation on the baseline tier; if the
        // optimizing compiler refuses it anyway, stay on the baseline tier.
        let optimized = read_or_compile(
            Tier::Optimized,
            &self.manifest,
            compiled,
            self.compile_deadline,
            self.disk.as_deref(),
            &mut None,
        )
        .ok();
        let _ = compiled.optimized.set(optimized);
    }

    /// Turn a wasmtime error from running `export` into a [`PluginError`].
    fn call_error(
        &self,
        store: &Store<StoreState>,
        export: &'static str,
        err: wasmtime::Error,
    ) -> PluginError {
        let plugin = self.manifest.name.clone();
        if let Some(desired) = store.data().limiter.refused {
            return PluginError::MemoryLimit {
                plugin,
                export,
                limit_mib: self.memory_mib,
                desired: desired as u64,
            };
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => PluginError::OutOfFuel {
                plugin,
                export,
                fuel: self.fuel,
            },
            Some(Trap::StackOverflow) => PluginError::Trap {
                plugin,
                export,
                trap: "stack overflow".into(),
            },
            Some(trap) => {
                let text = trap.to_string();
                let text = text.strip_prefix("wasm trap: ").unwrap_or(&text);
                // Rust's `no_std` panic handler, and `panic = "abort"`, end
                // in `unreachable`: say so, or a panic reads as a riddle.
                let hint = match trap {
                    Trap::UnreachableCodeReached => {
                        " (a Rust plugin's panic ends there: an index out of bounds, an `unwrap` of `None`, an overflow in a debug build, ...)"
                    }
                    // rustc's wasm stack sits below the data and grows down:
                    // running past it leaves memory from below address 0.
                    Trap::MemoryOutOfBounds => {
                        " (in a Rust plugin, often its stack overflowing: a large local array or deep recursion needs more than the `-zstack-size` its `.cargo/config.toml` sets, 64 KiB from `plugin new`)"
                    }
                    _ => "",
                };
                PluginError::Trap {
                    plugin,
                    export,
                    trap: format!("{text}{hint}"),
                }
            }
            None => PluginError::Trap {
                plugin,
                export,
                trap: format!("{err:#}"),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A custom section `name` of `size` zero bytes.
    fn custom(name: &str, size: usize) -> Vec<u8> {
        let mut payload = Vec::new();
        leb(name.len(), &mut payload);
        payload.extend_from_slice(name.as_bytes());
        payload.resize(payload.len() + size, 0);
        let mut out = vec![0];
        leb(payload.len(), &mut out);
        out.extend(payload);
        out
    }

    /// The module's sections as `(id, custom name, bytes)`.
    fn sections(bytes: &[u8]) -> Vec<(u8, Option<String>, Vec<u8>)> {
        use wasmtime::wasmparser::{Parser, Payload};
        let mut out = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.expect("parses");
            if let Payload::CustomSection(c) = &payload {
                out.push((0, Some(c.name().to_string()), c.data().to_vec()));
            } else if let Some((id, range)) = payload.as_section() {
                out.push((id, None, bytes[range].to_vec()));
            }
        }
        out
    }

    /// A debug build's DWARF is dropped before the module is rewritten and
    /// compiled, wherever it sits; `name` and every other section stay as
    /// they are, in order, and the plugin computes the same values with the
    /// same fuel. Custom sections under the threshold are left in place.
    #[test]
    fn unread_custom_sections_are_not_compiled() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures/std_plugin");
        let plain = std::fs::read(dir.join("std_plugin.wasm")).expect("the fixture");
        let manifest = Manifest::from_file(&dir.join("plugin.toml")).expect("its manifest");
        assert_eq!(
            strip_unread_sections(&plain),
            None,
            "a release build is left alone"
        );

        // DWARF after the header's first section and at the end, 2 × 100 KiB.
        let first_end = {
            let mut r = wasmtime::wasmparser::BinaryReader::new(&plain, 0);
            r.read_bytes(8).expect("header");
            r.read_u8().expect("id");
            let size = r.read_var_u32().expect("size") as usize;
            r.original_position() + size
        };
        let mut debug = plain[..first_end].to_vec();
        debug.extend(custom(".debug_info", 100 << 10));
        debug.extend_from_slice(&plain[first_end..]);
        // A `name` section naming the module `std` (subsection 0).
        let mut names = custom("name", 0);
        names.truncate(1);
        names.extend([1 + 5 + 1 + 4, 4, b'n', b'a', b'm', b'e', 0, 4, 3]);
        names.extend_from_slice(b"std");
        debug.extend(names);
        debug.extend(custom(".debug_line", 100 << 10));

        let stripped = strip_unread_sections(&debug).expect("stripped");
        let kept = |b: &[u8]| -> Vec<_> {
            sections(b)
                .into_iter()
                .filter(|(_, name, _)| name.as_deref().is_none_or(|n| n == "name"))
                .collect()
        };
        assert_eq!(sections(&stripped), kept(&debug));
        assert_eq!(kept(&debug).len(), kept(&plain).len() + 1, "`name` kept");

        let host = PluginHost::new(HostConfig::default()).expect("engine");
        let series: Vec<f64> = (0..500)
            .map(|i| 15.0 + (f64::from(i) * 0.37).sin() * 4.0)
            .collect();
        let run = |bytes: &[u8]| {
            PluginHost::clear_module_cache();
            let loaded = host.load_bytes(&manifest, bytes).expect("loads");
            let c = loaded.compute_with_defaults(&[&series]).expect("computes");
            (
                c.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                c.fuel_used,
                loaded.compiled.bytes.len(),
            )
        };
        // An invalid module's error is at the file's offset, not the
        // stripped copy's: the DWARF before its code moves the code.
        let invalid = wat::parse_str(
            r#"(module (memory (export "memory") 1) (func (result i32) i64.const 0))"#,
        )
        .expect("wat");
        let with_dwarf = [
            &invalid[..8],
            &custom(".debug_info", 100 << 10),
            &invalid[8..],
        ]
        .concat();
        let message = |bytes: &[u8]| match host.load_bytes(&manifest, bytes) {
            Err(PluginError::InvalidModule { message, .. }) => message,
            other => panic!("{:?}", other.err()),
        };
        let moved = message(&with_dwarf);
        assert_ne!(message(&invalid), moved);
        let offset = |m: &str| -> usize {
            // wasmparser's `(at offset 0x2b)` or the compiler's `at offset 43:`.
            let t = m.split("at offset ").nth(1).unwrap_or_default();
            let t = t.split([':', ')']).next().unwrap_or_default();
            match t.strip_prefix("0x") {
                Some(hex) => usize::from_str_radix(hex, 16).ok(),
                None => t.parse().ok(),
            }
            .unwrap_or_else(|| panic!("no offset: {m}"))
        };
        assert_eq!(
            offset(&message(&invalid)) + with_dwarf.len() - invalid.len(),
            offset(&moved)
        );

        let (values, fuel, compiled_len) = run(&plain);
        let (debug_values, debug_fuel, debug_compiled_len) = run(&debug);
        assert_eq!(debug_values, values);
        assert_eq!(debug_fuel, fuel);
        assert!(
            debug_compiled_len < compiled_len + 1024,
            "{debug_compiled_len} compiled bytes for {} with DWARF, {compiled_len} without",
            debug.len()
        );
    }
}
