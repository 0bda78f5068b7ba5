//! `[[process]]` tables of `mcu-build.toml`: a project with several
//! isolated processes (Tock's model), each with its own flash and RAM
//! partition and a grant region at the top of its RAM, owned by the
//! kernel (see [`crate::layout::processes`]).
//!
//! ```toml
//! [[process]]
//! name = "sensor"                # an identifier: letters, digits, '_'
//! cargo = "apps/sensor"          # built like a pass: cargo + bin, or
//! bin = "sensor"                 # command + artifact
//! flash = "16K"                  # or "auto": measured from its ELF
//! ram = "8K"                     # RAM below the grant (or "auto")
//! stack = "2K"                   # default 2K; inside ram
//! heap = "1K"                    # default 0; inside ram
//! grant = "1K"                   # default 1K; on top of ram, kernel-owned
//! fault = "restart(3)"           # stop (default) | restart | restart(N), N >= 1
//! time-slice = 10                # milliseconds it runs before the next; default 10
//! ```
//!
//! A project has either `[pass1]` (one user blob) or `[[process]]` tables,
//! never both; `[layout]` keys about the user blob (`user-flash`,
//! `user-sram`, `user-stack`, `user-heap`) have no meaning with processes
//! and are refused. Every error names the file, line:column and key
//! (`process[1].fault`).

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::config::{ConfigError, Pass, RawPass};
use crate::layout::processes::measure::{self, Measured, ProcessSize, Unmeasured};
use crate::layout::processes::{FaultPolicy, ProcessRequest, ProcessesRequest};
use crate::layout::request::Request;
use crate::mpu::GRANULE;
use crate::toml_input::{Number, Source, Table, TableForm};

/// The stack a process gets when `stack` is not given, in bytes: room for
/// the exception frame and a few calls of formatting code.
pub const DEFAULT_STACK: u64 = 2048;
/// The names of `protect`'s own outputs in the output directory, which a
/// process's `<name>.elf` and `gen-<name>/` would collide with.
const RESERVED_NAMES: [&str; 4] = ["kernel", "combined", "user", "flat"];

/// The least stack a process may have, bytes: the exception frame the
/// hardware stacks on every trap (r0-r3, r12, lr, pc, xPSR).
const MIN_STACK: u64 = 32;

/// A process's time slice when `time-slice` is not given, in
/// milliseconds: Tock's default (`kernel/src/scheduler/round_robin.rs`).
pub const DEFAULT_TIME_SLICE_MS: u32 = 10;

/// The time slices a process may have, in milliseconds: at least the
/// SysTick's period, at most a second.
const TIME_SLICES_MS: std::ops::RangeInclusive<u32> = 1..=1000;

/// The grant region a process gets when `grant` is not given, in bytes:
/// Tock's process control block, upcall queue and a few drivers' state fit.
pub const DEFAULT_GRANT: u64 = 1024;

/// One validated `[[process]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessConfig {
    pub name: String,
    /// How it is built, as a pass is.
    pub build: Pass,
    pub flash: ProcessSize,
    pub ram: ProcessSize,
    pub stack: u64,
    pub heap: u64,
    pub grant: u64,
    pub fault: FaultPolicy,
    /// Milliseconds it runs before the kernel switches to the next ready
    /// process.
    pub time_slice_ms: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawProcess {
    name: Spanned<String>,
    cargo: Option<PathBuf>,
    bin: Option<Spanned<String>>,
    features: Option<Vec<String>>,
    command: Option<String>,
    artifact: Option<PathBuf>,
    flash: Spanned<Number>,
    ram: Spanned<Number>,
    stack: Option<Spanned<Number>>,
    heap: Option<Spanned<Number>>,
    grant: Option<Spanned<Number>>,
    fault: Option<Spanned<String>>,
    time_slice: Option<Spanned<toml::Value>>,
}

impl TableForm for RawProcess {
    const EXPECTED: &'static str = "a table such as [[process]] with name = \"app\", cargo = ... \
         and bin = ... (or command = ... and artifact = ...), flash = \"16K\" and ram = \"8K\"";
}

