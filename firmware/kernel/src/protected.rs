//! The boot of the protected build: admit every process of the table,
//! check its MPU regions, load it, and hand them all to the scheduler.

use firmware_abi::ABI_VERSION;
use firmware_abi::exit_status::BLOB_REFUSED;

use crate::layout::PROCESSES;
use crate::process::Process;
use crate::scheduler::{Prefix, Scheduler};
use crate::{admission, boot_argument, console, faults, heap, kprintln, mpu, semihosting, systick};

/// Entered from `Reset_Handler` once statics are initialised.
pub extern "C" fn kernel_main() -> ! {
    console::init();
    faults::enable();
    systick::start();
    let (heap_start, heap_end) = heap::bounds();
    kprintln!(
        "mcu-build kernel, user ABI {ABI_VERSION}; kernel heap [{heap_start:#010x}, {heap_end:#010x})"
    );
    let boot_argument = boot_argument::read();
    // The process records are the kernel heap's tenants.
    let mut scheduler = Scheduler::with_capacity(PROCESSES.len());
    for entry in PROCESSES {
        let prefix = Prefix::of(entry.name);
        kprintln!(
            "{prefix}user flash [{:#010x}, {:#010x}), user SRAM [{:#010x}, {:#010x}){}",
            entry.flash.start,
            entry.flash.end,
            entry.process_ram().start,
            entry.process_ram().end,
            GrantRegion(entry.grant)
        );
        let header = match admission::admit(entry) {
            Ok(header) => header,
            Err(refusal) => {
                kprintln!("{prefix}refusing the user blob: {refusal}");
                semihosting::exit(BLOB_REFUSED);
            }
        };
        if let Err(error) = mpu::check(entry.mpu_regions) {
            panic!(
                "{prefix}the MPU table needs {} regions, the MPU has {}",
                error.needed, error.available
            );
        }
        match Process::load(entry, header, boot_argument) {
            Ok(process) => scheduler.add(process),
            Err(_) => panic!("{prefix}the admitted header put the blob's memory outside its RAM"),
        }
    }
    mpu::set_attributes();
    if let Some(first) = PROCESSES.first() {
        mpu::load(first.mpu_regions);
        scheduler.set_loaded(0);
    }
    for entry in PROCESSES {
        report_mpu(entry);
    }
    for process in scheduler.processes() {
        let entry = process.entry;
        if PROCESSES.len() == 1 {
            kprintln!(
                "starting the user blob at {:#010x}, unprivileged, boot argument {boot_argument} ({} heap bytes used)",
                process.entry_point(),
                heap::used()
            );
        } else {
            kprintln!(
                "{}starting at {:#010x}, unprivileged, boot argument {boot_argument}, \
                 time slice {} ms, fault policy {}",
                Prefix::of(entry.name),
                process.entry_point(),
                entry.time_slice_ms,
                entry.fault_policy
            );
        }
    }
    scheduler.run()
}

/// `, grant region [start, end)` when the process has one.
struct GrantRegion(firmware_abi::Partition);

impl core::fmt::Display for GrantRegion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        write!(
            f,
            ", grant region [{:#010x}, {:#010x})",
            self.0.start, self.0.end
        )
    }
}

/// Prints a process's MPU regions once, as the table gave them, so that
/// a test can compare them with the plan. A single process's are counted
/// only, as before there were processes.
fn report_mpu(entry: &crate::layout::ProcessEntry) {
    if PROCESSES.len() == 1 {
        kprintln!("MPU on: {} regions", entry.mpu_regions.len());
        return;
    }
    for region in entry.mpu_regions {
        let (rbar, name, second) = mpu::register_values(region);
        kprintln!(
            "process {}: MPU region {}: RBAR={rbar:#010x} {name}={second:#010x}",
            entry.name,
            region.number
        );
    }
}
