//! `mcu-build probes` and `flash` on a machine with no probe connected (CI,
//! a container): a clear message, and exit 0 for `probes`, 1 for `flash`.
//!
//! These tests assume no debug probe is plugged into the machine running
//! them; on a developer's desk with one, they are skipped with a note.

#![cfg(feature = "flash")]

#[path = "flash_fixture/mod.rs"]
mod fixture;

use std::process::Command;

use fixture::{Project, stderr, stdout};

fn probes(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .arg("probes")
        .args(args)
        .output()
        .unwrap()
}

/// Whether a probe is connected, in which case the no-probe tests say so
/// and pass.
fn probe_connected() -> bool {
    let connected = !mcu_build::flash::probes::list_connected().is_empty();
    if connected {
        eprintln!("a debug probe is connected: the no-probe behaviour is not tested here");
    }
    connected
}

#[test]
fn no_probe_is_a_message_and_exit_0() {
    if probe_connected() {
        return;
    }
    let output = probes(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("no debug probe found"), "{out}");
    assert!(out.contains("udev rules"), "{out}");

    let json = probes(&["--json"]);
    assert_eq!(json.status.code(), Some(0));
    assert_eq!(stdout(&json).trim(), "[]");
}

#[test]
fn flashing_without_a_probe_fails_after_the_checks_with_what_to_try() {
    if probe_connected() {
        return;
    }
    let project = Project::good("stm32f4discovery");
    let output = project.flash(&[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("ok       inside flash"));
    let err = stderr(&output);
    assert!(err.contains("error: no debug probe found"), "{err}");
    assert!(err.contains("udev rules"), "{err}");
}
