//! Where the three ELF files of `mcu-build size` come from: named directly,
//! or found in an output directory of `mcu-build protect`/`flat` or in a
//! built NuttX tree.

use std::path::{Path, PathBuf};

/// The files to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    pub flat: PathBuf,
    pub kernel: PathBuf,
    pub user: PathBuf,
    /// The system-call table, when one was given or found in a NuttX tree
    /// (`syscall/syscall.csv`).
    pub csv: Option<PathBuf>,
}

/// A directory that holds none of the expected files.
#[derive(Debug, thiserror::Error)]
#[error("{}: {expected}", dir.display())]
pub struct InputError {
    pub dir: PathBuf,
    pub expected: &'static str,
}

/// The first of `names` that is a file in `dir`.
fn first(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// The flat ELF of `dir`: `flat/flat.elf` or `flat.elf` (an output
/// directory of `mcu-build flat`), or `nuttx` (a built flat NuttX tree).
pub fn flat_in(dir: &Path) -> Result<PathBuf, InputError> {
    first(dir, &["flat/flat.elf", "flat.elf", "nuttx"]).ok_or_else(|| InputError {
        dir: dir.to_owned(),
        expected: "no flat/flat.elf, flat.elf or nuttx; expected target/mcu-build/<board>/ after `mcu-build flat`, or a built flat NuttX tree",
    })
}

/// The protected pair of `dir`: `kernel.elf` + `user.elf` (an output
/// directory of `mcu-build protect`) or `nuttx` + `nuttx_user.elf` (a
/// built protected NuttX tree, whose `syscall/syscall.csv` is returned too).
pub fn protected_in(dir: &Path) -> Result<(PathBuf, PathBuf, Option<PathBuf>), InputError> {
    let (kernel, user) = (dir.join("kernel.elf"), dir.join("user.elf"));
    if kernel.is_file() && user.is_file() {
        return Ok((kernel, user, None));
    }
    let (kernel, user) = (dir.join("nuttx"), dir.join("nuttx_user.elf"));
    if kernel.is_file() && user.is_file() {
        let csv = Some(dir.join("syscall/syscall.csv")).filter(|p| p.is_file());
        return Ok((kernel, user, csv));
    }
    Err(InputError {
        dir: dir.to_owned(),
        expected: "no kernel.elf + user.elf and no nuttx + nuttx_user.elf; expected target/mcu-build/<board>/ after `mcu-build protect`, or a built protected NuttX tree",
    })
}

/// The files of a flat and a protected directory; an explicit `csv` wins
/// over the protected tree's.
pub fn from_dirs(
    flat_dir: &Path,
    protected_dir: &Path,
    csv: Option<PathBuf>,
) -> Result<Files, InputError> {
    let flat = flat_in(flat_dir)?;
    let (kernel, user, found) = protected_in(protected_dir)?;
    Ok(Files {
        flat,
        kernel,
        user,
        csv: csv.or(found),
    })
}
