//! A partition is a half-open address range `[start, end)` of one memory.
//!
//! Both the kernel's pointer checks and the header checks reduce to "does
//! this span lie entirely inside that partition", and both must reject a
//! span whose end wraps around the 32-bit address space: `ptr + len`
//! overflowing is the classic way to make a bounds check pass for a range
//! that covers the kernel.

/// A half-open address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    pub start: u32,
    pub end: u32,
}

impl Partition {
    /// Whether `[address, address + len)` lies entirely inside the
    /// partition. An overflowing `address + len` never does; an empty span
    /// does when its address is inside or at the end of the partition.
    pub const fn contains(&self, address: u32, len: u32) -> bool {
        match address.checked_add(len) {
            Some(end) => self.contains_span(address, end),
            None => false,
        }
    }

    /// Whether the span `[start, end)` is well formed (`start <= end`) and
    /// lies entirely inside the partition.
    pub const fn contains_span(&self, start: u32, end: u32) -> bool {
        start <= end && self.start <= start && end <= self.end
    }

    /// The number of bytes in the partition.
    pub const fn len(&self) -> u32 {
        self.end - self.start
    }

    /// Whether the partition has no bytes.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

#[cfg(test)]
mod tests {
    use super::Partition;

    const SRAM: Partition = Partition {
        start: 0x2001_0000,
        end: 0x2002_0000,
    };

    #[test]
    fn first_and_last_byte_are_inside() {
        assert!(SRAM.contains(0x2001_0000, 1));
        assert!(SRAM.contains(0x2001_FFFF, 1));
        assert!(SRAM.contains(SRAM.start, SRAM.len()));
    }

    #[test]
    fn a_byte_either_side_is_outside() {
        assert!(!SRAM.contains(0x2000_FFFF, 1));
        assert!(!SRAM.contains(0x2002_0000, 1));
        assert!(!SRAM.contains(0x2001_FFFF, 2));
    }

    #[test]
    fn an_overflowing_length_is_rejected() {
        assert!(!SRAM.contains(0x2001_0000, u32::MAX));
        assert!(!SRAM.contains(0xFFFF_FFF0, 0x20));
        let everything = Partition {
            start: 0,
            end: u32::MAX,
        };
        assert!(!everything.contains(0x10, u32::MAX));
    }

    #[test]
    fn empty_spans_are_inside_up_to_the_end() {
        assert!(SRAM.contains(SRAM.end, 0));
        assert!(!SRAM.contains(SRAM.end + 1, 0));
    }

    #[test]
    fn inverted_spans_are_rejected() {
        assert!(!SRAM.contains_span(0x2001_0010, 0x2001_0000));
    }
}
