//! `mcu-build nuttx config`: NuttX configurations compared
//! ([`crate::nuttx::config_diff`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::nuttx::config_diff::{self, ConfigDiff, Unset};
use crate::nuttx::kconfig::Kconfig;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Compare two NuttX configurations (defconfig or .config) option by
    /// option: what NuttX's tools/cmpconfig does, with numbers equal by
    /// value in any base and `# CONFIG_X is not set` read as Kconfig does.
    #[command(after_help = "Examples:
  mcu-build nuttx config diff boards/arm/tiva/lm3s6965-ek/configs/qemu-flat/defconfig \\
      boards/arm/tiva/lm3s6965-ek/configs/qemu-protected/defconfig
  mcu-build nuttx config diff .config ../other/.config --unset-is-absent --json

Options are listed by name: those only in A, only in B, and those both set
to different values, as written in each file. 0x10 and 16 are equal.

`# CONFIG_X is not set` against a file that does not name CONFIG_X is a
difference: in a defconfig the comment means \"turned off\" and absence means
\"at its default\", which may be y. In a .config every visible option is
written, so an absent bool is off too: --unset-is-absent reads the comment
as absence there (cmpconfig skips such comments altogether).

Exit status: 0 when the files set the same options, 1 when they differ,
2 when a file cannot be read or has a line Kconfig would not write.")]
    Diff(DiffArgs),
}

impl ConfigCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ConfigCommand::Diff(args) => args.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first configuration (A).
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The second configuration (B).
    #[arg(value_name = "B")]
    b: PathBuf,
    /// Read `# CONFIG_X is not set` as if the file did not name CONFIG_X
    /// (right for two .config files; wrong for defconfigs).
    #[arg(long)]
    unset_is_absent: bool,
    /// Print JSON (`equal`, `only_in_a`, `only_in_b`, `different`).
    #[arg(long)]
    json: bool,
}

impl DiffArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let read = |path: &Path| Kconfig::read(path);
        let (a, b) = match read(&self.a).and_then(|a| Ok((a, read(&self.b)?))) {
            Ok(pair) => pair,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        let unset = if self.unset_is_absent {
            Unset::Absent
        } else {
            Unset::Value
        };
        let diff = config_diff::diff(&a, &b, unset);
        if self.json {
            println!("{}", serde_json::to_string_pretty(&diff)?);
        } else {
            print!("{}", render_diff(&diff, &self.a, &self.b));
        }
        Ok(if diff.equal {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// An option line as a defconfig writes it.
fn option_line(name: &str, value: &str) -> String {
    if value == "n" {
        format!("# {name} is not set")
    } else {
        format!("{name}={value}")
    }
}

fn render_diff(diff: &ConfigDiff, a: &Path, b: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "A: {}", a.display());
    let _ = writeln!(out, "B: {}", b.display());
    for (side, list) in [("A", &diff.only_in_a), ("B", &diff.only_in_b)] {
        if !list.is_empty() {
            let _ = writeln!(out, "only in {side}:");
            for only in list {
                let _ = writeln!(out, "  {}", option_line(&only.name, &only.value));
            }
        }
    }
    if !diff.different.is_empty() {
        let _ = writeln!(out, "set differently:");
        let shown = |value: &str| {
            if value == "n" {
                "is not set".to_owned()
            } else {
                value.to_owned()
            }
        };
        for d in &diff.different {
            let _ = writeln!(out, "  {}: A {}, B {}", d.name, shown(&d.a), shown(&d.b));
        }
    }
    if diff.equal {
        let _ = writeln!(out, "equal: A and B set the same options");
    } else {
        let _ = writeln!(
            out,
            "different: {} only in A, {} only in B, {} set differently",
            diff.only_in_a.len(),
            diff.only_in_b.len(),
            diff.different.len()
        );
    }
    out
}
