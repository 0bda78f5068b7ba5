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
//! `CARGO_ENCODED_RUSTFLAGS`, then `RUSTFLAGS`, then
//! `target.<triple>.rustflags` and the `target.<cfg>.rustflags` whose
//! `cfg` matches the target, and otherwise `build.rustflags`. For the two
//! configuration keys the flags go through `--config`, which cargo joins
//! with the same key of the configuration files ([`config_files`], found
//! as cargo finds them); which key applies is [`target_rustflags_apply`].
//!
//! A shell pass runs a compiler mcu-build does not know; it gets the same
//! flags, separated by spaces, in [`SHELL_VARIABLE`] and should pass them
//! on for reproducible output (`templates/README.md`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that hands a shell pass the remap flags.
pub const SHELL_VARIABLE: &str = "MCU_BUILD_REMAP_PATH_PREFIX";

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
    /// `--config build.rustflags=[...]` or `--config
    /// target."<triple>".rustflags=[...]`, this argument.
    Config(String),
}

/// Where `flags` go when the environment holds `encoded` and `plain`;
/// `target` is the triple when a `target` table's `rustflags` applies
/// (cargo then ignores `build.rustflags`).
pub fn place(
    flags: &[String],
    encoded: Option<&str>,
    plain: Option<&str>,
    target: Option<&str>,
) -> Placement {
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
            let key = match target {
                Some(triple) => format!(
                    "target.{}.rustflags",
                    toml::Value::String(triple.to_owned())
                ),
                None => "build.rustflags".to_owned(),
            };
            return Placement::Config(format!("{key}=[{list}]"));
        }
    };
    let all: Vec<&str> = given
        .into_iter()
        .chain(flags.iter().map(String::as_str))
        .collect();
    Placement::Encoded(all.join("\x1f"))
}

/// The configuration files cargo reads for a build in `dir`, most
/// specific first: `.cargo/config.toml` (or the older `.cargo/config`,
/// which cargo prefers when both exist) in `dir` and every ancestor, then
/// `config.toml` (or `config`) in cargo's home
/// (<https://doc.rust-lang.org/cargo/reference/config.html#hierarchical-structure>).
pub fn config_files(dir: &Path, cargo_home: Option<&Path>) -> Vec<PathBuf> {
    let pick = |base: PathBuf| {
        [base.join("config"), base.join("config.toml")]
            .into_iter()
            .find(|path| path.is_file())
    };
    let mut files: Vec<PathBuf> = dir
        .ancestors()
        .filter_map(|ancestor| pick(ancestor.join(".cargo")))
        .collect();
    if let Some(home) = cargo_home.and_then(|home| pick(home.to_owned()))
        && !files.contains(&home)
    {
        files.push(home);
    }
    files
}

/// Whether cargo builds for `triple` with `target.<triple>.rustflags` or
/// a matching `target.<cfg>.rustflags` from `configs` (the text of the
/// configuration files) or from `CARGO_TARGET_<TRIPLE>_RUSTFLAGS`
/// (`env_set`). `cfgs` gives the target's configuration (`rustc --print
/// cfg`, lines `name` or `name="value"`), asked only when a `cfg` key is
/// there. A file that is not TOML is left to cargo to report.
pub fn target_rustflags_apply(
    configs: &[String],
    triple: &str,
    env_set: bool,
    cfgs: &mut dyn FnMut() -> Vec<String>,
) -> bool {
    if env_set {
        return true;
    }
    let mut known: Option<Vec<String>> = None;
    for text in configs {
        let Ok(table) = text.parse::<toml::Table>() else {
            continue;
        };
        let Some(targets) = table.get("target").and_then(toml::Value::as_table) else {
            continue;
        };
        for (key, value) in targets {
            if value.get("rustflags").is_none() {
                continue;
            }
            if key == triple {
                return true;
            }
            if key.starts_with("cfg(") {
                let cfgs = known.get_or_insert_with(&mut *cfgs);
                if cfg_key_applies(key, triple, cfgs) {
                    return true;
                }
            }
        }
    }
    false
}

/// Whether the cargo key `cfg(...)` holds for `triple`, parsed with
/// cfg-expr (the predicate grammar of the Rust reference's conditional
/// compilation): `target_*` predicates from cfg-expr's table of built-in
/// targets, other names and `name = "value"` pairs from `cfgs` (rustc's
/// `--print cfg` lines). A key cargo would reject, or a target cfg-expr
/// does not know, does not apply: the remap then goes through
/// `build.rustflags`, which never drops a project's own flags.
fn cfg_key_applies(key: &str, triple: &str, cfgs: &[String]) -> bool {
    use cfg_expr::{Expression, Predicate};
    let Ok(expression) = Expression::parse(key) else {
        return false;
    };
    let builtin = cfg_expr::targets::get_builtin_target_by_triple(triple);
    let has = |line: String| cfgs.contains(&line);
    expression.eval(|predicate| match predicate {
        Predicate::Target(target) => builtin.is_some_and(|info| target.matches(info)),
        Predicate::TargetFeature(feature) => has(format!("target_feature=\"{feature}\"")),
        Predicate::Flag(name) => has((*name).to_owned()),
        Predicate::KeyValue { key, val } => has(format!("{key}=\"{val}\"")),
        Predicate::Test
        | Predicate::DebugAssertions
        | Predicate::ProcMacro
        | Predicate::Feature(_) => false,
    })
}

