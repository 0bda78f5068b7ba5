//! The identifiers the generators derive from system call names, and the
//! check that they stay unique.
//!
//! A call's name becomes several identifiers (`SYS_<name>`, `STUB_<name>`,
//! a Rust function whose name escapes keywords), and the generated code
//! defines identifiers of its own (`SYS_maxsyscall`, `sys_call0`..). Two
//! calls that derive the same identifier, or a call that derives one the
//! code defines itself, give output that does not compile, so the CSV is
//! refused when it is read. Each language lists its namespaces next to its
//! generator (`c::ident`, `rust::ident`), where the generator takes the
//! derived names from, so that the check cannot drift from the output.

use std::collections::HashMap;

/// One scope of the generated code in which identifiers must be unique.
pub struct Namespace {
    /// The output language, for messages: "C" or "Rust".
    pub language: &'static str,
    /// The identifiers the generated code defines (or uses) in this scope
    /// whatever the CSV says.
    pub generated: &'static [&'static str],
    /// The identifiers one call name becomes in this scope.
    pub derive: fn(&str) -> Vec<String>,
}

/// Every namespace of every generator: the CSV serves both languages.
fn namespaces() -> impl Iterator<Item = &'static Namespace> {
    super::c::ident::NAMESPACES
        .iter()
        .chain(super::rust::ident::NAMESPACES)
}

/// Two names that cannot both be generated, as found by [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameClash {
    /// The name (index `at` in the input) derives an identifier the
    /// generated code defines itself.
    Generated {
        at: usize,
        identifier: String,
        language: &'static str,
    },
    /// The name at index `at` derives the same identifier as the earlier
    /// one at index `earlier`.
    Same {
        at: usize,
        earlier: usize,
        identifier: String,
        language: &'static str,
    },
}

/// Checks that the `names`, in input order, derive distinct identifiers in
/// every namespace and none that the generated code defines itself; the
/// first clash (by the later name's place in the input) is returned.
pub fn check<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), NameClash> {
    let names: Vec<&str> = names.into_iter().collect();
    let mut first: Option<NameClash> = None;
    for namespace in namespaces() {
        let mut owner: HashMap<String, usize> = HashMap::new();
        let clash = names.iter().enumerate().find_map(|(at, name)| {
            (namespace.derive)(name).into_iter().find_map(|identifier| {
                if namespace.generated.contains(&identifier.as_str()) {
                    return Some(NameClash::Generated {
                        at,
                        identifier,
                        language: namespace.language,
                    });
                }
                match owner.insert(identifier.clone(), at) {
                    Some(earlier) if earlier != at => Some(NameClash::Same {
                        at,
                        earlier,
                        identifier,
                        language: namespace.language,
                    }),
                    _ => None,
                }
            })
        });
        if let Some(clash) = clash
            && first.as_ref().is_none_or(|f| clash.at() < f.at())
        {
            first = Some(clash);
        }
    }
    first.map_or(Ok(()), Err)
}

impl NameClash {
    /// The index of the name the clash is reported at.
    pub fn at(&self) -> usize {
        match self {
            NameClash::Generated { at, .. } | NameClash::Same { at, .. } => *at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_ordinary_names_pass() {
        assert_eq!(check(["_exit", "read", "write", "yield", "self"]), Ok(()));
    }

    #[test]
    fn clashes_name_the_later_call_and_the_identifier() {
        assert_eq!(
            check(["_exit", "maxsyscall"]),
            Err(NameClash::Generated {
                at: 1,
                identifier: "SYS_maxsyscall".into(),
                language: "C"
            })
        );
        assert_eq!(
            check(["super", "read", "super_"]),
            Err(NameClash::Same {
                at: 2,
                earlier: 0,
                identifier: "super_".into(),
                language: "Rust"
            })
        );
        assert_eq!(
            check(["foo", "SYS_foo"]),
            Err(NameClash::Same {
                at: 1,
                earlier: 0,
                identifier: "SYS_foo".into(),
                language: "C"
            })
        );
    }
}
