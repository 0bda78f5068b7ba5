//! `build.json`: what a protected build was made from and what it made.
//!
//! It records the plan (partitions, MPU regions with register values, in
//! the layout's stable JSON), the stack and heap splits, the verifier's
//! verdict, each blob's sections and use of its partitions, the sealed
//! user header, and the SHA-256 of every input and output. It holds no
//! time stamp and only paths relative to the project root, so that two
//! builds of the same inputs write the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::Splits;
use super::header::{HeaderKind, UserHeader};
use super::inspect::Space;
use super::inspect::{Inspection, SectionExtent};
use super::nuttx::NuttxProject;
use super::planned::Planned;
use super::provenance::Provenance;
use crate::image::Image;
use crate::layout::Plan;
use crate::layout::request::Owner;
use crate::mpu::verify::Report;
use crate::nuttx::check::CheckReport;
use crate::nuttx::memory_ld::Role;
use crate::nuttx::userspace::Userspace;

/// A file and its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// For an image file: what it loads where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loads: Option<Loads>,
}

impl FileDigest {
    /// The digest of `content`, named by `path` relative to `root`.
    pub fn of(path: &Path, root: &Path, content: &[u8]) -> FileDigest {
        let shown = path.strip_prefix(root).unwrap_or(path);
        FileDigest {
            path: shown.display().to_string(),
            bytes: content.len() as u64,
            sha256: format!("{:x}", Sha256::digest(content)),
            loads: None,
        }
    }

    /// The digest of image file `content`, which loads `image`.
    pub fn of_image(path: &Path, root: &Path, content: &[u8], image: &Image) -> FileDigest {
        FileDigest {
            loads: Some(Loads::of(image)),
            ..FileDigest::of(path, root, content)
        }
    }
}

/// One address range an image loads, `start..end` (end exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadRange {
    pub start: u64,
    pub end: u64,
}

/// What an image file loads, independent of its format: the address
/// ranges that hold data (adjacent data coalesced) and the SHA-256 of the
/// data bytes in address order. A raw binary loaded at another address,
/// or a HEX file with other bytes, differs from what the build recorded
/// even where the file's own digest cannot tell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loads {
    pub ranges: Vec<LoadRange>,
    pub sha256: String,
}

impl Loads {
    pub fn of(image: &Image) -> Loads {
        let mut hasher = Sha256::new();
        for segment in image.segments() {
            hasher.update(segment.data);
        }
        Loads {
            ranges: image
                .ranges()
                .map(|range| LoadRange {
                    start: range.start,
                    end: range.end,
                })
                .collect(),
            sha256: format!("{:x}", hasher.finalize()),
        }
    }
}

/// One blob in the manifest.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BlobSummary {
    pub sections: Vec<SectionExtent>,
    /// Bytes in use per partition, from its start to the end of its last
    /// section.
    pub used: BTreeMap<String, u64>,
    /// Bytes stored in flash.
    pub flash_bytes: u64,
}

impl BlobSummary {
    pub fn new(inspection: &Inspection, owner: Owner, plan: &Planned) -> BlobSummary {
        BlobSummary::in_spaces(inspection, &Space::of_plan(plan, owner))
    }

    /// The summary of a blob that may occupy `spaces`.
    pub fn in_spaces(inspection: &Inspection, spaces: &[Space]) -> BlobSummary {
        BlobSummary {
            sections: inspection.sections.clone(),
            used: spaces
                .iter()
                .map(|s| (s.name.clone(), inspection.used_in(&s.name, s.range.start)))
                .collect(),
            flash_bytes: inspection.image.total_size(),
        }
    }
}

/// The whole manifest. `plan` is the layout's stable JSON, the same as
/// `mcu-build layout --json` prints.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest<'a> {
    pub mcu_build: &'static str,
    pub plan: &'a Plan,
    /// The stacks and the user heap the linker scripts reserved.
    pub splits: Splits,
    pub verification: &'a Report,
    pub user: BlobSummary,
    /// The kind of the user header: `mcu-build` or `nuttx`.
    pub user_header_kind: Option<HeaderKind>,
    /// The sealed header (`null` only for a user blob inspected without
    /// one, which pass 1 never passes on); a NuttX `struct userspace_s`
    /// as read.
    pub user_header: Option<BTreeMap<&'static str, String>>,
    pub kernel: BlobSummary,
    pub inputs: Vec<FileDigest>,
    pub outputs: Vec<FileDigest>,
    /// What the configuration made the build from, for `run` and `flash`
    /// to compare with the configuration in use; `protect` sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

impl<'a> Manifest<'a> {
    pub fn new(
        plan: &'a Planned,
        splits: Splits,
        verification: &'a Report,
        user: &Inspection,
        kernel: &Inspection,
        inputs: Vec<FileDigest>,
        outputs: Vec<FileDigest>,
    ) -> Manifest<'a> {
        Manifest {
            mcu_build: env!("CARGO_PKG_VERSION"),
            plan: plan.plan(),
            splits,
            verification,
            user: BlobSummary::new(user, Owner::User, plan),
            user_header_kind: user.header.as_ref().map(UserHeader::kind),
            user_header: user
                .header
                .as_ref()
                .map(|header| header.fields().into_iter().collect()),
            kernel: BlobSummary::new(kernel, Owner::Kernel, plan),
            inputs,
            outputs,
            provenance: None,
        }
    }

    /// The JSON text, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the manifest serialises");
        text.push('\n');
        text
    }
}

