//! Where the CLI's output goes: stdout, and files written whole.
//!
//! Every command prints its data through [`print`] (or [`write_to`] with no
//! path), so stdout that cannot be written (a full disk, a device error) is
//! `error: cannot write to stdout: ...` on stderr and exit 2, the same in
//! every command, never a panic (`println!` panics on a write error).
//!
//! A closed pipe (`vixshield signal vix | head -1`: `EPIPE`, since Rust
//! ignores `SIGPIPE`) is the reader's choice to stop, not trouble to report:
//! the command stops writing and exits with status 2 and no message, as a C
//! program killed by `SIGPIPE` stops silently with a non-zero status (141).
//! A script with `set -o pipefail` still sees that the output was cut.
//!
//! Every file a command writes (`run --out`, `backtest --trades/--chart`,
//! `sweep --out`, `sweep merge --out`, `fmt`) goes through [`write_file`].

use super::{exit, io_reason};
use std::fs;
use std::io::{self, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Writes to stdout through a buffer; on failure says so on stderr and gives
/// exit status 2.
pub(crate) fn print(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), ExitCode> {
    write_to(None, f).map_err(|e| stdout_failed(&e))
}

/// Says that stdout could not be written (`error: cannot write to stdout:
/// no space left on device`) and gives exit status 2; a closed pipe gives
/// the status alone (see the module's comment).
pub(crate) fn stdout_failed(e: &io::Error) -> ExitCode {
    if !is_closed_pipe(e) {
        say!("error: cannot write to stdout: {}", io_reason(e));
    }
    exit::trouble()
}

/// Whether `e` is a closed pipe, also when a CSV or JSON writer's error
/// carries it (`io::Error::other(csv_error)`: the kind is then `Other`).
fn is_closed_pipe(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return true;
    }
    let Some(inner) = e.get_ref() else {
        return false;
    };
    if let Some(e) = inner.downcast_ref::<io::Error>() {
        return is_closed_pipe(e);
    }
    if let Some(e) = inner.downcast_ref::<serde_json::Error>() {
        return e.io_error_kind() == Some(io::ErrorKind::BrokenPipe);
    }
    if let Some(e) = inner.downcast_ref::<csv::Error>() {
        return matches!(e.kind(), csv::ErrorKind::Io(e) if is_closed_pipe(e));
    }
    false
}

/// Writes to `out` with [`write_to`]; on failure says what could not be
/// written and why, and gives exit status 2.
pub(crate) fn write_or_say(
    out: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), ExitCode> {
    write_to(out, f).map_err(|e| match out {
        None => stdout_failed(&e),
        Some(path) => {
            say!(
                "error: cannot write `{}`: {}",
                path.display(),
                io_reason(&e)
            );
            exit::trouble()
        }
    })
}

/// Writes to the file `out` ([`write_file`]) or, with `None`, to stdout
/// through a buffer.
pub(crate) fn write_to(
    out: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match out {
        None => {
            let stdout = io::stdout();
            let mut w = io::BufWriter::new(stdout.lock());
            f(&mut w)?;
            w.flush()
        }
        Some(path) => write_file(path, f),
    }
}

/// A file a command reads or writes, for [`distinct_files`]: how the
/// command line names it (`--out`, `the journal`) and its path.
pub(crate) type Named<'a> = (String, &'a Path);

/// Refuses (usage error, exit 2, before any work) a command line where an
/// output file is one of the inputs or another output: `run S --journal
/// j.csv --out j.csv` would replace the journal with the report, and
/// `backtest --trades x --chart x` would keep only the chart. The same file
/// is the same device and inode when it exists (links and hard links
/// included), else the same canonical folder and name. Outputs that exist
/// and are not regular files (`/dev/null`, a FIFO, a terminal) are written
/// straight and may be shared.
pub(crate) fn distinct_files(outputs: &[Named<'_>], inputs: &[Named<'_>]) -> Result<(), ExitCode> {
    for (i, (out_name, out)) in outputs.iter().enumerate() {
        let Some(id) = file_identity(out) else {
            continue;
        };
        let earlier = outputs.iter().take(i).map(|(n, p)| (n, p, true));
        for (name, path, is_output) in earlier.chain(inputs.iter().map(|(n, p)| (n, p, false))) {
            if file_identity(path).as_ref() != Some(&id) {
                continue;
            }
            let what = if is_output {
                format!(
                    "the same file as `{name} {}`; give each output its own file",
                    path.display()
                )
            } else {
                format!(
                    "{name} `{}`: writing it would replace the input; write the output to another file",
                    path.display()
                )
            };
            say!("error: `{out_name} {}` is {what}", out.display());
            return Err(exit::trouble());
        }
    }
    Ok(())
}

