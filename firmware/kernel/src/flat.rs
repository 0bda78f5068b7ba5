//! The boot of the flat build: the application linked into the kernel's
//! image, run privileged, with no MPU, no user header and no traps.
//!
//! The application is `firmware-userspace`'s library built with its `flat`
//! feature: its generated system call proxies, instead of trapping with
//! `svc`, call [`mcu_build_flat_syscall`], which calls the generated
//! `dispatch` on the same [`Services`] the protected kernel uses. With LTO
//! the call number is a constant at every call site, so `dispatch` folds
//! into a direct call of the service. What is left out is exactly what
//! protection adds: the trap and the switch between stacks, the MPU, the
//! admission of the user header, the fault reporting, the pointer checks
//! (every address is the one program's), and the second copy of `core`
//! that a separately linked user blob carries.

use firmware_userspace::heap::UserHeap;

use crate::services::Services;
use crate::syscalls::{self, UserMemory};
use crate::{boot_argument, console, heap, kprintln, semihosting, systick};

/// The application's allocator, over the memory the layout gave the
/// kernel heap.
#[global_allocator]
static HEAP: UserHeap = UserHeap::new(heap::bounds);

// SAFETY: in the flat build there is one privileged program and no
// partition to protect: every address it hands the kernel is one it may
// use itself, and `dispatch` never dereferences a pointer it did not get.
unsafe impl UserMemory for Services<'_> {
    fn user_range_ok(&self, _addr: usize, _len: usize, _write: bool) -> bool {
        true
    }
}

/// Where the application's system call proxies go in the flat build: a
/// plain function call into the kernel's `dispatch`.
#[unsafe(no_mangle)]
pub fn mcu_build_flat_syscall(number: u32, args: [usize; 6]) -> usize {
    let mut services = Services {
        caller: core::marker::PhantomData,
    };
    syscalls::dispatch(number, args, &mut services)
}

/// Entered from `Reset_Handler` once statics are initialised.
pub extern "C" fn kernel_main() -> ! {
    console::init();
    systick::start();
    kprintln!("mcu-build kernel, flat build: no MPU, the application linked in");
    // The attack scenarios live in the user blob: without isolation there
    // is nothing for them to attack.
    let boot_argument = boot_argument::read();
    if boot_argument != 0 {
        kprintln!("the flat build runs the demo only, not scenario {boot_argument}");
        semihosting::exit(firmware_userspace::FAILURE as u32);
    }
    firmware_userspace::demo::run()
}
