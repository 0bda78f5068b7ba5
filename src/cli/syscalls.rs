//! `mcu-build syscalls`: list the calls of a NuttX syscall.csv, and generate
//! proxies and stubs from it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::UsageError;
use crate::syscall::{
    self, DEFAULT_RESERVED, GenerateOptions, Language, Numbering, PointerChecks, Side, Syscall,
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

Files are rewritten only when their content changes, so make and cargo
rebuild nothing after a run that changed nothing. The files change
together or not at all: a failed run (a file that cannot be written, a full
disk) leaves the output directory as it was.")]
    Gen(GenArgs),
    /// List the system calls of a syscall.csv: number, name, parameters, condition.
    #[command(after_help = "Examples:
  mcu-build syscalls list --csv nuttx/syscall/syscall.csv
  mcu-build syscalls list --csv syscall.csv --reserved 0 --json")]
    List(ListArgs),
}

impl SyscallsCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            SyscallsCommand::Gen(args) => args.run(),
            SyscallsCommand::List(args) => args.run(),
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
        let table = syscall::csv::read(&self.table.csv)?;
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
        let files = syscall::generate(&table, &checks, &options)?;
        let summary = syscall::write_changed(&self.out, &files, |name| options.may_produce(name))?;
        let removed = match summary.removed {
            0 => String::new(),
            n => format!(", removed {n} stale"),
        };
        eprintln!(
            "{} system calls: wrote {} of {} files in {} ({} unchanged{removed})",
            table.entries.len(),
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
        let table = syscall::csv::read(&self.table.csv)?;
        let numbering = Numbering::new(&table, self.table.reserved)?;
        if self.json {
            let listing = Listing {
                csv: self.table.csv.display().to_string(),
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
        }
    }
    out
}
