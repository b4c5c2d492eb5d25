//! The disk cache of compiled plugins: a later run reads what an earlier one
//! compiled, and anything damaged, foreign or exposed is compiled afresh,
//! never run.

use std::path::{Path, PathBuf};

use vixshield::plugin::{
    DiskCache, HostConfig, LoadOrigin, LoadedPlugin, Manifest, PluginHost, Tier, Tiering,
};

use crate::common::{text, vixshield_in};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `wasm` with a custom section naming `tag` appended: the same plugin, a
/// different SHA-256, so that no other test's load (the process keeps
/// compiled modules in memory too) can serve it.
fn tagged(wasm: &[u8], tag: &str) -> Vec<u8> {
    let name = b"vixshield-test";
    let payload_len = 1 + name.len() + tag.len();
    assert!(payload_len < 128, "one-byte LEB128 lengths");
    let mut out = wasm.to_vec();
    out.push(0); // custom section
    out.push(payload_len as u8);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(tag.as_bytes());
    out
}

/// The `wilder_rsi` example, tagged, installed in `dir`.
fn rsi_plugin(dir: &Path, tag: &str) -> (Manifest, Vec<u8>) {
    let example = Manifest::from_file(&repo().join("plugins/wilder_rsi/plugin.toml")).unwrap();
    let wasm = tagged(&std::fs::read(example.wasm_path()).unwrap(), tag);
    let folder = dir.join("wilder_rsi");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(&example.path, folder.join("plugin.toml")).unwrap();
    std::fs::write(folder.join(&example.wasm), &wasm).unwrap();
    (
        Manifest::from_file(&folder.join("plugin.toml")).unwrap(),
        wasm,
    )
}

/// A tagged `wilder_rsi` in a plugin folder of its own, and an empty cache
/// folder (both removed when dropped).
struct Case {
    _plugins: tempfile::TempDir,
    cache: tempfile::TempDir,
    m: Manifest,
    wasm: Vec<u8>,
}

fn case(tag: &str) -> Case {
    let plugins = tempfile::tempdir().unwrap();
    let (m, wasm) = rsi_plugin(plugins.path(), tag);
    Case {
        _plugins: plugins,
        cache: tempfile::tempdir().unwrap(),
        m,
        wasm,
    }
}

fn cached_host(tiering: Tiering, cache: &Path) -> PluginHost {
    PluginHost::new(HostConfig::default().with_tiering(tiering))
        .unwrap()
        .with_disk_cache(Some(DiskCache::at(cache)))
}

