//! A small deterministic generator (SplitMix64) for the randomised tests and
//! benchmarks: the same seed gives the same ranges on every machine, so a
//! failure can be replayed, and no extra dependency is needed.

pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A non-empty, 32-byte aligned range in the 32-bit address space,
    /// at least `min_len` bytes long (rounded to 32).
    pub fn aligned_range(&mut self, min_len: u64) -> std::ops::Range<u64> {
        loop {
            let a = (self.next_u64() >> 32) & !31;
            let b = (self.next_u64() >> 32) & !31;
            let (start, end) = if a < b { (a, b) } else { (b, a) };
            if end - start >= min_len {
                return start..end;
            }
        }
    }
}
