//! `mcu-build ... | head`: a reader that goes away ends the command the way
//! it ends `cat` (SIGPIPE), never with a panic in `println!`.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::Dir;
use mcu_build::image::ihex::{self, RecordLength};
use mcu_build::image::{Image, OverlapPolicy};

/// Runs `mcu-build args`, closing its stdout at once.
fn run_with_closed_stdout(dir: &Dir, args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(args)
        .current_dir(dir.0.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let sigpipe = output.status.signal() == Some(libc::SIGPIPE);
    assert!(
        output.status.success() || sigpipe,
        "{args:?}: {:?} {stderr}",
        output.status
    );
}

#[test]
fn long_outputs_into_a_closed_pipe() {
    let dir = Dir::new();
    let mut image = Image::new();
    for i in 0..20_000u32 {
        image.insert(i * 32, &[1], OverlapPolicy::Error).unwrap();
    }
    dir.write("many.hex", ihex::write(&image, RecordLength::default()));
    run_with_closed_stdout(&dir, &["hex", "info", "many.hex"]);
    run_with_closed_stdout(&dir, &["hex", "info", "many.hex", "--json"]);
    // Far more than a pipe buffer (64 KiB on Linux), as a table and as JSON.
    let csv: String = (0..5_000)
        .map(|i| format!("\"call_{i}\",\"calls.h\",\"\",\"int\",\"int\",\"FAR void *\"\n"))
        .collect();
    dir.write("syscall.csv", csv);
    run_with_closed_stdout(&dir, &["syscalls", "list", "--csv", "syscall.csv"]);
    run_with_closed_stdout(
        &dir,
        &["syscalls", "list", "--json", "--csv", "syscall.csv"],
    );
}
