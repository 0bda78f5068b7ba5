//! What `build.json` says about an image, as far as flashing and running
//! it care: the partitions of the plan, the processes of a project with
//! `[[process]]` tables, the verdict of the MPU verifier, the SHA-256 of
//! every input and output of the build, and what each image output loads
//! where.
//!
//! `protect` writes `build.json` beside `combined.hex` in
//! `<root>/target/mcu-build/<board>/`, with paths relative to the project
//! root (see [`crate::build::manifest`]). This module reads it back with
//! its own, smaller types: `flash` and `run` need a handful of fields, and
//! fields it does not know are ignored, so the manifest can grow without
//! breaking them.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::manifest::Loads;
use super::provenance::Provenance;

/// The name `protect` gives the manifest.
pub const FILE_NAME: &str = "build.json";

/// Which half of a protected image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// The privileged kernel.
    Kernel,
    /// The unprivileged user blob.
    User,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Kernel => "kernel",
            Part::User => "user",
        })
    }
}

/// One partition of the recorded plan.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Partition {
    pub name: String,
    pub owner: Part,
    pub start: u32,
    pub end: u32,
}

impl Partition {
    pub fn range(&self) -> std::ops::Range<u64> {
        u64::from(self.start)..u64::from(self.end)
    }
}

/// One process of a project with `[[process]]` tables (`processes[]` of
/// build.json); only its name: its partitions are the plan's
/// `<name>-flash` and `<name>-ram`, which the `same plan` check covers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RecordedProcess {
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Plan {
    board: String,
    partitions: Vec<Partition>,
}

#[derive(Clone, Debug, Deserialize)]
struct Verification {
    /// Each finding is shown as recorded; flashing only needs to know that
    /// there is one.
    findings: Vec<serde_json::Value>,
    /// What failed a NuttX build's check of its run-time MPU setup and
    /// the project accepts (`[nuttx] over-grant = "accept"`).
    #[serde(default)]
    accepted: Vec<String>,
}

/// A file and its digest, as recorded.
#[derive(Clone, Debug, Deserialize)]
pub struct RecordedFile {
    /// Relative to the project root.
    pub path: String,
    pub sha256: String,
    /// For an image file, what it loads where (absent in a build.json
    /// of an mcu-build older than this field).
    #[serde(default)]
    pub loads: Option<Loads>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Manifest {
    /// The version of mcu-build that wrote it.
    #[serde(default)]
    mcu_build: Option<String>,
    plan: Plan,
    /// Only in the build of a project with `[[process]]` tables: the
    /// processes in the configuration's order.
    #[serde(default)]
    processes: Option<Vec<RecordedProcess>>,
    verification: Verification,
    inputs: Vec<RecordedFile>,
    outputs: Vec<RecordedFile>,
    /// Absent in a build.json of an mcu-build older than this field.
    #[serde(default)]
    provenance: Option<Provenance>,
}

/// A `build.json` read from disk.
#[derive(Clone, Debug)]
pub struct BuildRecord {
    /// Where it was read from.
    pub path: PathBuf,
    /// The project root its relative paths start from, when the file sits
    /// where `protect` writes it (`<root>/target/mcu-build/<board>/`).
    pub root: Option<PathBuf>,
    manifest: Manifest,
}

/// `build.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{}:{line}:{column}: not a build.json written by `mcu-build protect`: {message}; \
         run `mcu-build protect` again",
        path.display()
    )]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Why a recorded file no longer matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// Its bytes changed.
    Changed,
    /// It is gone.
    Missing,
    /// It could not be read.
    Unreadable(String),
}

/// A recorded file that is not what the build saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    pub path: String,
    pub drift: Drift,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.drift {
            Drift::Changed => write!(f, "{} changed since the build", self.path),
            Drift::Missing => write!(f, "{} is missing", self.path),
            Drift::Unreadable(error) => write!(f, "{} cannot be read: {error}", self.path),
        }
    }
}

/// The SHA-256 of `bytes` in lowercase hex, as the manifest records it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Whether the file at `path` holds the bytes whose SHA-256 is `sha256`.
/// Only a regular file can: the file is opened without blocking and its
/// type checked on the open descriptor, so an output replaced by a FIFO or
/// a device (`/dev/zero`) neither hangs nor floods the check, and it is
/// hashed as it is read, never held in memory.
pub fn holds_digest(path: &Path, sha256: &str) -> std::io::Result<bool> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Ok(false);
    }
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()) == sha256)
}