/// The cache's entries: (file name, inode) sorted by name.
fn entries(cache: &Path) -> Vec<(String, u64)> {
    use std::os::unix::fs::MetadataExt;
    let mut v: Vec<(String, u64)> = std::fs::read_dir(cache)
        .map(|r| {
            r.flatten()
                .map(|e| {
                    let ino = e.metadata().unwrap().ino();
                    (e.file_name().to_string_lossy().into_owned(), ino)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn closes() -> Vec<f64> {
    (0..400)
        .map(|i| 20.0 + (f64::from(i) * 0.37).sin() * 6.0)
        .collect()
}

/// Load `wasm` as a new process would: nothing compiled in memory.
fn reload(host: &PluginHost, m: &Manifest, wasm: &[u8]) -> LoadedPlugin {
    let _cleared = module_cache_lock();
    PluginHost::clear_module_cache();
    host.load_bytes(m, wasm).unwrap()
}

/// Held by whatever clears the process's module cache, and by a test that
/// expects a module to stay in it: tests run on parallel threads, and
/// another test's clear between a load and the reload meant to find it in
/// memory made that reload compile (a failure seen once in a full run).
fn module_cache_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Values (as bits) and fuel of one computation.
fn run(plugin: &LoadedPlugin) -> (Vec<u64>, u64) {
    let c = plugin.compute(&[&closes()], &[14.0]).unwrap();
    (c.values.iter().map(|v| v.to_bits()).collect(), c.fuel_used)
}

#[test]
fn a_later_load_reads_what_an_earlier_one_compiled() {
    let Case { cache, m, wasm, .. } = &case("later-load");
    let host = cached_host(Tiering::Baseline, cache.path());

    let first = host.load_bytes(m, wasm).unwrap();
    assert_eq!(first.origin(), LoadOrigin::Compiled);
    let written = entries(cache.path());
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].0.ends_with(".vxscode"), "{written:?}");

    // No other test may clear the module cache until the last load below.
    let _kept = module_cache_lock();
    PluginHost::clear_module_cache();
    let second = host.load_bytes(m, wasm).unwrap();
    assert_eq!(second.origin(), LoadOrigin::Disk);
    assert_eq!(second.tier(), Tier::Baseline);
    assert_eq!(entries(cache.path()), written, "a hit writes nothing");
    // The same code: the same values, bit for bit, and the same fuel.
    assert_eq!(run(&first), run(&second));

    // Without a disk cache the process's own cache serves a reload.
    let plain = PluginHost::new(HostConfig::default().with_tiering(Tiering::Baseline)).unwrap();
    assert_eq!(
        plain.load_bytes(m, wasm).unwrap().origin(),
        LoadOrigin::Memory
    );
}

#[test]
fn a_changed_module_is_compiled_not_read() {
    let plugins = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let host = cached_host(Tiering::Baseline, cache.path());
    let (m, wasm) = rsi_plugin(plugins.path(), "changed-a");
    host.load_bytes(&m, &wasm).unwrap();
    let (m, wasm) = rsi_plugin(plugins.path(), "changed-b");
    assert_eq!(reload(&host, &m, &wasm).origin(), LoadOrigin::Compiled);
    assert_eq!(entries(cache.path()).len(), 2);
}

#[test]
fn a_damaged_entry_is_compiled_again_and_replaced() {
    let Case { cache, m, wasm, .. } = &case("damaged");
    let host = cached_host(Tiering::Baseline, cache.path());
    let good = run(&host.load_bytes(m, wasm).unwrap());
    let [(name, _)] = entries(cache.path()).try_into().unwrap();
    let path = cache.path().join(&name);
    let bytes = std::fs::read(&path).unwrap();

    // One flipped bit in the code, then a torn (truncated) write.
    let mut flipped = bytes.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x10;
    for damaged in [flipped, bytes[..bytes.len() - 100].to_vec()] {
        std::fs::write(&path, &damaged).unwrap();
        let reloaded = reload(&host, m, wasm);
        assert_eq!(reloaded.origin(), LoadOrigin::Compiled);
        let note = reloaded.disk_cache_note().unwrap();
        assert!(note.contains("do not match their checksum"), "{note}");
        assert_eq!(run(&reloaded), good);
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "rewritten whole");
    }
}

#[test]
fn an_entry_for_another_engine_is_not_run() {
    let Case { cache, m, wasm, .. } = &case("other-engine");
    cached_host(Tiering::Optimized, cache.path())
        .load_bytes(m, wasm)
        .unwrap();
    let [(cranelift, _)] = entries(cache.path()).try_into().unwrap();
    let baseline = cached_host(Tiering::Baseline, cache.path());
    reload(&baseline, m, wasm);
    let winch = entries(cache.path())
        .into_iter()
        .find(|e| e.0 != cranelift)
        .unwrap()
        .0;

    // Cranelift's code, with a valid header, under Winch's name: its header
    // records Cranelift's key (and wasmtime would refuse it: another
    // compiler), so the load compiles.
    std::fs::copy(cache.path().join(&cranelift), cache.path().join(&winch)).unwrap();
    let reloaded = reload(&baseline, m, wasm);
    assert_eq!(reloaded.origin(), LoadOrigin::Compiled);
    assert_eq!(reloaded.tier(), Tier::Baseline);
    let note = reloaded.disk_cache_note().unwrap();
    assert!(note.contains("could not be used"), "{note}");
    // The entry is Winch's own again.
    let again = reload(&baseline, m, wasm);
    assert_eq!(again.origin(), LoadOrigin::Disk);
    assert_eq!(again.disk_cache_note(), None);
}

#[test]
fn a_folder_others_can_write_is_not_trusted() {
    use std::os::unix::fs::PermissionsExt;
    let Case { cache, m, wasm, .. } = &case("exposed");
    let host = cached_host(Tiering::Baseline, cache.path());
    host.load_bytes(m, wasm).unwrap();
    let written = entries(cache.path());

    let perms = |mode| std::fs::Permissions::from_mode(mode);
    std::fs::set_permissions(cache.path(), perms(0o777)).unwrap();
    assert_eq!(reload(&host, m, wasm).origin(), LoadOrigin::Compiled);
    assert_eq!(
        entries(cache.path()),
        written,
        "nothing written there either"
    );

    // A file others can write is not run either.
    std::fs::set_permissions(cache.path(), perms(0o700)).unwrap();
    let file = cache.path().join(&written[0].0);
    std::fs::set_permissions(&file, perms(0o666)).unwrap();
    assert_eq!(reload(&host, m, wasm).origin(), LoadOrigin::Compiled);

    // Rewritten by that load, privately: trusted again.
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o077,
        0
    );
    assert_eq!(reload(&host, m, wasm).origin(), LoadOrigin::Disk);
}

#[test]
fn the_cache_folder_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let plugins = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("a/b/plugins");
    let (m, wasm) = rsi_plugin(plugins.path(), "private");
    cached_host(Tiering::Baseline, &cache)
        .load_bytes(&m, &wasm)
        .unwrap();
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
}

