//! Numbers as people write them for memory: `0x08020000`, `131072`,
//! `128K`, `128KiB`, `1M`, `1G`, `0b1010`, with `_` between digits.
//!
//! A decimal number with a leading zero (`08000000`) is refused rather than
//! read as decimal: in an address it is almost always a hexadecimal number
//! missing its `0x`, and C would read it as octal. A sign (`+5`) and a `_`
//! that does not stand between two digits (`_1`, `1_`, `1__0`) are refused
//! too, so that every accepted spelling means one thing.

/// Why a number did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("expected a number such as 0x08020000, 131072 or 128K, found {0:?}")]
    Invalid(String),
    #[error(
        "{text:?} has a leading zero, which is ambiguous (decimal? octal? hexadecimal without 0x?): \
         did you mean {suggestion}? Write decimal without leading zeros"
    )]
    LeadingZero { text: String, suggestion: String },
    #[error("{text:?} is larger than {max:#x}")]
    TooLarge { text: String, max: u64 },
}

/// Binary multiples a decimal number may end with, longest spelling first.
const SUFFIXES: [(&str, u64); 6] = [
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("k", 1 << 10),
    ("m", 1 << 20),
    ("g", 1 << 30),
];

/// Parses an address or size: hexadecimal with `0x`, binary with `0b`, or
/// decimal with an optional `K`/`KiB` (2^10), `M`/`MiB` (2^20) or
/// `G`/`GiB` (2^30) suffix.
pub fn parse_u64(text: &str) -> Result<u64, NumberError> {
    let invalid = || NumberError::Invalid(text.to_owned());
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let (digits, radix, scale) = if let Some(hex) = lower.strip_prefix("0x") {
        (hex, 16, 1)
    } else if let Some(bin) = lower.strip_prefix("0b") {
        (bin, 2, 1)
    } else {
        let (digits, scale) = SUFFIXES
            .iter()
            .find_map(|(suffix, scale)| lower.strip_suffix(suffix).map(|d| (d, *scale)))
            .unwrap_or((&lower, 1));
        (digits, 10, scale)
    };
    let digits = without_separators(digits, radix).ok_or_else(invalid)?;
    if radix == 10 && digits.len() > 1 && digits.starts_with('0') {
        return Err(NumberError::LeadingZero {
            text: text.to_owned(),
            // Without a suffix the number is likely hexadecimal; with one,
            // it can only be decimal.
            suggestion: if scale == 1 {
                format!("0x{}", trimmed.replace('_', ""))
            } else {
                let rest = trimmed.trim_start_matches(['0', '_']);
                if rest.starts_with(|c: char| c.is_ascii_digit()) {
                    rest.to_owned()
                } else {
                    format!("0{rest}")
                }
            },
        });
    }
    let n = u64::from_str_radix(&digits, radix).map_err(|_| invalid())?;
    n.checked_mul(scale).ok_or_else(|| NumberError::TooLarge {
        text: text.to_owned(),
        max: u64::MAX,
    })
}

/// `digits` with its `_` separators removed, or `None` when it is empty,
/// holds anything but digits of `radix` (a sign included), or has a `_`
/// that is not between two digits.
fn without_separators(digits: &str, radix: u32) -> Option<String> {
    let bytes = digits.as_bytes();
    let separator_ok = |i: usize| {
        let digit = |j: Option<&u8>| j.is_some_and(|c| char::from(*c).is_digit(radix));
        digit(i.checked_sub(1).and_then(|j| bytes.get(j))) && digit(bytes.get(i + 1))
    };
    let valid = !bytes.is_empty()
        && bytes
            .iter()
            .enumerate()
            .all(|(i, &c)| char::from(c).is_digit(radix) || (c == b'_' && separator_ok(i)));
    valid.then(|| digits.replace('_', ""))
}

/// [`parse_u64`], limited to 32 bits (addresses).
pub fn parse_u32(text: &str) -> Result<u32, NumberError> {
    let value = parse_u64(text)?;
    u32::try_from(value).map_err(|_| NumberError::TooLarge {
        text: text.to_owned(),
        max: u32::MAX.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_spellings() {
        assert_eq!(parse_u64("0x0802_0000"), Ok(0x0802_0000));
        assert_eq!(parse_u64("0X10"), Ok(16));
        assert_eq!(parse_u64("131072"), Ok(131_072));
        assert_eq!(parse_u64("131_072"), Ok(131_072));
        assert_eq!(parse_u64("128K"), Ok(128 * 1024));
        assert_eq!(parse_u64("128KiB"), Ok(128 * 1024));
        assert_eq!(parse_u64("1M"), Ok(1 << 20));
        assert_eq!(parse_u64("1G"), Ok(1 << 30));
        assert_eq!(parse_u64("4GiB"), Ok(4 << 30));
        assert_eq!(parse_u64("0b101"), Ok(5));
        assert_eq!(parse_u64("0"), Ok(0));
        assert_eq!(parse_u64("0K"), Ok(0));
        assert_eq!(parse_u64("0x00"), Ok(0));
    }

    #[test]
    fn a_leading_zero_suggests_hexadecimal() {
        let err = parse_u64("08000000").unwrap_err();
        assert_eq!(
            err,
            NumberError::LeadingZero {
                text: "08000000".into(),
                suggestion: "0x08000000".into()
            }
        );
        assert!(
            err.to_string().contains("did you mean 0x08000000?"),
            "{err}"
        );
        assert!(matches!(
            parse_u64("00"),
            Err(NumberError::LeadingZero { .. })
        ));
        assert_eq!(
            parse_u64("064K"),
            Err(NumberError::LeadingZero {
                text: "064K".into(),
                suggestion: "64K".into()
            })
        );
    }

    #[test]
    fn rejects_signs_stray_separators_garbage_and_overflow() {
        for text in [
            "+5", "-5", "_1", "1_", "1__0", "0x_FF", "0xFF_", "+0x10", "0x+10", "0xZZ", "", "12Q",
            "K", "0x", "_",
        ] {
            assert_eq!(
                parse_u64(text),
                Err(NumberError::Invalid(text.into())),
                "{text:?}"
            );
        }
        assert!(matches!(
            parse_u32("0x100000000"),
            Err(NumberError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_u64("99999999999999999999M"),
            Err(NumberError::Invalid(_))
        ));
        assert!(matches!(
            parse_u64("17179869184G"),
            Err(NumberError::TooLarge { .. })
        ));
    }
}
