//! `mcu-build syscalls`: list the calls of a NuttX syscall.csv, generate
//! proxies and stubs from it, and check it against NuttX's
//! syscall_lookup.h.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::UsageError;
use crate::nuttx::kconfig::Kconfig;
use crate::syscall::drift::{self, Comparison, Drift};
use crate::syscall::{
    self, DEFAULT_RESERVED, GenerateOptions, Language, LookupFile, Numbering, PointerChecks, Side,
    Syscall, SyscallTable,
};

#[derive(Debug, Subcommand)]
pub enum SyscallsCommand {
    /// Generate proxies (user side) and stubs (kernel side) in C or Rust.
    #[command(after_help = "Examples:
  # NuttX: per-call PROXY_*.c and STUB_*.c, numbering header and tables
  mcu-build syscalls gen --csv syscall/syscall.csv --lang c --side proxies --out build/proxies
  mcu-build syscalls gen --csv syscall/syscall.csv --lang c --side stubs --out build/stubs
  # a small project: all proxies in one file, all stubs in another
  mcu-build syscalls gen --csv syscall.csv --lang c --out gen --single-file
  # Rust: syscall_numbers.rs, syscall_user.rs and syscall_kernel.rs, with
  # the pointer checks declared in a sidecar file
  mcu-build syscalls gen --csv syscall.csv --lang rust --checks syscall-checks.toml --out src/gen
  # numbered exactly as a NuttX build of this configuration numbers them
  mcu-build syscalls gen --csv nuttx/syscall/syscall.csv \\
      --lookup nuttx/include/sys/syscall_lookup.h --config nuttx/.config \\
      --lang c --side stubs --out build/stubs

Numbering: without --lookup, every CSV entry has a number from --reserved:
_exit first, then the CSV's order, whatever its condition (the same numbers
for every configuration, but not NuttX's). With --lookup and --config, the
numbers are NuttX's for that configuration: the entries of syscall_lookup.h
whose #if conditions the .config makes true, in that file's order, and only
those calls get proxies, stubs and table entries. A condition mcu-build
cannot evaluate (a macro from NuttX's headers, an unsigned constant) is an
error naming its line and column.

Files are rewritten only when their content changes, so make and cargo
rebuild nothing after a run that changed nothing. The files change
together or not at all: a failed run (a file that cannot be written, a full
disk) leaves the output directory as it was.")]
    Gen(GenArgs),
    /// List the system calls of a syscall.csv: number, name, parameters, condition.
    #[command(after_help = "Examples:
  mcu-build syscalls list --csv nuttx/syscall/syscall.csv
  mcu-build syscalls list --csv syscall.csv --reserved 0 --json
  # NuttX's numbers for one configuration (see `syscalls gen --help`)
  mcu-build syscalls list --csv nuttx/syscall/syscall.csv \\
      --lookup nuttx/include/sys/syscall_lookup.h --config nuttx/.config")]
    List(ListArgs),
    /// Report drift between syscall.csv and NuttX's syscall_lookup.h.
    #[command(after_help = "Examples:
  mcu-build syscalls check --csv nuttx/syscall/syscall.csv \\
      --lookup nuttx/include/sys/syscall_lookup.h
  mcu-build syscalls check --csv syscall.csv --lookup syscall_lookup.h --json

Reports calls in one file only, parameter counts that differ
(SYSCALL_LOOKUP's nparms against the CSV's parameters, optional ones
included), and conditions that differ: the CSV's condition column against
the #if/#ifdef/#elif/#else groups around the lookup entry. Conditions are
compared semantically, as Boolean functions of their defined() tests and
comparisons, when both parse; otherwise as text (the report says which).

Exit status: 0 when the files agree, 1 on drift, 2 on an error (a file that
cannot be read or parsed, a bad argument).")]
    Check(CheckArgs),
}

impl SyscallsCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            SyscallsCommand::Gen(args) => args.run(),
            SyscallsCommand::List(args) => args.run(),
            SyscallsCommand::Check(args) => Ok(args.run()),
        }
    }
}

/// The CSV and the numbering, shared by every syscalls subcommand.
#[derive(Debug, Args)]
struct TableArgs {
    /// The NuttX syscall.csv to read.
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,
    /// First call number (CONFIG_SYS_RESERVED); ARM protected builds reserve 0..7.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RESERVED, value_parser = |t: &str| crate::number::parse_in(t, 0..=u32::MAX))]
    reserved: u32,
    /// NuttX's include/sys/syscall_lookup.h: number the calls as NuttX
    /// does for --config (needs --config).
    #[arg(long, value_name = "FILE", requires = "config")]
    lookup: Option<PathBuf>,
    /// The built tree's .config whose options decide the #if conditions
    /// of --lookup (needs --lookup). A defconfig leaves out the options at
    /// their defaults, so it numbers differently: give the .config (a
    /// defconfig is used with a warning).
    #[arg(long, value_name = "FILE", requires = "lookup")]
    config: Option<PathBuf>,
}

