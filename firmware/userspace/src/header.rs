//! The user header, placed first in user flash by `user.ld`.
//!
//! Its addresses are the linker's: the section symbols `user.ld` defines
//! and the entry point. The CRC stays 0 here; the host tool computes it
//! over the linked blob and writes it into the ELF after pass 1.

use core::mem::size_of;

use firmware_abi::{ABI_VERSION, MAGIC, UserspaceHeader};

/// An address the linker resolves. A static can hold a symbol's address
/// only as a pointer; on these 32-bit targets it has the layout of the
/// `u32` the kernel reads.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct LinkAddress(*const u8);

// SAFETY: the header only records addresses; nothing dereferences them
// through it, so sharing them between threads (there are none) is harmless.
unsafe impl Sync for LinkAddress {}

const _: () = assert!(size_of::<UserspaceHeader<LinkAddress>>() == UserspaceHeader::SIZE);

unsafe extern "C" {
    static __user_text_start: u8;
    static __user_text_end: u8;
    static __user_data_load: u8;
    static __user_data_start: u8;
    static __user_data_end: u8;
    static __user_bss_start: u8;
    static __user_bss_end: u8;
    static __user_heap_start: u8;
    static __user_heap_end: u8;
    static __user_stack_start: u8;
    static __user_stack_end: u8;
}

#[used]
#[unsafe(link_section = ".user_header")]
static HEADER: UserspaceHeader<LinkAddress> = UserspaceHeader {
    magic: MAGIC,
    abi_version: ABI_VERSION,
    header_size: UserspaceHeader::SIZE as u32,
    entry: LinkAddress(crate::_start as *const u8),
    text_start: LinkAddress(&raw const __user_text_start),
    text_end: LinkAddress(&raw const __user_text_end),
    data_load: LinkAddress(&raw const __user_data_load),
    data_start: LinkAddress(&raw const __user_data_start),
    data_end: LinkAddress(&raw const __user_data_end),
    bss_start: LinkAddress(&raw const __user_bss_start),
    bss_end: LinkAddress(&raw const __user_bss_end),
    heap_start: LinkAddress(&raw const __user_heap_start),
    heap_end: LinkAddress(&raw const __user_heap_end),
    stack_start: LinkAddress(&raw const __user_stack_start),
    stack_end: LinkAddress(&raw const __user_stack_end),
    crc32: 0,
};

/// The heap bounds the header announces, for the allocator.
pub fn heap() -> (usize, usize) {
    (
        (&raw const __user_heap_start) as usize,
        (&raw const __user_heap_end) as usize,
    )
}
