//! Grants: the kernel's per-process state, kept in the process's own grant
//! region (Tock's model, `kernel/src/grant.rs`).
//!
//! The grant region is the top of a process's RAM partition, which the
//! process's MPU regions leave out: the process cannot reach it, no other
//! process can, and the kernel (privileged, default memory map) can. A
//! kernel service that keeps state per process allocates it there, with
//! the *kernel break* moving down from the top of the region. So a process
//! that asks for much state exhausts its own region only: the allocation
//! fails with `ENOMEM` for that process and nobody else, and no kernel
//! heap is spent. Restarting the process empties the region at once: the
//! break goes back to the top and every list head is forgotten.
//!
//! A [`Grant<T>`] is one service's kind of state: in each process's region
//! a list of `T`, allocated one at a time. The state is reached only inside
//! a closure ([`Grant::enter`]), which gets `&mut T` for the duration of
//! the call: no reference into a grant region escapes, so none can outlive
//! a restart that reuses the memory.

use core::marker::PhantomData;
use core::mem::{align_of, size_of};

/// How many kinds of grant ([`Grant`]s) the kernel has: the list heads
/// each process's [`GrantRegion`] keeps.
pub const KINDS: usize = 1;

/// One process's grant region and the kernel break inside it.
pub struct GrantRegion {
    /// The lowest address the break may reach.
    start: u32,
    /// The top of the region, where the break starts.
    top: u32,
    /// Everything in `[brk, top)` is allocated.
    brk: u32,
    /// Per kind of grant: the address of the newest node, 0 for none.
    heads: [u32; KINDS],
    /// Per kind of grant: how many nodes the list holds.
    counts: [u32; KINDS],
}

/// The region cannot hold another allocation.
#[derive(Clone, Copy, Debug)]
pub struct OutOfGrant;

impl GrantRegion {
    /// The empty region `[start, top)`: the break at the top.
    pub const fn new(start: u32, top: u32) -> Self {
        Self {
            start,
            top,
            brk: top,
            heads: [0; KINDS],
            counts: [0; KINDS],
        }
    }

    /// Bytes allocated, alignment padding included.
    pub const fn used(&self) -> u32 {
        self.top - self.brk
    }

    /// Bytes in the region.
    pub const fn size(&self) -> u32 {
        self.top - self.start
    }

    /// Frees everything at once: the break back at the top.
    pub fn empty(&mut self) {
        *self = Self::new(self.start, self.top);
    }

    /// Moves the break down by `size` bytes, aligned to `align` (a power
    /// of two), and returns the new break.
    fn allocate(&mut self, size: u32, align: u32) -> Result<u32, OutOfGrant> {
        let address = self.brk.checked_sub(size).ok_or(OutOfGrant)? & !(align - 1);
        if address < self.start {
            return Err(OutOfGrant);
        }
        self.brk = address;
        Ok(address)
    }
}

/// A list entry in a grant region: the next-older entry, then the state.
#[repr(C)]
struct Node<T> {
    older: u32,
    value: T,
}

/// One kernel service's per-process state, of type `T`, in grant regions.
///
/// `T: Copy` because the region is emptied without running destructors.
pub struct Grant<T: Copy> {
    kind: usize,
    _state: PhantomData<fn(T) -> T>,
}

impl<T: Copy> Grant<T> {
    /// The grant whose list heads are `heads[kind]` of every region; each
    /// service takes its own `kind`, below [`KINDS`].
    pub const fn new(kind: usize) -> Self {
        assert!(kind < KINDS, "grant kind out of range: raise grant::KINDS");
        Self {
            kind,
            _state: PhantomData,
        }
    }

    /// Allocates `value` in `region` and returns its index in the
    /// process's list (0 for the first).
    pub fn allocate(&self, region: &mut GrantRegion, value: T) -> Result<u32, OutOfGrant> {
        let address = region.allocate(size_of::<Node<T>>() as u32, align_of::<Node<T>>() as u32)?;
        let node = Node {
            older: region.heads[self.kind],
            value,
        };
        // SAFETY: `[address, address + size_of::<Node<T>>())` was just
        // carved out of the grant region below the old break, aligned for
        // `Node<T>`, and belongs to no other node. The region is memory no
        // MPU region grants any process, and no Rust reference points into
        // it outside an `enter` call, which cannot be running now (this
        // takes `region` mutably).
        unsafe { (address as usize as *mut Node<T>).write(node) };
        region.heads[self.kind] = address;
        let index = region.counts[self.kind];
        region.counts[self.kind] += 1;
        Ok(index)
    }

    /// Calls `use_state` with the process's entry `index`, or returns
    /// `None` when the process has no such entry.
    pub fn enter<R>(
        &self,
        region: &mut GrantRegion,
        index: u32,
        use_state: impl FnOnce(&mut T) -> R,
    ) -> Option<R> {
        let count = region.counts[self.kind];
        // The list runs from the newest entry (index count - 1) down.
        let steps = count.checked_sub(index)?.checked_sub(1)?;
        let mut address = region.heads[self.kind];
        for _ in 0..steps {
            // SAFETY: every address in the list is a `Node<T>` written by
            // `allocate` since the region was last emptied (`empty` clears
            // the heads with the break), so it is initialised and aligned.
            address = unsafe { (*(address as usize as *const Node<T>)).older };
        }
        // SAFETY: as above; the `&mut` lives only for the closure, and
        // `region` is borrowed mutably for that time, so no other access
        // to the node can happen while it lives.
        let node = unsafe { &mut *(address as usize as *mut Node<T>) };
        Some(use_state(&mut node.value))
    }
}
