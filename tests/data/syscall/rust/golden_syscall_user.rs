// Generated from golden.csv by mcu-build; do not edit.
//
// User-side proxies: each function traps into the kernel with `svc 0`, the
// call number in r0 and the arguments in r1..r6, and returns r0. Include
// this file and syscall_numbers.rs in one module:
//
//     pub mod syscalls {
//         include!(concat!(env!("OUT_DIR"), "/syscall_numbers.rs"));
//         include!(concat!(env!("OUT_DIR"), "/syscall_user.rs"));
//     }
//
// On ARM the traps are the `sys_callN` functions below. On another
// architecture (host tests) the including module provides `unsafe fn
// sys_callN(nr: u32, parm1: usize, ...) -> usize` itself, e.g. calling the
// kernel's `dispatch`. Variadic C functions take all their optional
// arguments here: Rust has no C variadics, and the trap passes them all.

#[cfg(target_arch = "arm")]
use svc::*;

/// The `svc 0` traps, ARMv7-M and ARMv8-M.
#[cfg(target_arch = "arm")]
mod svc {
    use core::arch::asm;

    /// Traps with call number `nr` and 1 argument(s); returns r0.
    ///
    /// # Safety
    ///
    /// The kernel does what call `nr` does with the arguments: they must
    /// satisfy that call's contract.
    #[inline(always)]
    pub unsafe fn sys_call1(nr: u32, parm1: usize) -> usize {
        let ret: usize;
        // SAFETY: `svc 0` enters the kernel, which returns with every
        // register but r0 as it was; the asm may read and write memory, as
        // the call may. The caller vouches for the arguments.
        unsafe {
            asm!(
                "svc 0",
                inlateout("r0") nr as usize => ret,
                in("r1") parm1,
            );
        }
        ret
    }

    /// Traps with call number `nr` and 3 argument(s); returns r0.
    ///
    /// # Safety
    ///
    /// The kernel does what call `nr` does with the arguments: they must
    /// satisfy that call's contract.
    #[inline(always)]
    pub unsafe fn sys_call3(nr: u32, parm1: usize, parm2: usize, parm3: usize) -> usize {
        let ret: usize;
        // SAFETY: `svc 0` enters the kernel, which returns with every
        // register but r0 as it was; the asm may read and write memory, as
        // the call may. The caller vouches for the arguments.
        unsafe {
            asm!(
                "svc 0",
                inlateout("r0") nr as usize => ret,
                in("r1") parm1,
                in("r2") parm2,
                in("r3") parm3,
            );
        }
        ret
    }

    /// Traps with call number `nr` and 5 argument(s); returns r0.
    ///
    /// # Safety
    ///
    /// The kernel does what call `nr` does with the arguments: they must
    /// satisfy that call's contract.
    #[inline(always)]
    pub unsafe fn sys_call5(nr: u32, parm1: usize, parm2: usize, parm3: usize, parm4: usize, parm5: usize) -> usize {
        let ret: usize;
        // SAFETY: `svc 0` enters the kernel, which returns with every
        // register but r0 as it was; the asm may read and write memory, as
        // the call may. The caller vouches for the arguments.
        unsafe {
            asm!(
                "svc 0",
                inlateout("r0") nr as usize => ret,
                in("r1") parm1,
                in("r2") parm2,
                in("r3") parm3,
                in("r4") parm4,
                in("r5") parm5,
            );
        }
        ret
    }
}

/// `noreturn _exit(int)`
///
/// # Safety
///
/// The arguments go to the kernel as they are: pointers must be valid for
/// what the call does with them.
#[inline]
pub unsafe fn _exit(parm1: i32) -> ! {
    // SAFETY: the caller upholds the call's contract (see above).
    unsafe { sys_call1(numbers::SYS__exit, parm1 as usize) };
    // The kernel does not come back; should it, stay here.
    loop {
        core::hint::spin_loop();
    }
}

/// `int nx_pthread_create(pthread_trampoline_t, FAR pthread_t *, FAR const pthread_attr_t *, pthread_startroutine_t, pthread_addr_t)`
///
/// Exists in kernels built with `!defined(CONFIG_DISABLE_PTHREAD)`; others answer -ENOSYS.
///
/// # Safety
///
/// The arguments go to the kernel as they are: pointers must be valid for
/// what the call does with them.
#[inline]
pub unsafe fn nx_pthread_create(parm1: usize, parm2: usize, parm3: usize, parm4: usize, parm5: usize) -> i32 {
    // SAFETY: the caller upholds the call's contract (see above).
    unsafe { sys_call5(numbers::SYS_nx_pthread_create, parm1, parm2, parm3, parm4, parm5) as i32 }
}

/// `int open(FAR const char *, int, ...)`
///
/// # Safety
///
/// The arguments go to the kernel as they are: pointers must be valid for
/// what the call does with them.
#[inline]
pub unsafe fn open(parm1: usize, parm2: i32, parm3: usize) -> i32 {
    // SAFETY: the caller upholds the call's contract (see above).
    unsafe { sys_call3(numbers::SYS_open, parm1, parm2 as usize, parm3) as i32 }
}

/// `ssize_t read(int, FAR void *, size_t)`
///
/// # Safety
///
/// The arguments go to the kernel as they are: pointers must be valid for
/// what the call does with them.
#[inline]
pub unsafe fn read(parm1: i32, parm2: usize, parm3: usize) -> isize {
    // SAFETY: the caller upholds the call's contract (see above).
    unsafe { sys_call3(numbers::SYS_read, parm1 as usize, parm2, parm3) as isize }
}

/// `int sigqueue(int, int, union sigval)`
///
/// Exists in kernels built with `!defined(CONFIG_DISABLE_ALL_SIGNALS)`; others answer -ENOSYS.
///
/// # Safety
///
/// The arguments go to the kernel as they are: pointers must be valid for
/// what the call does with them.
#[inline]
pub unsafe fn sigqueue(parm1: i32, parm2: i32, parm3: usize) -> i32 {
    // SAFETY: the caller upholds the call's contract (see above).
    unsafe { sys_call3(numbers::SYS_sigqueue, parm1 as usize, parm2 as usize, parm3) as i32 }
}
