//! Drift between NuttX's `syscall.csv` and its `syscall_lookup.h`, which
//! list the same calls twice by hand: calls in one file only, calls whose
//! conditions disagree, and parameter counts that disagree.
//!
//! A call's condition in the lookup file is the conjunction of the `#if`s
//! around its line (after `#elif`/`#else`, the negations of the group's
//! earlier conditions), or the disjunction of those if the call is listed
//! more than once. It is compared with the CSV's condition column
//! semantically when both parse as `#if` expressions ([`super::preprocessor`]):
//! as Boolean functions of their atoms, where `!`, `&&` and `||` are logic
//! and every other subexpression (`defined(X)`, `X > 0`, a bare `X`) is an
//! independent atom named by its normalized text, checked on every
//! assignment of the atoms (so `defined(A) && (N > 0)` equals
//! `N > 0 && defined(A)`, but `defined(A)` and `A` differ). With more than
//! [`MAX_ATOMS`] atoms, or a condition that does not parse, the two are
//! compared as text with runs of blanks made one space.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::lookup::{LookupEntry, LookupFile};
use super::model::SyscallTable;
use super::preprocessor::{self, BinaryOp, Expr, ExprKind, Macro, UnaryOp};

/// Beyond this many atoms, a truth table (2^n rows) is not worth it.
pub const MAX_ATOMS: usize = 16;

/// One disagreement between the two files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Drift {
    /// In the CSV, never in the lookup file: it has a proxy and a stub but
    /// no number.
    OnlyInCsv { name: String, csv_line: usize },
    /// In the lookup file, not in the CSV: NuttX would want a stub that
    /// mksyscall never writes.
    OnlyInLookup { name: String, lookup_line: usize },
    /// The conditions differ.
    Condition {
        name: String,
        csv_line: usize,
        lookup_line: usize,
        /// The CSV's condition, empty when the call is always there.
        csv_condition: String,
        /// The lookup file's, normalized; empty when always there.
        lookup_condition: String,
        comparison: Comparison,
        /// For a semantic comparison: values of the atoms under which one
        /// condition holds and the other does not.
        witness: Vec<(String, bool)>,
    },
    /// `SYSCALL_LOOKUP(name, nparms)` against the CSV's parameter count
    /// (optional parameters included).
    ParamCount {
        name: String,
        csv_line: usize,
        lookup_line: usize,
        csv_params: usize,
        lookup_params: u32,
    },
}

/// How two conditions were compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Semantic,
    Textual,
}

/// Every drift between `table` and `lookup`: by CSV order for the calls of
/// the CSV, then the lookup file's own calls in its order.
pub fn compare(table: &SyscallTable, lookup: &LookupFile) -> Vec<Drift> {
    let mut drift = Vec::new();
    // The lookup file's lines of each name, in its order: one pass, so that
    // comparing stays linear in the size of both files.
    let mut by_name: HashMap<&str, Vec<&LookupEntry>> = HashMap::new();
    for entry in &lookup.entries {
        by_name.entry(&entry.name).or_default().push(entry);
    }
    for syscall in &table.entries {
        let listed = by_name.get(&*syscall.name).map_or(&[][..], Vec::as_slice);
        let Some(first) = listed.first() else {
            drift.push(Drift::OnlyInCsv {
                name: syscall.name.to_string(),
                csv_line: syscall.line,
            });
            continue;
        };
        if let Some(Difference {
            lookup_condition,
            comparison,
            witness,
        }) = condition_difference(&syscall.condition, lookup, listed)
        {
            drift.push(Drift::Condition {
                name: syscall.name.to_string(),
                csv_line: syscall.line,
                lookup_line: first.line,
                csv_condition: syscall.condition.clone(),
                lookup_condition,
                comparison,
                witness,
            });
        }
        for entry in listed {
            if entry.nparms as usize != syscall.params.len() {
                drift.push(Drift::ParamCount {
                    name: syscall.name.to_string(),
                    csv_line: syscall.line,
                    lookup_line: entry.line,
                    csv_params: syscall.params.len(),
                    lookup_params: entry.nparms,
                });
            }
        }
    }
    let in_csv: HashSet<&str> = table.entries.iter().map(|s| &*s.name).collect();
    for entry in &lookup.entries {
        let first_listing = std::ptr::eq(by_name[entry.name.as_str()][0], entry);
        if first_listing && !in_csv.contains(entry.name.as_str()) {
            drift.push(Drift::OnlyInLookup {
                name: entry.name.clone(),
                lookup_line: entry.line,
            });
        }
    }
    drift
}