/// One region of a NuttX tree's memory.ld, as build.json records it in
/// `plan.partitions` (the fields `run` and `flash` read, and the region's
/// role and kind).
#[derive(Clone, Debug, Serialize)]
pub struct TreePartition {
    pub name: String,
    /// `kernel` for `k*` and the left-over `x*` regions, `user` for `u*`.
    pub owner: Owner,
    pub role: Role,
    /// `flash` or `ram`.
    pub memory: &'static str,
    pub start: u64,
    pub end: u64,
    pub size: u64,
}

/// A NuttX build's plan: its board (or the tree's board name) and the
/// partitions of the tree's memory.ld.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TreePlan {
    pub board: String,
    /// The memory.ld the partitions were read from.
    pub memory_ld: String,
    pub partitions: Vec<TreePartition>,
}

impl TreePlan {
    pub fn of(project: &NuttxProject) -> TreePlan {
        let root = &project.config.root;
        let memory = &project.tree.memory.path;
        TreePlan {
            board: project.name.clone(),
            memory_ld: memory
                .strip_prefix(root)
                .unwrap_or(memory)
                .display()
                .to_string(),
            partitions: project
                .regions()
                .map(|r| TreePartition {
                    name: r.name.clone(),
                    owner: if r.role() == Role::User {
                        Owner::User
                    } else {
                        Owner::Kernel
                    },
                    role: r.role(),
                    memory: if r.is_flash() { "flash" } else { "ram" },
                    start: r.origin,
                    end: r.end(),
                    size: r.length,
                })
                .collect(),
        }
    }
}

/// What a NuttX build verified. `findings` lists what failed (nothing,
/// or the build stops); `accepted` what failed the check of NuttX's
/// run-time MPU setup and the project accepts (`[nuttx] over-grant =
/// "accept"`); `nuttx-check` is that check's whole report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TreeVerification {
    /// What `protect` checked before merging.
    pub checked: Vec<&'static str>,
    pub findings: Vec<String>,
    pub accepted: Vec<String>,
    pub nuttx_check: CheckReport,
}

/// The header of a NuttX user blob: where it lies, the layout's fields.
#[derive(Clone, Debug, Serialize)]
pub struct HeaderRecord {
    pub kind: HeaderKind,
    pub address: String,
    /// By name.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The tree, its configuration and the command that built it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TreeRecord {
    pub tree: String,
    pub config_sha256: String,
    pub make: String,
}

/// build.json of a NuttX project.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct NuttxManifest {
    pub mcu_build: &'static str,
    pub plan: TreePlan,
    pub verification: TreeVerification,
    pub nuttx: TreeRecord,
    pub user_header: HeaderRecord,
    pub user: BlobSummary,
    pub kernel: BlobSummary,
    pub inputs: Vec<FileDigest>,
    pub outputs: Vec<FileDigest>,
    pub provenance: Provenance,
}

impl NuttxManifest {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        project: &NuttxProject,
        user: &Inspection,
        header: &Userspace,
        kernel: &Inspection,
        report: &CheckReport,
        config_sha256: String,
        inputs: Vec<FileDigest>,
        outputs: Vec<FileDigest>,
        provenance: Provenance,
    ) -> NuttxManifest {
        let root = &project.config.root;
        let tree = &project.tree.root;
        NuttxManifest {
            mcu_build: env!("CARGO_PKG_VERSION"),
            plan: TreePlan::of(project),
            verification: TreeVerification {
                checked: vec![
                    "sections inside their regions",
                    "flash bytes inside flash regions",
                    "struct userspace_s",
                    "the heaps and MPU regions NuttX sets up at run time",
                ],
                findings: Vec::new(),
                accepted: report.problems(),
                nuttx_check: report.clone(),
            },
            nuttx: TreeRecord {
                tree: match tree.strip_prefix(root) {
                    Ok(inside) if inside.as_os_str().is_empty() => ".".to_owned(),
                    Ok(inside) => inside.display().to_string(),
                    Err(_) => tree.display().to_string(),
                },
                config_sha256,
                make: project.config.make.clone(),
            },
            user_header: HeaderRecord {
                kind: HeaderKind::Nuttx,
                address: format!("{:#010x}", header.address),
                fields: UserHeader::Nuttx(header.clone())
                    .fields()
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.into()))
                    .collect(),
            },
            user: BlobSummary::in_spaces(user, &project.spaces(Owner::User)),
            kernel: BlobSummary::in_spaces(kernel, &project.spaces(Owner::Kernel)),
            inputs,
            outputs,
            provenance,
        }
    }

    /// The JSON text, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the manifest serialises");
        text.push('\n');
        text
    }
}
