//! Booting an image in QEMU (`qemu-system-arm`) and reporting how the
//! firmware ended.
//!
//! The image goes in through QEMU's generic loader (`-device
//! loader,file=...`), which reads Intel HEX and ELF alike; the core then
//! resets from the vector table the image put in memory, as a chip does.
//! Semihosting is on, so the firmware can read its command line (the
//! scenario number) and end the run with an exit status, which becomes
//! QEMU's. The console (the UART, on QEMU's stdout) streams to the caller
//! as it comes.
//!
//! QEMU's stderr is passed on line by line, except a lockup: when the core
//! faults while it cannot take a fault (no vector table, no stack), QEMU
//! prints "qemu: fatal: Lockup: ..." and a register dump and aborts;
//! that becomes one sentence, [`RunError::Lockup`].
//!
//! The machine comes from the board file, so it is checked against the
//! machines of the bundled boards ([`known_machines`]) before QEMU sees
//! it: a value such as `help` or `-S` would make QEMU do something else
//! than boot.
//!
//! Firmware that never exits QEMU (NuttX) is judged by its console
//! instead ([`watch`]): the run ends as soon as every `--expect` pattern
//! has matched a console line, or a fail pattern has; QEMU is then
//! killed and reaped.

mod watch;

pub use watch::{FailDefault, FailPattern, MAX_LINE, NUTTX_FAIL_PATTERNS};

use std::io::{BufRead as _, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The QEMU binary for 32-bit Arm.
pub const QEMU: &str = "qemu-system-arm";

/// The scenarios of the bundled user blob, by boot argument: 0 is the
/// demo, `n` is `firmware/userspace/src/scenarios.rs`'s `SCENARIOS[n - 1]`
/// (the blob prints `user: scenario <n>: <name>`, which the tests check).
pub const SCENARIOS: [&str; 18] = [
    "demo",
    "read-kernel-sram",
    "write-kernel-sram",
    "read-kernel-flash",
    "write-user-flash",
    "execute-user-sram",
    "write-peripheral",
    "user-flash-past-end",
    "user-flash-before-start",
    "user-sram-past-end",
    "user-sram-before-start",
    "syscall-kernel-pointer",
    "undefined-instruction",
    "divide-by-zero",
    "unaligned-access",
    "read-system-control-space",
    "stack-overflow",
    "breakpoint",
];

/// The boot argument of scenario `name`.
pub fn scenario_argument(name: &str) -> Result<u32, RunError> {
    SCENARIOS
        .iter()
        .position(|&known| known == name)
        .map(|index| index as u32)
        .ok_or_else(|| RunError::UnknownScenario {
            name: name.to_owned(),
        })
}

/// What to boot and how.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub image: PathBuf,
    /// For a raw binary, the address of its first byte.
    pub base: Option<u32>,
    /// `-M` machine, from the board.
    pub machine: String,
    pub boot_argument: u32,
    /// The run is an error if the firmware has not ended by then.
    pub timeout: Duration,
    /// Console patterns that end the run with success once each has
    /// matched a line (`--expect`); none: only the firmware's exit ends it.
    pub expect: Vec<regex::Regex>,
    /// Console patterns that end the run with a failure (`--fail` and the
    /// built-in sets).
    pub fail: Vec<FailPattern>,
}

/// How a run ended well.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// The firmware exited (semihosting) with this status.
    Exited(i32),
    /// Every `--expect` matched; `line` matched last. QEMU was stopped.
    Expected { line: String },
}

