//! Numbering as NuttX does, by `include/sys/syscall_lookup.h` under a
//! `.config`, and `syscalls check`:
//!
//! - on our own lookup file (tests/data/syscall/lookup/syscall_lookup.h,
//!   with every construct the evaluator takes) and two configurations of
//!   our own, through the library and the CLI (`list`, `gen`, `check`);
//! - refusals, each naming the file, line, column and expression;
//! - with NUTTX_TESTDATA: NuttX's real syscall_lookup.h and syscall.csv
//!   under the options two real builds had (the fixtures
//!   `lm3s6965-ek-qemu-kostest.config` and `mps2-an500-knsh.config` list
//!   the lookup file's options with those builds' values), whose numbers
//!   were checked against what arm-none-eabi-gcc assigned in those builds;
//!   the drift between the real files; and the real defconfigs.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::nuttx_testdata;
use predicates::prelude::*;

use mcu_build::nuttx::kconfig::Kconfig;
use mcu_build::syscall::{LookupFile, Numbering, csv};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/syscall/lookup");

fn data(name: &str) -> PathBuf {
    Path::new(DATA).join(name)
}

fn mcu_build() -> Command {
    Command::cargo_bin("mcu-build").unwrap()
}

/// (number, name) of every call `config` keeps, by the library.
fn numbers(csv_path: &Path, lookup_path: &Path, config_path: &Path) -> Vec<(u32, String)> {
    let table = csv::read(csv_path).unwrap();
    let lookup = LookupFile::read(lookup_path).unwrap();
    let config = Kconfig::read(config_path).unwrap();
    let numbering = Numbering::from_lookup(&table, &lookup, &config, 8).unwrap();
    numbering
        .iter()
        .map(|(n, s)| (n, s.name.to_string()))
        .collect()
}

fn named(list: &[(u32, &str)]) -> Vec<(u32, String)> {
    list.iter().map(|(n, s)| (*n, (*s).to_owned())).collect()
}

#[test]
fn our_lookup_file_numbers_each_configuration_as_the_preprocessor_would() {
    let (csv_path, lookup) = (data("syscall.csv"), data("syscall_lookup.h"));
    assert_eq!(
        numbers(&csv_path, &lookup, &data("flat.config")),
        named(&[
            (8, "_exit"),
            (9, "getpid"),
            (10, "getppid"),
            (11, "getenv"),
            (12, "up_fork"),
            (13, "pipe2"),
            (14, "task_create"),
            (15, "prctl"),
            (16, "nx_vsyslog"),
            (17, "write"),
        ])
    );
    assert_eq!(
        numbers(&csv_path, &lookup, &data("kernel.config")),
        named(&[
            (8, "_exit"),
            (9, "getpid"),
            (10, "up_fork"),
            (11, "pgalloc"),
            (12, "write")
        ])
    );
    // The #else branch: a kernel build whose pages are not 4096 bytes.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".config");
    let kernel = std::fs::read_to_string(data("kernel.config")).unwrap();
    std::fs::write(&config, kernel.replace("0x1000", "2048")).unwrap();
    assert_eq!(
        numbers(&csv_path, &lookup, &config),
        named(&[
            (8, "_exit"),
            (9, "getpid"),
            (10, "up_fork"),
            (11, "pgfree"),
            (12, "write")
        ])
    );
}

/// `syscalls list` of the fixture's CSV and lookup file under `config`.
fn list_under(config: &Path) -> Command {
    let mut command = mcu_build();
    command
        .args(["syscalls", "list", "--csv"])
        .arg(data("syscall.csv"))
        .arg("--lookup")
        .arg(data("syscall_lookup.h"))
        .arg("--config")
        .arg(config);
    command
}

