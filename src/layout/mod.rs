//! Layout: placing the partitions of a protected build in a board's
//! memories so that the MPU can grant every user partition exactly.

pub mod plan;
pub mod planner;
pub mod request;

pub use plan::Plan;
pub use planner::{PlanError, plan};
pub mod compare;
pub mod elf_check;
pub mod svg;