impl BuildRecord {
    /// The `build.json` in the directory of `image`, if there is one.
    pub fn beside(image: &Path) -> Result<Option<BuildRecord>, RecordError> {
        let path = path_beside(image);
        if !path.is_file() {
            return Ok(None);
        }
        BuildRecord::load(&path).map(Some)
    }

    /// Reads `path`.
    pub fn load(path: &Path) -> Result<BuildRecord, RecordError> {
        let text = std::fs::read_to_string(path).map_err(|error| RecordError::Io {
            path: path.to_owned(),
            error,
        })?;
        BuildRecord::parse(&text, path)
    }

    /// Parses the text of a `build.json` read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<BuildRecord, RecordError> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|error| RecordError::Invalid {
                path: path.to_owned(),
                line: error.line(),
                column: error.column(),
                message: error.to_string(),
            })?;
        let root = project_root(path, &manifest.plan.board);
        Ok(BuildRecord {
            path: path.to_owned(),
            root,
            manifest,
        })
    }

    /// The board the image was built for.
    pub fn board(&self) -> &str {
        &self.manifest.plan.board
    }

    /// What the configuration made the build from, if recorded.
    pub fn provenance(&self) -> Option<&Provenance> {
        self.manifest.provenance.as_ref()
    }

    /// The partitions of the plan.
    pub fn partitions(&self) -> &[Partition] {
        &self.manifest.plan.partitions
    }

    /// The processes of a project with `[[process]]` tables, in the
    /// configuration's order; `None` for a build with a single user blob.
    pub fn processes(&self) -> Option<&[RecordedProcess]> {
        self.manifest.processes.as_deref()
    }

    /// The version of mcu-build that wrote it, if recorded.
    pub fn mcu_build(&self) -> Option<&str> {
        self.manifest.mcu_build.as_deref()
    }

    /// The inputs of the build, as recorded.
    pub fn inputs(&self) -> &[RecordedFile] {
        &self.manifest.inputs
    }

    /// The outputs of the build (build.json aside), as recorded.
    pub fn outputs(&self) -> &[RecordedFile] {
        &self.manifest.outputs
    }

    /// What the build's verification found and the project accepts.
    pub fn accepted(&self) -> &[String] {
        &self.manifest.verification.accepted
    }

    /// The findings of the MPU verifier, as compact JSON; empty when the
    /// table granted exactly the user partitions.
    pub fn mpu_findings(&self) -> Vec<String> {
        self.manifest
            .verification
            .findings
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The inputs whose bytes are no longer the ones the build read, or
    /// `None` when the project root is unknown.
    pub fn stale_inputs(&self) -> Option<Vec<Stale>> {
        let root = self.root.as_deref()?;
        Some(
            self.manifest
                .inputs
                .iter()
                .filter_map(|input| drift(root, input))
                .collect(),
        )
    }

    /// The recorded output at `image` (relative to the root), if the build
    /// wrote one there.
    pub fn output_at(&self, image: &Path) -> Option<&RecordedFile> {
        let root = self.root.as_deref()?;
        let resolved = resolved(image);
        let relative = resolved.strip_prefix(root).ok()?;
        self.manifest
            .outputs
            .iter()
            .find(|output| Path::new(&output.path) == relative)
    }
}

/// `image` with symbolic links resolved (a link to `combined.hex` is
/// checked against the build.json beside `combined.hex`, not beside the
/// link), or made absolute when it cannot be resolved (it is missing).
pub fn resolved(image: &Path) -> PathBuf {
    std::fs::canonicalize(image)
        .or_else(|_| std::path::absolute(image))
        .unwrap_or_else(|_| image.to_owned())
}

/// Where the build.json of `image` is: beside the file `image` resolves to.
pub fn path_beside(image: &Path) -> PathBuf {
    let image = resolved(image);
    image.parent().unwrap_or(Path::new(".")).join(FILE_NAME)
}

