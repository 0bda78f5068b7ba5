//! Running one pass: a cargo build of a package, or a shell command, with
//! the generated directory in `MCU_BUILD_GEN_DIR`.
//!
//! A cargo pass builds the same bytes at any path (see [`reproducible`]);
//! a shell pass gets the path remapping flags in
//! `MCU_BUILD_REMAP_PATH_PREFIX` ([`reproducible::SHELL_VARIABLE`]) to
//! give its compiler.
//!
//! The pass's output is captured, not inherited: the library never prints.
//! Every line goes to the caller as it arrives (for progress), and the last
//! lines go into the error when the pass fails. A linker's "overflowed by N
//! bytes" becomes its own error naming the partition, because that is the
//! most common failure of a protected build: a blob that outgrew its
//! partition.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use super::config::Pass;
use super::reproducible;
use super::toolchain::{self, TargetState, ToolchainError};

/// Where and for what a pass runs.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The project root: shell commands run here, paths start here.
    pub root: &'a Path,
    /// `MCU_BUILD_GEN_DIR`, absolute.
    pub gen_dir: &'a Path,
    /// The board's Rust target triple (also given to shell commands as
    /// `MCU_BUILD_TARGET`); a cargo pass cannot run without one.
    pub rust_target: Option<&'a str>,
    /// Cargo's target directory for cargo passes.
    pub cargo_target_dir: &'a Path,
    /// The board name, for shell commands as `MCU_BUILD_BOARD`.
    pub board: &'a str,
}

/// How many lines of a failed pass's output the error keeps.
const TAIL_LINES: usize = 40;

/// A pass failed.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("cannot start `{command}` in {}: {error}", dir.display())]
    Spawn {
        command: String,
        dir: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{partition} overflows by {bytes} bytes: the blob does not fit its partition \
         (the linker says: {line})"
    )]
    Overflow {
        partition: String,
        bytes: u64,
        line: String,
    },
    #[error("`{command}` failed ({status}); its last lines:\n{tail}")]
    Failed {
        command: String,
        status: String,
        tail: String,
    },
    #[error(
        "board {board} has no `rust-target`, so a cargo pass cannot build for it; add the \
         Rust target triple of its core to the board file, or build with a shell command"
    )]
    NoRustTarget { board: String },
    #[error("`{command}` succeeded but left no {}", artifact.display())]
    NoArtifact { command: String, artifact: PathBuf },
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
}

/// Runs `pass` and returns the path of the ELF it built. `on_line` sees
/// every line the pass prints, stdout and stderr interleaved as they come.
pub fn run(
    pass: &Pass,
    context: &Context,
    on_line: &mut dyn FnMut(&str),
) -> Result<PathBuf, PassError> {
    let (mut command, artifact) = command(pass, context)?;
    if let (Pass::Cargo { package, .. }, Some(target)) = (pass, context.rust_target) {
        let added = toolchain::ensure_target(target, &context.root.join(package))?;
        if added == TargetState::Added {
            on_line(&format!(
                "added the Rust standard library for {target} (rustup target add {target})"
            ));
        }
    }
    command
        .env("MCU_BUILD_GEN_DIR", context.gen_dir)
        .env("MCU_BUILD_BOARD", context.board);
    if let Some(target) = context.rust_target {
        command.env("MCU_BUILD_TARGET", target);
    }
    let shown = describe(pass);
    let dir = command.get_current_dir().unwrap_or(context.root).to_owned();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| PassError::Spawn {
            command: shown.clone(),
            dir,
            error,
        })?;
    let (sender, lines) = mpsc::channel();
    let readers = [
        forward(child.stdout.take().expect("piped"), sender.clone()),
        forward(child.stderr.take().expect("piped"), sender),
    ];
    let mut tail = VecDeque::with_capacity(TAIL_LINES);
    for line in lines {
        on_line(&line);
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    for reader in readers {
        reader.join().expect("a line reader does not panic");
    }
    let status = child.wait().map_err(|error| PassError::Spawn {
        command: shown.clone(),
        dir: context.root.to_owned(),
        error,
    })?;
    if !status.success() {
        if let Some(overflow) = tail.iter().find_map(|line| overflow(line)) {
            return Err(overflow);
        }
        return Err(PassError::Failed {
            command: shown,
            status: status.to_string(),
            tail: Vec::from(tail).join("\n"),
        });
    }
    if !artifact.is_file() {
        return Err(PassError::NoArtifact {
            command: shown,
            artifact,
        });
    }
    Ok(artifact)
}

/// The command line of a pass, as shown in messages.
pub fn describe(pass: &Pass) -> String {
    match pass {
        Pass::Cargo {
            package,
            bin,
            features,
        } if features.is_empty() => format!(
            "cargo build --release --bin {bin} (in {})",
            package.display()
        ),
        Pass::Cargo {
            package,
            bin,
            features,
        } => format!(
            "cargo build --release --bin {bin} --features {} (in {})",
            features.join(","),
            package.display()
        ),
        Pass::Shell { command, .. } => command.clone(),
    }
}

