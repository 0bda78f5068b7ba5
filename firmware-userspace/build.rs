//! Points the link at the generated `memory.ld` and the `user.ld` template,
//! and checks that the generated system call proxies are there.
//!
//! Pass 1 needs from `MCU_BUILD_GEN_DIR` (see templates/README.md) only
//! `memory.ld` and the `syscall_*.rs` files: the user blob knows nothing of
//! the MPU table. The linker script is for the `user` binary only; the
//! library is also linked into the flat kernel, which brings its own.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=MCU_BUILD_GEN_DIR");
    let Some(gen_dir) = env::var_os("MCU_BUILD_GEN_DIR").map(PathBuf::from) else {
        panic!(
            "MCU_BUILD_GEN_DIR is not set: it must name the directory mcu-build generated \
             with memory.ld and the syscall_*.rs files (see templates/README.md)"
        );
    };
    for file in ["memory.ld", "syscall_numbers.rs", "syscall_user.rs"] {
        let path = gen_dir.join(file);
        assert!(path.is_file(), "{} is missing", path.display());
        println!("cargo::rerun-if-changed={}", path.display());
    }
    let templates =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../templates/linker");
    println!(
        "cargo::rerun-if-changed={}",
        templates.join("user.ld").display()
    );
    println!("cargo::rustc-link-search={}", gen_dir.display());
    println!("cargo::rustc-link-search={}", templates.display());
    println!("cargo::rustc-link-arg-bins=-Tuser.ld");
    // No page alignment: otherwise LLD maps the ELF and program headers
    // into a load segment below the first section when the partition
    // starts less than a page above the memory's origin, and those bytes
    // would land outside the partition.
    println!("cargo::rustc-link-arg-bins=--nmagic");
}
