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
use super::inspect::{Inspection, SectionExtent};
use super::planned::Planned;
use super::provenance::Provenance;
use crate::image::Image;
use crate::layout::Plan;
use crate::layout::request::Owner;
use crate::mpu::verify::Report;

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
        BlobSummary {
            sections: inspection.sections.clone(),
            used: plan
                .owned_by(owner)
                .map(|p| (p.name.clone(), inspection.used(p)))
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
    /// The sealed header (`null` only for a user blob inspected without
    /// one, which pass 1 never passes on).
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
