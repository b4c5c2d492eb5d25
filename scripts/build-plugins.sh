#!/usr/bin/env bash
# Rebuild the example plugins (plugins/*/Cargo.toml) for wasm32-unknown-unknown
# and copy each optimised .wasm next to its plugin.toml.
#
#   scripts/build-plugins.sh            # all plugins
#   scripts/build-plugins.sh wilder_rsi # just one
#
# Needs: rustup target add wasm32-unknown-unknown
# Build output goes to ${CARGO_TARGET_DIR:-<repo>/target}/plugins/<name> (one
# target dir per plugin, so same-named crates elsewhere cannot leave a stale .wasm).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_root="${CARGO_TARGET_DIR:-$root/target}/plugins"

if [ "$#" -gt 0 ]; then
    names=("$@")
else
    names=()
    for manifest in "$root"/plugins/*/Cargo.toml; do
        names+=("$(basename "$(dirname "$manifest")")")
    done
fi

for name in "${names[@]}"; do
    dir="$root/plugins/$name"
    [ -f "$dir/Cargo.toml" ] || { echo "no plugin crate at $dir" >&2; exit 1; }
    # Run from the plugin folder so its .cargo/config.toml (target, stack size) applies.
    target_dir="$target_root/$name"
    (cd "$dir" && cargo build --release --target wasm32-unknown-unknown --target-dir "$target_dir")
    wasm_name="$(sed -n 's/^wasm *= *"\(.*\)"/\1/p' "$dir/plugin.toml")"
    cp "$target_dir/wasm32-unknown-unknown/release/$name.wasm" "$dir/$wasm_name"
    echo "$name: $(wc -c < "$dir/$wasm_name") bytes -> plugins/$name/$wasm_name"
done