/// How a CSV condition and a lookup entry's differ.
struct Difference {
    /// The lookup side's condition as text.
    lookup_condition: String,
    comparison: Comparison,
    /// For a semantic comparison: atom values under which they differ.
    witness: Vec<(String, bool)>,
}

/// `None` when the CSV's `condition` and the guards of `listed` agree.
fn condition_difference(
    condition: &str,
    lookup: &LookupFile,
    listed: &[&LookupEntry],
) -> Option<Difference> {
    let lookup_text = guards_text(lookup, listed);
    let csv_expr = if condition.trim().is_empty() {
        Some(None)
    } else {
        preprocessor::parse(condition).ok().map(Some)
    };
    let mut atoms = Vec::new();
    let semantic = csv_expr.and_then(|expr| {
        let csv = match expr {
            Some(e) => Formula::of(&e, &mut atoms)?,
            None => Formula::Const(true),
        };
        let lookup_formula = guards_formula(lookup, listed, &mut atoms)?;
        Some((csv, lookup_formula))
    });
    match semantic {
        Some((csv, lookup_formula)) if atoms.len() <= MAX_ATOMS => {
            let implied = defined_implications(&atoms);
            let witness = (0u32..1 << atoms.len()).find(|&row| {
                let value = |atom: usize| row >> atom & 1 == 1;
                implied
                    .iter()
                    .all(|&(x, defined)| !value(x) || value(defined))
                    && csv.holds(&value) != lookup_formula.holds(&value)
            })?;
            let witness = atoms
                .iter()
                .enumerate()
                .map(|(i, atom)| (atom.clone(), witness >> i & 1 == 1))
                .collect();
            Some(Difference {
                lookup_condition: lookup_text,
                comparison: Comparison::Semantic,
                witness,
            })
        }
        _ => {
            let normal = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            (normal(condition) != normal(&lookup_text)).then(|| Difference {
                lookup_condition: lookup_text,
                comparison: Comparison::Textual,
                witness: Vec::new(),
            })
        }
    }
}

/// The pairs `(X, defined(X))` among `atoms`, by index: a macro that is
/// not defined evaluates to 0 in `#if` (C17 6.10.1), so `X` true implies
/// `defined(X)`, and no witness may say otherwise.
fn defined_implications(atoms: &[String]) -> Vec<(usize, usize)> {
    atoms
        .iter()
        .enumerate()
        .filter_map(|(x, atom)| {
            let defined = format!("defined({atom})");
            atoms.iter().position(|a| *a == defined).map(|d| (x, d))
        })
        .collect()
}

/// A Boolean function of atoms (indices into a list of their texts).
enum Formula {
    Const(bool),
    Atom(usize),
    Not(Box<Formula>),
    And(Vec<Formula>),
    Or(Vec<Formula>),
}

impl Formula {
    /// `expr` with `!`, `&&`, `||` and constants as logic, anything else an
    /// atom, added to `atoms` if new. An expression without identifiers is
    /// evaluated (`1 == 1` is true); `None` when that fails (`1 / 0`), as
    /// the preprocessor would fail.
    fn of(expr: &Expr, atoms: &mut Vec<String>) -> Option<Formula> {
        Some(match &expr.kind {
            ExprKind::Number(n) => Formula::Const(*n != 0),
            ExprKind::Unary(UnaryOp::Not, operand) => {
                Formula::Not(Box::new(Formula::of(operand, atoms)?))
            }
            ExprKind::Binary(BinaryOp::And, l, r) => {
                Formula::And(vec![Formula::of(l, atoms)?, Formula::of(r, atoms)?])
            }
            ExprKind::Binary(BinaryOp::Or, l, r) => {
                Formula::Or(vec![Formula::of(l, atoms)?, Formula::of(r, atoms)?])
            }
            _ if !expr.names_a_macro() => {
                Formula::Const(expr.evaluate(&|_| Macro::Undefined).ok()? != 0)
            }
            _ => {
                let text = expr.to_string();
                let index = atoms.iter().position(|a| *a == text).unwrap_or_else(|| {
                    atoms.push(text);
                    atoms.len() - 1
                });
                Formula::Atom(index)
            }
        })
    }

