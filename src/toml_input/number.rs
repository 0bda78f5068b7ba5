//! A number as written in a TOML input: a TOML integer (`0x08000000`,
//! `1048576`) or a string in the forms [`crate::number`] reads (`"1M"`,
//! `"128K"`), because memory sizes are written that way in datasheets.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::number::{self, NumberError};

/// A number as written; [`crate::number`] reads the text form once the
/// key it belongs to is known, so that its errors can name the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Number {
    Integer(u64),
    Text(String),
}

impl Number {
    /// The value: the integer, or the text read as [`crate::number`] reads it.
    pub fn to_u64(&self) -> Result<u64, NumberError> {
        match self {
            Number::Integer(n) => Ok(*n),
            Number::Text(text) => number::parse_u64(text),
        }
    }
}

/// What a number field accepts, for type errors.
const EXPECTED: &str = "a number such as 0x20000000 or \"64K\"";

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

/// The error for a value of another type: `expected ..., found true`.
fn found<E: de::Error>(what: impl fmt::Display) -> E {
    E::custom(format_args!("expected {EXPECTED}, found {what}"))
}

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number::Integer(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        u64::try_from(v)
            .map(Number::Integer)
            .map_err(|_| found(format_args!("the negative number {v}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        Err(found(format_args!("the floating-point number {v}")))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Number, E> {
        Err(found(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
        Ok(Number::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Number, E> {
        Ok(Number::Text(v))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Number, A::Error> {
        Err(found("an array"))
    }

    /// Tables and, in the `toml` crate, date-times arrive as maps.
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Number, A::Error> {
        Err(found("a table or a date-time"))
    }
}
