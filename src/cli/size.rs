//! `mcu-build size`: the flash a protected build costs against the flat
//! build of the same application, split into causes (see `crate::size`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::UsageError;
use crate::size::{self, Files, Report, SizeError};

/// The two builds to compare.
#[derive(Debug, Args)]
pub struct SizeArgs {
    /// The flat build's ELF (`mcu-build flat`'s flat.elf, a flat NuttX's nuttx).
    #[arg(long, value_name = "ELF", requires_all = ["kernel", "user"], conflicts_with_all = ["flat_dir", "protected_dir"])]
    flat: Option<PathBuf>,
    /// The protected kernel's ELF (kernel.elf, a protected NuttX's nuttx).
    #[arg(long, value_name = "ELF", requires = "flat")]
    kernel: Option<PathBuf>,
    /// The protected user blob's ELF (user.elf, nuttx_user.elf).
    #[arg(long, value_name = "ELF", requires = "flat")]
    user: Option<PathBuf>,
    /// A directory with the flat build: target/mcu-build/<board>/ (its
    /// flat/flat.elf) or a built flat NuttX tree (its nuttx).
    #[arg(long, value_name = "DIR", requires = "protected_dir")]
    flat_dir: Option<PathBuf>,
    /// A directory with the protected build: target/mcu-build/<board>/
    /// (kernel.elf, user.elf) or a built protected NuttX tree (nuttx,
    /// nuttx_user.elf, and syscall/syscall.csv for the proxies' names).
    #[arg(long, value_name = "DIR", requires = "flat_dir")]
    protected_dir: Option<PathBuf>,
    /// The system-call table (syscall.csv) whose call names name the
    /// proxies in the user blob (C builds); default: the NuttX tree's.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl SizeArgs {
    fn files(&self) -> Result<Files, UsageError> {
        match (&self.flat, &self.kernel, &self.user, &self.flat_dir, &self.protected_dir) {
            (Some(flat), Some(kernel), Some(user), None, None) => Ok(Files {
                flat: flat.clone(),
                kernel: kernel.clone(),
                user: user.clone(),
                csv: self.csv.clone(),
            }),
            (None, None, None, Some(flat_dir), Some(protected_dir)) => {
                size::inputs::from_dirs(flat_dir, protected_dir, self.csv.clone())
                    .map_err(|e| UsageError(e.to_string()))
            }
            _ => Err(UsageError(
                "give --flat FLAT.elf --kernel KERNEL.elf --user USER.elf, or --flat-dir DIR --protected-dir DIR"
                    .to_owned(),
            )),
        }
    }

    pub fn run(self) -> anyhow::Result<ExitCode> {
        let files = self.files()?;
        // Unreadable or malformed input is the caller's to fix: exit 2.
        let report = size::measure(&files).map_err(|e: SizeError| UsageError(e.to_string()))?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", render(&report));
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The report as a table for people.
fn render(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let percent = if report.flat.flash == 0 {
        String::new()
    } else {
        format!(
            " ({:+.0}%)",
            report.difference as f64 / report.flat.flash as f64 * 100.0
        )
    };
    let _ = writeln!(out, "flash bytes (load span of the ELF files)");
    let _ = writeln!(out, "  flat                 {:>9}", report.flat.flash);
    let _ = writeln!(
        out,
        "  protected            {:>9}  (kernel {} + user {} loaded, {} between)",
        report.protected.flash,
        report.kernel.loaded,
        report.user.loaded,
        // Signed: blobs whose load images overlap have less span than bytes.
        report.protected.flash as i128 - report.protected.loaded as i128
    );
    let _ = writeln!(
        out,
        "  difference           {:>+9}{percent}",
        report.difference
    );
    for (number, cause) in report.causes.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {:<55} {:>+9}",
            number + 1,
            cause.title,
            cause.bytes
        );
        if let Some(note) = cause.note {
            let _ = writeln!(out, "     ({note})");
        }
        for entry in &cause.largest {
            let _ = writeln!(
                out,
                "     {:>7}  {:<6}  {}",
                entry.size,
                entry.blob.name(),
                entry.name
            );
        }
    }
    let _ = writeln!(
        out,
        "{:<58} {:>+9}",
        "rest (not explained by 1-5)", report.rest
    );
    let _ = writeln!(
        out,
        "RAM bytes (allocated writable sections): flat {}, protected {} (kernel {} + user {}), difference {:+}",
        report.flat.ram,
        report.protected.ram,
        report.kernel.ram,
        report.user.ram,
        report.ram_difference
    );
    out
}
