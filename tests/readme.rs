//! The README's console examples, run and compared with what the tool
//! prints (trycmd), so that the documentation cannot drift from the tool.
//!
//! Every ```` ```console ```` block of README.md is a sequence of
//! `$ mcu-build ...` commands and their output (stdout and stderr as one
//! stream; `? N` gives a non-zero exit status). Times, which vary, are written
//! `[..]` in the README; hashes do not vary (the build is byte-identical at
//! any path) and are checked. The blocks run in order, in one
//! scratch project: a copy of the repository's files plus the
//! example inputs in `tests/data/readme/` (made by its `make.sh`), so that
//! `protect` builds into a target directory of its own and the hex examples
//! find `nuttx.hex` and friends where the README says they are.
//!
//! `mcu-build probes` is shown as text, not run: its output depends on the
//! probes plugged into the machine.
//!
//! To update the README after a deliberate change of output, run this test
//! with `TRYCMD=overwrite`: the new output is written back to README.md.

use std::fs;

mod common;

/// A temporary directory holding a copy of README.md and, beside it,
/// `README.in/`: the directory trycmd runs the commands in, a copy of the
/// repository (copied, not linked: rustc would see a link's real path,
/// which the build's path remapping does not cover) with the example
/// inputs.
fn scratch_project() -> tempfile::TempDir {
    let root = common::repository_root();
    let scratch = tempfile::tempdir().unwrap();
    fs::copy(root.join("README.md"), scratch.path().join("README.md")).unwrap();
    let project = scratch.path().join("README.in");
    common::copy_repository(&project);
    for entry in fs::read_dir(root.join("tests/data/readme")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension != "sh") {
            fs::copy(&path, project.join(path.file_name().unwrap())).unwrap();
        }
    }
    scratch
}

#[test]
fn the_readme_console_examples_print_what_the_readme_says() {
    let scratch = scratch_project();
    let readme = scratch.path().join("README.md");
    trycmd::TestCases::new()
        .register_bin("mcu-build", trycmd::cargo::cargo_bin!("mcu-build"))
        .case(&readme)
        .run();
    // `TRYCMD=overwrite` rewrote the scratch copy; the repository's README
    // is the one to update.
    if std::env::var_os("TRYCMD").is_some_and(|mode| mode == "overwrite") {
        fs::copy(&readme, common::repository_root().join("README.md")).unwrap();
    }
}
