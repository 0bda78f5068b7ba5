//! What the build scripts of the bundled kernel and user blob share: they
//! include this file with `#[path]` (a build script cannot depend on a
//! crate of the firmware's own workspace without building it for the host).

use std::env;
use std::path::PathBuf;

/// Checks that the directory named by `MCU_BUILD_GEN_DIR` (see
/// templates/README.md) holds `files`, and links the
/// crate's binaries with `script` from `templates/linker`, which INCLUDEs
/// the generated `memory.ld`. Cargo reruns the build script when any of
/// them changes.
pub fn link_generated(files: &[&str], script: &str) {
    println!("cargo::rerun-if-env-changed=MCU_BUILD_GEN_DIR");
    let Some(gen_dir) = env::var_os("MCU_BUILD_GEN_DIR").map(PathBuf::from) else {
        panic!(
            "MCU_BUILD_GEN_DIR is not set: it must name the directory mcu-build generated \
             with {} (see templates/README.md)",
            files.join(", ")
        );
    };
    for file in files {
        let path = gen_dir.join(file);
        assert!(path.is_file(), "{} is missing", path.display());
        println!("cargo::rerun-if-changed={}", path.display());
    }
    let templates =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../templates/linker");
    println!(
        "cargo::rerun-if-changed={}",
        templates.join(script).display()
    );
    println!("cargo::rustc-link-search={}", gen_dir.display());
    println!("cargo::rustc-link-search={}", templates.display());
    println!("cargo::rustc-link-arg-bins=-T{script}");
    // No page alignment: otherwise LLD maps the ELF and program headers
    // into a load segment below the first section when the partition
    // starts less than a page above the memory's origin, and those bytes
    // would land outside the partition.
    println!("cargo::rustc-link-arg-bins=--nmagic");
}
