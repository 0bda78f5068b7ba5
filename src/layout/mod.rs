//! Layout: placing the partitions of a protected build in a board's
//! memories so that the MPU can grant every user partition exactly.

pub mod request;