#[test]
fn a_rewritten_module_is_cached_too() {
    // `bulk_identity` copies with `memory.copy`, which the host rewrites
    // to meter per byte; the cached code is the rewritten module's.
    let plugins = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let fixture = repo().join("tests/fixtures/wat/bulk_identity.wat");
    let wasm = tagged(&wat::parse_file(&fixture).unwrap(), "rewritten");
    let folder = plugins.path().join("bulk");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("bulk.wasm"), &wasm).unwrap();
    std::fs::write(
        folder.join("plugin.toml"),
        "name = \"bulk\"\nversion = \"0.0.1\"\nabi = 1\nwasm = \"bulk.wasm\"\n\
         description = \"test\"\ninputs = 1\noutput = \"number\"\n",
    )
    .unwrap();
    let m = Manifest::from_file(&folder.join("plugin.toml")).unwrap();
    let host = cached_host(Tiering::Baseline, cache.path());
    let bars = closes();
    let first = host.load_bytes(&m, &wasm).unwrap();
    let a = first.compute(&[&bars], &[]).unwrap();
    let second = reload(&host, &m, &wasm);
    assert_eq!(second.origin(), LoadOrigin::Disk);
    let b = second.compute(&[&bars], &[]).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.values, bars, "an identity");
}

#[test]
fn a_tier_up_keeps_the_optimized_code_for_the_next_run() {
    let Case { cache, m, wasm, .. } = &case("tier-up");
    // Tier up after the first computation.
    let host = PluginHost::new(HostConfig::default().with_tier_up_fuel_per_byte(0))
        .unwrap()
        .with_disk_cache(Some(DiskCache::at(cache.path())));
    let plugin = host.load_bytes(m, wasm).unwrap();
    let on_baseline = run(&plugin);
    assert_eq!(plugin.tier(), Tier::Optimized);
    let both = entries(cache.path());
    assert_eq!(both.len(), 2, "baseline and optimized code: {both:?}");

    // The next run reads both: the load the baseline code, the tier-up the
    // optimized code (same files, same inodes: nothing compiled or written).
    let again = reload(&host, m, wasm);
    assert_eq!(again.origin(), LoadOrigin::Disk);
    assert_eq!(again.tier(), Tier::Baseline);
    assert_eq!(run(&again), on_baseline);
    assert_eq!(again.tier(), Tier::Optimized);
    assert_eq!(
        run(&again),
        on_baseline,
        "the same values and fuel on both tiers"
    );
    assert_eq!(entries(cache.path()), both);
}

