//! Every reader must answer every input with a value or an error, never a
//! panic. Fed here with random bytes and with mutations of valid files, on
//! the stable toolchain; the cargo-fuzz targets in fuzz/ go further.

mod common;

use common::{TestSegment, build_elf};
use mcu_build::image::file::{Format, InputSpec};
use mcu_build::image::ihex::{self, RecordLength};
use mcu_build::image::{Image, OverlapPolicy, StartAddress, bin, elf};
use mcu_build::number;

/// xorshift64*: small, fast and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// One to four random edits: flip, replace with a byte typical of the
    /// format, insert, delete, or truncate.
    fn mutate(&mut self, seed: &[u8], alphabet: &[u8]) -> Vec<u8> {
        let mut out = seed.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(out.len() + 1);
            match self.below(5) {
                0 if at < out.len() => out[at] ^= 1 << self.below(8),
                1 if at < out.len() => out[at] = alphabet[self.below(alphabet.len())],
                2 => out.insert(at, alphabet[self.below(alphabet.len())]),
                3 if at < out.len() => {
                    out.remove(at);
                }
                _ => out.truncate(at),
            }
        }
        out
    }
}

const CASES: usize = 100_000;

fn seed_image() -> Image {
    let mut image = Image::new();
    image
        .insert(0x0800_FFF0, &[0x5A; 40], OverlapPolicy::Error)
        .unwrap();
    image
        .insert(0x2000_0000, &[1, 2, 3], OverlapPolicy::Error)
        .unwrap();
    image.set_start_address(Some(StartAddress::Linear {
        address: 0x0800_0189,
    }));
    image
}

/// The inputs must reach both the accepting and the rejecting paths, or the
/// mutations are too weak (or too strong) to test anything.
fn assert_both_outcomes(accepted: usize) {
    assert!(
        accepted > CASES / 100,
        "only {accepted} of {CASES} inputs were accepted"
    );
    assert!(
        accepted < CASES / 2,
        "{accepted} of {CASES} inputs were accepted"
    );
}

/// Rewrites the last byte of every well-formed-looking record so that the
/// record's checksum is right.
fn fix_checksums(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = line.trim_ascii_end();
        let digits = body.strip_prefix(b":").unwrap_or(&[]);
        let decoded: Option<Vec<u8>> = digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
            .collect();
        match decoded {
            Some(mut bytes) if digits.len() >= 10 && digits.len() % 2 == 0 => {
                let last = bytes.len() - 1;
                bytes[last] = bytes[..last]
                    .iter()
                    .fold(0u8, |s, b| s.wrapping_add(*b))
                    .wrapping_neg();
                out.push(b':');
                out.extend(bytes.iter().flat_map(|b| format!("{b:02X}").into_bytes()));
                out.push(b'\n');
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

#[test]
fn hex_reader_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let seeds = [
        ihex::write(&seed_image(), RecordLength::default()),
        b":020000021000EC\n:04FFFE000102030AEF\n:0400000312340010A2\n:00000001FF\n".to_vec(),
    ];
    let alphabet = b":0123456789ABCDEFabcdefG\r\n \x00\xFF";
    let mut accepted = 0;
    for i in 0..CASES {
        let input = if i % 4 == 0 {
            let len = rng.below(64);
            rng.bytes(len)
        } else if i % 4 == 1 {
            rng.mutate(&seeds[i % seeds.len()], alphabet)
        } else {
            // Valid checksums take the mutation past the record syntax, into
            // addressing, record types, overlaps and start addresses.
            fix_checksums(&rng.mutate(&seeds[i % seeds.len()], alphabet))
        };
        accepted += usize::from(ihex::read(&input).is_ok());
    }
    assert_both_outcomes(accepted);
}

#[test]
fn elf_reader_never_panics() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let data = [0xA5; 24];
    let segments = [
        TestSegment::load(0x0800_0000, &data),
        TestSegment::load(0xFFFF_FFF0, &data[..16]),
    ];
    let seeds: Vec<Vec<u8>> = [(false, false), (false, true), (true, false), (true, true)]
        .iter()
        .map(|&(is_64, big)| build_elf(is_64, big, 0x0800_0001, &segments))
        .chain([elf::write(&seed_image())])
        .collect();
    let alphabet = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF, b'E', b'L', b'F'];
    let mut accepted = 0;
    for i in 0..CASES {
        let input = if i % 8 == 0 {
            let mut bytes = b"\x7fELF".to_vec();
            let len = rng.below(128);
            bytes.extend(rng.bytes(len));
            bytes
        } else {
            rng.mutate(&seeds[i % seeds.len()], &alphabet)
        };
        accepted += usize::from(elf::read(&input).is_ok());
    }
    assert_both_outcomes(accepted);
}

#[test]
fn format_detection_and_binary_reader_never_panic() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..CASES {
        let len = rng.below(48);
        let bytes = rng.bytes(len);
        let _ = Format::detect(&bytes);
        let base = rng.next() as u32 | if rng.below(2) == 0 { 0xFFFF_FF00 } else { 0 };
        let _ = bin::read(bytes, base);
    }
}

#[test]
fn input_specs_and_numbers_never_panic() {
    let mut rng = Rng(0xBF58_476D_1CE4_E5B9);
    let alphabet = b"0123456789xXbBkKmMiI_@./-abcdefABCDEF \xC3\xA9";
    for _ in 0..CASES {
        let len = rng.below(24);
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        let _ = number::parse_u64(&text);
        let _ = text.parse::<InputSpec>();
    }
}
