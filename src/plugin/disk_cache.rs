//! Compiled plugins kept on disk between runs: see [`DiskCache`].

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use super::host::Tier;
use crate::input::reason;

/// The environment variable that moves the cache folder.
pub const CACHE_DIR_ENV: &str = "VIXSHIELD_CACHE_DIR";

/// The first bytes of every cache file: the format and its version.
const MAGIC: &[u8; 8] = b"VXSCODE2";

/// Magic, the entry's key (what it was compiled from, as its name says),
/// then the SHA-256 of the artifact that follows.
const HEADER_LEN: usize = MAGIC.len() + 32 + 32;

/// File name extension of cache entries.
const EXTENSION: &str = "vxscode";

/// When a write leaves more entries than this, the least recently written
/// go first (a plugin's entry is rewritten only when it is recompiled).
const MAX_ENTRIES: usize = 128;

/// Or more bytes than this in all.
const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// The largest file read back (a 50 KB plugin compiles to about 250 KB).
const MAX_FILE_BYTES: u64 = 64 << 20;

/// A folder of compiled plugins, kept between runs.
///
/// Compiling a plugin takes about a millisecond per few kilobytes of
/// WebAssembly (a rustc-built 49 KB plugin 6–7 ms on the baseline tier); a
/// module compiled before is read back in well under a millisecond. The
/// cache holds what wasmtime's `Module::serialize` wrote for a module this
/// build compiled, validated and accepted, one file per (source module,
/// rewritten module, tier, NaN setting, engine settings), named by the
/// SHA-256 of all of them.
///
/// Native code read back is run as it is, so the cache is trusted like the
/// binary: a file is used only when it sits in a folder owned by the user
/// running vixshield that nobody else can write (Unix), is itself owned by
/// that user and writable by nobody else, starts with this format's magic,
/// records the key it is looked up by (a file copied or renamed over
/// another plugin's entry is not that plugin) and matches the SHA-256 its
/// header records (a torn or damaged file is recompiled, never run), and wasmtime then refuses an artifact of another
/// version or engine configuration. Anything short of that is a miss: the
/// plugin is compiled as if there were no cache. Writes are atomic (a
/// temporary file renamed into place) and best effort; a cache that cannot
/// be written only costs the next run its compile.
///
/// The library leaves the cache off ([`PluginHost::with_disk_cache`](super::PluginHost::with_disk_cache));
/// the command line turns it on at [`DiskCache::default_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskCache {
    dir: PathBuf,
}

/// Why a cache file was not used, for people wondering why a load compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// No file for this module yet.
    Absent,
    /// The folder or file failed the trust checks, or could not be read.
    Refused(String),
    /// The file is damaged, or wasmtime refused it (another version or
    /// engine configuration).
    Stale(String),
}

/// The key of one compiled module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryKey([u8; 32]);

impl EntryKey {
    /// The key of `source` (the plugin's file, by SHA-256) compiled from
    /// `compiled` (the bytes the compiler got: the source or the host's
    /// metered rewrite of it) on `tier` with `engine`.
    pub(crate) fn new(
        engine: &Engine,
        tier: Tier,
        canonicalize_nans: bool,
        source: &[u8; 32],
        compiled: &[u8; 32],
    ) -> EntryKey {
        let mut h = Sha256::new();
        h.update(b"vixshield compiled plugin\0");
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update([
            0,
            match tier {
                Tier::Baseline => 1,
                Tier::Optimized => 2,
            },
            u8::from(canonicalize_nans),
        ]);
        h.update(source);
        h.update(compiled);
        // Every engine setting that changes the code wasmtime makes
        // (compiler, its flags, fuel costs, wasm features, version).
        engine
            .precompile_compatibility_hash()
            .hash(&mut ShaHasher(&mut h));
        EntryKey(h.finalize().into())
    }