/// The `[[process]]` array as read.
pub(super) type RawProcesses = Spanned<Vec<Spanned<Table<RawProcess>>>>;

/// Validates the `[[process]]` tables; `pass1` is the span of `[pass1]`,
/// which may not stand beside them.
pub(super) fn validate(
    raw: RawProcesses,
    pass1: Option<Range<usize>>,
    source: &Source,
) -> Result<Vec<ProcessConfig>, ConfigError> {
    let tables = raw.into_inner();
    if let (Some(pass1), Some(first)) = (pass1, tables.first()) {
        let (span, key) = if first.span().start > pass1.start {
            (first.span(), "process[0]")
        } else {
            (pass1, "[pass1]")
        };
        return Err(source.error(
            span,
            key,
            "a project has either [pass1] (one user blob) or [[process]] tables (several \
             processes), not both; a single process is a [[process]] of its own",
        ));
    }
    let mut seen: HashMap<String, (usize, Range<usize>)> = HashMap::new();
    let mut processes = Vec::new();
    for (index, table) in tables.into_iter().enumerate() {
        let span = table.span();
        let raw = table.into_inner().0;
        let key = |field: &str| format!("process[{index}].{field}");
        let name = raw.name.get_ref();
        if let Err(reason) = identifier(name) {
            return Err(source.error(
                raw.name.span(),
                key("name"),
                format!("{name:?} is not a process name: {reason}"),
            ));
        }
        if let Some((first, first_span)) = seen.get(name) {
            let (line, _) = crate::position::line_column(source.text, first_span.start);
            return Err(source.error(
                raw.name.span(),
                key("name"),
                format!(
                    "duplicate process name {name:?}: process[{first}] (line {line}) has it \
                     already; every process needs a name of its own"
                ),
            ));
        }
        seen.insert(name.clone(), (index, raw.name.span()));
        let build = source.pass_at(
            span,
            RawPass {
                cargo: raw.cargo,
                bin: raw.bin,
                features: raw.features,
                command: raw.command,
                artifact: raw.artifact,
                header: None,
            },
            &format!("process[{index}]"),
        )?;
        let size = |value: &Spanned<Number>, field: &str| -> Result<ProcessSize, ConfigError> {
            if matches!(value.get_ref(), Number::Text(t) if t == "auto") {
                return Ok(ProcessSize::Auto);
            }
            source
                .process_size(value, &key(field), true)
                .map(ProcessSize::Bytes)
        };
        let optional =
            |value: &Option<Spanned<Number>>, field: &str, default: u64, granule: bool| {
                value.as_ref().map_or(Ok(default), |v| {
                    source.process_size(v, &key(field), granule)
                })
            };
        let flash = size(&raw.flash, "flash")?;
        let ram = size(&raw.ram, "ram")?;
        let stack = optional(&raw.stack, "stack", DEFAULT_STACK, false)?;
        let heap = optional(&raw.heap, "heap", 0, false)?;
        let grant = optional(&raw.grant, "grant", DEFAULT_GRANT, true)?;
        if let Some(given) = raw
            .stack
            .as_ref()
            .filter(|_| stack < MIN_STACK || stack % 8 != 0)
        {
            return Err(source.error(
                given.span(),
                key("stack"),
                format!(
                    "{stack} bytes: a process's stack holds at least the exception frame the \
                     hardware stacks on every trap (8 words, {MIN_STACK} bytes; ARMv7-M ARM \
                     B1.5.6) and is 8-byte aligned (AAPCS): expected a multiple of 8 from \
                     {MIN_STACK}"
                ),
            ));
        }
        if let (ProcessSize::Bytes(bytes), needed) = (ram, stack.next_multiple_of(8) + heap)
            && bytes < needed
        {
            return Err(source.error(
                raw.ram.span(),
                key("ram"),
                format!(
                    "{bytes} bytes cannot hold the stack ({stack} bytes, 8-byte aligned) and \
                     heap ({heap} bytes): at least {needed}, rounded up to {} for the MPU",
                    needed.next_multiple_of(GRANULE)
                ),
            ));
        }
        let fault = match &raw.fault {
            None => FaultPolicy::Stop,
            Some(text) => FaultPolicy::parse(text.get_ref()).ok_or_else(|| {
                source.error::<ConfigError>(
                    text.span(),
                    key("fault"),
                    format!(
                        "no fault policy {:?}: expected \"stop\", \"restart\" or \"restart(N)\" \
                         with N a whole number of restarts from 1 (for none, \"stop\")",
                        text.get_ref()
                    ),
                )
            })?,
        };
        let time_slice_ms = match &raw.time_slice {
            None => DEFAULT_TIME_SLICE_MS,
            Some(ms) => ms
                .get_ref()
                .as_integer()
                .and_then(|ms| u32::try_from(ms).ok())
                .filter(|ms| TIME_SLICES_MS.contains(ms))
                .ok_or_else(|| {
                    let found = match ms.get_ref() {
                        toml::Value::Integer(n) => format!("{n} ms"),
                        other => format!("found {other}"),
                    };
                    source.error::<ConfigError>(
                        ms.span(),
                        key("time-slice"),
                        format!(
                            "{found}: expected a whole number of milliseconds from {} to {} \
                             (the SysTick ticks every millisecond), such as 10",
                            TIME_SLICES_MS.start(),
                            TIME_SLICES_MS.end()
                        ),
                    )
                })?,
        };
        processes.push(ProcessConfig {
            name: name.clone(),
            build,
            flash,
            ram,
            stack,
            heap,
            grant,
            fault,
            time_slice_ms,
        });
    }
    Ok(processes)
}

