//! `plugin.toml` bytes → the manifest reader (`Manifest::parse`, after the
//! UTF-8 check `from_file` does), then the same file found by the registry
//! in a plugins folder (signatures and defaults, as `check` and `run` build
//! them); and the same bytes as a project's `vixshield.toml`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vixshield::plugin::PluginSetup;
use vixshield::plugin::Manifest;

struct Dirs {
    /// A project without `vixshield.toml`, its `plugins/p/plugin.toml` the input.
    plugin_project: PathBuf,
    plugin_toml: PathBuf,
    /// A project whose `vixshield.toml` is the input.
    toml_project: PathBuf,
    project_toml: PathBuf,
}

fn dirs() -> &'static Dirs {
    static D: OnceLock<Dirs> = OnceLock::new();
    D.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("vxs-fuzz-manifest-{}", std::process::id()));
        let plugin_project = base.join("a");
        let plugin_dir = plugin_project.join("plugins").join("p");
        std::fs::create_dir_all(&plugin_dir).unwrap();
        let toml_project = base.join("b");
        std::fs::create_dir_all(toml_project.join("plugins")).unwrap();
        std::fs::create_dir_all(toml_project.join("more")).unwrap();
        Dirs {
            plugin_toml: plugin_dir.join("plugin.toml"),
            plugin_project,
            project_toml: toml_project.join("vixshield.toml"),
            toml_project,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let d = dirs();
    if let Ok(text) = std::str::from_utf8(data) {
        match Manifest::parse(text, Path::new("/p/plugin.toml")) {
            Ok(m) => {
                let _ = m.default_params();
                let _ = m.wasm_path();
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    std::fs::write(&d.plugin_toml, data).unwrap();
    if let Ok(setup) = PluginSetup::discover(&d.plugin_project, &[]) {
        let _ = setup.env();
        let _ = setup.defaults();
    }
    std::fs::write(&d.project_toml, data).unwrap();
    match PluginSetup::discover(&d.toml_project, &[]) {
        Ok(setup) => {
            let _ = setup.env();
            let _ = setup.defaults();
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
