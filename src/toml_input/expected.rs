//! What a TOML value should have been, in the user's terms.
//!
//! serde and the `toml` crate word type errors in Rust's terms ("invalid
//! type: integer `5`, expected u8", "expected struct RawPass", "wanted
//! string or table"). One mechanism puts them in the user's: the types
//! say what they expect (a table's [`TableForm::EXPECTED`], an enum's
//! variants through [`Keyword`]), and [`in_user_terms`] rewrites serde's
//! standard messages, where every error of [`super::from_str`] passes, into
//! `expected <form>, found <value>` as TOML names them.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, Visitor};

/// A struct read from a TOML table, with the form an error shows when
/// something else stands there (`"a table such as [mpu] with ..."`).
pub trait TableForm {
    const EXPECTED: &'static str;
}

/// A table read into `T`: anything but a table (a number, a string, an
/// array, whose elements serde would otherwise read as the fields in
/// order) is an error naming `T`'s form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table<T>(pub T);

impl<T> Deref for Table<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: Deserialize<'de> + TableForm> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TableVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + TableForm> Visitor<'de> for TableVisitor<T> {
            type Value = Table<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTED)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Table<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Table)
            }
        }
        deserializer.deserialize_any(TableVisitor(PhantomData))
    }
}

/// A unit enum written as one of its names (`kind = "flash"`): anything
/// else is an error that lists the names, which the `toml` crate words
/// as "wanted string or table".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keyword<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Keyword<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeywordVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for KeywordVisitor<T> {
            type Value = Keyword<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", OneOf(variants::<T>()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Keyword<T>, E> {
                let name: de::value::StrDeserializer<'_, de::value::Error> = v.into_deserializer();
                T::deserialize(name)
                    .map(Keyword)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(KeywordVisitor(PhantomData))
    }
}

/// "one of \"a\", \"b\"": the names a value may take, as TOML strings.
struct OneOf(&'static [&'static str]);

impl fmt::Display for OneOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(|n| format!("{n:?}")).collect();
        write!(f, "one of {}", names.join(", "))
    }
}

/// The variant names of the unit enum `T`, as its derived `Deserialize`
/// hands them to `deserialize_enum` (serde offers no other way to ask).
fn variants<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(VariantNames) {
        Err(Captured(names)) => names,
        Ok(_) => &[],
    }
}

/// A deserializer that only records the variant names it is asked for.
struct VariantNames;

#[derive(Debug)]
struct Captured(&'static [&'static str]);

impl fmt::Display for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", OneOf(self.0))
    }
}

impl std::error::Error for Captured {}

impl de::Error for Captured {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Captured(&[])
    }
}

impl<'de> Deserializer<'de> for VariantNames {
    type Error = Captured;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
        Err(Captured(&[]))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Captured> {
        Err(Captured(variants))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// serde's "invalid type: X, expected Y" and "invalid value: X, expected
/// Y" as "expected Y', found X'", with Rust's names for types and values
/// replaced by TOML's; any other message as it is.
pub fn in_user_terms(message: &str) -> String {
    let parsed = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split_once(", expected "));
    match parsed {
        Some((found, expected)) => {
            format!("expected {}, found {}", form(expected), value(found))
        }
        None => message.to_owned(),
    }
}

/// A serde "expected" text in TOML's terms: Rust's integer types as the
/// range they hold, serde's names for sequences and paths as TOML's.
fn form(expected: &str) -> String {
    let range = |min: i128, max: i128| format!("a whole number from {min} to {max}");
    match expected {
        "u8" => range(0, u8::MAX.into()),
        "u16" => range(0, u16::MAX.into()),
        "u32" => range(0, u32::MAX.into()),
        "u64" => range(0, u64::MAX.into()),
        "a nonzero u8" => range(1, u8::MAX.into()),
        "a nonzero u16" => range(1, u16::MAX.into()),
        "a nonzero u32" => range(1, u32::MAX.into()),
        "path string" => "a path string".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a boolean" => "true or false".to_owned(),
        other => other.to_owned(),
    }
}

/// A serde `Unexpected` as the TOML value it was: `integer `5`` is 5,
/// `map` is a table.
fn value(found: &str) -> String {
    let quoted = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('`'))
            .and_then(|rest| rest.strip_suffix('`'))
            .map(str::to_owned)
    };
    if let Some(v) = quoted("integer ")
        .or_else(|| quoted("boolean "))
        .or_else(|| quoted("floating point "))
    {
        return v;
    }
    if let Some(text) = found.strip_prefix("string ") {
        return format!("the string {text}");
    }
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "an array".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_read_in_toml_terms() {
        assert_eq!(
            in_user_terms("invalid type: string \"8\", expected a nonzero u8"),
            "expected a whole number from 1 to 255, found the string \"8\""
        );
        assert_eq!(
            in_user_terms("invalid value: integer `300`, expected u8"),
            "expected a whole number from 0 to 255, found 300"
        );
        assert_eq!(
            in_user_terms("invalid type: map, expected path string"),
            "expected a path string, found a table"
        );
        assert_eq!(
            in_user_terms("missing field `origin`"),
            "missing field `origin`"
        );
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        Flash,
        Ram,
    }

    #[test]
    fn a_keyword_names_its_variants() {
        assert_eq!(variants::<Kind>(), ["flash", "ram"]);
        let ok: Keyword<Kind> =
            toml::from_str::<std::collections::BTreeMap<String, Keyword<Kind>>>("k = \"ram\"")
                .unwrap()
                .remove("k")
                .unwrap();
        assert_eq!(ok.0, Kind::Ram);
    }
}
