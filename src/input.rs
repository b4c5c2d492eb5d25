//! Reading input files with a size limit.
//!
//! Every file vixshield reads as input goes through [`read`] (or
//! [`read_regular`]) with a [`Limit`] for its kind, so `/dev/zero`, an
//! endless pipe or a huge file is an error naming the limit instead of
//! memory growing until the machine runs out. At most the limit plus one byte
//! is ever read: one byte more than allowed is the proof that a file is too
//! large. The error is an [`std::io::Error`] of kind
//! [`FileTooLarge`](std::io::ErrorKind::FileTooLarge), so the callers' I/O
//! errors (which name the file, and are exit 2 on the command line) carry it.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

const MIB: u64 = 1024 * 1024;

/// How large one kind of input file may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The most bytes allowed.
    pub bytes: u64,
    /// The kind of file, for the message (`"a strategy file"`).
    pub what: &'static str,
}

/// Strategy files (`.vxs`, stdin included): 64 MiB.
pub const STRATEGY: Limit = Limit {
    bytes: 64 * MIB,
    what: "a strategy file",
};
/// Journals, market CSVs and calendar files: 256 MiB.
pub const CSV: Limit = Limit {
    bytes: 256 * MIB,
    what: "a CSV file",
};
/// Sweep files (`sweep --out`, read by `sweep merge`): 256 MiB.
pub const SWEEP: Limit = Limit {
    bytes: 256 * MIB,
    what: "a sweep file",
};
/// A plugin's WebAssembly module: 64 MiB.
pub const WASM: Limit = Limit {
    bytes: 64 * MIB,
    what: "a plugin module",
};
/// `plugin.toml` and `vixshield.toml`: 1 MiB.
pub const MANIFEST: Limit = Limit {
    bytes: MIB,
    what: "a manifest",
};

impl Limit {
    /// The limit in words: `64 MiB`, or bytes when not a whole MiB.
    pub fn size(&self) -> String {
        if self.bytes.is_multiple_of(MIB) {
            format!("{} MiB", self.bytes / MIB)
        } else {
            format!("{} bytes", self.bytes)
        }
    }

    fn too_large(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than the limit of {} for {}", self.size(), self.what),
        )
    }
}

/// The bytes of the file at `path`, at most `limit.bytes` of them: a larger
/// file (or an endless one, `/dev/zero`) is an error of kind
/// [`FileTooLarge`](io::ErrorKind::FileTooLarge). Pipes and devices are
/// read, up to the limit.
pub fn read(path: &Path, limit: Limit) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    read_from(file, limit)
}

/// [`read`] for a file that must be a regular file (a plugin's manifest and
/// module, `vixshield.toml`): anything else (a FIFO, a device, a folder) is
/// refused from its metadata, before it is opened, so a FIFO never blocks.
/// Links are followed.
pub fn read_regular(path: &Path, limit: Limit) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder",
        ));
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a pipe, a device or a socket)",
        ));
    }
    if meta.len() > limit.bytes {
        return Err(limit.too_large());
    }
    read(path, limit)
}

/// [`read`] as UTF-8 text (invalid UTF-8 is an
/// [`InvalidData`](io::ErrorKind::InvalidData) error, as
/// [`std::fs::read_to_string`] gives).
pub fn read_to_string(path: &Path, limit: Limit) -> io::Result<String> {
    utf8(read(path, limit)?)
}

/// [`read_regular`] as UTF-8 text, as [`read_to_string`].
pub fn read_regular_to_string(path: &Path, limit: Limit) -> io::Result<String> {
    utf8(read_regular(path, limit)?)
}

fn utf8(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// At most `limit.bytes` bytes of `reader` (stdin, an open file), or the
/// [`FileTooLarge`](io::ErrorKind::FileTooLarge) error when there are more.
pub fn read_from(reader: impl Read, limit: Limit) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit.bytes {
        return Err(limit.too_large());
    }
    Ok(bytes)
}

/// An I/O error in words, without Rust's decoration: `no such file`,
/// `it is a directory`, `permission denied`, not `No such file or directory
/// (os error 2)`.
pub fn reason(e: &std::io::Error) -> String {
    // A message of our own (the size limit, not a regular file, how to
    // build a missing plugin module) is already in words; one that wraps the
    // system's (a temporary file's, `... (os error 2) at path ...`) is said
    // by its kind.
    let text = e.to_string();
    if e.get_ref().is_some() && !text.contains("(os error") {
        return text;
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => text
            .split(" (os error")
            .next()
            .unwrap_or(&text)
            .to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: Limit = Limit {
        bytes: 4,
        what: "a test file",
    };

    #[test]
    fn reads_up_to_the_limit_and_refuses_one_byte_more() {
        assert_eq!(read_from(&b"abcd"[..], TINY).ok(), Some(b"abcd".to_vec()));
        let e = read_from(&b"abcde"[..], TINY).err();
        assert_eq!(
            e.as_ref().map(io::Error::kind),
            Some(io::ErrorKind::FileTooLarge)
        );
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("larger than the limit of 4 bytes for a test file")
        );
        assert_eq!(STRATEGY.size(), "64 MiB");
    }

    #[test]
    fn an_endless_reader_stops_at_the_limit() {
        let e = read_from(io::repeat(0), TINY).err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::FileTooLarge));
    }
}
