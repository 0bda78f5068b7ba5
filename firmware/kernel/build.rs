//! Points the link at the generated directory and picks the MPU flavour.
//!
//! The kernel needs from `MCU_BUILD_GEN_DIR` (see templates/README.md)
//! `memory.ld`, `board.rs`, the kernel side of the system call layer and,
//! for the protected build, `layout.rs`. The target triple decides between
//! the ARMv7-M (PMSAv7) and ARMv8-M (PMSAv8) MPU code: `cfg(armv8m)`.

use std::env;

#[path = "../../templates/cargo/link_generated.rs"]
mod link_generated;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(armv8m)");
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
    link_generated::link_generated(&files, "kernel.ld");

    let target = env::var("TARGET").unwrap();
    if target.starts_with("thumbv8m") {
        println!("cargo::rustc-cfg=armv8m");
    } else if !target.starts_with("thumbv7") {
        panic!("the kernel runs on ARMv7-M or ARMv8-M Mainline, not on {target}");
    }
}