    fn holds(&self, value: &dyn Fn(usize) -> bool) -> bool {
        match self {
            Formula::Const(b) => *b,
            Formula::Atom(i) => value(*i),
            Formula::Not(f) => !f.holds(value),
            Formula::And(fs) => fs.iter().all(|f| f.holds(value)),
            Formula::Or(fs) => fs.iter().any(|f| f.holds(value)),
        }
    }
}

/// The disjunction of the entries' guards, each a conjunction of literals;
/// `None` if a condition does not parse.
fn guards_formula(
    lookup: &LookupFile,
    listed: &[&LookupEntry],
    atoms: &mut Vec<String>,
) -> Option<Formula> {
    let mut disjuncts = Vec::new();
    for entry in listed {
        let mut literals = Vec::new();
        for &(index, holds) in &entry.guard {
            let f = Formula::of(lookup.conditions[index].expr.as_ref().ok()?, atoms)?;
            literals.push(if holds { f } else { Formula::Not(Box::new(f)) });
        }
        disjuncts.push(Formula::And(literals));
    }
    Some(Formula::Or(disjuncts))
}

/// The guards of `listed` as one `#if` expression; empty when an entry is
/// always there.
fn guards_text(lookup: &LookupFile, listed: &[&LookupEntry]) -> String {
    let conjunctions: Vec<Vec<String>> = listed
        .iter()
        .map(|entry| {
            entry
                .guard
                .iter()
                .map(|&(index, holds)| {
                    let condition = &lookup.conditions[index];
                    match &condition.expr {
                        Ok(expr) => literal_text(expr, holds),
                        Err(_) if holds => format!("({})", condition.text),
                        Err(_) => format!("!({})", condition.text),
                    }
                })
                .collect()
        })
        .collect();
    if conjunctions.iter().any(Vec::is_empty) {
        return String::new();
    }
    match conjunctions.as_slice() {
        [only] => only.join(" && "),
        many => many
            .iter()
            .map(|c| match c.as_slice() {
                [one] => one.clone(),
                _ => format!("({})", c.join(" && ")),
            })
            .collect::<Vec<_>>()
            .join(" || "),
    }
}

