//! What a build was made from, as far as the project's configuration
//! decides it: the configuration file, the board file and the system call
//! table it names, and the plan with its stack and heap splits.
//!
//! `build.json` records it for the whole image and `pass1.json` for the
//! user blob; `run`, `flash` and `pass2` compare it with the project as it
//! is now, so that an image or a user blob built from another
//! configuration (`--config other.toml`, another syscall CSV, other
//! `[layout]` sizes) never passes for one built from this one.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::{BoardSource, Syscalls};
use super::inspect::InspectError;
use super::manifest::{FileDigest, TreePlan};
use super::nuttx::NuttxProject;
use super::protect::Project;
use super::record::sha256_hex;

/// The name `pass1` gives its record, beside user.elf.
pub const PASS1_FILE_NAME: &str = "pass1.json";

/// The inputs the configuration names, with their digests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Provenance {
    /// The configuration file (mcu-build.toml or `--config`).
    pub config: FileDigest,
    /// The board file, when the board is not a bundled one.
    pub board_file: Option<FileDigest>,
    /// The system call CSV and its pointer checks, when there are any.
    pub syscalls: Vec<FileDigest>,
    /// The SHA-256 of the plan's stable JSON (as `mcu-build layout --json`
    /// prints it) followed by the splits' JSON: partitions, kernel heap,
    /// MPU regions, stacks and heaps.
    pub plan_sha256: String,
}

impl Provenance {
    /// What `project` is made from now.
    pub fn of(project: &Project) -> Result<Provenance, InspectError> {
        let config = &project.config;
        Provenance::of_files(
            &config.root,
            &config.path,
            &config.board,
            config.syscalls.as_ref(),
            &plan_json(project),
        )
    }

    /// The configuration at `config` (under `root`), its board file and
    /// system call table if any, and the SHA-256 of `plan`, the plan's
    /// stable JSON.
    pub fn of_files(
        root: &Path,
        config: &Path,
        board: &BoardSource,
        syscalls: Option<&Syscalls>,
        plan: &str,
    ) -> Result<Provenance, InspectError> {
        let digest = |path: &Path| digest(root, path);
        let board_file = match board {
            BoardSource::File(path) => Some(digest(path)?),
            BoardSource::Bundled(_) => None,
        };
        let syscalls = match syscalls {
            Some(table) => std::iter::once(&table.csv)
                .chain(&table.checks)
                .map(|path| digest(path))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(Provenance {
            config: config_digest(root, config)?,
            board_file,
            syscalls,
            plan_sha256: sha256_hex(plan.as_bytes()),
        })
    }

    /// What the NuttX `project` is made from now: the plan is the
    /// partitions of the tree's memory.ld.
    pub fn of_nuttx(project: &NuttxProject) -> Result<Provenance, InspectError> {
        let config = &project.config;
        let digest = |path: &Path| digest(&config.root, path);
        let board_file = match &config.board {
            Some(BoardSource::File(path)) => Some(digest(path)?),
            _ => None,
        };
        let plan = serde_json::to_string(&TreePlan::of(project)).expect("the plan serialises");
        Ok(Provenance {
            config: config_digest(&config.root, &config.path)?,
            board_file,
            syscalls: Vec::new(),
            plan_sha256: sha256_hex(plan.as_bytes()),
        })
    }

    /// What differs between `self` (what the build was made from) and
    /// `now`: each entry names the kind of input and the difference.
    pub fn differences(&self, now: &Provenance) -> Vec<Difference> {
        let mut out = Vec::new();
        file_difference(
            "configuration",
            Some(&self.config),
            Some(&now.config),
            &mut out,
        );
        file_difference(
            "board file",
            self.board_file.as_ref(),
            now.board_file.as_ref(),
            &mut out,
        );
        let count = self.syscalls.len().max(now.syscalls.len());
        for i in 0..count {
            file_difference(
                "system call table",
                self.syscalls.get(i),
                now.syscalls.get(i),
                &mut out,
            );
        }
        if self.plan_sha256 != now.plan_sha256 {
            out.push(Difference {
                what: "plan",
                detail: "partitions, kernel heap, MPU regions or stack and heap splits differ \
                         (`mcu-build layout` shows the plan now)"
                    .to_owned(),
            });
        }
        out
    }
}

/// The digest of the file at `path` (relative to `root`, or absolute),
/// named relative to `root`.
pub fn digest(root: &Path, path: &Path) -> Result<FileDigest, InspectError> {
    let path = root.join(path);
    std::fs::read(&path)
        .map(|bytes| FileDigest::of(&path, root, &bytes))
        .map_err(|error| InspectError::Io { path, error })
}

/// The digest of the configuration file at `path`, which is relative to
/// the working directory (`--config examples/x/mcu-build.toml`), not to
/// the project root, named relative to `root`.
pub fn config_digest(root: &Path, path: &Path) -> Result<FileDigest, InspectError> {
    let absolute = std::path::absolute(path).map_err(|error| InspectError::Io {
        path: path.to_owned(),
        error,
    })?;
    digest(root, &absolute)
}

/// One kind of input that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// `configuration`, `board file`, `system call table` or `plan`.
    pub what: &'static str,
    /// The files (`built from X; Y differs`) or what the plan covers.
    pub detail: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.detail)
    }
}

fn file_difference(
    what: &'static str,
    then: Option<&FileDigest>,
    now: Option<&FileDigest>,
    out: &mut Vec<Difference>,
) {
    let detail = match (then, now) {
        (Some(then), Some(now)) if then.sha256 == now.sha256 => return,
        (None, None) => return,
        (Some(then), Some(now)) if then.path == now.path => {
            format!("{} changed since the build", now.path)
        }
        (Some(then), Some(now)) => format!("built from {}; {} differs", then.path, now.path),
        (Some(then), None) => format!("built from {}; none is used now", then.path),
        (None, Some(now)) => format!("built without one; {} is used now", now.path),
    };
    out.push(Difference { what, detail });
}

/// The plan's stable JSON and the splits' JSON, a line each.
fn plan_json(project: &Project) -> String {
    let plan = serde_json::to_string(project.plan.plan()).expect("the plan serialises");
    let splits = serde_json::to_string(&project.config.splits).expect("the splits serialise");
    format!("{plan}\n{splits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha256: &str) -> FileDigest {
        FileDigest {
            path: path.to_owned(),
            bytes: 1,
            sha256: sha256.to_owned(),
            loads: None,
        }
    }

    fn provenance(config: FileDigest, csv: &str) -> Provenance {
        Provenance {
            config,
            board_file: None,
            syscalls: vec![file("abi/syscall.csv", csv)],
            plan_sha256: "p".to_owned(),
        }
    }

    #[test]
    fn names_each_input_that_differs() {
        let then = provenance(file("mcu-build.toml", "a"), "c");
        assert_eq!(then.differences(&then), []);
        let other = provenance(file("other.toml", "b"), "d");
        let shown: Vec<String> = then
            .differences(&other)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "configuration: built from mcu-build.toml; other.toml differs",
                "system call table: abi/syscall.csv changed since the build",
            ]
        );
        let same_file_other_plan = Provenance {
            plan_sha256: "q".to_owned(),
            ..then.clone()
        };
        assert_eq!(then.differences(&same_file_other_plan)[0].what, "plan");
    }
}
