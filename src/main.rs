//! The `vixshield` binary: parse arguments, dispatch, map to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    // A generous stack: parsing is depth-limited, but the thread costs nothing to reserve.
    let run = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(vixshield::cli::main);
    match run.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            // Not `eprintln!`, which panics when stderr cannot be written.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "error: vixshield failed unexpectedly; please report this with the command you ran"
            );
            ExitCode::from(2)
        }
    }
}