/// The run did not end with a firmware exit status.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "{QEMU} is not installed: on Debian or Ubuntu `sudo apt-get install qemu-system-arm`, \
         on macOS `brew install qemu`"
    )]
    Missing,
    #[error("cannot start {QEMU}: {error}")]
    Spawn { error: std::io::Error },
    #[error("{} does not exist: run `mcu-build protect` first, or name an image", path.display())]
    NoImage { path: PathBuf },
    #[error(
        "{} did not finish within {} s on {machine}; the firmware may be hung (--timeout sets the limit)",
        image.display(), timeout.as_secs_f64()
    )]
    Timeout {
        image: PathBuf,
        machine: String,
        timeout: Duration,
    },
    #[error(
        "{} did not show {missing} on the console within {} s on {machine} (--timeout sets the \
         limit)",
        image.display(), timeout.as_secs_f64()
    )]
    ExpectTimeout {
        image: PathBuf,
        machine: String,
        timeout: Duration,
        /// The `--expect` patterns not seen, as [`watch::Watch::missing`] names them.
        missing: String,
    },
    #[error("the console matched {pattern}: {line:?}")]
    FailMatched {
        /// Which pattern: `--fail 'X'` or a built-in one.
        pattern: String,
        line: String,
    },
    #[error("the firmware exited with status {status} before the console showed {missing}")]
    ExitedBeforeExpect { status: i32, missing: String },
    #[error("{QEMU} was killed by a signal ({status})")]
    Killed { status: String },
    #[error(
        "the core locked up: {reason}, with the program counter at {pc}; {} has no usable \
         vector table or stack at reset, or faulted inside a fault handler",
        image.display()
    )]
    Lockup {
        image: PathBuf,
        /// QEMU's words after "Lockup: ".
        reason: String,
        /// R15 from QEMU's register dump.
        pc: String,
    },
    #[error(
        "{board_file}: `qemu-machine = {machine:?}`: mcu-build runs only the QEMU machines of its \
         bundled boards ({})",
        known_machines().join(", ")
    )]
    UnknownMachine { board_file: String, machine: String },
    #[error("writing the console: {error}")]
    Console { error: std::io::Error },
    #[error(
        "board {board} has no `qemu-machine`: QEMU does not emulate it, so its image can only \
         be flashed (`mcu-build flash`)"
    )]
    NoMachine { board: String },
    #[error("no scenario {name:?}; the scenarios are {}", SCENARIOS.join(", "))]
    UnknownScenario { name: String },
}

/// The QEMU machines mcu-build runs: those of the bundled boards, which
/// the firmware and its tests are made for.
pub fn known_machines() -> Vec<String> {
    let mut machines: Vec<String> = crate::board::bundled_names()
        .filter_map(|name| crate::board::bundled(name).ok()?.qemu_machine)
        .collect();
    machines.sort();
    machines.dedup();
    machines
}

/// `machine` if mcu-build runs it; `source` names the board file (or the
/// bundled board) for the error.
pub fn check_machine(machine: &str, source: &str) -> Result<(), RunError> {
    if known_machines().iter().any(|known| known == machine) {
        return Ok(());
    }
    Err(RunError::UnknownMachine {
        board_file: source.to_owned(),
        machine: machine.to_owned(),
    })
}

/// What ended the wait for QEMU's console.
enum Stop {
    /// QEMU closed its stdout: it is exiting.
    Exited,
    /// Every `--expect` matched.
    Expected { line: String },
}

