//! The C identifiers a call name becomes, and those the C output defines
//! itself, for the generators and for the uniqueness check in
//! [`crate::syscall::names`].

use crate::syscall::names::Namespace;

/// The enum constant with the call's number: `SYS_<name>`.
pub fn number_constant(name: &str) -> String {
    format!("SYS_{name}")
}

/// The kernel-side stub: `STUB_<name>`.
pub fn stub_function(name: &str) -> String {
    format!("STUB_{name}")
}

/// C has one scope for file-scope ordinary identifiers and macros, so the
/// proxy (`<name>`), its number and its stub share it with the tables, the
/// traps and the checks. The stubs' parameters (`nbr`, `parm1`..`parm6`)
/// are listed too: a stub calls `<name>` where they would hide it.
pub const NAMESPACES: &[Namespace] = &[Namespace {
    language: "C",
    generated: &[
        "SYS_maxsyscall",
        "SYS_nsyscalls",
        "g_stublookup",
        "g_funcnames",
        super::tables::ENOSYS_STUB,
        "sys_call0",
        "sys_call1",
        "sys_call2",
        "sys_call3",
        "sys_call4",
        "sys_call5",
        "sys_call6",
        "user_range_ok",
        "syscall_buffer_ok",
        "syscall_string_ok",
        "nbr",
        "parm1",
        "parm2",
        "parm3",
        "parm4",
        "parm5",
        "parm6",
        "__SYSCALL_NUMBERS_H",
        "__SYSCALL_SVC_H",
        "__SYSCALL_CHECKS_H",
    ],
    derive: |name| vec![name.to_owned(), number_constant(name), stub_function(name)],
}];