/// `plugin test --format json` in `dir` with the cache at `cache`; the
/// `loaded` field.
fn plugin_test_loaded(dir: &Path, cache: &Path, extra: &[&str]) -> String {
    let plugin = repo().join("plugins/wilder_rsi");
    let mut args = vec!["plugin", "test", plugin.to_str().unwrap()];
    args.extend_from_slice(extra);
    json_in(dir, cache, &args)["loaded"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_command_line_keeps_compiled_plugins_between_runs() {
    let here = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path().join("plugins");
    let no_cache = ["--no-plugin-cache"];
    assert_eq!(
        plugin_test_loaded(here.path(), &cache, &no_cache),
        "compiled"
    );
    assert!(!cache.exists(), "--no-plugin-cache writes nothing");
    assert_eq!(plugin_test_loaded(here.path(), &cache, &[]), "compiled");
    assert_eq!(entries(&cache).len(), 1);
    assert_eq!(plugin_test_loaded(here.path(), &cache, &[]), "disk_cache");
    assert_eq!(
        plugin_test_loaded(here.path(), &cache, &no_cache),
        "compiled"
    );

    // A project can say no for all its commands.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("vixshield.toml"),
        "[plugins]\ncache = false\n",
    )
    .unwrap();
    let other = project.path().join("cache");
    assert_eq!(plugin_test_loaded(project.path(), &other, &[]), "compiled");
    assert_eq!(plugin_test_loaded(project.path(), &other, &[]), "compiled");
    assert!(!other.exists());

    // The commands that evaluate signals use it too.
    let strategy = repo().join("strategies/spx-theta.vxs");
    let check = vixshield_in(
        &repo(),
        &["check", strategy.to_str().unwrap(), "--no-plugin-cache"],
    );
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn plugin_test_says_why_the_cache_was_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let here = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let plugin = repo().join("plugins/wilder_rsi");
    let out = crate::common::command_in(here.path(), &["plugin", "test", plugin.to_str().unwrap()])
        .env(vixshield::plugin::CACHE_DIR_ENV, cache.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let note = stdout
        .lines()
        .find(|l| l.starts_with("cache    "))
        .unwrap_or_else(|| panic!("no cache line in {stdout}"));
    assert!(
        note.contains("other users can write to the cache folder")
            && note.contains(&cache.path().display().to_string()),
        "{note}"
    );
    assert!(entries(cache.path()).is_empty(), "nothing written there");

    // A usable cache says nothing.
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    for _ in 0..2 {
        let out =
            crate::common::command_in(here.path(), &["plugin", "test", plugin.to_str().unwrap()])
                .env(vixshield::plugin::CACHE_DIR_ENV, cache.path())
                .output()
                .unwrap();
        assert!(
            !text(&out.stdout).contains("cache    "),
            "{}",
            text(&out.stdout)
        );
    }
}

/// A cache folder it cannot write to: the `cache` line says so in the
/// words the rest of the CLI uses, not as the system's error
/// (`Permission denied (os error 13) at path "…/.writing-XXXX"`).
#[test]
fn plugin_test_says_in_words_why_it_could_not_keep_the_plugin() {
    use std::os::unix::fs::PermissionsExt;
    let here = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    let plugin = repo().join("plugins/wilder_rsi");
    let out = crate::common::command_without_capabilities(
        here.path(),
        &["plugin", "test", plugin.to_str().unwrap()],
        "-dac_override,-dac_read_search",
        None,
    )
    .env(vixshield::plugin::CACHE_DIR_ENV, cache.path())
    .output()
    .unwrap();
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let note = stdout
        .lines()
        .find(|l| l.starts_with("cache    "))
        .unwrap_or_else(|| panic!("no cache line in {stdout}"));
    assert!(
        note.ends_with(&format!(
            "could not keep the compiled plugin in {}: cannot write: permission denied",
            cache.path().display()
        )),
        "{note}"
    );
    assert!(entries(cache.path()).is_empty(), "nothing written there");
}

/// `plugin cache --format json` (plus `extra`) in `dir` with the cache at
/// `cache`.
fn plugin_cache(dir: &Path, cache: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["plugin", "cache"];
    args.extend_from_slice(extra);
    json_in(dir, cache, &args)
}

/// The binary's JSON output for `args --format json`, run in `dir` with the
/// cache at `cache`; it must succeed.
fn json_in(dir: &Path, cache: &Path, args: &[&str]) -> serde_json::Value {
    let mut args = args.to_vec();
    args.extend_from_slice(&["--format", "json"]);
    let out = crate::common::command_in(dir, &args)
        .env(vixshield::plugin::CACHE_DIR_ENV, cache)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn plugin_cache_shows_and_clears_the_cache() {
    use std::os::unix::fs::PermissionsExt;
    let here = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("plugins");
    let empty = plugin_cache(here.path(), &cache, &[]);
    assert_eq!(
        (&empty["entries"], &empty["used"]),
        (&0.into(), &true.into())
    );

    plugin_test_loaded(here.path(), &cache, &[]);
    let one = plugin_cache(here.path(), &cache, &[]);
    assert_eq!(one["entries"], 1);
    let size = std::fs::metadata(entries(&cache).first().map(|e| cache.join(&e.0)).unwrap())
        .unwrap()
        .len();
    assert_eq!(one["bytes"], size);
    assert_eq!(one["dir"], cache.display().to_string());

    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o775)).unwrap();
    let exposed = plugin_cache(here.path(), &cache, &[]);
    assert_eq!(exposed["used"], false);
    assert_eq!(
        exposed["not_used_because"],
        "other users can write to the cache folder"
    );
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();

    let cleared = plugin_cache(here.path(), &cache, &["--clear"]);
    assert_eq!(
        (&cleared["removed"], &cleared["entries"]),
        (&1.into(), &0.into())
    );
    assert!(entries(&cache).is_empty());
    assert_eq!(plugin_test_loaded(here.path(), &cache, &[]), "compiled");
}

/// Clearing while other processes clear (or prune, or rename a finished
/// entry into place) is not trouble: an entry or temporary file already gone
/// when it is looked at or removed is simply one less to remove. Two
/// `plugin cache --clear` at once, or one beside 8 parallel `check`s, failed
/// with `cannot clear ...: no such file`.
#[test]
fn clearing_the_cache_while_others_clear_it_is_not_trouble() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("plugins");
    let disk = DiskCache::at(&cache);
    for round in 0..20 {
        std::fs::create_dir_all(&cache).unwrap();
        for i in 0..100 {
            std::fs::write(cache.join(format!("{round}-{i:03}.vxscode")), b"x").unwrap();
            std::fs::write(cache.join(format!(".writing-{round}-{i:03}")), b"x").unwrap();
        }
        let start = std::sync::Barrier::new(4);
        let removed: Vec<std::io::Result<usize>> = std::thread::scope(|s| {
            let clears: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        disk.clear()
                    })
                })
                .collect();
            clears.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let mut total = 0;
        for r in removed {
            match r {
                Ok(n) => total += n,
                Err(e) => panic!("round {round}: a clear failed: {e}"),
            }
        }
        assert_eq!(total, 100, "round {round}: each entry removed once");
        assert!(disk.entries().unwrap().is_empty());
    }
}

