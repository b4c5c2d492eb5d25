//! Where the CLI's output goes: files written into what the user named
//! (links followed, FIFOs and devices written, permissions and hard links
//! kept), stdout write errors reported (exit 2, never a panic), and I/O
//! errors reported once and in the data.

use crate::common::{root, text, vixshield};
use std::path::Path;
use std::process::Output;

const S: &str = "strategies/spx-mastery.vxs";
const J: &str = "tests/fixtures/journals/progression.csv";

/// `run S --journal J` to stdout: what every `--out` below must hold.
fn run_output() -> String {
    let out = vixshield(&["run", S, "--journal", J]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn run_out(target: &Path) -> Output {
    let target = target.display().to_string();
    vixshield(&["run", S, "--journal", J, "--out", &target])
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

// ------------------------------------------------------ files written into

#[cfg(unix)]
#[test]
fn out_through_a_symlink_writes_the_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.csv");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink("target.csv", &link).unwrap();
    ok(&run_out(&link));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("target.csv"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), run_output());
    // A dangling link creates the file it points to.
    let dangling = dir.path().join("dangling.csv");
    std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
    ok(&run_out(&dangling));
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("made.csv")).unwrap(),
        run_output()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[cfg(unix)]
#[test]
fn out_keeps_the_mode_of_an_existing_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private.csv");
    std::fs::write(&private, "old\n").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(&run_out(&private));
    let meta = std::fs::metadata(&private).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert_eq!(std::fs::read_to_string(&private).unwrap(), run_output());
}

#[cfg(unix)]
#[test]
fn out_to_a_fifo_writes_into_it_and_leaves_a_fifo() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    ok(&run_out(&fifo));
    assert_eq!(reader.join().unwrap(), run_output());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[cfg(unix)]
#[test]
fn out_to_dev_null_leaves_it_a_character_device() {
    use std::os::unix::fs::FileTypeExt as _;
    ok(&run_out(Path::new("/dev/null")));
    let meta = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());
}

#[cfg(unix)]
#[test]
fn out_to_a_hard_linked_file_writes_in_place_so_every_name_sees_it() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "old\n").unwrap();
    std::fs::hard_link(&a, &b).unwrap();
    let inode = std::fs::metadata(&a).unwrap().ino();
    ok(&run_out(&a));
    let (ma, mb) = (
        std::fs::metadata(&a).unwrap(),
        std::fs::metadata(&b).unwrap(),
    );
    assert_eq!((ma.ino(), mb.ino(), ma.nlink()), (inode, inode, 2));
    assert_eq!(std::fs::read_to_string(&b).unwrap(), run_output());
}

#[cfg(unix)]
#[test]
fn every_writer_follows_links_and_keeps_modes() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let linked = |name: &str| {
        let real = dir.path().join(format!("real-{name}"));
        std::fs::write(&real, "old\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join(name);
        std::os::unix::fs::symlink(&real, &link).unwrap();
        (link.display().to_string(), real)
    };
    let check = |real: &Path, starts: &str| {
        let meta = std::fs::symlink_metadata(real).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        let body = std::fs::read_to_string(real).unwrap();
        assert!(body.starts_with(starts), "{real:?}: {body:.80}");
    };
    let (trades, trades_real) = linked("trades.csv");
    let (chart, chart_real) = linked("chart.svg");
    ok(&vixshield(&[
        "backtest", S, "--from", "2020-01-01", "--to", "2020-12-31", "--trades", &trades,
        "--chart", &chart,
    ]));
    check(&trades_real, "trade,entry,exit");
    check(&chart_real, "<svg");

    let fixture = "tests/fixtures/strategies/spx-mastery-params.vxs";
    let (sweep, sweep_real) = linked("sweep.json");
    let sweep_args = [
        "sweep", fixture, "--set", "mult=1.4x..1.6x:0.2x", "--from", "2020-01-01", "--to",
        "2020-12-31", "--format", "json", "--out", &sweep,
    ];
    ok(&vixshield(&sweep_args));
    check(&sweep_real, "{");
    let (merged, merged_real) = linked("merged.json");
    ok(&vixshield(&["sweep", "merge", &sweep, "--out", &merged]));
    check(&merged_real, "{");

    let (vxs, vxs_real) = linked("s.vxs");
    let unformatted = std::fs::read_to_string(root().join(S))
        .unwrap()
        .replace("    steps = 4", "    steps   =   4");
    std::fs::write(&vxs_real, unformatted).unwrap();
    ok(&vixshield(&["fmt", &vxs]));
    check(&vxs_real, "// SPX Mastery");
    assert_eq!(
        std::fs::read_to_string(&vxs_real).unwrap(),
        std::fs::read_to_string(root().join(S)).unwrap()
    );
    assert!(
        std::fs::symlink_metadata(&vxs)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
