//! CRC-32 as used by zlib, PNG and Ethernet (CRC-32/ISO-HDLC: reflected
//! polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF).
//!
//! It is a `const fn` with a table built at compile time, so the kernel
//! checks the user blob without a runtime-initialised table and the host
//! tool computes the very same value it writes into the header.

/// Reflected CRC-32 polynomial.
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// One entry per byte value: the CRC remainder of that byte alone.
const TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut remainder = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            remainder = if remainder & 1 == 1 {
                (remainder >> 1) ^ POLYNOMIAL
            } else {
                remainder >> 1
            };
            bit += 1;
        }
        table[byte] = remainder;
        byte += 1;
    }
    table
}

/// CRC-32 of `bytes`.
pub const fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    let mut index = 0;
    while index < bytes.len() {
        crc = TABLE[((crc ^ bytes[index] as u32) & 0xFF) as usize] ^ (crc >> 8);
        index += 1;
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn matches_the_standard_check_value() {
        // The "check" value of CRC-32/ISO-HDLC in the CRC catalogue.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn empty_input_is_zero() {
        assert_eq!(crc32(&[]), 0);
    }

    #[test]
    fn is_usable_in_constants() {
        const CRC: u32 = crc32(b"The quick brown fox jumps over the lazy dog");
        assert_eq!(CRC, 0x414F_A339);
    }

    #[test]
    fn detects_every_single_bit_flip() {
        let original = *b"user blob text";
        let reference = crc32(&original);
        for byte in 0..original.len() {
            for bit in 0..8 {
                let mut flipped = original;
                flipped[byte] ^= 1 << bit;
                assert_ne!(crc32(&flipped), reference, "byte {byte} bit {bit}");
            }
        }
    }
}
