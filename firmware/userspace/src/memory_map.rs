//! The four partitions, as the blob's linker saw them in `memory.ld`.
//!
//! The blob needs the kernel's addresses only to attack them.

unsafe extern "C" {
    static __user_flash_start: u8;
    static __user_flash_end: u8;
    static __user_sram_start: u8;
    static __user_sram_end: u8;
    static __user_stack_start: u8;
    static __kernel_flash_start: u8;
    static __kernel_sram_start: u8;
}

/// `[start, end)` of user flash.
pub fn user_flash() -> (usize, usize) {
    (
        (&raw const __user_flash_start) as usize,
        (&raw const __user_flash_end) as usize,
    )
}

/// `[start, end)` of user SRAM.
pub fn user_sram() -> (usize, usize) {
    (
        (&raw const __user_sram_start) as usize,
        (&raw const __user_sram_end) as usize,
    )
}

/// Origin of kernel flash.
pub fn kernel_flash() -> usize {
    (&raw const __kernel_flash_start) as usize
}

/// Origin of kernel SRAM.
pub fn kernel_sram() -> usize {
    (&raw const __kernel_sram_start) as usize
}

/// The lowest address of the process stack: the bottom of user SRAM.
pub fn stack_bottom() -> usize {
    (&raw const __user_stack_start) as usize
}