/// The configuration and lookup file read for `--lookup`/`--config`.
struct LookupOrder {
    lookup: LookupFile,
    config: Kconfig,
}

impl TableArgs {
    /// The CSV, and the lookup file and configuration if given.
    fn read(&self) -> anyhow::Result<(SyscallTable, Option<LookupOrder>)> {
        let table = syscall::csv::read(&self.csv)?;
        let order = match (&self.lookup, &self.config) {
            (Some(lookup), Some(config)) => Some(LookupOrder {
                lookup: LookupFile::read(lookup)?,
                config: Kconfig::read(config)?,
            }),
            _ => None,
        };
        if let Some(order) = order.as_ref().filter(|o| o.config.built_marker().is_none()) {
            eprintln!(
                "warning: {}: sets neither CONFIG_APPS_DIR nor CONFIG_BASE_DEFCONFIG, so it is \
                 a defconfig, not a built .config: the options it leaves at their defaults \
                 count as not set, and NuttX's build may number the calls differently; give the \
                 built tree's .config",
                order.config.path.display()
            );
        }
        Ok((table, order))
    }

    /// The calls' numbers: NuttX's for `order`, or the CSV's own.
    fn numbering<'a>(
        &self,
        table: &'a SyscallTable,
        order: &Option<LookupOrder>,
    ) -> anyhow::Result<Numbering<'a>> {
        Ok(match order {
            Some(o) => Numbering::from_lookup(table, &o.lookup, &o.config, self.reserved)?,
            None => Numbering::new(table, self.reserved)?,
        })
    }
}

#[derive(Debug, Args)]
pub struct GenArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Language of the generated code.
    #[arg(long, value_enum)]
    lang: Language,
    /// Which side of the trap to generate.
    #[arg(long, value_enum, default_value_t = Side::Both)]
    side: Side,
    /// Output directory, created if missing; it must not be a file.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// C only: all proxies in syscall_proxies.c and all stubs in syscall_stubs.c.
    #[arg(long)]
    single_file: bool,
    /// Sidecar TOML file declaring checked pointer parameters (see the docs
    /// of mcu_build::syscall::checks); stubs validate them before the call.
    #[arg(long, value_name = "FILE")]
    checks: Option<PathBuf>,
}

impl GenArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        if self.single_file && self.lang != Language::C {
            return Err(UsageError(
                "--single-file is for --lang c; the Rust output is one module per side".into(),
            )
            .into());
        }
        let (table, order) = self.table.read()?;
        let numbering = self.table.numbering(&table, &order)?;
        let checks = match &self.checks {
            Some(path) => syscall::checks::read(path, &table)?,
            None => PointerChecks::none(),
        };
        let options = GenerateOptions {
            language: self.lang,
            side: self.side,
            single_file: self.single_file,
            reserved: self.table.reserved,
            source_name: self.table.csv.display().to_string(),
        };
        let files = syscall::generate_numbered(&numbering, &checks, &options);
        let summary = syscall::write_changed(&self.out, &files, |name| options.may_produce(name))?;
        let removed = match summary.removed {
            0 => String::new(),
            n => format!(", removed {n} stale"),
        };
        eprintln!(
            "{} system calls: wrote {} of {} files in {} ({} unchanged{removed})",
            numbering.count(),
            summary.written,
            files.len(),
            self.out.display(),
            summary.unchanged,
        );
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The JSON form of `syscalls list`.
#[derive(Serialize)]
struct Listing<'a> {
    csv: String,
    /// The syscall_lookup.h and .config that ordered the numbers, if any.
    lookup: Option<String>,
    config: Option<String>,
    reserved: u32,
    count: u32,
    syscalls: Vec<ListedSyscall<'a>>,
}

#[derive(Serialize)]
struct ListedSyscall<'a> {
    number: u32,
    name: &'a str,
    header: &'a str,
    /// `null` when the call is always present.
    condition: Option<&'a str>,
    returns: &'a str,
    /// Every parameter type, as the CSV spells it, the optional ones last.
    parameters: Vec<&'a str>,
    /// How many parameters come before `...` (all of them if not variadic).
    fixed_parameters: usize,
    line: usize,
}