/// Boots the image, copies the console to `console` as it arrives, and
/// returns how the run ended: the firmware's exit status, or, with
/// `--expect` patterns, the console line that passed it.
pub fn run(options: &RunOptions, console: &mut dyn Write) -> Result<Ending, RunError> {
    if !options.image.is_file() {
        return Err(RunError::NoImage {
            path: options.image.clone(),
        });
    }
    check_machine(&options.machine, "the board")?;
    let mut child = command(options)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => RunError::Missing,
            _ => RunError::Spawn { error },
        })?;
    let errors = pass_on_stderr(child.stderr.take().expect("piped"));
    let (sender, chunks) = mpsc::channel();
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            if sender.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut watch = watch::Watch::new(options.expect.clone(), options.fail.clone());
    let deadline = Instant::now() + options.timeout;
    // Whether the unfinished line was matched since the last chunk.
    let mut quiet_checked = false;
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = if watch.has_unfinished_line() && !quiet_checked {
            left.min(watch::QUIET)
        } else {
            left
        };
        let verdict = match chunks.recv_timeout(wait) {
            Ok(chunk) => {
                if let Err(error) = console.write_all(&chunk).and_then(|()| console.flush()) {
                    break Err(RunError::Console { error });
                }
                quiet_checked = false;
                watch.feed(&chunk)
            }
            Err(mpsc::RecvTimeoutError::Timeout) if wait < left => {
                quiet_checked = true;
                watch.quiet()
            }
            Err(error) => match watch.finish() {
                None if error == mpsc::RecvTimeoutError::Disconnected => break Ok(Stop::Exited),
                None => break Err(timeout(options, &watch)),
                verdict => verdict,
            },
        };
        match verdict {
            Some(watch::Verdict::Passed { line }) => break Ok(Stop::Expected { line }),
            Some(watch::Verdict::Failed { pattern, line }) => {
                break Err(RunError::FailMatched { pattern, line });
            }
            None => {}
        }
    };
    if !matches!(result, Ok(Stop::Exited)) {
        // Already exited or not: either way it must not outlive the run.
        // SIGKILL, since QEMU holds nothing to save and SIGTERM would make
        // it print a line of its own.
        let _ = child.kill();
    }
    let status = child.wait().map_err(|error| RunError::Spawn { error })?;
    reader.join().expect("the console reader does not panic");
    let lockup = errors.join().expect("the stderr reader does not panic");
    let stop = result?;
    if let Some(dump) = lockup {
        return Err(lockup_error(&options.image, &dump));
    }
    if let Stop::Expected { line } = stop {
        return Ok(Ending::Expected { line });
    }
    let status = status.code().ok_or_else(|| RunError::Killed {
        status: status.to_string(),
    })?;
    if watch.expects() {
        return Err(RunError::ExitedBeforeExpect {
            status,
            missing: watch.missing(),
        });
    }
    Ok(Ending::Exited(status))
}

/// The error of a run that reached its time limit: which `--expect` was
/// not seen, or that the firmware did not finish.
fn timeout(options: &RunOptions, watch: &watch::Watch) -> RunError {
    let image = options.image.clone();
    let machine = options.machine.clone();
    if watch.expects() {
        return RunError::ExpectTimeout {
            image,
            machine,
            timeout: options.timeout,
            missing: watch.missing(),
        };
    }
    RunError::Timeout {
        image,
        machine,
        timeout: options.timeout,
    }
}

/// Copies QEMU's stderr to ours line by line until a lockup begins;
/// returns the lockup's lines, if one was printed.
fn pass_on_stderr(
    stream: impl Read + Send + 'static,
) -> std::thread::JoinHandle<Option<Vec<String>>> {
    std::thread::spawn(move || {
        let mut lockup: Option<Vec<String>> = None;
        for line in std::io::BufReader::new(stream).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).into_owned();
            match &mut lockup {
                Some(lines) => lines.push(line),
                None if line.contains("Lockup:") => lockup = Some(vec![line]),
                None => eprintln!("{line}"),
            }
        }
        lockup
    })
}

/// The sentence for QEMU's lockup dump: its reason and R15.
fn lockup_error(image: &Path, dump: &[String]) -> RunError {
    let reason = dump
        .first()
        .and_then(|line| line.split_once("Lockup: "))
        .map_or_else(
            || "no reason given".to_owned(),
            |(_, r)| r.trim().to_owned(),
        );
    let pc = dump
        .iter()
        .find_map(|line| line.split_once("R15=")?.1.split_whitespace().next())
        .map_or_else(|| "an unknown address".to_owned(), |pc| format!("0x{pc}"));
    RunError::Lockup {
        image: image.to_owned(),
        reason,
        pc,
    }
}

/// The QEMU command line: no display, the console on stdout, semihosting
/// with the command line `<image> <boot argument>`.
fn command(options: &RunOptions) -> Command {
    let mut qemu = Command::new(QEMU);
    qemu.args(["-M", &options.machine, "-nographic", "-semihosting-config"])
        .arg(format!(
            "enable=on,target=native,arg={},arg={}",
            program_name(&options.image),
            options.boot_argument
        ))
        .arg("-device")
        .arg(loader(&options.image, options.base));
    die_with_parent(&mut qemu);
    qemu
}