/// Which file `path` is, for [`distinct_files`]: `None` for an existing
/// file that is not a regular file (or a path that cannot be resolved).
#[derive(PartialEq, Eq)]
enum FileIdentity {
    #[cfg(unix)]
    Inode(u64, u64),
    Path(PathBuf),
}

fn file_identity(path: &Path) -> Option<FileIdentity> {
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => None,
        #[cfg(unix)]
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt as _;
            Some(FileIdentity::Inode(meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        Ok(_) => fs::canonicalize(path).ok().map(FileIdentity::Path),
        Err(_) => {
            // Not there yet: its folder resolved, and its name.
            let name = path.file_name()?;
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            fs::canonicalize(parent)
                .ok()
                .map(|dir| FileIdentity::Path(dir.join(name)))
        }
    }
}

/// Writes the file at `path` with what `f` writes, into the file the user
/// named, never replacing it with another kind of file:
///
/// - A symbolic link is followed (every link of a chain): the file it points
///   to is written, and the link stays a link. A dangling link creates the
///   file it points to.
/// - A target that exists and is not a regular file (a FIFO, a character
///   device such as `/dev/null` or a terminal, a socket) is opened and
///   written straight, with no temporary file: it stays what it is.
/// - A regular file with one name (or no file yet) is written atomically: a
///   temporary file in the same folder as the (resolved) target, given the
///   target's permissions (and, where allowed, its owner and group) before
///   anything is written, synced, then renamed over the target. A failure or
///   a crash leaves the old file whole, never half a file.
/// - A regular file with more than one hard link is written in place, so
///   that every name keeps seeing one file: the output is first written
///   whole to a temporary file beside it (a failing run leaves the target
///   untouched), then copied into the target, which is truncated first. A
///   crash during that last copy can leave the file short; replacing it by
///   a rename instead would silently cut the link.
///
/// An existing regular file the user may not write (read-only, another
/// user's) is refused with the error writing into it gives (`permission
/// denied`), rather than replaced by a rename, which only needs the folder's
/// permission.
///
/// A new file gets the usual mode for a new file (`0666` less the umask).
pub(crate) fn write_file(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    stage_file(path, f)?.commit()
}

/// A file's new contents, written whole but not yet in place: a command
/// that writes several files ([`backtest --trades --chart`](super::backtest))
/// stages them all, and puts them in place ([`Staged::commit`]) only when
/// every one was written, so a failure leaves none of them changed. Dropped
/// without a commit, it leaves no trace.
pub(crate) struct Staged {
    target: PathBuf,
    how: Staging,
}

enum Staging {
    /// A FIFO or a device, open, and the bytes to write into it at the
    /// commit.
    Straight(fs::File, Vec<u8>),
    /// A regular file (or none yet): the temporary file beside it, renamed
    /// over it (`in_place`: copied into it, for a file with other names).
    Temp {
        tmp: tempfile::NamedTempFile,
        in_place: bool,
    },
}

/// Writes what `f` writes for the file at `path` ([`write_file`]'s rules),
/// without yet touching `path`: see [`Staged`].
pub(crate) fn stage_file(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Staged> {
    let target = resolve_links(path)?;
    let existing = match fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(meta) = &existing {
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        }
        if !meta.is_file() {
            // A FIFO or a device: written into at the commit; there is
            // nothing to replace. Opened now (once: a FIFO's reader sees
            // its end when it is closed), so that one that cannot be
            // opened is said before anything is committed.
            let file = fs::OpenOptions::new().write(true).open(&target)?;
            let mut bytes = Vec::new();
            f(&mut bytes)?;
            return Ok(Staged {
                target,
                how: Staging::Straight(file, bytes),
            });
        }
    }
    if existing.is_some() {
        // A file the user may not write (read-only, another user's, on a
        // read-only mount) is refused, as writing into it would be: the
        // rename below needs only the folder's permission, and would
        // silently replace it. Opened without truncating: nothing changes.
        fs::OpenOptions::new().write(true).open(&target)?;
    }
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    remove_stale_copies(folder, &prefix);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    let new_file_mode = {
        use std::os::unix::fs::PermissionsExt as _;
        fs::Permissions::from_mode(0o666)
    };
    #[cfg(unix)]
    builder.permissions(new_file_mode);
    // The file itself may be writable where its folder is not: say that the
    // new copy is what could not be made, not the file.
    let tmp = builder.tempfile_in(folder).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot create its new copy in `{}`: {} (a file is replaced whole, by renaming a complete copy over it, so its folder must be writable)",
                folder.display(),
                io_reason(&e)
            ),
        )
    })?;
    if let Some(meta) = &existing {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            // Keep the owner and group where the user may (root may; others
            // may keep a group they belong to, a shared folder's team
            // group, when the owner is another user's, which they may not
            // give); a file they cannot keep them on still gets the
            // target's permissions.
            if std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid())).is_err()
            {
                let _ = std::os::unix::fs::fchown(tmp.as_file(), None, Some(meta.gid()));
            }
        }
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    let mut w = io::BufWriter::new(tmp.as_file());
    f(&mut w)?;
    w.flush()?;
    drop(w);
    tmp.as_file().sync_all()?;
    Ok(Staged {
        target,
        how: Staging::Temp {
            tmp,
            in_place: existing.as_ref().is_some_and(has_other_links),
        },
    })
}