    fn file_name(&self) -> String {
        let mut s = String::with_capacity(64 + 1 + EXTENSION.len());
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        s.push('.');
        s.push_str(EXTENSION);
        s
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Feeds `Hash` implementations into a SHA-256 (stable, unlike `std`'s
/// default hasher, whose algorithm may change between Rust releases).
struct ShaHasher<'a>(&'a mut Sha256);

impl Hasher for ShaHasher<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

impl DiskCache {
    /// The cache in `dir` (created on the first write).
    pub fn at(dir: impl Into<PathBuf>) -> DiskCache {
        DiskCache { dir: dir.into() }
    }

    /// Where the command line keeps it: `$VIXSHIELD_CACHE_DIR` when set
    /// (and not empty), else `vixshield/plugins` in the user's cache folder
    /// (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on
    /// macOS, `%LOCALAPPDATA%` on Windows). `None` when there is none, or
    /// when the user's cache folder would be a relative path (`HOME=x`):
    /// that would put a cache in whatever folder a command runs from; and
    /// when neither that folder nor the home folder exists (a service
    /// account's `HOME=/nonexistent`): a cache would create the home folder.
    pub fn default_dir() -> Option<PathBuf> {
        match std::env::var_os(CACHE_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
            _ => dirs::cache_dir()
                .filter(|d| d.is_absolute())
                .filter(|d| d.is_dir() || dirs::home_dir().is_some_and(|h| h.is_dir()))
                .map(|d| d.join("vixshield").join("plugins")),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &EntryKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    /// The module stored under `key`, compiled for `engine`.
    pub(crate) fn get(&self, engine: &Engine, key: &EntryKey) -> Result<Module, Miss> {
        let path = self.path(key);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Miss::Absent),
            Err(e) => return Err(Miss::Refused(format!("cannot open it: {}", reason(&e)))),
        };
        trusted_dir(&self.dir).map_err(Miss::Refused)?;
        let meta = file
            .metadata()
            .map_err(|e| Miss::Refused(format!("cannot read it: {}", reason(&e))))?;
        trusted_file(&meta).map_err(Miss::Refused)?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(Miss::Stale(format!("it is {} bytes long", meta.len())));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        // Bounded even if the file grows while it is read.
        (&mut file)
            .take(MAX_FILE_BYTES.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Miss::Refused(format!("cannot read it: {}", reason(&e))))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Miss::Stale(format!(
                "it is over {MAX_FILE_BYTES} bytes long"
            )));
        }
        let artifact = checked(&bytes, key).map_err(|why| Miss::Stale(why.into()))?;
        deserialize(engine, artifact).map_err(|e| Miss::Stale(format!("{e:#}")))
    }

    /// Store `module` under `key`. Best effort: returns why not, for tests
    /// and diagnostics, but a failure only means the next run compiles.
    pub(crate) fn put(&self, key: &EntryKey, module: &Module) -> Result<(), String> {
        let artifact = module.serialize().map_err(|e| format!("{e:#}"))?;
        create_private_dir(&self.dir)
            .map_err(|e| format!("cannot create the folder: {}", reason(&e)))?;
        trusted_dir(&self.dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".writing-")
            .tempfile_in(&self.dir)
            .map_err(|e| format!("cannot write: {}", reason(&e)))?;
        let digest: [u8; 32] = Sha256::digest(&artifact).into();
        let write = |f: &mut File| -> std::io::Result<()> {
            f.write_all(MAGIC)?;
            f.write_all(&key.0)?;
            f.write_all(&digest)?;
            f.write_all(&artifact)
        };
        write(tmp.as_file_mut()).map_err(|e| format!("cannot write: {}", reason(&e)))?;
        tmp.persist(self.path(key))
            .map_err(|e| format!("cannot write: {}", reason(&e.error)))?;
        self.prune();
        Ok(())
    }