/// QEMU is killed when mcu-build dies, however it dies: a NuttX image never
/// exits QEMU, so a `run` killed by `timeout` or a CI runner's SIGTERM
/// would otherwise leave it running forever. (Linux's
/// `PR_SET_PDEATHSIG`, prctl(2); the signal comes when the spawning thread
/// ends, and `run` spawns from the thread that waits for QEMU.)
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: prctl is async-signal-safe and touches no memory of the
    // parent; it runs in the child between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_: &mut Command) {}

/// The generic loader's option: HEX and ELF carry their addresses, a raw
/// binary is loaded at `base` (`force-raw`, so that its content is never
/// taken for another format). A comma, which would end the value, is
/// doubled, as QEMU's option syntax escapes it.
fn loader(image: &Path, base: Option<u32>) -> String {
    let file = image.display().to_string().replace(',', ",,");
    match base {
        Some(base) => format!("loader,file={file},addr={base:#x},force-raw=on"),
        None => format!("loader,file={file}"),
    }
}

/// The first word of the semihosting command line: the image's file name,
/// without commas, which would end QEMU's option value.
fn program_name(image: &Path) -> String {
    image.file_name().map_or_else(
        || "image".to_owned(),
        |n| n.to_string_lossy().replace(',', "_"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_numbered_from_the_demo() {
        assert_eq!(scenario_argument("demo").unwrap(), 0);
        assert_eq!(scenario_argument("read-kernel-sram").unwrap(), 1);
        assert_eq!(scenario_argument("syscall-kernel-pointer").unwrap(), 11);
        assert_eq!(scenario_argument("undefined-instruction").unwrap(), 12);
        assert_eq!(scenario_argument("read-system-control-space").unwrap(), 15);
        let error = scenario_argument("nope").unwrap_err().to_string();
        assert!(error.contains("demo, read-kernel-sram"), "{error}");
    }

    #[test]
    fn a_raw_binary_is_loaded_at_its_address_and_commas_are_escaped() {
        assert_eq!(
            loader(Path::new("a,b.bin"), Some(0x0800_0000)),
            "loader,file=a,,b.bin,addr=0x8000000,force-raw=on"
        );
        assert_eq!(loader(Path::new("x.hex"), None), "loader,file=x.hex");
    }

    #[test]
    fn a_lockup_dump_becomes_one_sentence() {
        let dump: Vec<String> = [
            "qemu: fatal: Lockup: can't escalate 3 to HardFault (current priority -1)",
            "",
            "R12=00000000 R13=ffffffe0 R14=fffffff9 R15=00000100",
            "XPSR=40000003 -Z-- A handler",
        ]
        .map(String::from)
        .into();
        let error = lockup_error(Path::new("c.bin"), &dump).to_string();
        assert_eq!(
            error,
            "the core locked up: can't escalate 3 to HardFault (current priority -1), with the \
             program counter at 0x00000100; c.bin has no usable vector table or stack at reset, \
             or faulted inside a fault handler"
        );
    }

    #[test]
    fn only_the_machines_of_the_bundled_boards_run() {
        assert_eq!(
            known_machines(),
            ["lm3s6965evb", "mps2-an386", "mps2-an500", "mps2-an505"]
        );
        assert!(check_machine("mps2-an386", "x.toml").is_ok());
        for bad in ["help", "?", "", "-S", "mps2-an385"] {
            let error = check_machine(bad, "boards/x.toml").unwrap_err().to_string();
            assert_eq!(
                error,
                format!(
                    "boards/x.toml: `qemu-machine = {bad:?}`: mcu-build runs only the QEMU \
                     machines of its bundled boards (lm3s6965evb, mps2-an386, mps2-an500, \
                     mps2-an505)"
                )
            );
        }
    }

    #[test]
    fn a_missing_image_says_to_run_protect() {
        let options = RunOptions {
            image: "/nonexistent/combined.hex".into(),
            base: None,
            machine: "mps2-an386".into(),
            boot_argument: 0,
            timeout: Duration::from_secs(1),
            expect: Vec::new(),
            fail: Vec::new(),
        };
        let error = run(&options, &mut Vec::new()).unwrap_err().to_string();
        assert!(error.contains("mcu-build protect"), "{error}");
    }
}
