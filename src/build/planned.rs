//! The layout plan of a protected build, with its four standard partitions
//! found once.
//!
//! [`crate::layout::plan()`] places any set of partitions; a protected build
//! needs four of them by name (kernel and user flash, kernel and user SRAM)
//! at every step: the linker scripts, the header checks, the CRC, the MPU
//! table the kernel receives. [`Planned`] checks that they exist when the
//! plan is made, so that no later step has to handle their absence.

use serde::Serialize;

use crate::layout::Plan;
use crate::layout::plan::Partition;
use crate::layout::request::{KERNEL_FLASH, KERNEL_SRAM, Owner, USER_FLASH, USER_SRAM};

/// A plan with the four standard partitions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Planned {
    plan: Plan,
    #[serde(skip)]
    standard: [usize; 4],
}

/// The plan lacks a standard partition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the plan for board {board} has no {partition} partition; a protected build needs \
         kernel-flash, user-flash, kernel-sram and user-sram"
)]
pub struct MissingPartition {
    pub board: String,
    pub partition: &'static str,
}

impl Planned {
    pub fn new(plan: Plan) -> Result<Planned, MissingPartition> {
        let mut standard = [0; 4];
        for (slot, name) in
            standard
                .iter_mut()
                .zip([KERNEL_FLASH, USER_FLASH, KERNEL_SRAM, USER_SRAM])
        {
            *slot = plan
                .partitions
                .iter()
                .position(|p| p.name == name)
                .ok_or_else(|| MissingPartition {
                    board: plan.board.clone(),
                    partition: name,
                })?;
        }
        Ok(Planned { plan, standard })
    }

    /// The whole plan, as `mcu-build layout` prints it.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn kernel_flash(&self) -> &Partition {
        &self.plan.partitions[self.standard[0]]
    }

    pub fn user_flash(&self) -> &Partition {
        &self.plan.partitions[self.standard[1]]
    }

    pub fn kernel_sram(&self) -> &Partition {
        &self.plan.partitions[self.standard[2]]
    }

    pub fn user_sram(&self) -> &Partition {
        &self.plan.partitions[self.standard[3]]
    }

    /// Every partition of `owner`, extra ones included.
    pub fn owned_by(&self, owner: Owner) -> impl Iterator<Item = &Partition> {
        self.plan
            .partitions
            .iter()
            .filter(move |p| p.owner == owner)
    }
}

/// `partition` in the form the firmware ABI checks headers against. Board
/// validation keeps every memory inside the 32-bit address space, so only
/// a partition ending at exactly 4 GiB saturates, one byte short.
pub fn abi(partition: &Partition) -> firmware_abi::Partition {
    let address = |a: u64| u32::try_from(a).unwrap_or(u32::MAX);
    firmware_abi::Partition {
        start: address(partition.start),
        end: address(partition.end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board;
    use crate::layout::request::Size;

    #[test]
    fn finds_the_standard_partitions_and_refuses_a_plan_without_one() {
        let board = board::bundled("stm32f4discovery").unwrap();
        let plan = crate::layout::plan(&board, &board.partitions).unwrap();
        let planned = Planned::new(plan.clone()).unwrap();
        assert_eq!(planned.user_flash().name, USER_FLASH);
        assert_eq!(
            planned.owned_by(Owner::User).count(),
            3,
            "with user-ccm-heap"
        );

        let mut request = board.partitions.clone();
        request.partitions.retain(|p| p.name != USER_SRAM);
        request.partitions[0].size = Size::Bytes(128 * 1024);
        let plan = crate::layout::plan(&board, &request).unwrap();
        let error = Planned::new(plan).unwrap_err();
        assert_eq!(error.partition, USER_SRAM);
    }
}
