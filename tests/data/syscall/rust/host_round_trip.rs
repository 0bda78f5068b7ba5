//! Host round trip of the generated Rust modules for roundtrip.csv: the
//! user proxies' traps call `dispatch` directly, as the kernel's SVC
//! handler would, and a recording kernel implements `Syscalls`. Compiled by
//! tests/syscall_rust.rs with `rustc --test` next to the generated files.

use std::cell::RefCell;
use std::ops::Range;

mod kernel {
    include!("syscall_numbers.rs");
    include!("syscall_kernel.rs");
}

mod user {
    use super::kernel::numbers;
    use super::trap;

    unsafe fn sys_call0(nr: u32) -> usize {
        trap(nr, [0; 6])
    }
    unsafe fn sys_call1(nr: u32, p1: usize) -> usize {
        trap(nr, [p1, 0, 0, 0, 0, 0])
    }
    unsafe fn sys_call2(nr: u32, p1: usize, p2: usize) -> usize {
        trap(nr, [p1, p2, 0, 0, 0, 0])
    }
    unsafe fn sys_call3(nr: u32, p1: usize, p2: usize, p3: usize) -> usize {
        trap(nr, [p1, p2, p3, 0, 0, 0])
    }
    unsafe fn sys_call4(nr: u32, p1: usize, p2: usize, p3: usize, p4: usize) -> usize {
        trap(nr, [p1, p2, p3, p4, 0, 0])
    }
    unsafe fn sys_call5(nr: u32, p1: usize, p2: usize, p3: usize, p4: usize, p5: usize) -> usize {
        trap(nr, [p1, p2, p3, p4, p5, 0])
    }
    unsafe fn sys_call6(
        nr: u32,
        p1: usize,
        p2: usize,
        p3: usize,
        p4: usize,
        p5: usize,
        p6: usize,
    ) -> usize {
        trap(nr, [p1, p2, p3, p4, p5, p6])
    }

    include!("syscall_user.rs");
}

use kernel::{Errno, SyscallResult, Syscalls, UserMemory, dispatch, numbers};