/// `expr` as one operand of `&&`, negated unless `holds`.
fn literal_text(expr: &Expr, holds: bool) -> String {
    let atomic = !matches!(expr.kind, ExprKind::Binary(..));
    match (&expr.kind, holds) {
        (ExprKind::Unary(UnaryOp::Not, inner), false) => literal_text(inner, true),
        (_, false) if atomic => format!("!{expr}"),
        (_, false) => format!("!({expr})"),
        (ExprKind::Binary(BinaryOp::Or, ..), true) => format!("({expr})"),
        (_, true) => expr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::csv;
    use std::path::Path;

    fn drift(csv_text: &str, lookup_text: &str) -> Vec<Drift> {
        let table = csv::parse(csv_text.as_bytes(), Path::new("s.csv")).unwrap();
        let lookup = LookupFile::parse(lookup_text, Path::new("l.h")).unwrap();
        compare(&table, &lookup)
    }

    #[test]
    fn equal_conditions_in_other_spellings_agree() {
        let csv = "\"a\",\"\",\"defined(A) && (N > 0)\",\"int\"\n\
                   \"b\",\"\",\"!defined(B)\",\"int\"\n\
                   \"c\",\"\",\"\",\"int\"\n\
                   \"d\",\"\",\"defined(A) || defined(B)\",\"int\"\n";
        let lookup = "#ifdef A\n#  if N > 0\nSYSCALL_LOOKUP(a, 0)\n#  endif\n#endif\n\
                      #ifdef B\n#else\nSYSCALL_LOOKUP(b, 0)\n#endif\nSYSCALL_LOOKUP(c, 0)\n\
                      #ifdef A\nSYSCALL_LOOKUP(d, 0)\n#elif defined B\nSYSCALL_LOOKUP(d, 0)\n#endif\n";
        assert_eq!(drift(csv, lookup), []);
    }

    /// A condition without macros is evaluated: `1 == 1` is always true;
    /// one the preprocessor rejects (`1 / 0`) is compared as text.
    #[test]
    fn constant_conditions_are_evaluated_or_compared_as_text() {
        let csv = "\"a\",\"\",\"\",\"int\"\n";
        assert_eq!(drift(csv, "#if 1 == 1\nSYSCALL_LOOKUP(a, 0)\n#endif\n"), []);
        let [Drift::Condition { comparison, .. }] =
            &drift(csv, "#if 1 / 0\nSYSCALL_LOOKUP(a, 0)\n#endif\n")[..]
        else {
            panic!("expected one condition drift");
        };
        assert_eq!(*comparison, Comparison::Textual);
    }

    /// `X` and `defined(X)` differ only for a defined `X` of value 0: an
    /// undefined macro is 0 in `#if`, so no witness has `X` without
    /// `defined(X)`.
    #[test]
    fn a_witness_never_has_a_macro_true_and_undefined() {
        let csv = "\"a\",\"\",\"CONFIG_A\",\"int\"\n";
        let lookup = "#ifdef CONFIG_A\nSYSCALL_LOOKUP(a, 0)\n#endif\n";
        let [Drift::Condition { witness, .. }] = &drift(csv, lookup)[..] else {
            panic!("expected one condition drift");
        };
        assert_eq!(
            witness,
            &[
                ("CONFIG_A".to_owned(), false),
                ("defined(CONFIG_A)".to_owned(), true)
            ]
        );
    }

    #[test]
    fn every_kind_of_drift_is_found() {
        let csv = "\"a\",\"\",\"defined(A) && defined(C)\",\"int\",\"int\"\n\
                   \"only_csv\",\"\",\"\",\"int\"\n\
                   \"t\",\"\",\"A ?\",\"int\"\n";
        let lookup = "#ifdef A\nSYSCALL_LOOKUP(a, 2)\n#endif\nSYSCALL_LOOKUP(t, 0)\nSYSCALL_LOOKUP(only_h, 0)\n";
        assert_eq!(
            drift(csv, lookup),
            [
                Drift::Condition {
                    name: "a".into(),
                    csv_line: 1,
                    lookup_line: 2,
                    csv_condition: "defined(A) && defined(C)".into(),
                    lookup_condition: "defined(A)".into(),
                    comparison: Comparison::Semantic,
                    witness: vec![("defined(A)".into(), true), ("defined(C)".into(), false)],
                },
                Drift::ParamCount {
                    name: "a".into(),
                    csv_line: 1,
                    lookup_line: 2,
                    csv_params: 1,
                    lookup_params: 2,
                },
                Drift::OnlyInCsv {
                    name: "only_csv".into(),
                    csv_line: 2,
                },
                Drift::Condition {
                    name: "t".into(),
                    csv_line: 3,
                    lookup_line: 4,
                    csv_condition: "A ?".into(),
                    lookup_condition: String::new(),
                    comparison: Comparison::Textual,
                    witness: vec![],
                },
                Drift::OnlyInLookup {
                    name: "only_h".into(),
                    lookup_line: 5,
                },
            ]
        );
    }

    #[test]
    fn lookup_conditions_print_as_one_expression() {
        let lookup = LookupFile::parse(
            "#ifndef A\n#elif B || C\n#if N > 0\nSYSCALL_LOOKUP(x, 0)\n#endif\n#endif\n\
             #if X && Y\n#else\nSYSCALL_LOOKUP(y, 0)\n#endif\n#ifdef P\nSYSCALL_LOOKUP(y, 0)\n#endif\n",
            Path::new("l.h"),
        )
        .unwrap();
        let x: Vec<&LookupEntry> = lookup.entries.iter().filter(|e| e.name == "x").collect();
        assert_eq!(guards_text(&lookup, &x), "defined(A) && (B || C) && N > 0");
        let y: Vec<&LookupEntry> = lookup.entries.iter().filter(|e| e.name == "y").collect();
        assert_eq!(guards_text(&lookup, &y), "!(X && Y) || defined(P)");
    }
}
