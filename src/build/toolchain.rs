//! The Rust standard library for the board's target, installed before a
//! cargo pass needs it.
//!
//! A fresh rustup installation has only the host's standard library, and
//! `rust-toolchain.toml` does not make rustup add the listed targets to a
//! toolchain that is already installed. Cargo then fails with "can't find
//! crate for `core`", which says nothing about the fix; so `protect` checks
//! the toolchain's sysroot first and, where rustup manages it, adds the
//! target itself, as `rustup target add` would be the user's next command.

use std::path::Path;
use std::process::Command;

/// The target's standard library is missing and could not be added.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error("cannot ask rustc for its sysroot in {dir}: {error}")]
    Rustc { dir: String, error: std::io::Error },
    #[error(
        "the Rust standard library for {target} is not installed, and rustup could not add \
         it ({reason}); install it with `rustup target add {target}`"
    )]
    Missing { target: String, reason: String },
}

/// What [`ensure_target`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetState {
    /// The standard library was there already.
    Present,
    /// rustup added it.
    Added,
}

/// Makes sure the toolchain that applies in `dir` (its `rust-toolchain.toml`,
/// if any) has the standard library for `target`.
pub fn ensure_target(target: &str, dir: &Path) -> Result<TargetState, ToolchainError> {
    if has_target(target, dir)? {
        return Ok(TargetState::Present);
    }
    let missing = |reason: String| ToolchainError::Missing {
        target: target.to_owned(),
        reason,
    };
    let output = Command::new("rustup")
        .args(["target", "add", target])
        .current_dir(dir)
        .output()
        .map_err(|error| missing(format!("cannot run rustup: {error}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(missing(stderr.trim().to_owned()));
    }
    Ok(TargetState::Added)
}

/// Whether the sysroot of the toolchain in `dir` holds `target`'s library.
fn has_target(target: &str, dir: &Path) -> Result<bool, ToolchainError> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(dir)
        .output()
        .map_err(|error| ToolchainError::Rustc {
            dir: dir.display().to_string(),
            error,
        })?;
    let sysroot = String::from_utf8_lossy(&output.stdout);
    let lib = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(target)
        .join("lib");
    Ok(lib.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_installed_target_is_present() {
        // scripts/test installs the Cortex-M targets before the tests run.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let state = ensure_target("thumbv7em-none-eabi", dir).unwrap();
        assert_eq!(state, TargetState::Present);
    }

    #[test]
    fn a_target_rustup_does_not_know_is_an_error_with_the_command_to_run() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let error = ensure_target("no-such-target-none-eabi", dir).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("rustup target add no-such-target-none-eabi"),
            "{message}"
        );
    }
}