/// What the recording kernel saw.
#[derive(Default)]
struct Kernel {
    last: Option<(&'static str, Vec<i64>)>,
    calls: usize,
    /// User memory: readable and writable, and read-only.
    user: Vec<Range<usize>>,
    user_readonly: Vec<Range<usize>>,
}

thread_local! {
    static KERNEL: RefCell<Kernel> = RefCell::new(Kernel::default());
}

fn trap(nr: u32, args: [usize; 6]) -> usize {
    KERNEL.with(|k| dispatch(nr, args, &mut *k.borrow_mut()))
}

fn last_call() -> (&'static str, Vec<i64>) {
    KERNEL.with(|k| k.borrow().last.clone()).expect("a call was made")
}

fn calls() -> usize {
    KERNEL.with(|k| k.borrow().calls)
}

impl Kernel {
    fn record(&mut self, name: &'static str, args: &[i64]) {
        self.last = Some((name, args.to_vec()));
        self.calls += 1;
    }
}

// SAFETY: the ranges are the test's own live buffers, so every accepted
// byte is mapped.
unsafe impl UserMemory for Kernel {
    fn user_range_ok(&self, addr: usize, len: usize, write: bool) -> bool {
        let end = addr
            .checked_add(len)
            .expect("dispatch let a wrapping range reach user_range_ok");
        let inside = |r: &Range<usize>| addr >= r.start && end <= r.end;
        self.user.iter().any(inside) || (!write && self.user_readonly.iter().any(inside))
    }
}

/// The payload with which `rt_exit` unwinds back to the test.
struct Exited(i32);

fn ok(value: i64) -> SyscallResult {
    Ok(value as isize as usize)
}

impl Syscalls for Kernel {
    fn rt_arity0(&mut self) -> SyscallResult {
        self.record("rt_arity0", &[]);
        ok(1000)
    }
    fn rt_arity1(&mut self, a: i32) -> SyscallResult {
        self.record("rt_arity1", &[a.into()]);
        ok(i64::from(a) * 2)
    }
    fn rt_arity2(&mut self, a: u32, b: i16) -> SyscallResult {
        self.record("rt_arity2", &[a.into(), b.into()]);
        ok(i64::from(a.wrapping_add(1)))
    }
    fn rt_arity3(&mut self, a: i32, b: u8, c: bool) -> SyscallResult {
        self.record("rt_arity3", &[a.into(), b.into(), c.into()]);
        ok(i64::from(a) + i64::from(b) + i64::from(c))
    }
    fn rt_arity4(&mut self, a: i32, b: i32, c: i32, d: i32) -> SyscallResult {
        self.record("rt_arity4", &[a.into(), b.into(), c.into(), d.into()]);
        ok(i64::from(a + b + c + d))
    }
    fn rt_arity5(&mut self, a: i32, b: i32, c: i32, d: i32, e: i32) -> SyscallResult {
        self.record("rt_arity5", &[a.into(), b.into(), c.into(), d.into(), e.into()]);
        ok(i64::from(a + b + c + d + e))
    }
    fn rt_arity6(&mut self, a: i32, b: i32, c: i32, d: i32, e: i32, f: i32) -> SyscallResult {
        let args = [a, b, c, d, e, f].map(i64::from);
        self.record("rt_arity6", &args);
        ok(args.iter().sum())
    }
    fn rt_variadic(&mut self, a: i32, b: usize, c: usize) -> SyscallResult {
        self.record("rt_variadic", &[a.into(), b as i64, c as i64]);
        ok(i64::from(a) + 1)
    }
    fn rt_variadic_default(
        &mut self,
        a: i32,
        b: usize,
        c: usize,
        d: usize,
        e: usize,
        f: usize,
    ) -> SyscallResult {
        let rest = [b, c, d, e, f].map(|v| v as i64);
        self.record("rt_variadic_default", &[&[i64::from(a)][..], &rest].concat());
        ok(a.into())
    }
    fn rt_array(&mut self, fds: usize, flags: i32) -> SyscallResult {
        self.record("rt_array", &[fds as i64, flags.into()]);
        ok(flags.into())
    }
    fn rt_union(&mut self, a: i32, value: usize) -> SyscallResult {
        self.record("rt_union", &[a.into(), value as i64]);
        ok(a.into())
    }
    fn rt_union_variadic(&mut self, a: i32, value: usize) -> SyscallResult {
        self.record("rt_union_variadic", &[a.into(), value as i64]);
        ok(a.into())
    }
    fn rt_funcptr(&mut self, function: usize, a: i32) -> SyscallResult {
        self.record("rt_funcptr", &[function as i64, a.into()]);
        // SAFETY: the test passes `triple` as the function pointer.
        let function: fn(i32) -> i32 = unsafe { std::mem::transmute(function) };
        ok(function(a).into())
    }
    fn rt_exit(&mut self, status: i32) -> ! {
        self.record("rt_exit", &[status.into()]);
        std::panic::resume_unwind(Box::new(Exited(status)))
    }
    fn rt_void(&mut self, a: i32) -> SyscallResult {
        self.record("rt_void", &[a.into()]);
        Ok(0)
    }
    fn rt_enabled(&mut self, a: i32) -> SyscallResult {
        self.record("rt_enabled", &[a.into()]);
        ok(-i64::from(a))
    }
    // rt_disabled keeps the default: ENOSYS.
    fn rt_read(&mut self, fd: i32, buf: usize, len: usize) -> SyscallResult {
        self.record("rt_read", &[fd.into(), buf as i64, len as i64]);
        Ok(len)
    }
    fn rt_write(&mut self, fd: i32, buf: usize, len: usize) -> SyscallResult {
        self.record("rt_write", &[fd.into(), buf as i64, len as i64]);
        Ok(len)
    }
    fn rt_open(&mut self, path: usize, flags: i32) -> SyscallResult {
        self.record("rt_open", &[path as i64, flags.into()]);
        Ok(0)
    }
    fn rt_gettime(&mut self, now: usize) -> SyscallResult {
        self.record("rt_gettime", &[now as i64]);
        Ok(0)
    }
    fn rt_sleep(&mut self, duration: usize, left: usize) -> SyscallResult {
        self.record("rt_sleep", &[duration as i64, left as i64]);
        Ok(0)
    }
}

fn triple(a: i32) -> i32 {
    3 * a
}

#[test]
fn numbers_follow_the_csv() {
    assert_eq!(numbers::SYS_reserved, 8);
    assert_eq!(numbers::SYS_rt_arity0, 8);
    assert_eq!(numbers::SYS_rt_sleep, 29);
    assert_eq!((numbers::SYS_nsyscalls, numbers::SYS_maxsyscall), (22, 30));
    assert_eq!(numbers::NAMES[(numbers::SYS_rt_open - 8) as usize], "rt_open");
}

#[test]
fn every_argument_arrives_and_every_result_returns() {
    let marker = 0u8;
    let marker_addr = &marker as *const u8 as usize;
    unsafe {
        assert_eq!(user::rt_arity0(), 1000);
        assert_eq!(last_call(), ("rt_arity0", vec![]));
        assert_eq!(user::rt_arity1(-123456), -246912);
        assert_eq!(last_call(), ("rt_arity1", vec![-123456]));
        assert_eq!(user::rt_arity2(0xffff_fffe, -2), 0xffff_ffff);
        assert_eq!(last_call(), ("rt_arity2", vec![0xffff_fffe, -2]));
        assert_eq!(user::rt_arity3(-5, 200, true), 196);
        assert_eq!(last_call(), ("rt_arity3", vec![-5, 200, 1]));
        assert_eq!(user::rt_arity4(1, -2, 3, -4), -2);
        assert_eq!(last_call(), ("rt_arity4", vec![1, -2, 3, -4]));
        assert_eq!(user::rt_arity5(10, 20, 30, 40, 50), 150);
        assert_eq!(last_call(), ("rt_arity5", vec![10, 20, 30, 40, 50]));
        assert_eq!(user::rt_arity6(-1, 2, -3, 4, -5, 6), 3);
        assert_eq!(last_call(), ("rt_arity6", vec![-1, 2, -3, 4, -5, 6]));
        assert_eq!(user::rt_variadic(41, 0xabcd, marker_addr), 42);
        assert_eq!(last_call(), ("rt_variadic", vec![41, 0xabcd, marker_addr as i64]));
        assert_eq!(user::rt_variadic_default(9, 1, 2, 3, 4, 5), 9);
        assert_eq!(last_call(), ("rt_variadic_default", vec![9, 1, 2, 3, 4, 5]));
        assert_eq!(user::rt_array(marker_addr, 77), 77);
        assert_eq!(last_call(), ("rt_array", vec![marker_addr as i64, 77]));
        assert_eq!(user::rt_union(5, marker_addr), 5);
        assert_eq!(last_call(), ("rt_union", vec![5, marker_addr as i64]));
        assert_eq!(user::rt_union_variadic(6, marker_addr), 6);
        assert_eq!(last_call(), ("rt_union_variadic", vec![6, marker_addr as i64]));
        let function = triple as fn(i32) -> i32 as usize;
        assert_eq!(user::rt_funcptr(function, 14), 42);
        assert_eq!(last_call(), ("rt_funcptr", vec![function as i64, 14]));
        user::rt_void(-8);
        assert_eq!(last_call(), ("rt_void", vec![-8]));
        assert_eq!(user::rt_enabled(4), -4);
        assert_eq!(last_call(), ("rt_enabled", vec![4]));
    }
}

#[test]
fn noreturn_calls_do_not_return() {
    let unwound = std::panic::catch_unwind(|| unsafe { user::rt_exit(3) });
    let payload = unwound.err().expect("rt_exit never returns");
    assert_eq!(payload.downcast_ref::<Exited>().map(|e| e.0), Some(3));
    assert_eq!(last_call(), ("rt_exit", vec![3]));
}

#[test]
fn unknown_and_unimplemented_calls_give_enosys() {
    let enosys = usize::from(Errno::ENOSYS.0).wrapping_neg();
    for nr in [0, 7, numbers::SYS_maxsyscall, u32::MAX] {
        assert_eq!(trap(nr, [1; 6]), enosys, "call {nr}");
    }
    assert_eq!(unsafe { user::rt_disabled(1) }, -38);
    assert_eq!(calls(), 0);
}

#[test]
fn checked_pointers_are_refused_before_the_call() {
    let user_ram = vec![0u8; 256].leak();
    let user_rodata: &'static [u8] = b"read-only\0";
    let kernel_ram = vec![0u8; 64].leak();
    let ram = user_ram.as_ptr() as usize;
    let rodata = user_rodata.as_ptr() as usize;
    let kernel = kernel_ram.as_ptr() as usize;
    KERNEL.with(|k| {
        let mut k = k.borrow_mut();
        k.user = vec![ram..ram + 256];
        k.user_readonly = vec![rodata..rodata + user_rodata.len()];
    });
    user_ram[100..116].copy_from_slice(b"fifteen-chars!!\0");

    unsafe {
        // Accepted
        assert_eq!(user::rt_read(1, ram + 8, 16), 16);
        assert_eq!(last_call(), ("rt_read", vec![1, (ram + 8) as i64, 16]));
        assert_eq!(user::rt_read(1, ram + 240, 16), 16);
        assert_eq!(user::rt_write(1, rodata, 10), 10);
        assert_eq!(user::rt_read(1, kernel, 0), 0);
        assert_eq!(user::rt_open(ram + 100, 2), 0);
        assert_eq!(last_call(), ("rt_open", vec![(ram + 100) as i64, 2]));
        assert_eq!(user::rt_gettime(ram + 32), 0);
        assert_eq!(user::rt_sleep(ram + 48, 0), 0);
        assert_eq!(last_call(), ("rt_sleep", vec![(ram + 48) as i64, 0]));

        // Refused, without a call
        let before = calls();
        let efault = -14;
        assert_eq!(user::rt_read(1, kernel, 16), efault);
        assert_eq!(user::rt_read(1, ram + 241, 16), efault);
        assert_eq!(user::rt_read(1, rodata, 4), efault);
        assert_eq!(user::rt_write(1, kernel, 1), efault);
        assert_eq!(user::rt_read(1, usize::MAX - 7, 16), efault);
        assert_eq!(user::rt_write(1, usize::MAX - 7, 16), efault);
        assert_eq!(user::rt_open(kernel, 0), efault as i32);
        user_ram[250..256].fill(b'x');
        assert_eq!(user::rt_open(ram + 250, 0), efault as i32);
        user_ram[100..117].copy_from_slice(b"sixteen-chars!!!\0");
        assert_eq!(user::rt_open(ram + 100, 0), efault as i32);
        assert_eq!(user::rt_gettime(kernel), efault as i32);
        assert_eq!(user::rt_gettime(0), efault as i32);
        assert_eq!(user::rt_gettime(ram + 252), efault as i32);
        assert_eq!(user::rt_sleep(kernel, 0), efault as i32);
        assert_eq!(user::rt_sleep(ram, kernel), efault as i32);
        assert_eq!(calls(), before);
    }
}
