// Generated from golden.csv by mcu-build; do not edit.

/// System call numbers from 8 (`CONFIG_SYS_RESERVED`; lower numbers
/// belong to the architecture):
/// _exit first, then the order of the CSV. Every call has its number whatever
/// its condition, so that user code and kernel built with different options
/// agree.
#[allow(non_upper_case_globals)]
pub mod numbers {
    /// `noreturn _exit(int)`
    pub const SYS__exit: u32 = 8;
    /// `int nx_pthread_create(pthread_trampoline_t, FAR pthread_t *, FAR const pthread_attr_t *, pthread_startroutine_t, pthread_addr_t)`
    pub const SYS_nx_pthread_create: u32 = 9;
    /// `int open(FAR const char *, int, ...)`
    pub const SYS_open: u32 = 10;
    /// `ssize_t read(int, FAR void *, size_t)`
    pub const SYS_read: u32 = 11;
    /// `int sigqueue(int, int, union sigval)`
    pub const SYS_sigqueue: u32 = 12;

    /// The first call number.
    pub const SYS_reserved: u32 = 8;
    /// One past the last call number.
    pub const SYS_maxsyscall: u32 = 13;
    /// How many calls there are.
    pub const SYS_nsyscalls: u32 = 5;

    /// Each call's name, indexed by call number minus `SYS_reserved`.
    pub const NAMES: [&str; 5] = [
        "_exit",
        "nx_pthread_create",
        "open",
        "read",
        "sigqueue",
    ];
}