#[test]
fn list_shows_nuttx_numbers_and_says_where_they_come_from() {
    let output = list_under(&data("kernel.config"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["count"], 5);
    assert_eq!(json["syscalls"][4]["name"], "write");
    assert_eq!(json["syscalls"][4]["number"], 12);
    assert!(
        json["lookup"]
            .as_str()
            .unwrap()
            .ends_with("syscall_lookup.h")
    );

    list_under(&data("flat.config"))
        .assert()
        .success()
        .stdout(predicate::str::contains("10 system calls, numbers 8..=17"))
        .stdout(predicate::str::contains("numbered as NuttX does:"));
    // --lookup without --config is a usage error.
    mcu_build()
        .args(["syscalls", "list", "--csv"])
        .arg(data("syscall.csv"))
        .arg("--lookup")
        .arg(data("syscall_lookup.h"))
        .assert()
        .code(2);
}

#[test]
fn gen_writes_only_the_kept_calls_with_nuttx_numbers() {
    let dir = tempfile::tempdir().unwrap();
    for lang in ["c", "rust"] {
        mcu_build()
            .args(["syscalls", "gen", "--lang", lang, "--csv"])
            .arg(data("syscall.csv"))
            .arg("--lookup")
            .arg(data("syscall_lookup.h"))
            .arg("--config")
            .arg(data("kernel.config"))
            .arg("--out")
            .arg(dir.path().join(lang))
            .assert()
            .success()
            .stderr(predicate::str::contains("5 system calls"));
    }
    let c = dir.path().join("c");
    let numbers = std::fs::read_to_string(c.join("syscall_numbers.h")).unwrap();
    assert!(numbers.contains("  SYS_pgalloc = 11,\n  SYS_write = 12,\n  SYS_maxsyscall = 13\n"));
    assert!(numbers.contains("as NuttX's"), "{numbers}");
    assert!(!numbers.contains("SYS_getenv"));
    assert!(c.join("STUB_pgalloc.c").is_file());
    assert!(!c.join("STUB_getenv.c").exists());
    assert!(!c.join("PROXY_prctl.c").exists());
    let lookup = std::fs::read_to_string(c.join("syscall_stublookup.c")).unwrap();
    let order: Vec<&str> = lookup
        .lines()
        .filter_map(|l| l.trim().strip_prefix("(uintptr_t)STUB_"))
        .collect();
    assert_eq!(
        order,
        ["_exit,", "getpid,", "up_fork,", "pgalloc,", "write,"]
    );
    let rust = std::fs::read_to_string(dir.path().join("rust/syscall_numbers.rs")).unwrap();
    assert!(rust.contains("pub const SYS_write: u32 = 12;"), "{rust}");
}

/// The lookup file at `text`, with `syscall.csv` of the fixture, run
/// through `syscalls list` with `config`: the error line.
fn list_error(text: &str, config: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lookup.h"), text).unwrap();
    // A built .config (CONFIG_APPS_DIR), so that no warning precedes the
    // error.
    std::fs::write(
        dir.path().join(".config"),
        format!("{config}\nCONFIG_APPS_DIR=\"../apps\"\n"),
    )
    .unwrap();
    let output = mcu_build()
        .current_dir(dir.path())
        .args([
            "syscalls", "list", "--lookup", "lookup.h", "--config", ".config", "--csv",
        ])
        .arg(data("syscall.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{text}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn what_cannot_be_evaluated_is_refused_at_its_place() {
    let start = "SYSCALL_LOOKUP1(_exit, 1)\n";
    let cases = [
        (
            "#if CONFIG_N > 0u\n#endif\n",
            "CONFIG_N=1\n",
            "error: lookup.h:2:16: in `#if CONFIG_N > 0u`: expected a signed integer constant such as 8, 0x20 or 010, found `0u`",
        ),
        (
            "#if CONFIG_SYS_RESERVED == 8\n#endif\n",
            "",
            "error: lookup.h:2:5: in `#if CONFIG_SYS_RESERVED == 8`: cannot tell the value of CONFIG_SYS_RESERVED: NuttX's headers define it",
        ),
        (
            "#  ifdef __KERNEL__\n#endif\n",
            "",
            "error: lookup.h:2:10: in `#ifdef __KERNEL__`: cannot tell whether __KERNEL__ is defined: it is not a configuration option",
        ),
        (
            "#if CONFIG_ARCH == 1\n#endif\n",
            "CONFIG_ARCH=\"arm\"\n",
            "error: lookup.h:2:5: in `#if CONFIG_ARCH == 1`: CONFIG_ARCH is the string \"arm\", which has no value in an #if",
        ),
        (
            "#include <nuttx/config.h>\n",
            "",
            "error: lookup.h:2:1: expected #if, #ifdef, #ifndef, #elif, #else or #endif, found #include",
        ),
        (
            "  SYSCALL_LOOKUP(write 3)\n",
            "",
            "error: lookup.h:2:25: expected `, nparms` after the name",
        ),
        (
            "#ifdef CONFIG_A\n",
            "",
            "error: lookup.h:2:1: this #if has no #endif",
        ),
        ("#endif\n", "", "error: lookup.h:2:1: #endif without #if"),
        (
            "SYSCALL_LOOKUP( write,  9)\n",
            "",
            "error: lookup.h:2:25: expected a parameter count from 0 to 6, found `9`",
        ),
        (
            "#ifdef A B\n#endif\n",
            "",
            "error: lookup.h:2:8: in `#ifdef A B`: expected one macro name, found `A B`",
        ),
        (
            "#if 1\n#else\n#elif 1\n#endif\n",
            "",
            "error: lookup.h:4:1: expected #endif after #else, found #elif",
        ),
    ];
    for (line, config, expected) in cases {
        let stderr = list_error(&format!("{start}{line}"), config);
        assert!(stderr.starts_with(expected), "{line}: {stderr}");
    }
}

#[test]
fn a_condition_in_a_skipped_group_is_not_evaluated() {
    // As the preprocessor: the unsigned constant is never looked at.
    let dir = tempfile::tempdir().unwrap();
    let lookup = dir.path().join("lookup.h");
    std::fs::write(
        &lookup,
        "SYSCALL_LOOKUP1(_exit, 1)\n#ifdef CONFIG_OFF\n#if CONFIG_N > 0u\n#endif\n#elif 1\nSYSCALL_LOOKUP(write, 3)\n#endif\n",
    )
    .unwrap();
    let config = dir.path().join(".config");
    std::fs::write(&config, "").unwrap();
    assert_eq!(
        numbers(&data("syscall.csv"), &lookup, &config),
        named(&[(8, "_exit"), (9, "write")])
    );
}

#[test]
fn kept_entries_that_would_not_compile_in_nuttx_are_refused() {
    let cases = [
        (
            "SYSCALL_LOOKUP(getpid, 0)\n",
            "lookup.h:1:1: `getpid`: the first call .config keeps must be SYSCALL_LOOKUP1, which gives it CONFIG_SYS_RESERVED",
        ),
        (
            "SYSCALL_LOOKUP1(_exit, 1)\nSYSCALL_LOOKUP1(getpid, 0)\n",
            "lookup.h:2:1: `getpid`: SYSCALL_LOOKUP1 must be the first call .config keeps, not call 2",
        ),
        (
            "SYSCALL_LOOKUP1(_exit, 1)\nSYSCALL_LOOKUP(_exit, 1)\n",
            "lookup.h:2:1: `_exit`: _exit is kept a second time (first at line 1)",
        ),
        (
            "SYSCALL_LOOKUP1(_exit, 1)\n  SYSCALL_LOOKUP(gettid, 0)\n",
            "lookup.h:2:3: `gettid`: .config keeps gettid, which the CSV does not have",
        ),
    ];
    let table = csv::read(&data("syscall.csv")).unwrap();
    let config = Kconfig::parse("", Path::new(".config")).unwrap();
    for (text, expected) in cases {
        let lookup = LookupFile::parse(text, Path::new("lookup.h")).unwrap();
        let error = Numbering::from_lookup(&table, &lookup, &config, 8).unwrap_err();
        assert_eq!(error.to_string(), expected);
    }
}

/// `syscalls check` on `csv_path` and `lookup_path` with `--json`: exit
/// code and report.
fn check(csv_path: &Path, lookup_path: &Path) -> (Option<i32>, serde_json::Value) {
    let output = mcu_build()
        .args(["syscalls", "check", "--json", "--csv"])
        .arg(csv_path)
        .arg("--lookup")
        .arg(lookup_path)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output.status.code(), json)
}

#[test]
fn check_passes_our_consistent_files_and_reports_each_drift() {
    let (csv_path, lookup) = (data("syscall.csv"), data("syscall_lookup.h"));
    let (code, json) = check(&csv_path, &lookup);
    assert_eq!(code, Some(0));
    assert_eq!(json["consistent"], true);

    let dir = tempfile::tempdir().unwrap();
    let drifted = dir.path().join("syscall.csv");
    let text = std::fs::read_to_string(&csv_path)
        .unwrap()
        .replace(
            "!defined(CONFIG_DISABLE_ENVIRON)",
            "defined(CONFIG_ENVIRON)",
        )
        .replace("\"size_t\"", "\"size_t\",\"int\"")
        + "\"gettid\",\"unistd.h\",\"\",\"pid_t\"\n";
    std::fs::write(&drifted, text).unwrap();
    let (code, json) = check(&drifted, &lookup);
    assert_eq!(code, Some(1));
    let drift = json["drift"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = drift
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("condition", "getenv"),
            ("param_count", "write"),
            ("only_in_csv", "gettid")
        ]
    );
    assert_eq!(drift[0]["comparison"], "semantic");
    assert_eq!(
        drift[0]["lookup_condition"],
        "!defined(CONFIG_DISABLE_ENVIRON)"
    );
    assert_eq!(
        (
            drift[1]["csv_params"].as_u64(),
            drift[1]["lookup_params"].as_u64()
        ),
        (Some(4), Some(3))
    );

    // A lookup file that does not parse: exit 2, with its place.
    let broken = dir.path().join("lookup.h");
    std::fs::write(&broken, "SYSCALL_LOOKUP1(_exit, 1)\n#define X 1\n").unwrap();
    mcu_build()
        .args(["syscalls", "check", "--csv"])
        .arg(&csv_path)
        .arg("--lookup")
        .arg(&broken)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "lookup.h:2:1: expected #if, #ifdef, #ifndef, #elif, #else or #endif, found #define",
        ));
}