impl ListArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let (table, order) = self.table.read()?;
        let numbering = self.table.numbering(&table, &order)?;
        if self.json {
            let listing = Listing {
                csv: self.table.csv.display().to_string(),
                lookup: self.table.lookup.as_deref().map(path_text),
                config: self.table.config.as_deref().map(path_text),
                reserved: numbering.reserved(),
                count: numbering.count(),
                syscalls: numbering
                    .iter()
                    .map(|(number, s)| ListedSyscall {
                        number,
                        name: &s.name,
                        header: &s.header,
                        condition: Some(s.condition.as_str()).filter(|c| !c.is_empty()),
                        returns: s.returns.as_csv(),
                        parameters: s.params.iter().map(|p| p.csv.as_str()).collect(),
                        fixed_parameters: s.fixed_params,
                        line: s.line,
                    })
                    .collect(),
            };
            println!("{}", serde_json::to_string_pretty(&listing)?);
        } else {
            print!("{}", render_table(&numbering));
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Parameters as a C reader expects them: `int, ...(uintptr_t, uintptr_t)`.
fn describe_params(syscall: &Syscall) -> String {
    let fixed: Vec<&str> = syscall.params[..syscall.fixed_params]
        .iter()
        .map(|p| p.csv.as_str())
        .collect();
    let mut text = fixed.join(", ");
    if syscall.is_variadic() {
        let optional: Vec<&str> = syscall
            .optional_params()
            .iter()
            .map(|p| p.csv.as_str())
            .collect();
        text.push_str(&format!(", ...({})", optional.join(", ")));
    }
    text
}

fn render_table(numbering: &Numbering<'_>) -> String {
    use std::fmt::Write;
    let rows: Vec<[String; 5]> = numbering
        .iter()
        .map(|(number, s)| {
            [
                number.to_string(),
                s.name.to_string(),
                s.returns.as_csv().to_owned(),
                describe_params(s),
                s.condition.clone(),
            ]
        })
        .collect();
    let titles = ["NR", "NAME", "RETURNS", "PARAMETERS", "CONDITION"];
    let mut widths = titles.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        let _ = writeln!(
            out,
            "{:>w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        );
    };
    line(titles);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    let mut out = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    match numbering.count() {
        0 => out.push_str("no system calls\n"),
        count => {
            let _ = writeln!(
                out,
                "{count} system calls, numbers {}..={} (SYS_maxsyscall {})",
                numbering.reserved(),
                numbering.max() - 1,
                numbering.max()
            );
            if let syscall::Order::Lookup { lookup, config } = numbering.order() {
                let _ = writeln!(
                    out,
                    "numbered as NuttX does: {} under {}",
                    lookup.display(),
                    config.display()
                );
            }
        }
    }
    out
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The NuttX syscall.csv to read.
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,
    /// NuttX's include/sys/syscall_lookup.h.
    #[arg(long, value_name = "FILE")]
    lookup: PathBuf,
    /// Print JSON instead of one line per drift.
    #[arg(long)]
    json: bool,
}

/// The JSON form of `syscalls check`.
#[derive(Serialize)]
struct CheckReport<'a> {
    csv: String,
    lookup: String,
    consistent: bool,
    drift: &'a [Drift],
}

impl CheckArgs {
    /// Exit status 0 when consistent, 1 on drift, 2 when a file cannot be
    /// read or parsed (the error printed here, as `main` would).
    fn run(self) -> ExitCode {
        match self.check() {
            Ok(code) => code,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(2)
            }
        }
    }

    fn check(&self) -> anyhow::Result<ExitCode> {
        let table = syscall::csv::read(&self.csv)?;
        let lookup = LookupFile::read(&self.lookup)?;
        let drift = drift::compare(&table, &lookup);
        if self.json {
            let report = CheckReport {
                csv: path_text(&self.csv),
                lookup: path_text(&self.lookup),
                consistent: drift.is_empty(),
                drift: &drift,
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            for d in &drift {
                println!("{}", self.describe(d));
            }
            match drift.len() {
                0 => println!("{} and {} agree", self.csv.display(), self.lookup.display()),
                1 => println!("1 difference"),
                n => println!("{n} differences"),
            }
        }
        Ok(if drift.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }

    /// One line for a drift, starting with the place in the file at fault.
    fn describe(&self, drift: &Drift) -> String {
        let (csv, lookup) = (self.csv.display(), self.lookup.display());
        let always = |c: &str| {
            if c.is_empty() {
                "always".to_owned()
            } else {
                format!("`{c}`")
            }
        };
        match drift {
            Drift::OnlyInCsv { name, csv_line } => {
                format!("{csv}:{csv_line}: {name} is not in {lookup}, so it has no number")
            }
            Drift::OnlyInLookup { name, lookup_line } => {
                format!("{lookup}:{lookup_line}: {name} is not in {csv}, so it has no stub")
            }
            Drift::Condition {
                name,
                csv_line,
                lookup_line,
                csv_condition,
                lookup_condition,
                comparison,
                witness,
            } => {
                let how = match comparison {
                    Comparison::Semantic => {
                        let values: Vec<String> = witness
                            .iter()
                            .map(|(a, v)| format!("{a}={}", u8::from(*v)))
                            .collect();
                        format!("semantically; they differ when {}", values.join(", "))
                    }
                    Comparison::Textual => "compared as text".to_owned(),
                };
                format!(
                    "{csv}:{csv_line}: {name}: condition {} differs from {} at {lookup}:{lookup_line} ({how})",
                    always(csv_condition),
                    always(lookup_condition)
                )
            }
            Drift::ParamCount {
                name,
                csv_line,
                lookup_line,
                csv_params,
                lookup_params,
            } => format!(
                "{csv}:{csv_line}: {name} has {csv_params} parameters, {lookup}:{lookup_line} says {lookup_params}"
            ),
        }
    }
}
