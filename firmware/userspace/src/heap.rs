//! The application's heap: in the protected build `[__user_heap_start,
//! __user_heap_end)` in user SRAM, the `USER_HEAP_SIZE` bytes the layout
//! gave the blob, apart from the kernel heap; in the flat build the kernel
//! heap. Whoever links the application declares the `#[global_allocator]`
//! and says where the heap is.
//!
//! A first-fit free list kept in address order: `alloc` takes the first
//! block large enough and splits off the rest, `dealloc` puts the block
//! back and merges it with free neighbours, so memory freed in any order
//! becomes one block again. Blocks are multiples of 8 bytes on 8-byte
//! boundaries, which covers every type of these targets; a larger alignment
//! is refused.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::mem::size_of;
use core::ptr::{self, null_mut};

const GRANULE: usize = 8;

/// A free block; its header lives in the free memory itself.
struct FreeBlock {
    size: usize,
    next: *mut FreeBlock,
}

const _: () = assert!(size_of::<FreeBlock>() <= GRANULE);

struct FreeList {
    /// First free block, lowest address first.
    head: *mut FreeBlock,
    /// The heap was handed to the list (on the first allocation).
    initialised: bool,
    /// `[start, end)` of the heap, asked on the first allocation.
    bounds: fn() -> (usize, usize),
}

/// The application's allocator.
pub struct UserHeap(UnsafeCell<FreeList>);

// SAFETY: the application is single-threaded and has no interrupt
// handlers, so the free list is never used from two places at once.
unsafe impl Sync for UserHeap {}

impl UserHeap {
    /// An allocator over the memory `bounds` returns, which must be used by
    /// nothing else.
    pub const fn new(bounds: fn() -> (usize, usize)) -> Self {
        UserHeap(UnsafeCell::new(FreeList {
            head: null_mut(),
            initialised: false,
            bounds,
        }))
    }
}

fn block_size(layout: Layout) -> usize {
    layout.size().max(1).next_multiple_of(GRANULE)
}

impl FreeList {
    /// Hands the whole heap to the list as one free block.
    ///
    /// # Safety
    /// Only once, and the heap must be memory nothing else uses.
    unsafe fn initialise(&mut self) {
        let (start, end) = (self.bounds)();
        let start = start.next_multiple_of(GRANULE);
        if end >= start + GRANULE {
            // SAFETY: the heap is free, aligned, and large enough for a block.
            unsafe { self.push_free(start as *mut FreeBlock, (end - start) & !(GRANULE - 1)) };
        }
        self.initialised = true;
    }

    /// # Safety
    /// The list must be initialised and consistent.
    unsafe fn take(&mut self, size: usize) -> *mut u8 {
        let mut link: *mut *mut FreeBlock = &mut self.head;
        // SAFETY: every pointer in the list is a free block inside the heap.
        unsafe {
            while !(*link).is_null() {
                let block = *link;
                let free = (*block).size;
                if free >= size {
                    if free - size >= GRANULE {
                        let rest = block.cast::<u8>().add(size).cast::<FreeBlock>();
                        rest.write(FreeBlock {
                            size: free - size,
                            next: (*block).next,
                        });
                        *link = rest;
                    } else {
                        *link = (*block).next;
                    }
                    return block.cast();
                }
                link = &mut (*block).next;
            }
        }
        null_mut()
    }

    /// Inserts `[block, block + size)` in address order and merges it with
    /// the free blocks right before and after it.
    ///
    /// # Safety
    /// The range must be heap memory that is not in use and not in the list.
    unsafe fn push_free(&mut self, block: *mut FreeBlock, size: usize) {
        let mut previous: *mut FreeBlock = null_mut();
        let mut next = self.head;
        // SAFETY: every pointer in the list is a free block inside the heap,
        // and `block` is free memory large enough for a `FreeBlock`.
        unsafe {
            while !next.is_null() && next < block {
                previous = next;
                next = (*next).next;
            }
            block.write(FreeBlock { size, next });
            if !next.is_null() && block.cast::<u8>().add(size) == next.cast() {
                (*block).size += (*next).size;
                (*block).next = (*next).next;
            }
            if previous.is_null() {
                self.head = block;
            } else if previous.cast::<u8>().add((*previous).size) == block.cast() {
                (*previous).size += (*block).size;
                (*previous).next = (*block).next;
            } else {
                (*previous).next = block;
            }
        }
    }
}

// SAFETY: blocks come from the heap only, are GRANULE-aligned (enough for
// any accepted layout) and are handed out at most once until freed.
unsafe impl GlobalAlloc for UserHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > GRANULE {
            return ptr::null_mut();
        }
        // SAFETY: single-threaded, see `Sync` above; no other reference to
        // the list exists while this one does.
        let list = unsafe { &mut *self.0.get() };
        // SAFETY: the list is initialised once, before its first use.
        unsafe {
            if !list.initialised {
                list.initialise();
            }
            list.take(block_size(layout))
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`.
        let list = unsafe { &mut *self.0.get() };
        // SAFETY: the caller returns a block `alloc` gave out for `layout`,
        // so it is `block_size(layout)` bytes of heap no longer in use.
        unsafe { list.push_free(block.cast(), block_size(layout)) };
    }
}