/// A name the process table of the generated kernel source can use as it
/// is: an ASCII letter or `_`, then letters, digits and `_`, at most 64
/// bytes.
fn identifier(name: &str) -> Result<(), &'static str> {
    let mut bytes = name.bytes();
    if RESERVED_NAMES.contains(&name) {
        return Err(
            "protect names its own outputs so (kernel.elf, combined.hex, user.elf, flat/), \
             and a process's ELF is <name>.elf beside them",
        );
    }
    match bytes.next() {
        None => Err("it is empty"),
        Some(b) if !(b.is_ascii_alphabetic() || b == b'_') => {
            Err("an identifier starts with an ASCII letter or '_'")
        }
        _ if !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            Err("an identifier has only ASCII letters, digits and '_'")
        }
        _ if name.len() > 64 => Err("longer than 64 bytes"),
        _ => Ok(()),
    }
}

/// Refuses the `[layout]` keys about the one user blob of a `[pass1]`
/// project (`keys`: the span of each one given, and its name).
pub(super) fn refuse_user_keys(
    keys: &[(Option<Range<usize>>, &str)],
    source: &Source,
) -> Result<(), ConfigError> {
    match keys
        .iter()
        .find_map(|(span, key)| Some((span.clone()?, *key)))
    {
        None => Ok(()),
        Some((span, key)) => Err(source.error(
            span,
            format!("layout.{key}"),
            "sizes the one user blob of a [pass1] project; with [[process]] tables each \
             process gives its own flash, ram, stack and heap",
        )),
    }
}

impl Source<'_> {
    /// A size of a process at `key`: at most 4 GiB, not 0, and (when
    /// `granule`) a multiple of the 32-byte MPU granule.
    fn process_size(
        &self,
        value: &Spanned<Number>,
        key: &str,
        granule: bool,
    ) -> Result<u64, ConfigError> {
        let n = value.get_ref().to_u64().map_err(|e| {
            self.error::<ConfigError>(value.span(), key, format!("{e}, or \"auto\""))
        })?;
        if n > u64::from(u32::MAX) {
            return Err(self.error(
                value.span(),
                key,
                format!("{n:#x} bytes do not fit the 32-bit address space"),
            ));
        }
        let bad = match n {
            0 if granule => Some("0 bytes: a process partition cannot be empty".to_owned()),
            _ if granule && !n.is_multiple_of(GRANULE) => Some(format!(
                "{n} bytes is not a multiple of the {GRANULE}-byte MPU granule, so no region \
                 set grants it exactly; nearest: {} or {}",
                n / GRANULE * GRANULE,
                n.next_multiple_of(GRANULE)
            )),
            _ => None,
        };
        match bad {
            Some(message) => Err(self.error(value.span(), key, message)),
            None => Ok(n),
        }
    }
}

