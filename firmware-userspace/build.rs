//! Points the link at the generated `memory.ld` and the `user.ld` template.
//!
//! Pass 1 needs only `memory.ld` from `MCU_BUILD_GEN_DIR` (see
//! templates/README.md): the user blob knows nothing of the MPU table.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=MCU_BUILD_GEN_DIR");
    let Some(gen_dir) = env::var_os("MCU_BUILD_GEN_DIR").map(PathBuf::from) else {
        panic!(
            "MCU_BUILD_GEN_DIR is not set: it must name the directory mcu-build generated \
             with memory.ld (see templates/README.md)"
        );
    };
    let memory = gen_dir.join("memory.ld");
    assert!(memory.is_file(), "{} is missing", memory.display());
    println!("cargo::rerun-if-changed={}", memory.display());
    let templates =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../templates/linker");
    println!(
        "cargo::rerun-if-changed={}",
        templates.join("user.ld").display()
    );
    println!("cargo::rustc-link-search={}", gen_dir.display());
    println!("cargo::rustc-link-search={}", templates.display());
    println!("cargo::rustc-link-arg=-Tuser.ld");
}
