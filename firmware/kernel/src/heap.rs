//! The kernel heap: `[__kernel_heap_start, __kernel_heap_end)` in kernel
//! SRAM, `KERNEL_HEAP_SIZE` bytes as the layout decided, apart from the
//! user heap, which lives in user SRAM and belongs to the blob.
//!
//! Like Tock and Hubris, the protected kernel allocates only while it
//! boots and never frees, so a bump allocator is the whole story:
//! `dealloc` does nothing and the heap cannot fragment. The flat build
//! hands the same memory to the application's allocator instead (see
//! `flat.rs`), since the application frees.

unsafe extern "C" {
    static __kernel_heap_start: u8;
    static __kernel_heap_end: u8;
}

/// `[start, end)` of the kernel heap.
pub fn bounds() -> (usize, usize) {
    (
        (&raw const __kernel_heap_start) as usize,
        (&raw const __kernel_heap_end) as usize,
    )
}

#[cfg(not(feature = "flat"))]
pub use boot::used;

#[cfg(not(feature = "flat"))]
mod boot {
    use core::alloc::{GlobalAlloc, Layout};
    use core::ptr;
    use core::sync::atomic::{AtomicUsize, Ordering};

    use super::bounds;

    /// Bytes handed out so far.
    pub struct BootAllocator {
        used: AtomicUsize,
    }

    #[global_allocator]
    static HEAP: BootAllocator = BootAllocator {
        used: AtomicUsize::new(0),
    };

    /// Bytes allocated so far.
    pub fn used() -> usize {
        HEAP.used.load(Ordering::Relaxed)
    }

    // SAFETY: every block returned is inside the heap, aligned as asked and
    // disjoint from every other block, because `used` only grows and each
    // block starts at or after the previous block's end.
    unsafe impl GlobalAlloc for BootAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let (start, end) = bounds();
            let mut block = ptr::null_mut();
            let _ = self
                .used
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                    let address = (start + used).checked_next_multiple_of(layout.align())?;
                    let block_end = address.checked_add(layout.size())?;
                    if block_end > end {
                        return None;
                    }
                    block = address as *mut u8;
                    Some(block_end - start)
                });
            block
        }

        unsafe fn dealloc(&self, _block: *mut u8, _layout: Layout) {
            // Boot-time allocations live as long as the kernel.
        }
    }
}
