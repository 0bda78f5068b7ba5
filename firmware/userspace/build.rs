//! Points the link at the generated `memory.ld` and the `user.ld` template,
//! and checks that the generated system call proxies are there.
//!
//! Pass 1 needs from `MCU_BUILD_GEN_DIR` (see templates/README.md) only
//! `memory.ld` and the `syscall_*.rs` files: the user blob knows nothing of
//! the MPU table. The linker script is for the `user` binary only; the
//! library is also linked into the flat kernel, which brings its own.

#[path = "../../templates/cargo/link_generated.rs"]
mod link_generated;

fn main() {
    link_generated::link_generated(
        &["memory.ld", "syscall_numbers.rs", "syscall_user.rs"],
        "user.ld",
    );
}