/// The process to run and where its artifact will be.
fn command(pass: &Pass, context: &Context) -> Result<(Command, PathBuf), PassError> {
    Ok(match pass {
        Pass::Cargo {
            package,
            bin,
            features,
        } => {
            let target = context.rust_target.ok_or_else(|| PassError::NoRustTarget {
                board: context.board.to_owned(),
            })?;
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut command = Command::new(cargo);
            command
                .current_dir(context.root.join(package))
                .args(["build", "--release", "--target", target, "--bin"])
                .arg(bin)
                .env("CARGO_TARGET_DIR", context.cargo_target_dir);
            if !features.is_empty() {
                command.arg("--features").arg(features.join(","));
            }
            let remaps =
                reproducible::remap_flags(context.root, reproducible::cargo_home().as_deref());
            let placement = reproducible::target_placement(&context.root.join(package), target);
            reproducible::add_rustflags(&mut command, &remaps, placement);
            let artifact = context
                .cargo_target_dir
                .join(target)
                .join("release")
                .join(bin);
            (command, artifact)
        }
        Pass::Shell { command, artifact } => {
            let mut shell = Command::new("sh");
            let remaps =
                reproducible::remap_flags(context.root, reproducible::cargo_home().as_deref());
            shell
                .current_dir(context.root)
                .arg("-c")
                .arg(command)
                .env(reproducible::SHELL_VARIABLE, remaps.join(" "));
            (shell, context.root.join(artifact))
        }
    })
}

/// Sends the lines `stream` produces until it closes.
fn forward(
    stream: impl Read + Send + 'static,
    sender: mpsc::Sender<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            if sender.send(line).is_err() {
                break;
            }
        }
    })
}

/// The partition and byte count of a linker's overflow message: GNU ld
/// says "region `KERNEL_FLASH' overflowed by 1234 bytes", LLD "section
/// '.text' will not fit in region 'KERNEL_FLASH': overflowed by 1234 bytes".
fn overflow(line: &str) -> Option<PassError> {
    let (before, after) = line.split_once("overflowed by ")?;
    let bytes = after.split_whitespace().next()?.parse().ok()?;
    let region = before.split_once("region ")?.1;
    let region = region
        .trim_start_matches(['`', '\''])
        .split(['\'', '`'])
        .next()?;
    Some(PassError::Overflow {
        partition: region.to_lowercase().replace('_', "-"),
        bytes,
        line: line.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_overflow_of_both_linkers() {
        for line in [
            "  = note: rust-lld: error: section '.text' will not fit in region 'KERNEL_FLASH': overflowed by 4321 bytes",
            "arm-none-eabi-ld: nuttx section `.text' will not fit in region `KERNEL_FLASH'",
            "arm-none-eabi-ld: region `KERNEL_FLASH' overflowed by 4321 bytes",
        ] {
            match overflow(line) {
                Some(PassError::Overflow {
                    partition, bytes, ..
                }) => {
                    assert_eq!(
                        (partition.as_str(), bytes),
                        ("kernel-flash", 4321),
                        "{line}"
                    );
                }
                None => assert!(!line.contains("overflowed"), "{line}"),
                Some(other) => panic!("{other}"),
            }
        }
    }

    /// Everything in `dir`, for the an386's Rust target.
    fn an386_context(dir: &Path) -> Context<'_> {
        Context {
            root: dir,
            gen_dir: dir,
            rust_target: Some("thumbv7em-none-eabi"),
            cargo_target_dir: dir,
            board: "qemu-mps2-an386",
        }
    }

    #[test]
    fn a_failing_command_reports_its_last_lines_and_every_line_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let pass = Pass::Shell {
            command: "echo one; echo two >&2; exit 3".into(),
            artifact: "out.elf".into(),
        };
        let context = an386_context(dir.path());
        let mut seen = Vec::new();
        let error = run(&pass, &context, &mut |line| seen.push(line.to_owned())).unwrap_err();
        seen.sort();
        assert_eq!(seen, ["one", "two"]);
        let message = error.to_string();
        assert!(message.contains("exit status: 3"), "{message}");
        assert!(
            message.contains("one") && message.contains("two"),
            "{message}"
        );
    }

    #[test]
    fn a_shell_pass_gets_the_remap_flags() {
        let dir = tempfile::tempdir().unwrap();
        let pass = Pass::Shell {
            command: "printf '%s' \"$MCU_BUILD_REMAP_PATH_PREFIX\" > out.elf".into(),
            artifact: "out.elf".into(),
        };
        let context = an386_context(dir.path());
        run(&pass, &context, &mut |_| {}).unwrap();
        let given = std::fs::read_to_string(dir.path().join("out.elf")).unwrap();
        let expected =
            reproducible::remap_flags(dir.path(), reproducible::cargo_home().as_deref()).join(" ");
        assert_eq!(given, expected);
        assert!(
            given.contains(&format!("--remap-path-prefix={}=.", dir.path().display())),
            "{given}"
        );
    }

    #[test]
    fn a_command_that_leaves_no_artifact_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let pass = Pass::Shell {
            command: "test \"$MCU_BUILD_BOARD\" = qemu-mps2-an386".into(),
            artifact: "out.elf".into(),
        };
        let context = an386_context(dir.path());
        let error = run(&pass, &context, &mut |_| {}).unwrap_err();
        assert!(matches!(error, PassError::NoArtifact { .. }), "{error}");
    }

    #[test]
    fn a_cargo_pass_for_a_board_without_a_rust_target_says_which_key_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let pass = Pass::Cargo {
            package: "firmware/kernel".into(),
            bin: "kernel".into(),
            features: Vec::new(),
        };
        let context = Context {
            root: dir.path(),
            gen_dir: dir.path(),
            rust_target: None,
            cargo_target_dir: dir.path(),
            board: "mine",
        };
        let error = run(&pass, &context, &mut |_| {}).unwrap_err().to_string();
        assert!(error.contains("board mine has no `rust-target`"), "{error}");
    }
}
