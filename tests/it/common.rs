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

/// The binary with `args`, run in `dir` as a user whom file permissions
/// bind: as root (CI), through `setpriv` without the capabilities that let
/// root read and write past them, so that a read-only file is read-only to
/// it too.
#[cfg(unix)]
pub fn bound_by_permissions(dir: &Path, args: &[&str]) -> Output {
    without_capabilities(dir, args, "-dac_override,-dac_read_search", None)
}

/// The binary with `args`, run in `dir`; as root, through `setpriv` with
/// the capabilities `drop` names (`-chown,-fowner`) dropped and, if given,
/// `groups` (`4321`) as its supplementary groups. As another user, as it is.
#[cfg(unix)]
pub fn without_capabilities(dir: &Path, args: &[&str], drop: &str, groups: Option<&str>) -> Output {
    command_without_capabilities(dir, args, drop, groups)
        .output()
        .expect("the binary runs")
}

/// [`without_capabilities`]'s command, not yet started (to set more of its
/// environment).
#[cfg(unix)]
pub fn command_without_capabilities(
    dir: &Path,
    args: &[&str],
    drop: &str,
    groups: Option<&str>,
) -> Command {
    if rustix::process::geteuid().is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--bounding-set", drop, "--inh-caps", drop]);
        if let Some(groups) = groups {
            c.args(["--groups", groups]);
        }
        c.arg("--")
            .arg(env!("CARGO_BIN_EXE_vixshield"))
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env(vixshield::plugin::CACHE_DIR_ENV, plugin_cache_dir());
        c
    } else {
        command_in(dir, args)
    }
}

/// Writes plugin `name` into `dir/name/`: its module compiled from `wat`
/// (none when `None`) and a manifest of one input and a number output,
/// `manifest_tail` appended (`[[params]]`...).
pub fn plugin_folder(dir: &std::path::Path, name: &str, wat: Option<&str>, manifest_tail: &str) {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    if let Some(wat) = wat {
        std::fs::write(
            folder.join(format!("{name}.wasm")),
            wat::parse_str(wat).unwrap(),
        )
        .unwrap();
    }
    std::fs::write(
        folder.join("plugin.toml"),
        format!(
            "name = \"{name}\"\nversion = \"1\"\nabi = 1\nwasm = \"{name}.wasm\"\n\
             description = \"a test plugin\"\ninputs = 1\noutput = \"number\"\n{manifest_tail}"
        ),
    )
    .unwrap();
}