/// Compares one recorded file with what is on disk now.
fn drift(root: &Path, file: &RecordedFile) -> Option<Stale> {
    let drift = match holds_digest(&root.join(&file.path), &file.sha256) {
        Ok(true) => return None,
        Ok(false) => Drift::Changed,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Drift::Missing,
        Err(error) => Drift::Unreadable(error.to_string()),
    };
    Some(Stale {
        path: file.path.clone(),
        drift,
    })
}

/// `<root>` when `manifest` is `<root>/target/mcu-build/<board>/build.json`.
fn project_root(manifest: &Path, board: &str) -> Option<PathBuf> {
    let absolute = resolved(manifest);
    let board_dir = absolute.parent()?;
    let tool_dir = board_dir.parent()?;
    let target_dir = tool_dir.parent()?;
    let placed = board_dir.file_name()? == board
        && tool_dir.file_name()? == "mcu-build"
        && target_dir.file_name()? == "target";
    placed.then(|| target_dir.parent().map(Path::to_owned))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_regular_file_holds_a_digest_and_nothing_blocks_or_floods() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("combined.bin");
        std::fs::write(&file, b"image").unwrap();
        assert!(holds_digest(&file, &sha256_hex(b"image")).unwrap());
        assert!(!holds_digest(&file, &sha256_hex(b"other")).unwrap());
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `name` is a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(!holds_digest(&fifo, &sha256_hex(b"")).unwrap());
        assert!(!holds_digest(Path::new("/dev/zero"), &sha256_hex(b"")).unwrap());
        assert_eq!(
            holds_digest(&dir.path().join("missing"), "")
                .unwrap_err()
                .kind(),
            std::io::ErrorKind::NotFound
        );
    }

    const MINIMAL: &str = r#"{
      "plan": {"board": "b", "partitions": [
        {"name": "kernel-flash", "owner": "kernel", "memory": "flash", "start": 0, "end": 16}
      ], "extra": 1},
      "verification": {"findings": [{"kind": "over-grant", "start": 1, "end": 2}]},
      "inputs": [], "outputs": [], "more": true
    }"#;

    #[test]
    fn reads_the_fields_it_needs_and_ignores_the_rest() {
        let record = BuildRecord::parse(MINIMAL, Path::new("x/build.json")).unwrap();
        assert_eq!(record.board(), "b");
        assert_eq!(record.partitions()[0].owner, Part::Kernel);
        assert_eq!(record.partitions()[0].range(), 0..16);
        assert_eq!(record.mpu_findings().len(), 1);
        assert_eq!(record.processes(), None);
        assert_eq!(record.root, None);
        assert_eq!(record.stale_inputs(), None);
    }

    #[test]
    fn reads_the_processes_of_a_project_with_processes() {
        let text = MINIMAL.replacen(
            "\"verification\"",
            r#""processes": [
              {"name": "a", "flash": {"start": 16, "end": 48}, "ram": {"start": 0, "end": 8}},
              {"name": "b", "flash": {"start": 48, "end": 80}, "ram": {"start": 8, "end": 16}}
            ], "verification""#,
            1,
        );
        let record = BuildRecord::parse(&text, Path::new("x/build.json")).unwrap();
        let processes = record.processes().expect("processes");
        let names: Vec<_> = processes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn finds_the_root_only_where_protect_writes() {
        let path = Path::new("/p/target/mcu-build/b/build.json");
        assert_eq!(project_root(path, "b"), Some(PathBuf::from("/p")));
        assert_eq!(project_root(path, "other"), None);
        assert_eq!(project_root(Path::new("/p/build.json"), "b"), None);
    }

    #[test]
    #[cfg(unix)]
    fn a_link_to_an_image_finds_the_record_beside_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("target/mcu-build/b");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("combined.hex"), ":00000001FF\n").unwrap();
        std::fs::write(out.join(FILE_NAME), MINIMAL).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let link = elsewhere.join("fw.hex");
        std::os::unix::fs::symlink(out.join("combined.hex"), &link).unwrap();
        let record = BuildRecord::beside(&link).unwrap().expect("found");
        let root = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(record.root.as_deref(), Some(root.as_path()));
        assert_eq!(
            path_beside(&link),
            root.join("target/mcu-build/b/build.json")
        );
    }

    #[test]
    fn a_broken_file_names_the_place() {
        let error = BuildRecord::parse("{\"plan\": 3}", Path::new("d/build.json")).unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("d/build.json:1:"), "{text}");
    }
}
