//! Writing generated files so that build tools see a change only when there
//! is one.
//!
//! make and cargo rebuild from modification times: a generator that
//! rewrites identical files forces a rebuild of every proxy and stub. So a
//! file is written (atomically) only when its bytes differ from what is on
//! disk. Proxies and stubs of calls that left the CSV are removed, but only
//! files that carry our banner: a hand-written file is never touched.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::generate::GeneratedFile;
use crate::output::{WriteError, write_atomically};

/// What [`write_changed`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files created or rewritten because their content changed.
    pub written: usize,
    /// Files left alone because they already held the same bytes.
    pub unchanged: usize,
    /// Generated files of calls no longer in the CSV, removed.
    pub removed: usize,
}

/// Writing the generated files failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteFilesError {
    #[error("cannot create the output directory {}: {error}", path.display())]
    CreateDir {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot remove the stale generated file {}: {error}", path.display())]
    Remove {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// The start of the first line of every file mcu-build generates.
const BANNER_PREFIXES: [&str; 2] = ["/* Generated from ", "// Generated from "];

/// Writes `files` into `dir` (created if missing), each only if its content
/// changed, then removes files in `dir` that `is_stale_candidate` accepts,
/// that are not among `files`, and that begin with our banner.
pub fn write_changed(
    dir: &Path,
    files: &[GeneratedFile],
    is_stale_candidate: impl Fn(&str) -> bool,
) -> Result<WriteSummary, WriteFilesError> {
    std::fs::create_dir_all(dir).map_err(|error| WriteFilesError::CreateDir {
        path: dir.to_owned(),
        error,
    })?;
    let mut summary = WriteSummary::default();
    for file in files {
        let path = dir.join(&file.name);
        let read_error = |error| WriteFilesError::Read {
            path: path.clone(),
            error,
        };
        let same = match std::fs::read(&path) {
            Ok(existing) => existing == file.contents.as_bytes(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(read_error(e)),
        };
        if same {
            summary.unchanged += 1;
        } else {
            write_atomically(&path, file.contents.as_bytes())?;
            summary.written += 1;
        }
    }

    let list_error = |error| WriteFilesError::Read {
        path: dir.to_owned(),
        error,
    };
    for entry in std::fs::read_dir(dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_stale_candidate(name) || files.iter().any(|f| f.name == name) {
            continue;
        }
        let path = entry.path();
        if begins_with_banner(&path)? {
            std::fs::remove_file(&path).map_err(|error| WriteFilesError::Remove {
                path: path.clone(),
                error,
            })?;
            summary.removed += 1;
        }
    }
    Ok(summary)
}

/// Whether the file at `path` starts with the banner of a generated file.
fn begins_with_banner(path: &Path) -> Result<bool, WriteFilesError> {
    let mut start = [0u8; 20];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut start))
        .map_err(|error| WriteFilesError::Read {
            path: path.to_owned(),
            error,
        })?;
    Ok(BANNER_PREFIXES
        .iter()
        .any(|prefix| start[..read].starts_with(prefix.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(name: &str, text: &str) -> GeneratedFile {
        GeneratedFile {
            name: name.into(),
            contents: format!("/* Generated from t.csv by mcu-build; do not edit. */\n{text}"),
        }
    }

    #[test]
    fn rewrites_only_what_changed_and_removes_only_our_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let is_proxy = |name: &str| name.starts_with("PROXY_");
        let first = [generated("PROXY_a.c", "a"), generated("PROXY_b.c", "b")];
        let summary = write_changed(dir.path(), &first, is_proxy).unwrap();
        assert_eq!((summary.written, summary.unchanged), (2, 0));

        std::fs::write(dir.path().join("PROXY_mine.c"), "hand-written").unwrap();
        let second = [generated("PROXY_a.c", "a"), generated("PROXY_c.c", "c")];
        let summary = write_changed(dir.path(), &second, is_proxy).unwrap();
        assert_eq!(
            summary,
            WriteSummary {
                written: 1,
                unchanged: 1,
                removed: 1
            }
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["PROXY_a.c", "PROXY_c.c", "PROXY_mine.c"]);
    }
}
