//! System calls from a NuttX `syscall.csv`: parse it, number the calls, and
//! generate the user-side proxies and kernel-side stubs in C (a drop-in for
//! NuttX's `tools/mksyscall`) and in Rust (for the bundled firmware).
//!
//! In a protected build user code reaches the kernel only through `svc`:
//! each OS function gets a user-side *proxy* that traps with a call number
//! and its arguments, and a kernel-side *stub* that turns the trap back into
//! the real call. Everything here is derived from the one CSV, so the
//! numbering, the proxies, the stubs and the lookup tables cannot disagree.
//!
//! The steps, each a function the CLI (`mcu-build syscalls`) only calls:
//! [`csv::read`] parses the file into a [`SyscallTable`]; [`checks::read`]
//! reads the optional sidecar of checked pointers; [`generate`] turns both
//! into [`GeneratedFile`]s, numbered by [`Numbering`]; [`write_changed`]
//! writes those whose bytes changed. For code mixed with a NuttX build,
//! [`Numbering::from_lookup`] numbers as NuttX does instead, from
//! [`LookupFile`] (its `include/sys/syscall_lookup.h`, whose `#if`s
//! [`preprocessor`] evaluates with the macros [`config_macros`] takes from
//! a `.config`), and [`generate_numbered`] generates for those numbers;
//! [`drift::compare`] reports where the CSV and the lookup file disagree.
//!
//! ```no_run
//! use std::path::Path;
//! use mcu_build::syscall::{self, GenerateOptions, Language, PointerChecks, Side};
//!
//! let table = syscall::csv::read(Path::new("syscall/syscall.csv"))?;
//! let options = GenerateOptions {
//!     language: Language::C,
//!     side: Side::Both,
//!     single_file: false,
//!     reserved: syscall::DEFAULT_RESERVED,
//!     source_name: "syscall/syscall.csv".into(),
//! };
//! let files = syscall::generate(&table, &PointerChecks::none(), &options)?;
//! let summary = syscall::write_changed(Path::new("gen"), &files, |name| options.may_produce(name))?;
//! println!("{} written, {} unchanged", summary.written, summary.unchanged);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod c;
pub mod checks;
pub mod config_macros;
pub mod csv;
pub mod drift;
mod generate;
pub mod lookup;
pub mod model;
pub mod names;
pub mod numbering;
pub mod preprocessor;
mod rust;
pub mod value_class;
mod write;

pub use checks::{Access, Extent, PointerCheck, PointerChecks};
pub use generate::{GenerateOptions, GeneratedFile, Language, Side, generate, generate_numbered};
pub use lookup::{LookupError, LookupFile};
pub use model::{Param, ParamType, ReturnType, Syscall, SyscallTable};
pub use numbering::{DEFAULT_RESERVED, LookupNumberingError, Numbering, NumberingError, Order};
pub use write::{WriteFilesError, WriteSummary, write_changed};