/// Puts several staged outputs in place, or says which could not be: the
/// ones written into (a device, a FIFO, a hard-linked file rewritten in
/// place), whose write can fail (`/dev/full`), before the renames of
/// complete copies, so that a write that fails leaves no renamed file of a
/// run that said error beside it.
pub(crate) fn commit_all<P>(staged: Vec<(P, Staged)>) -> Result<(), (P, io::Error)> {
    let (renames, writes): (Vec<_>, Vec<_>) = staged.into_iter().partition(|(_, s)| {
        matches!(
            s.how,
            Staging::Temp {
                in_place: false,
                ..
            }
        )
    });
    for (path, file) in writes.into_iter().chain(renames) {
        file.commit().map_err(|e| (path, e))?;
    }
    Ok(())
}

impl Staged {
    /// Puts the staged contents in place.
    pub(crate) fn commit(self) -> io::Result<()> {
        match self.how {
            Staging::Straight(mut file, bytes) => {
                file.write_all(&bytes)?;
                file.flush()
            }
            Staging::Temp {
                tmp,
                in_place: true,
            } => {
                let mut from = tmp.as_file();
                from.seek(io::SeekFrom::Start(0))?;
                let mut to = fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&self.target)?;
                io::copy(&mut from, &mut to)?;
                to.sync_all()
            }
            Staging::Temp {
                tmp,
                in_place: false,
            } => {
                tmp.persist(&self.target).map_err(|e| e.error)?;
                Ok(())
            }
        }
    }
}

/// The end of a new copy's name (`.decisions.json.a1B2c3.vixshield.tmp`).
const TMP_SUFFIX: &str = ".vixshield.tmp";

/// Removes the new copies of this target (`prefix`, the target's own
/// `.NAME.`) that a run killed before its rename left in `folder` an hour
/// or more ago: a job stopped by `timeout` or Ctrl-C on every run would
/// otherwise fill the folder. A copy younger than that may be another
/// run's, still being written, and is left alone. Best effort: a folder
/// that cannot be listed only keeps them.
fn remove_stale_copies(folder: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // `.NAME.` + tempfile's six random letters and digits + the
        // suffix: `.NAME.bak.XXXXXX...`, a copy of `NAME.bak`, is not one.
        let random = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(TMP_SUFFIX));
        if !random.is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric())) {
            continue;
        }
        let old = entry
            .metadata()
            .ok()
            .filter(fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age.as_secs() >= 3600);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether a regular file has more than one name.
fn has_other_links(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        meta.nlink() > 1
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// `path` with every symbolic link along the last component followed (a
/// chain of links included), as far as the links exist: a dangling link
/// gives the path it points to.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    // As many links as Linux follows before ELOOP.
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(parent) if to.is_relative() => parent.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}