    /// Why the cache would not be used as it stands (`None`: it would be,
    /// or the folder does not exist yet and will be created private).
    pub fn problem(&self) -> Option<String> {
        match std::fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            _ => trusted_dir(&self.dir).err(),
        }
    }

    /// Why a compile could not be kept here (`None`: it could, as far as
    /// the permissions and the file system of the folder tell, or of the
    /// nearest folder above it that exists, where the first write creates
    /// it): a read-only file system, a folder this user may not write, a
    /// file where a folder should be.
    pub fn write_problem(&self) -> Option<String> {
        let here = Path::new(".");
        let mut at = self.dir.as_path();
        let creating = loop {
            match std::fs::metadata(at) {
                Ok(m) if m.is_dir() => break at != self.dir,
                Ok(_) => return Some(format!("`{}` is not a folder", at.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // A link to nothing is there, and stops the creation.
                    if std::fs::symlink_metadata(at).is_ok() {
                        return Some(format!("`{}` is a symbolic link to nothing", at.display()));
                    }
                    at = match at.parent() {
                        // A relative path's first folder is made in the
                        // current one.
                        Some(p) if p.as_os_str().is_empty() => here,
                        Some(p) if at != here => p,
                        _ => return None,
                    };
                }
                Err(e) => return Some(format!("cannot read `{}`: {}", at.display(), reason(&e))),
            }
        };
        let denied = writable(at)
            .and_then(|()| {
                if creating {
                    can_hold_folders(at)
                } else {
                    Ok(())
                }
            })
            .err()?;
        Some(if creating {
            format!("cannot create the folder in `{}`: {denied}", at.display())
        } else {
            format!("the folder cannot be written: {denied}")
        })
    }

    /// The entries: each file's path and size in bytes, by name.
    pub fn entries(&self) -> std::io::Result<Vec<(PathBuf, u64)>> {
        let mut entries: Vec<(PathBuf, u64)> = self
            .listing()?
            .entries
            .into_iter()
            .map(|e| (e.path, e.len))
            .collect();
        entries.sort();
        Ok(entries)
    }

    /// Remove every entry (and temporary files left by killed runs);
    /// returns how many entries this call removed. Other files in the folder
    /// are left alone. An entry another process removed first (its own
    /// clear, or a prune) is not an error.
    pub fn clear(&self) -> std::io::Result<usize> {
        let listing = self.listing()?;
        let mut removed = 0;
        for entry in &listing.entries {
            match std::fs::remove_file(&entry.path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        for (path, _) in &listing.temporary {
            let _ = std::fs::remove_file(path);
        }
        Ok(removed)
    }

    /// The folder's entries and temporary files (none when it does not
    /// exist); other files are not listed.
    fn listing(&self) -> std::io::Result<Listing> {
        let mut listing = Listing::default();
        let read = match std::fs::read_dir(&self.dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(listing),
            Err(e) => return Err(e),
        };
        for entry in read {
            let entry = entry?;
            let path = entry.path();
            // Another process may remove an entry, or rename its temporary
            // file into place, between the listing and this look at it.
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let modified = meta.modified().unwrap_or_else(|_| SystemTime::now());
            if entry.file_name().to_string_lossy().starts_with(".writing-") {
                listing.temporary.push((path, modified));
            } else if meta.is_file() && path.extension().is_some_and(|e| e == EXTENSION) {
                listing.entries.push(Entry {
                    path,
                    len: meta.len(),
                    modified,
                });
            }
        }
        Ok(listing)
    }

    /// Keep at most [`MAX_ENTRIES`] entries and [`MAX_TOTAL_BYTES`] bytes,
    /// removing the least recently written first, and temporary files a
    /// killed process left behind an hour or more ago.
    fn prune(&self) {
        let Ok(Listing {
            mut entries,
            temporary,
        }) = self.listing()
        else {
            return;
        };
        let now = SystemTime::now();
        for (path, modified) in temporary {
            let old = now
                .duration_since(modified)
                .is_ok_and(|age| age.as_secs() >= 3600);
            if old {
                let _ = std::fs::remove_file(path);
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.len).sum();
        if entries.len() <= MAX_ENTRIES && total <= MAX_TOTAL_BYTES {
            return;
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.modified));
        let mut kept = 0;
        for entry in entries {
            if kept < MAX_ENTRIES && total <= MAX_TOTAL_BYTES {
                kept += 1;
                continue;
            }
            if std::fs::remove_file(&entry.path).is_ok() {
                total = total.saturating_sub(entry.len);
            }
        }
    }
}

/// What a cache folder holds.
#[derive(Default)]
struct Listing {
    entries: Vec<Entry>,
    /// Files being written (or left by a killed run), with their times.
    temporary: Vec<(PathBuf, SystemTime)>,
}

/// One cache entry on disk.
struct Entry {
    path: PathBuf,
    len: u64,
    modified: SystemTime,
}

/// The artifact in a cache file's bytes, if its header is right and names
/// `key`.
fn checked<'b>(bytes: &'b [u8], key: &EntryKey) -> Result<&'b [u8], &'static str> {
    if bytes.len() < HEADER_LEN || !bytes.starts_with(MAGIC) {
        return Err("it is not a vixshield cache file of this format");
    }
    let (header, artifact) = bytes.split_at(HEADER_LEN);
    let (written_for, digest) = header[MAGIC.len()..].split_at(32);
    if written_for != key.0 {
        return Err(
            "its header names another module (a file copied or renamed into its place, or a damaged header)",
        );
    }
    if digest != &Sha256::digest(artifact)[..] {
        return Err("its contents do not match their checksum");
    }
    Ok(artifact)
}

/// Turn a cache file's artifact back into a module.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Module> {
    // SAFETY: wasmtime requires the bytes to be a `Module::serialize` output
    // (for any engine: it checks the version and configuration itself and
    // errs on a mismatch), since it maps them as native code. These bytes are
    // what `put` wrote from `Module::serialize`, byte for byte: `checked`
    // matched them against the SHA-256 recorded beside them, and the file and
    // its folder belong to this user and nobody else can write them
    // (`trusted_dir`, `trusted_file`), so only this user's own processes, or
    // someone already able to act as this user, could have written them.
    unsafe { Module::deserialize(engine, artifact) }
}

