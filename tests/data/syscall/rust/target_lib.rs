//! The generated Rust modules as a `no_std` library for the ARM targets:
//! tests/syscall_rust.rs compiles this with `rustc --target
//! thumbv7em-none-eabi` (and thumbv8m.main-none-eabi), warnings denied.

#![no_std]

pub mod user {
    include!("syscall_numbers.rs");
    include!("syscall_user.rs");
}

pub mod kernel {
    include!("syscall_numbers.rs");
    include!("syscall_kernel.rs");
}
