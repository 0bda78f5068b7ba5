//! System calls from a NuttX `syscall.csv`: parse it, number the calls, and
//! generate the user-side proxies and kernel-side stubs in C (a drop-in for
//! NuttX's `tools/mksyscall`) and in Rust (for the bundled firmware).
//!
//! In a protected build user code reaches the kernel only through `svc`:
//! each OS function gets a user-side *proxy* that traps with a call number
//! and its arguments, and a kernel-side *stub* that turns the trap back into
//! the real call. Everything here is derived from the one CSV, so the
//! numbering, the proxies, the stubs and the lookup tables cannot disagree.

mod c;
pub mod checks;
pub mod csv;
mod generate;
pub mod model;
pub mod numbering;
mod position;
mod rust;
pub mod value_class;
mod write;

pub use checks::{Access, Extent, PointerCheck, PointerChecks};
pub use generate::{GenerateOptions, GeneratedFile, Language, Side, generate};
pub use model::{Param, ParamType, ReturnType, Syscall, SyscallTable};
pub use numbering::{DEFAULT_RESERVED, Numbering, NumberingError};
pub use write::{WriteFilesError, WriteSummary, write_changed};
