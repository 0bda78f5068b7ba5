//! Inputs that are not ours stay outside the repository and are reached only
//! through an environment variable naming their directory: `NUTTX_TESTDATA`
//! (NuttX's own syscall.csv, syscall_lookup.h and defconfigs, which `.ci/run`
//! sets) and, for tests against a NuttX source checkout, `NUTTX_TREE`.
//!
//! Tools that are not ours (make, arm-none-eabi-gcc) are checked the same
//! way, by [`tools_run`].
//!
//! A fresh clone has neither, and its tests must still pass: a test that
//! needs such a file says on stderr, in one line, what it skips and why, and
//! returns. A variable that is set but lacks the file is a broken setup, not
//! a reason to skip, so the test fails.

use std::io::Write;
use std::path::PathBuf;

/// The variable naming the directory of NuttX's files for conformance tests.
pub const NUTTX_TESTDATA: &str = "NUTTX_TESTDATA";

/// `file` of NuttX's real test data, or `None` (after one `skipped` line)
/// when `NUTTX_TESTDATA` is unset.
pub fn nuttx_testdata(file: &str) -> Option<PathBuf> {
    external_file(NUTTX_TESTDATA, file, &format!("NuttX's real {file}"))
}

/// `file` in the directory that `variable` names. `what` says in the skip
/// line what the test would have read. Panics, naming the path, when the
/// variable is set and the file is not there.
pub fn external_file(variable: &str, file: &str, what: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os(variable) {
        Some(dir) if !dir.is_empty() => dir,
        value => {
            let state = if value.is_none() { "unset" } else { "empty" };
            // Straight to the process's stderr: libtest would hold back an
            // `eprintln!` of a passing test, and the skip must be seen.
            let line = format!(
                "skipped {}: {variable} is {state} ({what})\n",
                skipped_name()
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            return None;
        }
    };
    let path = PathBuf::from(dir).join(file);
    assert!(
        path.is_file(),
        "{variable} is set, but {} is not a file ({what})",
        path.display()
    );
    Some(path)
}

/// Whether every one of `tools` runs (`TOOL --version`); if one does not,
/// says in one line on stderr that the test is skipped and why. On CI,
/// `scripts/test` installs them all.
pub fn tools_run(tools: &[&str]) -> bool {
    for tool in tools {
        let runs = std::process::Command::new(tool)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !runs {
            let line = format!(
                "skipped {}: `{tool}` cannot run (scripts/test installs the tools)\n",
                skipped_name()
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            return false;
        }
    }
    true
}

/// The name of what is being skipped: the test (libtest runs each test on a
/// thread named after it), or else the program, without cargo's hash suffix.
fn skipped_name() -> String {
    if let Some(name) = std::thread::current().name().filter(|n| *n != "main") {
        return name.to_owned();
    }
    let program = std::env::args_os().next().unwrap_or_default();
    let stem = PathBuf::from(program)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}
