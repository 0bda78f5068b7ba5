//! Numbers as people write them for memory: `0x08020000`, `131072`,
//! `128K`, `128KiB`, `1M`, `0b1010`, with `_` separators allowed.

/// Why a number did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("expected a number such as 0x08020000, 131072 or 128K, found {0:?}")]
    Invalid(String),
    #[error("{text:?} is larger than {max:#x}")]
    TooLarge { text: String, max: u64 },
}

/// Parses an address or size: hexadecimal with `0x`, binary with `0b`, or
/// decimal with an optional `K`/`KiB` (1024) or `M`/`MiB` (1024 * 1024) suffix.
pub fn parse_u64(text: &str) -> Result<u64, NumberError> {
    let invalid = || NumberError::Invalid(text.to_owned());
    let cleaned: String = text.trim().chars().filter(|&c| c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).map_err(|_| invalid())?
    } else if let Some(bin) = lower.strip_prefix("0b") {
        u64::from_str_radix(bin, 2).map_err(|_| invalid())?
    } else {
        let (digits, scale) = [
            ("kib", 1u64 << 10),
            ("mib", 1 << 20),
            ("k", 1 << 10),
            ("m", 1 << 20),
        ]
        .iter()
        .find_map(|(suffix, scale)| lower.strip_suffix(suffix).map(|d| (d, *scale)))
        .unwrap_or((&lower, 1));
        let n: u64 = digits.parse().map_err(|_| invalid())?;
        n.checked_mul(scale).ok_or_else(|| NumberError::TooLarge {
            text: text.to_owned(),
            max: u64::MAX,
        })?
    };
    Ok(value)
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
        assert_eq!(parse_u64("128K"), Ok(128 * 1024));
        assert_eq!(parse_u64("128KiB"), Ok(128 * 1024));
        assert_eq!(parse_u64("1M"), Ok(1 << 20));
        assert_eq!(parse_u64("0b101"), Ok(5));
    }

    #[test]
    fn rejects_garbage_and_overflow() {
        assert!(matches!(parse_u64("0xZZ"), Err(NumberError::Invalid(_))));
        assert!(matches!(parse_u64(""), Err(NumberError::Invalid(_))));
        assert!(matches!(parse_u64("12Q"), Err(NumberError::Invalid(_))));
        assert!(matches!(
            parse_u32("0x100000000"),
            Err(NumberError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_u64("99999999999999999999M"),
            Err(NumberError::Invalid(_))
        ));
    }
}