/// NuttX's real syscall.csv and syscall_lookup.h, or `None` after one
/// line saying what is skipped.
fn real_files() -> Option<(PathBuf, PathBuf)> {
    let csv = nuttx_testdata("syscall.csv")?;
    Some((csv, nuttx_testdata("syscall_lookup.h")?))
}

/// NuttX's real files with the options of a real build: the figures that
/// build's compiler gave (`SYS_write`, the first and last call,
/// `SYS_maxsyscall`).
fn assert_real_numbering(config: &str, count: usize, last: (u32, &str)) {
    let Some((real_csv, real_lookup)) = real_files() else {
        return;
    };
    let numbers = numbers(&real_csv, &real_lookup, &data(config));
    assert_eq!(numbers.len(), count);
    assert_eq!(numbers[0], (8, "_exit".to_owned()));
    assert!(numbers.contains(&(65, "write".to_owned())));
    assert_eq!(numbers.last(), Some(&(last.0, last.1.to_owned())));
}

#[test]
fn real_lookup_numbers_as_the_lm3s6965_kostest_build_did() {
    assert_real_numbering("lm3s6965-ek-qemu-kostest.config", 128, (135, "signal"));
}

#[test]
fn real_lookup_numbers_as_the_mps2_an500_knsh_build_did() {
    assert_real_numbering("mps2-an500-knsh.config", 140, (147, "signal"));
}

