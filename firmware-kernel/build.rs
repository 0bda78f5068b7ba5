//! Points the link at the generated directory and picks the MPU flavour.
//!
//! `MCU_BUILD_GEN_DIR` names the directory mcu-build generated for this
//! build (`memory.ld`, `board.rs`, the system call layer and, for the
//! protected build, `layout.rs`); `templates/linker` holds `kernel.ld`,
//! which INCLUDEs `memory.ld`. The target triple decides between the
//! ARMv7-M (PMSAv7) and ARMv8-M (PMSAv8) MPU code: `cfg(armv8m)`.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(armv8m)");
    println!("cargo::rerun-if-env-changed=MCU_BUILD_GEN_DIR");
    let Some(gen_dir) = env::var_os("MCU_BUILD_GEN_DIR").map(PathBuf::from) else {
        panic!(
            "MCU_BUILD_GEN_DIR is not set: it must name the directory mcu-build generated \
             with memory.ld, board.rs, layout.rs and the syscall_*.rs files \
             (see templates/README.md)"
        );
    };
    let flat = env::var_os("CARGO_FEATURE_FLAT").is_some();
    let mut files = vec![
        "memory.ld",
        "board.rs",
        "syscall_numbers.rs",
        "syscall_kernel.rs",
    ];
    if !flat {
        files.push("layout.rs");
    }
    for file in files {
        let path = gen_dir.join(file);
        assert!(path.is_file(), "{} is missing", path.display());
        println!("cargo::rerun-if-changed={}", path.display());
    }
    let templates =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../templates/linker");
    println!(
        "cargo::rerun-if-changed={}",
        templates.join("kernel.ld").display()
    );
    println!("cargo::rustc-link-search={}", gen_dir.display());
    println!("cargo::rustc-link-search={}", templates.display());
    println!("cargo::rustc-link-arg=-Tkernel.ld");
    // No page alignment, so that LLD never maps the ELF headers into a
    // load segment outside the partition (see firmware-userspace/build.rs).
    println!("cargo::rustc-link-arg=--nmagic");

    let target = env::var("TARGET").unwrap();
    if target.starts_with("thumbv8m") {
        println!("cargo::rustc-cfg=armv8m");
    } else if !target.starts_with("thumbv7") {
        panic!("the kernel runs on ARMv7-M or ARMv8-M Mainline, not on {target}");
    }
}
