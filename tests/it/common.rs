//! What the suite's modules share: running the built `vixshield` binary the
//! way a user does (from the project root, colour off) and reading its output.

use std::path::Path;
use std::process::{Command, Output};

/// The project root, where `strategies/`, `plugins/` and `tests/` live.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The built binary with `args`, run in `dir` with `NO_COLOR=1`, not yet
/// started. Its cache of compiled plugins is the suite's own
/// ([`plugin_cache_dir`]), never the user's.
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vixshield"));
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env(vixshield::plugin::CACHE_DIR_ENV, plugin_cache_dir());
    c
}

/// The cache of compiled plugins the suite's runs of the binary share (under
/// the build's temporary folder, `target/tmp`).
pub fn plugin_cache_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// Runs the binary in `dir` and waits for it.
pub fn vixshield_in(dir: &Path, args: &[&str]) -> Output {
    command_in(dir, args).output().expect("the binary runs")
}

/// Runs the binary in the project root and waits for it.
pub fn vixshield(args: &[&str]) -> Output {
    vixshield_in(root(), args)
}

/// A stream's bytes as text, invalid UTF-8 replaced.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