/// Create `dir` (and missing parents) readable and writable by this user
/// alone.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Whether this process may write in the folder `dir`, or why not.
#[cfg(unix)]
fn writable(dir: &Path) -> Result<(), String> {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK)
        .map_err(|e| reason(&std::io::Error::from(e)))
}

/// Whether a new folder can be made in `dir`: not in the kernel's process
/// or system file systems (`/proc`, `/sys`), which root's `access` passes
/// and whose `mkdir` fails.
#[cfg(target_os = "linux")]
fn can_hold_folders(dir: &Path) -> Result<(), String> {
    match rustix::fs::statfs(dir) {
        Ok(fs) if fs.f_type == rustix::fs::PROC_SUPER_MAGIC || fs.f_type as u64 == SYSFS_MAGIC => {
            Err("it is on a kernel file system (proc or sysfs), where no folder can be made".into())
        }
        _ => Ok(()),
    }
}

/// sysfs's magic number (`statfs(2)`).
#[cfg(target_os = "linux")]
const SYSFS_MAGIC: u64 = 0x6265_6572;

#[cfg(not(target_os = "linux"))]
fn can_hold_folders(_dir: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(not(unix))]
fn writable(_dir: &Path) -> Result<(), String> {
    Ok(())
}

/// Is `dir` a real folder (not a symbolic link) of this user's that nobody
/// else can write?
fn trusted_dir(dir: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| format!("cannot read the folder: {}", reason(&e)))?;
    if meta.is_symlink() {
        return Err("the cache folder is a symbolic link".into());
    }
    if !meta.is_dir() {
        return Err("the cache folder is a file, not a folder".into());
    }
    owned_privately(&meta, "folder")
}

/// Is the opened cache file this user's, and writable by nobody else?
fn trusted_file(meta: &std::fs::Metadata) -> Result<(), String> {
    if !meta.is_file() {
        return Err("the cache entry is not a file".into());
    }
    owned_privately(meta, "entry")
}

/// Does the cache `what` (folder or entry) belong to the user running
/// vixshield, with no write permission for anyone else? (Unix; elsewhere the
/// user's own profile folder is the protection.)
#[cfg(unix)]
fn owned_privately(meta: &std::fs::Metadata, what: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(format!("the cache {what} belongs to another user"));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("other users can write to the cache {what}"));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owned_privately(_meta: &std::fs::Metadata, _what: &str) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_must_match_its_contents() {
        let artifact = b"some compiled code";
        let key = EntryKey([7; 32]);
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&key.0);
        file.extend_from_slice(&Sha256::digest(artifact));
        file.extend_from_slice(artifact);
        assert_eq!(checked(&file, &key), Ok(&artifact[..]));

        let mut flipped = file.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert!(checked(&flipped, &key).is_err());
        assert!(
            checked(&file[..file.len() - 1], &key).is_err(),
            "torn write"
        );
        assert!(checked(&file[..HEADER_LEN - 1], &key).is_err(), "no header");
        let mut other = file.clone();
        other[7] = b'1';
        assert!(checked(&other, &key).is_err(), "another format version");
        // A whole, valid entry of another module, under this one's name.
        assert_eq!(
            checked(&file, &EntryKey([8; 32])),
            Err(
                "its header names another module (a file copied or renamed into its place, or a damaged header)"
            )
        );
    }

    #[test]
    fn file_names_are_the_key_in_hex() {
        let mut key = [0_u8; 32];
        key[0] = 0xab;
        key[31] = 0x01;
        let name = EntryKey(key).file_name();
        assert_eq!(name.len(), 64 + 1 + EXTENSION.len());
        assert!(name.starts_with("ab00"));
        assert!(name.ends_with("01.vxscode"));
    }
}