/// A relative `HOME` (with no `$VIXSHIELD_CACHE_DIR` or `$XDG_CACHE_HOME`)
/// gives no cache folder, rather than one relative to wherever a command
/// runs: `check` in a project made `relhome/.cache/vixshield/plugins` in
/// it, and a command run from another folder made another.
#[test]
fn a_relative_home_puts_no_cache_in_the_current_folder() {
    let project = tempfile::tempdir().unwrap();
    let (m, _) = rsi_plugin(&project.path().join("plugins"), "relative-home");
    let name = m.name.clone();
    let body = std::fs::read_to_string(repo().join("strategies/spx-mastery.vxs"))
        .unwrap()
        .replace("or rsi(vix, 14) > 70", &format!("or {name}(vix, 14) > 70"));
    std::fs::write(project.path().join("s.vxs"), body).unwrap();
    let out = crate::common::command_in(project.path(), &["check", "s.vxs"])
        .env_remove(vixshield::plugin::CACHE_DIR_ENV)
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", "relhome")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !project.path().join("relhome").exists(),
        "a cache was made in the current folder"
    );
    let out = crate::common::command_in(project.path(), &["plugin", "cache"])
        .env_remove(vixshield::plugin::CACHE_DIR_ENV)
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", "relhome")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("no cache folder"));
}

