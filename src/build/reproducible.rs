//! The same firmware bytes wherever the project is checked out.
//!
//! rustc writes absolute paths into what it builds: the directory it ran
//! in (DWARF `DW_AT_comp_dir`), the files of path and registry
//! dependencies and of `include!`d generated code (debug information and
//! `panic!` locations). Two clones at two paths would then give two
//! different `user.elf` files, and a different code layout once the
//! strings change size. A cargo pass therefore remaps, with rustc's
//! `--remap-path-prefix FROM=TO`:
//!
//! - the project root (with `target/mcu-build/<board>/gen`, the generated
//!   directory, below it) to `.`;
//! - cargo's home (`$CARGO_HOME`, by default `~/.cargo`: registry sources
//!   and git checkouts) to `/cargo`.
//!
//! The standard library is already remapped to `/rustc/<commit>` by the
//! Rust distribution. What remains is cargo's `-C metadata`, which goes
//! into symbol names: cargo hashes a path dependency by its path relative
//! to the workspace root only when it lies below that root, so a firmware
//! must keep all its crates below its workspace root (the bundled firmware
//! does: `firmware/`).
//!
//! The flags are added to the ones the user already gives, from the
//! first of cargo's mutually exclusive sources that is set
//! (<https://doc.rust-lang.org/cargo/reference/config.html#buildrustflags>):
//! `CARGO_ENCODED_RUSTFLAGS`, then `RUSTFLAGS`, and otherwise
//! `build.rustflags` through `--config`, which cargo joins with the same
//! key of the project's `.cargo/config.toml`. A project that sets
//! `target.<triple>.rustflags` instead keeps its flags, and its own paths.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `FROM` maps to for the project root.
pub const PROJECT: &str = ".";
/// What `FROM` maps to for cargo's home.
pub const CARGO_HOME: &str = "/cargo";

/// The `--remap-path-prefix` flags for a build of the project at `root`
/// (absolute), with cargo's home at `cargo_home` if known. Each is mapped
/// as given (the generated directory reaches rustc in that form) and, if
/// different, with symbolic links resolved (rustc's working directory).
/// rustc applies the last matching flag, so the more specific prefix
/// comes last.
pub fn remap_flags(root: &Path, cargo_home: Option<&Path>) -> Vec<String> {
    let mut maps: Vec<(PathBuf, &str)> = Vec::new();
    let given = [(Some(root), PROJECT), (cargo_home, CARGO_HOME)];
    for (from, to) in given {
        let Some(from) = from else { continue };
        maps.push((from.to_owned(), to));
        if let Ok(real) = std::fs::canonicalize(from)
            && real != from
        {
            maps.push((real, to));
        }
    }
    maps.sort_by_key(|(from, _)| from.as_os_str().len());
    maps.into_iter()
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect()
}

/// Cargo's home directory: `$CARGO_HOME`, or `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
}

/// Where the flags go, given the values of `CARGO_ENCODED_RUSTFLAGS` and
/// `RUSTFLAGS` in the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// `CARGO_ENCODED_RUSTFLAGS` with this value (flags separated by
    /// 0x1F); `RUSTFLAGS` removed, since cargo reads it no more.
    Encoded(String),
    /// `--config build.rustflags=[...]`, this argument.
    Config(String),
}

/// Where `flags` go when the environment holds `encoded` and `plain`.
pub fn place(flags: &[String], encoded: Option<&str>, plain: Option<&str>) -> Placement {
    let given: Vec<&str> = match (encoded, plain) {
        // Cargo reads an empty CARGO_ENCODED_RUSTFLAGS as no flags.
        (Some(encoded), _) => encoded.split('\x1f').filter(|f| !f.is_empty()).collect(),
        // Cargo splits RUSTFLAGS at whitespace.
        (None, Some(plain)) => plain.split_whitespace().collect(),
        (None, None) => {
            let list = flags
                .iter()
                .map(|flag| toml::Value::String(flag.clone()).to_string())
                .collect::<Vec<_>>()
                .join(", ");
            return Placement::Config(format!("build.rustflags=[{list}]"));
        }
    };
    let all: Vec<&str> = given
        .into_iter()
        .chain(flags.iter().map(String::as_str))
        .collect();
    Placement::Encoded(all.join("\x1f"))
}

/// Adds `flags` to the cargo `command`, keeping the flags the environment
/// already gives.
pub fn add_rustflags(command: &mut Command, flags: &[String]) {
    let var = |name: &str| std::env::var_os(name).map(OsString::into_string);
    // A value that is not UTF-8 is one cargo itself refuses; it is passed
    // on untouched, and cargo says so.
    let (Ok(encoded), Ok(plain)) = (
        var("CARGO_ENCODED_RUSTFLAGS").transpose(),
        var("RUSTFLAGS").transpose(),
    ) else {
        return;
    };
    match place(flags, encoded.as_deref(), plain.as_deref()) {
        Placement::Encoded(value) => {
            command
                .env("CARGO_ENCODED_RUSTFLAGS", value)
                .env_remove("RUSTFLAGS");
        }
        Placement::Config(argument) => {
            command.arg("--config").arg(argument);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_more_specific_prefix_comes_last() {
        let flags = remap_flags(
            Path::new("/home/me/.cargo/p"),
            Some(Path::new("/home/me/.cargo")),
        );
        assert_eq!(
            flags,
            [
                "--remap-path-prefix=/home/me/.cargo=/cargo",
                "--remap-path-prefix=/home/me/.cargo/p=.",
            ]
        );
    }

    #[test]
    fn flags_join_those_of_the_source_cargo_reads() {
        let ours = vec!["--remap-path-prefix=/a b=.".to_owned()];
        assert_eq!(
            place(&ours, None, None),
            Placement::Config(r#"build.rustflags=["--remap-path-prefix=/a b=."]"#.to_owned())
        );
        assert_eq!(
            place(&ours, None, Some(" -C  opt-level=1 ")),
            Placement::Encoded("-C\x1fopt-level=1\x1f--remap-path-prefix=/a b=.".to_owned())
        );
        // CARGO_ENCODED_RUSTFLAGS wins over RUSTFLAGS, as in cargo.
        assert_eq!(
            place(&ours, Some("-Cx=a b"), Some("-Cy")),
            Placement::Encoded("-Cx=a b\x1f--remap-path-prefix=/a b=.".to_owned())
        );
        assert_eq!(
            place(&ours, Some(""), None),
            Placement::Encoded("--remap-path-prefix=/a b=.".to_owned())
        );
    }
}