/// The target configuration rustc reports for `triple` (`rustc --print
/// cfg --target <triple>`), or none if rustc cannot say.
fn rustc_cfgs(triple: &str) -> Vec<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .args(["--print", "cfg", "--target", triple])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The triple whose `target` table's rustflags apply to a cargo build for
/// `triple` in `dir`, or `None` when `build.rustflags` does.
pub fn target_placement<'a>(dir: &Path, triple: &'a str) -> Option<&'a str> {
    let configs: Vec<String> = config_files(dir, cargo_home().as_deref())
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect();
    let variable = format!(
        "CARGO_TARGET_{}_RUSTFLAGS",
        triple.to_uppercase().replace(['-', '.'], "_")
    );
    let env_set = std::env::var_os(variable).is_some();
    target_rustflags_apply(&configs, triple, env_set, &mut || rustc_cfgs(triple)).then_some(triple)
}

/// Adds `flags` to the cargo `command` building for `target` (the
/// triple whose `target` table's rustflags apply, see
/// [`target_placement`]), keeping the flags the environment and
/// configuration already give.
pub fn add_rustflags(command: &mut Command, flags: &[String], target: Option<&str>) {
    let var = |name: &str| std::env::var_os(name).map(OsString::into_string);
    // A value that is not UTF-8 is one cargo itself refuses; it is passed
    // on untouched, and cargo says so.
    let (Ok(encoded), Ok(plain)) = (
        var("CARGO_ENCODED_RUSTFLAGS").transpose(),
        var("RUSTFLAGS").transpose(),
    ) else {
        return;
    };
    match place(flags, encoded.as_deref(), plain.as_deref(), target) {
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
            place(&ours, None, None, None),
            Placement::Config(r#"build.rustflags=["--remap-path-prefix=/a b=."]"#.to_owned())
        );
        assert_eq!(
            place(&ours, None, Some(" -C  opt-level=1 "), None),
            Placement::Encoded("-C\x1fopt-level=1\x1f--remap-path-prefix=/a b=.".to_owned())
        );
        // CARGO_ENCODED_RUSTFLAGS wins over RUSTFLAGS, as in cargo.
        assert_eq!(
            place(&ours, Some("-Cx=a b"), Some("-Cy"), Some("t")),
            Placement::Encoded("-Cx=a b\x1f--remap-path-prefix=/a b=.".to_owned())
        );
        assert_eq!(
            place(&ours, Some(""), None, None),
            Placement::Encoded("--remap-path-prefix=/a b=.".to_owned())
        );
    }

    #[test]
    fn a_target_table_takes_the_flags_when_its_rustflags_apply() {
        let ours = vec!["--remap-path-prefix=/a=.".to_owned()];
        assert_eq!(
            place(&ours, None, None, Some("thumbv7em-none-eabi")),
            Placement::Config(
                r#"target."thumbv7em-none-eabi".rustflags=["--remap-path-prefix=/a=."]"#.to_owned()
            )
        );
    }

    #[test]
    fn target_rustflags_apply_for_the_triple_or_a_matching_cfg() {
        let triple = "thumbv7em-none-eabi";
        let cfgs = || {
            vec![
                "target_arch=\"arm\"".to_owned(),
                "target_os=\"none\"".to_owned(),
                "panic=\"abort\"".to_owned(),
            ]
        };
        let decide = |configs: &[&str], env: bool| {
            let configs: Vec<String> = configs.iter().map(|c| c.to_string()).collect();
            target_rustflags_apply(&configs, triple, env, &mut cfgs.clone())
        };
        let exact =
            "[target.thumbv7em-none-eabi]\nrustflags = [\"-C\", \"force-frame-pointers=yes\"]\n";
        let runner_only = "[target.thumbv7em-none-eabi]\nrunner = \"probe-rs run\"\n";
        let build = "[build]\nrustflags = [\"-Cdebuginfo=2\"]\n";
        let matching = "[target.'cfg(all(target_arch = \"arm\", target_os = \"none\"))']\nrustflags = [\"-Cx\"]\n";
        let other = "[target.'cfg(target_arch = \"riscv32\")']\nrustflags = [\"-Cx\"]\n";
        let other_triple = "[target.thumbv6m-none-eabi]\nrustflags = [\"-Cx\"]\n";
        assert!(decide(&[exact], false));
        assert!(decide(&[build, exact], false));
        assert!(decide(&[matching], false));
        assert!(!decide(&[other], false));
        assert!(!decide(&[other_triple, runner_only, build], false));
        assert!(!decide(&[], false));
        assert!(!decide(&["not toml ["], false));
        assert!(decide(&[], true));
    }

    #[test]
    fn config_files_are_found_as_cargo_finds_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let package = root.join("firmware/kernel");
        std::fs::create_dir_all(package.join(".cargo")).unwrap();
        std::fs::create_dir_all(root.join(".cargo")).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::write(package.join(".cargo/config.toml"), "").unwrap();
        // Both forms in one directory: cargo reads `config`.
        std::fs::write(root.join(".cargo/config"), "").unwrap();
        std::fs::write(root.join(".cargo/config.toml"), "").unwrap();
        std::fs::write(root.join("home/config.toml"), "").unwrap();
        let files = config_files(&package, Some(&root.join("home")));
        let files: Vec<&Path> = files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap())
            .collect();
        assert_eq!(
            files,
            [
                Path::new("firmware/kernel/.cargo/config.toml"),
                Path::new(".cargo/config"),
                Path::new("home/config.toml"),
            ]
        );
    }
}