/// The cache is the user's, not the project's: in a folder whose
/// `vixshield.toml` cannot be read, `plugin cache` still shows and clears
/// it, and says commands here would not use it and why. It stopped at the
/// project file (exit 1), so the cache could not be cleared from there.
#[test]
fn plugin_cache_works_beside_a_broken_project_file() {
    let here = tempfile::tempdir().unwrap();
    std::fs::write(here.path().join("vixshield.toml"), "garbage = [\n").unwrap();
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("plugins");
    std::fs::create_dir(&cache).unwrap();
    std::fs::write(cache.join("0000.vxscode"), b"x").unwrap();
    let cleared = plugin_cache(here.path(), &cache, &["--clear"]);
    assert_eq!(
        (&cleared["removed"], &cleared["entries"], &cleared["used"]),
        (&1.into(), &0.into(), &false.into())
    );
    let why = cleared["not_used_because"].as_str().unwrap_or("");
    assert!(why.contains("vixshield.toml:1:"), "{why}");
}

/// A plugin that gives `value` on every bar, in a folder of its own under
/// `dir`: its manifest and module.
fn constant_plugin(dir: &Path, name: &str, value: f64) -> (Manifest, Vec<u8>) {
    let wasm = wat::parse_str(format!(
        r#"(module
             (memory (export "memory") 8)
             (global $next (mut i32) (i32.const 1024))
             (func (export "vxs_signal_v1"))
             (func (export "vxs_alloc") (param $n i32) (result i32) (local $p i32)
               global.get $next
               local.set $p
               global.get $next
               local.get $n
               i32.add
               i32.const 7
               i32.add
               i32.const -8
               i32.and
               global.set $next
               local.get $p)
             (func (export "vxs_compute")
               (param i32 i32 i32 i32 i32 i32) (result i32) (local $i i32)
               block
                 loop
                   local.get $i
                   local.get 2
                   i32.ge_u
                   br_if 1
                   local.get 5
                   local.get $i
                   i32.const 8
                   i32.mul
                   i32.add
                   f64.const {value}
                   f64.store
                   local.get $i
                   i32.const 1
                   i32.add
                   local.set $i
                   br 0
                 end
               end
               i32.const 0))"#
    ))
    .unwrap();
    crate::common::plugin_folder(dir, name, None, "");
    let folder = dir.join(name);
    std::fs::write(folder.join(format!("{name}.wasm")), &wasm).unwrap();
    (
        Manifest::from_file(&folder.join("plugin.toml")).unwrap(),
        wasm,
    )
}

/// A whole, valid entry of one plugin copied over another's (a cache
/// folder copied together by hand, a rename) is not run as that other
/// plugin: the entry records the key it was written for, and a load whose
/// key it is not compiles its own module and gives its own values. It ran
/// the first plugin's code, giving 50 where the second gives 80.
#[test]
fn an_entry_copied_over_another_plugins_is_not_run_as_it() {
    let plugins = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (ma, wa) = constant_plugin(plugins.path(), "const_a", 50.0);
    let (mb, wb) = constant_plugin(plugins.path(), "const_b", 80.0);
    let host = cached_host(Tiering::Baseline, cache.path());
    let values = |p: &LoadedPlugin| p.compute(&[&closes()], &[]).unwrap().values;
    assert!(values(&reload(&host, &ma, &wa)).iter().all(|v| *v == 50.0));
    let [(a, _)] = entries(cache.path()).try_into().unwrap();
    assert!(values(&reload(&host, &mb, &wb)).iter().all(|v| *v == 80.0));
    let b = entries(cache.path())
        .into_iter()
        .find(|e| e.0 != a)
        .unwrap()
        .0;
    std::fs::copy(cache.path().join(&a), cache.path().join(&b)).unwrap();

    let reloaded = reload(&host, &mb, &wb);
    assert_eq!(reloaded.origin(), LoadOrigin::Compiled);
    let note = reloaded.disk_cache_note().unwrap();
    assert!(note.contains("its header names another module"), "{note}");
    assert!(values(&reloaded).iter().all(|v| *v == 80.0));
    // Its own entry is back.
    let again = reload(&host, &mb, &wb);
    assert_eq!(again.origin(), LoadOrigin::Disk);
    assert!(values(&again).iter().all(|v| *v == 80.0));
}

