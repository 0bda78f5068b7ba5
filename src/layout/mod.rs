//! Layout: placing the partitions of a protected build in a board's
//! memories so that the MPU can grant every user partition exactly.
//!
//! [`request`] says what is asked for, [`needs`] what each partition must
//! hold and where it cannot go, [`planner`] finds addresses and regions,
//! [`nearest`] what would work instead of a request that cannot be met,
//! [`mod@plan`] is the result (with its stable JSON form), [`svg`] draws it, [`elf_check`] checks linked ELF files against it, and
//! [`compare`] measures it against the usual alternatives. [`processes`]
//! plans a project with several processes and grants (Tock's model).

pub mod compare;
pub mod elf_check;
pub mod nearest;
pub mod needs;
pub mod plan;
pub mod planner;
pub mod processes;
pub mod request;
pub mod svg;

pub use plan::Plan;
pub use planner::{PlanError, plan, plan_only};