impl ProcessConfig {
    /// The process as the planner takes it; an `auto` size comes from
    /// `measured` (see [`measure::resolve`]).
    pub fn request(&self, measured: Option<&Measured>) -> Result<ProcessRequest, Unmeasured> {
        let (flash, ram) = measure::resolve(
            &self.name, self.flash, self.ram, self.stack, self.heap, measured,
        )?;
        Ok(ProcessRequest {
            name: self.name.clone(),
            flash,
            ram,
            grant: self.grant,
            stack: self.stack,
            heap: self.heap,
            fault: self.fault,
        })
    }
}

/// The request of a project with `processes` and the kernel partitions of
/// `kernel` (the board's, with `[layout]` applied); `measured` holds the
/// measuring links of the processes with `auto` sizes, by name.
pub fn processes_request(
    kernel: Request,
    processes: &[ProcessConfig],
    measured: &HashMap<String, Measured>,
) -> Result<ProcessesRequest, Unmeasured> {
    let processes = processes
        .iter()
        .map(|p| p.request(measured.get(&p.name)))
        .collect::<Result<_, _>>()?;
    Ok(ProcessesRequest { kernel, processes })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::build::config::parse_layout;

    const HEAD: &str = "board = \"qemu-mps2-an386\"\n";
    const P: &str = "[[process]]\nname = \"a\"\ncargo = \"apps/a\"\nbin = \"a\"\nflash = \"4K\"\nram = \"4K\"\n";

    fn error(text: &str) -> String {
        parse_layout(text, Path::new("p/mcu-build.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_processes_with_defaults_and_auto() {
        let text = format!(
            "{HEAD}{P}[[process]]\nname = \"b_2\"\ncommand = \"make b\"\nartifact = \"b.elf\"\n\
             flash = \"auto\"\nram = 8192\nstack = 1000\nheap = \"1K\"\ngrant = 512\n\
             fault = \"restart(3)\"\n"
        );
        let config = parse_layout(&text, Path::new("p/mcu-build.toml")).unwrap();
        let [a, b] = config.processes.as_slice() else {
            panic!("two processes: {:?}", config.processes)
        };
        assert_eq!(
            (a.stack, a.heap, a.grant, a.fault),
            (DEFAULT_STACK, 0, DEFAULT_GRANT, FaultPolicy::Stop)
        );
        assert_eq!(a.flash, ProcessSize::Bytes(4096));
        assert_eq!(b.flash, ProcessSize::Auto);
        assert_eq!(
            (b.ram, b.stack, b.heap, b.grant),
            (ProcessSize::Bytes(8192), 1000, 1024, 512)
        );
        assert_eq!(b.fault, FaultPolicy::Restart { limit: Some(3) });
    }

    #[test]
    fn bad_processes_are_refused_at_their_place() {
        let cases = [
            (
                format!("{HEAD}{P}{P}"),
                "p/mcu-build.toml:9:8: `process[1].name`: duplicate process name \"a\": \
                 process[0] (line 3) has it already",
            ),
            (
                format!("{HEAD}{}", P.replace("\"a\"\ncargo", "\"9lives\"\ncargo")),
                "p/mcu-build.toml:3:8: `process[0].name`: \"9lives\" is not a process name: \
                 an identifier starts with an ASCII letter or '_'",
            ),
            (
                format!("{HEAD}{}", P.replace("\"a\"\ncargo", "\"a-b\"\ncargo")),
                "p/mcu-build.toml:3:8: `process[0].name`: \"a-b\" is not a process name: an \
                 identifier has only ASCII letters, digits and '_'",
            ),
            (
                format!("{HEAD}[pass1]\ncargo = \"u\"\nbin = \"u\"\n{P}"),
                "p/mcu-build.toml:5:1: `process[0]`: a project has either [pass1]",
            ),
            (
                format!("{HEAD}{P}fault = \"restart(0)\"\n"),
                "p/mcu-build.toml:8:9: `process[0].fault`: no fault policy \"restart(0)\": \
                 expected \"stop\", \"restart\" or \"restart(N)\"",
            ),
            (
                format!("{HEAD}{P}fault = \"restart(x)\"\n"),
                "p/mcu-build.toml:8:9: `process[0].fault`: no fault policy \"restart(x)\"",
            ),
            (
                format!("{HEAD}{}", P.replace("flash = \"4K\"", "flash = 0")),
                "p/mcu-build.toml:6:9: `process[0].flash`: 0 bytes: a process partition \
                 cannot be empty",
            ),
            (
                format!("{HEAD}{}", P.replace("ram = \"4K\"", "ram = 100")),
                "p/mcu-build.toml:7:7: `process[0].ram`: 100 bytes is not a multiple of the \
                 32-byte MPU granule, so no region set grants it exactly; nearest: 96 or 128",
            ),
            (
                format!("{HEAD}{P}grant = 0\n"),
                "p/mcu-build.toml:8:9: `process[0].grant`: 0 bytes",
            ),
            (
                format!("{HEAD}{P}time-slice = 0\n"),
                "p/mcu-build.toml:8:14: `process[0].time-slice`: 0 ms: expected a whole number \
                 of milliseconds from 1 to 1000",
            ),
            (
                format!("{HEAD}{P}time-slice = 5000\n"),
                "p/mcu-build.toml:8:14: `process[0].time-slice`: 5000 ms",
            ),
            (
                format!("{HEAD}{P}time-slice = \"10ms\"\n"),
                "p/mcu-build.toml:8:14: `process[0].time-slice`: found \"10ms\": expected a \
                 whole number of milliseconds",
            ),
            (
                format!("{HEAD}{P}stack = 0\n"),
                "p/mcu-build.toml:8:9: `process[0].stack`: 0 bytes: a process's stack holds at \
                 least the exception frame",
            ),
            (
                format!("{HEAD}{P}stack = 100\n"),
                "p/mcu-build.toml:8:9: `process[0].stack`: 100 bytes: a process's stack holds",
            ),
            (
                format!("{HEAD}{}", P.replace("\"a\"\ncargo", "\"kernel\"\ncargo")),
                "p/mcu-build.toml:3:8: `process[0].name`: \"kernel\" is not a process name: \
                 protect names its own outputs so",
            ),
            (
                format!("{HEAD}{P}heap = \"3K\"\n"),
                "p/mcu-build.toml:7:7: `process[0].ram`: 4096 bytes cannot hold the stack \
                 (2048 bytes, 8-byte aligned) and heap (3072 bytes): at least 5120",
            ),
            (
                format!("{HEAD}{}", P.replace("flash = \"4K\"", "flash = \"lots\"")),
                "p/mcu-build.toml:6:9: `process[0].flash`: ",
            ),
            (
                format!("{HEAD}[layout]\nuser-heap = \"4K\"\n{P}"),
                "p/mcu-build.toml:3:13: `layout.user-heap`: sizes the one user blob",
            ),
            (
                format!("{HEAD}{}", P.replace("bin = \"a\"\n", "")),
                "p/mcu-build.toml:2:1: `[process[0]]`: expected either `cargo`",
            ),
            (
                format!("{HEAD}{P}colour = 1\n"),
                "p/mcu-build.toml:8:1: `process[0].colour`: unknown field `colour`",
            ),
        ];
        for (text, expected) in cases {
            let error = error(&text);
            assert!(
                error.starts_with(expected),
                "{error}\nexpected: {expected}\n{text}"
            );
        }
    }
}