/// `plugin cache` says when a compile would not be kept (a folder this
/// user cannot create or write: `keeps_compiles` false, and why) and when
/// the cache path is a file (not used, and why), where it said `used` of
/// both and exited 2 on the file.
#[cfg(unix)]
#[test]
fn plugin_cache_says_when_a_compile_cannot_be_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    let cache = locked.join("cache");
    let out = crate::common::command_without_capabilities(
        dir.path(),
        &["plugin", "cache", "--format", "json"],
        "-dac_override,-dac_read_search",
        None,
    )
    .env(vixshield::plugin::CACHE_DIR_ENV, &cache)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["used"], true, "{v}");
    assert_eq!(v["keeps_compiles"], false, "{v}");
    assert_eq!(
        v["not_kept_because"],
        format!(
            "cannot create the folder in `{}`: permission denied",
            locked.display()
        ),
        "{v}"
    );

    // A relative folder is made in the current one: there, `.`.
    let out = crate::common::command_without_capabilities(
        &locked,
        &["plugin", "cache", "--format", "json"],
        "-dac_override,-dac_read_search",
        None,
    )
    .env(vixshield::plugin::CACHE_DIR_ENV, "cache")
    .output()
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["not_kept_because"], "cannot create the folder in `.`: permission denied",
        "{v}"
    );

    // A folder under /proc, where root's `access` passes and `mkdir` fails
    // (it said a compile could be kept there).
    let out = crate::common::command_in(dir.path(), &["plugin", "cache", "--format", "json"])
        .env(vixshield::plugin::CACHE_DIR_ENV, "/proc/vixshield-cache")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["keeps_compiles"], false, "{v}");
    assert_eq!(
        v["not_kept_because"],
        "cannot create the folder in `/proc`: it is on a kernel file system (proc or sysfs), where no folder can be made",
        "{v}"
    );

    // A link to nothing on the way stops the creation.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    let out = crate::common::command_in(dir.path(), &["plugin", "cache", "--format", "json"])
        .env(vixshield::plugin::CACHE_DIR_ENV, link.join("plugins"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["not_kept_because"],
        format!("`{}` is a symbolic link to nothing", link.display()),
        "{v}"
    );

    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = crate::common::command_in(dir.path(), &["plugin", "cache"])
        .env(vixshield::plugin::CACHE_DIR_ENV, &file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\nused     no: the cache folder is a file, not a folder\n"),
        "{}",
        text(&out.stdout)
    );
    // Not used, so not kept, for the same reason.
    let out = crate::common::command_in(dir.path(), &["plugin", "cache", "--format", "json"])
        .env(vixshield::plugin::CACHE_DIR_ENV, &file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["keeps_compiles"], false);
    assert_eq!(v["not_kept_because"], v["not_used_because"], "{v}");
    assert!(v["not_kept_because"].is_string(), "{v}");
}

/// A home folder that does not exist (a service account's
/// `HOME=/nonexistent` under cron) gets no cache, rather than being
/// created for one: the command compiles and runs, nothing is made there,
/// and `plugin cache` says there is no cache folder. It created the home
/// folder and `.cache/vixshield/plugins` under it.
#[test]
fn a_home_that_does_not_exist_is_not_created_for_a_cache() {
    let project = tempfile::tempdir().unwrap();
    let (m, _) = rsi_plugin(&project.path().join("plugins"), "no-home");
    let name = m.name.clone();
    let body = std::fs::read_to_string(repo().join("strategies/spx-mastery.vxs"))
        .unwrap()
        .replace("or rsi(vix, 14) > 70", &format!("or {name}(vix, 14) > 70"));
    std::fs::write(project.path().join("s.vxs"), body).unwrap();
    std::fs::write(project.path().join("vixshield.toml"), "").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let home = elsewhere.path().join("nonexistent");
    let out = crate::common::command_in(project.path(), &["check", "s.vxs"])
        .env_remove(vixshield::plugin::CACHE_DIR_ENV)
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!home.exists(), "the home folder was created");
    let out = crate::common::command_in(project.path(), &["plugin", "cache"])
        .env_remove(vixshield::plugin::CACHE_DIR_ENV)
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no cache folder"),
        "{}",
        text(&out.stderr)
    );
    assert!(!home.exists());
}