#[test]
fn real_files_drift_where_nuttx_drifted() {
    let Some((real_csv, real_lookup)) = real_files() else {
        return;
    };
    let (code, json) = check(&real_csv, &real_lookup);
    assert_eq!(code, Some(1));
    let kinds: Vec<(&str, &str)> = json["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["name"].as_str().unwrap()))
        .collect();
    // apache/nuttx 4ebc8a7291df: exec and prctl have an optional parameter
    // the lookup file does not count; nx_vsyslog and setsockopt are under
    // other conditions in the two files.
    assert_eq!(
        kinds,
        [
            ("param_count", "exec"),
            ("condition", "nx_vsyslog"),
            ("param_count", "prctl"),
            ("condition", "setsockopt"),
        ]
    );
}

/// A defconfig lists only the options that differ from their Kconfig
/// defaults, so an option that defaults to `y` (CONFIG_ENABLE_ALL_SIGNALS,
/// CONFIG_SYSLOG) reads as unset and its calls get no number: the numbers
/// of a defconfig are not those of the build made from it, which the
/// built `.config` gives. What a defconfig does say holds: the calls
/// outside any `#if`, and those of the options it sets.
#[test]
fn a_defconfig_numbers_only_what_it_says() {
    let Some((real_csv, real_lookup)) = real_files() else {
        return;
    };
    for defconfig in [
        "stm32f4discovery-kostest.defconfig",
        "lm3s6965-ek-qemu-kostest.defconfig",
    ] {
        let Some(path) = nuttx_testdata(defconfig) else {
            return;
        };
        let numbers = numbers(&real_csv, &real_lookup, &path);
        let has = |name: &str| numbers.iter().any(|(_, n)| n == name);
        assert_eq!(
            numbers[..3],
            named(&[(8, "_exit"), (9, "_assert"), (10, "prctl")])[..],
            "{defconfig}"
        );
        // CONFIG_SCHED_WAITPID=y and CONFIG_DISABLE_ENVIRON=y are in both.
        assert!(has("waitpid") && !has("getenv"), "{defconfig}");
        // CONFIG_ENABLE_ALL_SIGNALS defaults to y and is not written.
        assert!(!has("sigaction") && !has("signal"), "{defconfig}");
        // So 123 calls, where the lm3s6965 build made from the first had
        // 128, and write is 61 where that build's compiler gave 65.
        assert_eq!(numbers.len(), 123, "{defconfig}");
        assert!(numbers.contains(&(61, "write".to_owned())), "{defconfig}");
    }
}

/// A defconfig given as --config numbers the calls (they are its
/// options), with a warning that a built .config may number differently.
#[test]
fn a_defconfig_as_config_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let defconfig = dir.path().join("defconfig");
    let built = std::fs::read_to_string(data("kernel.config")).unwrap();
    std::fs::write(
        &defconfig,
        built.replace("CONFIG_APPS_DIR=\"../apps\"\n", ""),
    )
    .unwrap();
    let list = |config: &Path| list_under(config).assert().success();
    list(&defconfig).stderr(predicate::str::contains(format!(
        "warning: {}: sets neither CONFIG_APPS_DIR nor CONFIG_BASE_DEFCONFIG, so it is a \
         defconfig, not a built .config",
        defconfig.display()
    )));
    list(&data("kernel.config")).stderr("");
}
