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
    #[error("{text:?} is out of range: expected a whole number from {min} to {max}")]
    OutOfRange { text: String, min: u64, max: u64 },
    #[error(
        "{text:?} is not a time: expected a number of seconds greater than 0 and at most {max} \
         (such as 30 or 0.5)"
    )]
    Seconds { text: String, max: u64 },
}

/// The longest time a command waits for anything: one day, in seconds.
/// Longer is a typo (or a unit mix-up), not a wish.
pub const MAX_SECONDS: u64 = 24 * 60 * 60;

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
    let too_large = || NumberError::TooLarge {
        text: text.to_owned(),
        max: u64::MAX,
    };
    // The digits are valid, so the only way left to fail is overflow.
    let n = u64::from_str_radix(&digits, radix).map_err(|_| too_large())?;
    n.checked_mul(scale).ok_or_else(too_large)
}

/// [`parse_u64`] for a count or setting limited to `range` (a command-line
/// option such as `--record-length`), with every spelling `parse_u64` takes
/// and an error that says the range.
pub fn parse_in<T>(text: &str, range: std::ops::RangeInclusive<T>) -> Result<T, NumberError>
where
    T: Copy + Into<u64> + TryFrom<u64>,
{
    let (min, max) = ((*range.start()).into(), (*range.end()).into());
    let out_of_range = || NumberError::OutOfRange {
        text: text.to_owned(),
        min,
        max,
    };
    let value = match parse_u64(text) {
        Err(NumberError::TooLarge { .. }) => return Err(out_of_range()),
        other => other?,
    };
    if !(min..=max).contains(&value) {
        return Err(out_of_range());
    }
    T::try_from(value).map_err(|_| out_of_range())
}

/// A time limit in seconds (`30`, `0.5`): a finite number greater than 0
/// and at most [`MAX_SECONDS`], so that NaN, infinity, a sign or a
/// number of seconds longer than a day is refused instead of waiting
/// forever or failing at once.
pub fn parse_seconds(text: &str) -> Result<f64, NumberError> {
    let refused = || NumberError::Seconds {
        text: text.to_owned(),
        max: MAX_SECONDS,
    };
    // Rust's float syntax also takes "nan", "inf" and exponents; only
    // plain decimal digits with one optional point are a time here.
    let trimmed = text.trim();
    let plain = !trimmed.is_empty()
        && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.')
        && trimmed.matches('.').count() <= 1
        && trimmed.chars().any(|c| c.is_ascii_digit());
    let seconds: f64 = plain
        .then(|| trimmed.parse().ok())
        .flatten()
        .ok_or_else(refused)?;
    if seconds > 0.0 && seconds <= MAX_SECONDS as f64 {
        Ok(seconds)
    } else {
        Err(refused())
    }
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
            Err(NumberError::TooLarge { .. })
        ));
        assert_eq!(
            parse_u64("99999999999999999999999"),
            Err(NumberError::TooLarge {
                text: "99999999999999999999999".into(),
                max: u64::MAX
            })
        );
        assert!(matches!(
            parse_u64("17179869184G"),
            Err(NumberError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_ranged_number_takes_every_spelling_and_says_its_range() {
        assert_eq!(parse_in("0x10", 1..=255u8), Ok(16));
        assert_eq!(parse_in("255", 1..=255u8), Ok(255));
        for text in ["0", "256", "1K", "99999999999999999999999"] {
            assert_eq!(
                parse_in(text, 1..=255u8),
                Err(NumberError::OutOfRange {
                    text: text.into(),
                    min: 1,
                    max: 255
                }),
                "{text}"
            );
        }
        assert!(matches!(
            parse_in("016", 1..=255u8),
            Err(NumberError::LeadingZero { .. })
        ));
        assert_eq!(
            parse_in("300", 0..=255u8).unwrap_err().to_string(),
            "\"300\" is out of range: expected a whole number from 0 to 255"
        );
    }

    #[test]
    fn seconds_are_finite_positive_and_at_most_a_day() {
        assert_eq!(parse_seconds("30"), Ok(30.0));
        assert_eq!(parse_seconds("0.5"), Ok(0.5));
        assert_eq!(parse_seconds("86400"), Ok(86_400.0));
        for text in [
            "nan",
            "NaN",
            "inf",
            "-1",
            "0",
            "0.0",
            "86401",
            "99999999999999999999",
            "1e3",
            "",
            ".",
            "1.2.3",
        ] {
            assert_eq!(
                parse_seconds(text),
                Err(NumberError::Seconds {
                    text: text.into(),
                    max: MAX_SECONDS
                }),
                "{text:?}"
            );
        }
    }
}
