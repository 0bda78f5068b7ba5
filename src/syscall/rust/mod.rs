//! Rust output, for the bundled firmware: `syscall_numbers.rs` (both
//! sides), `syscall_user.rs` (proxies: a `no_std` function per call that
//! traps with `svc 0`) and `syscall_kernel.rs` (stubs: the `Syscalls` trait
//! and `dispatch`). Each is meant for `include!` next to the numbers file.

pub(super) mod ident;
mod kernel;
mod numbers;
mod types;
mod user;

use super::checks::PointerChecks;
use super::generate::{Banner, GenerateOptions, GeneratedFile};
use super::numbering::Numbering;

/// The Rust files `options` ask for.
pub(crate) fn files(
    numbering: &Numbering<'_>,
    checks: &PointerChecks,
    options: &GenerateOptions,
    banner: &Banner,
) -> Vec<GeneratedFile> {
    let file = |name: &str, body: String| GeneratedFile {
        name: name.to_owned(),
        contents: banner.rust() + &body,
    };
    let mut files = vec![file(
        numbers::NUMBERS_FILE,
        numbers::numbers_body(numbering),
    )];
    if options.side.proxies() {
        files.push(file(user::USER_FILE, user::user_body(numbering)));
    }
    if options.side.stubs() {
        files.push(file(
            kernel::KERNEL_FILE,
            kernel::kernel_body(numbering, checks),
        ));
    }
    files
}
