//! Two NuttX configurations compared option by option: what NuttX's
//! `tools/cmpconfig.c` does, with the forms Kconfig writes read as Kconfig
//! reads them.
//!
//! Unlike cmpconfig, numbers are equal by value in any base (`0x10` and
//! `16`: Kconfig writes hex options with or without leading zeros), strings
//! are compared unescaped, a later line for an option replaces an earlier
//! one, and a line that is not Kconfig's is an error at its line and
//! column instead of being skipped.
//!
//! `# CONFIG_X is not set` against a file that does not name `X`: in a
//! defconfig the two mean different things. `make savedefconfig` writes the
//! comment only when the option's default is `y`, and leaves out an option
//! at its default, so "not set" there means "turned off" and absence means
//! "at its default", which the files alone cannot tell. They are therefore
//! different by default, listed as set to `n` on one side only. In a
//! `.config`, where Kconfig writes every visible option, an absent bool is
//! one whose dependencies are unmet, which is off too; for comparing such
//! files (or to get cmpconfig's answer, which skips every comment)
//! [`Unset::Absent`] reads `# CONFIG_X is not set` as absence.

use std::collections::BTreeMap;

use serde::Serialize;

use super::kconfig::{Entry, Kconfig, Value};

/// How `# CONFIG_X is not set` compares with an option the other file does
/// not name (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unset {
    /// A value of its own (`n`): differs from absence (defconfigs).
    Value,
    /// The same as absence (`.config` files, and cmpconfig).
    Absent,
}

/// An option one file sets and the other does not name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnlyIn {
    pub name: String,
    /// As written after `=` (`y`, `0x00020000`, `"arm"`; `n` for `# ... is
    /// not set`).
    pub value: String,
    /// 1-based line in its file.
    pub line: usize,
}

/// An option both files set, to different values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Different {
    pub name: String,
    pub a: String,
    pub b: String,
    pub line_a: usize,
    pub line_b: usize,
}

/// What differs between files A and B, each list sorted by option name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigDiff {
    pub equal: bool,
    pub only_in_a: Vec<OnlyIn>,
    pub only_in_b: Vec<OnlyIn>,
    pub different: Vec<Different>,
}

/// Compares `a` with `b`.
pub fn diff(a: &Kconfig, b: &Kconfig, unset: Unset) -> ConfigDiff {
    let a = considered(a, unset);
    let b = considered(b, unset);
    let only = |from: &BTreeMap<&String, &Entry>, other: &BTreeMap<&String, &Entry>| {
        from.iter()
            .filter(|(name, _)| !other.contains_key(*name))
            .map(|(name, entry)| OnlyIn {
                name: (*name).clone(),
                value: entry.value.written(),
                line: entry.line,
            })
            .collect::<Vec<_>>()
    };
    let only_in_a = only(&a, &b);
    let only_in_b = only(&b, &a);
    let different: Vec<Different> = a
        .iter()
        .filter_map(|(name, x)| {
            let y = b.get(*name)?;
            (!x.value.same_as(&y.value)).then(|| Different {
                name: (*name).clone(),
                a: x.value.written(),
                b: y.value.written(),
                line_a: x.line,
                line_b: y.line,
            })
        })
        .collect();
    ConfigDiff {
        equal: only_in_a.is_empty() && only_in_b.is_empty() && different.is_empty(),
        only_in_a,
        only_in_b,
        different,
    }
}

/// The entries of `config` that take part, by name.
fn considered(config: &Kconfig, unset: Unset) -> BTreeMap<&String, &Entry> {
    config
        .entries
        .iter()
        .filter(|(_, entry)| unset == Unset::Value || entry.value != Value::Bool(false))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parse(text: &str) -> Kconfig {
        Kconfig::parse(text, Path::new("defconfig")).unwrap()
    }

    #[test]
    fn numbers_by_value_strings_unescaped_later_lines_win() {
        let a = parse("CONFIG_A=0x00020000\nCONFIG_S=\"x\"\nCONFIG_B=1\nCONFIG_B=2\n");
        let b = parse("CONFIG_S=\"x\"\nCONFIG_B=0x2\nCONFIG_A=131072\n");
        let diff = diff(&a, &b, Unset::Value);
        assert!(diff.equal, "{diff:?}");
    }

    #[test]
    fn lists_each_side_and_the_differences_by_name() {
        let a = parse("CONFIG_Z=y\nCONFIG_M=1\n# CONFIG_N is not set\n");
        let b = parse("CONFIG_M=0x2\nCONFIG_A=\"t\"\n");
        let d = diff(&a, &b, Unset::Value);
        assert!(!d.equal);
        let names = |list: &[OnlyIn]| list.iter().map(|o| o.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&d.only_in_a), ["CONFIG_N", "CONFIG_Z"]);
        assert_eq!(d.only_in_a[0].value, "n");
        assert_eq!(d.only_in_a[0].line, 3);
        assert_eq!(names(&d.only_in_b), ["CONFIG_A"]);
        assert_eq!(d.only_in_b[0].value, "\"t\"");
        assert_eq!(
            d.different,
            [Different {
                name: "CONFIG_M".to_owned(),
                a: "1".to_owned(),
                b: "0x2".to_owned(),
                line_a: 2,
                line_b: 1,
            }]
        );
    }

    #[test]
    fn not_set_is_a_value_unless_asked_to_read_it_as_absent() {
        let a = parse("# CONFIG_N is not set\nCONFIG_Y=y\n");
        let b = parse("CONFIG_Y=y\n");
        assert!(!diff(&a, &b, Unset::Value).equal);
        assert!(diff(&a, &b, Unset::Absent).equal);
        // Against `=y` it differs either way.
        let c = parse("CONFIG_N=y\nCONFIG_Y=y\n");
        assert_eq!(diff(&a, &c, Unset::Absent).only_in_b[0].name, "CONFIG_N");
        assert_eq!(diff(&a, &c, Unset::Value).different[0].a, "n");
    }
}
