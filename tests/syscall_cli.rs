//! `mcu-build syscalls list` and `syscalls gen` as a user runs them:
//! output, messages and exit codes, on the fixture with every form of the
//! format and on NuttX's real syscall.csv (when NUTTX_TESTDATA names it).
//! A failed `gen` changes no file; `--out` must be a directory.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{FORMAT_CSV, nuttx_testdata};
use predicates::prelude::*;

fn mcu_build() -> Command {
    Command::cargo_bin("mcu-build").unwrap()
}

/// `syscalls list --reserved 8` on `csv`: `_exit` first, the columns, the
/// variadic `open`, `pipe2` with its condition, and the count line.
fn assert_list(csv: &Path, count: u32, pipe2_condition: &str) {
    let output = mcu_build()
        .args(["syscalls", "list", "--reserved", "8", "--csv"])
        .arg(csv)
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    // NR is right-aligned to the widest number.
    assert!(header.trim_start().starts_with("NR  NAME"), "{header}");
    let first = lines.next().unwrap();
    let cells: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(&cells[..4], ["8", "_exit", "noreturn", "int"]);
    let open = text.lines().find(|l| l.contains(" open ")).unwrap();
    assert!(
        open.contains("FAR const char *, int, ...(mode_t)"),
        "{open}"
    );
    let pipe2 = text.lines().find(|l| l.contains(" pipe2 ")).unwrap();
    assert!(pipe2.ends_with(pipe2_condition), "{pipe2}");
    let summary = format!(
        "{count} system calls, numbers 8..={} (SYS_maxsyscall {})\n",
        8 + count - 1,
        8 + count
    );
    assert!(text.ends_with(&summary), "{text}");
}

#[test]
fn list_numbers_exit_as_8_with_reserved_8() {
    assert_list(
        FORMAT_CSV.as_ref(),
        13,
        "defined(CONFIG_PIPES) && CONFIG_PIPE_SIZE > 0",
    );
}

#[test]
fn list_of_the_real_csv_numbers_its_221_calls_from_8() {
    let Some(csv) = nuttx_testdata("syscall.csv") else {
        return;
    };
    assert_list(
        &csv,
        221,
        "defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0",
    );
}

/// `syscalls list --reserved 0 --json` on `csv`: every call numbered in
/// order from 0, `_exit` first, and `variadic` with its parameters.
fn assert_list_json(csv: &Path, count: usize, variadic: (&str, serde_json::Value, usize)) {
    let output = mcu_build()
        .args(["syscalls", "list", "--reserved", "0", "--json", "--csv"])
        .arg(csv)
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["reserved"], 0);
    assert_eq!(json["count"], count);
    let calls = json["syscalls"].as_array().unwrap();
    assert_eq!(calls.len(), count);
    assert_eq!(calls[0]["name"], "_exit");
    assert_eq!(calls[0]["number"], 0);
    assert_eq!(calls[0]["condition"], serde_json::Value::Null);
    let (name, parameters, fixed) = variadic;
    let call = calls.iter().find(|c| c["name"] == name).unwrap();
    assert_eq!(call["parameters"], parameters);
    assert_eq!(call["fixed_parameters"], fixed);
    for (i, call) in calls.iter().enumerate() {
        assert_eq!(call["number"], i);
    }
}

#[test]
fn list_json_has_every_call_with_its_number() {
    assert_list_json(
        FORMAT_CSV.as_ref(),
        13,
        (
            "devctl",
            serde_json::json!(["int", "int", "unsigned long", "FAR void *"]),
            2,
        ),
    );
}

#[test]
fn list_json_of_the_real_csv_has_its_221_calls() {
    let Some(csv) = nuttx_testdata("syscall.csv") else {
        return;
    };
    assert_list_json(
        &csv,
        221,
        (
            "prctl",
            serde_json::json!(["int", "uintptr_t", "uintptr_t"]),
            1,
        ),
    );
}

#[test]
fn a_malformed_csv_fails_with_its_place_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "\"close\",\"unistd.h\",\"\",\"int\",\"int\"\n\"read\",\"unistd.h\"\n",
    )
    .unwrap();
    mcu_build()
        .args(["syscalls", "list", "--csv"])
        .arg(&csv)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}:2:18: expected at least 4 fields (name, header, condition, return type), found 2",
            csv.display()
        )));
}

#[test]
fn a_missing_csv_is_an_error_naming_it() {
    mcu_build()
        .args(["syscalls", "list", "--csv", "/nonexistent/syscall.csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "cannot read /nonexistent/syscall.csv",
        ));
}

/// Modification times of the files in `dir`, by name.
fn mtimes(dir: &std::path::Path) -> Vec<(String, std::time::SystemTime)> {
    let mut times: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            (name, e.metadata().unwrap().modified().unwrap())
        })
        .collect();
    times.sort();
    times
}

#[test]
fn gen_rewrites_nothing_when_nothing_changed_and_removes_stale_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("proxies");
    let generate = |csv: &std::path::Path| {
        mcu_build()
            .args([
                "syscalls", "gen", "--lang", "c", "--side", "proxies", "--csv",
            ])
            .arg(csv)
            .arg("--out")
            .arg(&out)
            .assert()
            .success()
    };
    // A proxy per call, syscall_numbers.h and syscall_svc.h.
    generate(FORMAT_CSV.as_ref()).stderr(format!(
        "13 system calls: wrote 15 of 15 files in {} (0 unchanged)\n",
        out.display()
    ));
    let before = mtimes(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));
    generate(FORMAT_CSV.as_ref()).stderr(predicate::str::contains("wrote 0 of 15 files"));
    assert_eq!(mtimes(&out), before);
    assert!(
        std::fs::read_to_string(out.join("PROXY_open.c"))
            .unwrap()
            .starts_with(&format!(
                "/* Generated from {FORMAT_CSV} by mcu-build; do not edit. */\n"
            ))
    );

    // Drop `open` from the CSV: its proxy goes, a hand-written file stays.
    std::fs::write(out.join("PROXY_mine.c"), "int mine;\n").unwrap();
    let csv = dir.path().join("syscall.csv");
    let text = std::fs::read_to_string(FORMAT_CSV).unwrap();
    let without_open: String = text
        .lines()
        .filter(|l| !l.starts_with("\"open\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&csv, without_open).unwrap();
    generate(&csv).stderr(predicate::str::contains("removed 1 stale"));
    assert!(!out.join("PROXY_open.c").exists());
    assert!(out.join("PROXY_mine.c").exists());
}

#[test]
fn single_file_is_for_c_only() {
    let dir = tempfile::tempdir().unwrap();
    mcu_build()
        .args([
            "syscalls",
            "gen",
            "--lang",
            "rust",
            "--single-file",
            "--csv",
            FORMAT_CSV,
        ])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--single-file is for --lang c"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn gen_rust_writes_the_three_modules() {
    let dir = tempfile::tempdir().unwrap();
    mcu_build()
        .args(["syscalls", "gen", "--lang", "rust", "--csv", FORMAT_CSV])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote 3 of 3 files"));
    for name in ["syscall_numbers.rs", "syscall_user.rs", "syscall_kernel.rs"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.starts_with("// Generated from "), "{name}");
    }
}

#[test]
fn a_bad_checks_file_fails_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("checks.toml");
    std::fs::write(&checks, "[read]\nparm1 = { out = 4 }\n").unwrap();
    mcu_build()
        .args([
            "syscalls", "gen", "--lang", "c", "--csv", FORMAT_CSV, "--checks",
        ])
        .arg(&checks)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}:2:9: expected a pointer parameter, but parm1 of read has type \"int\"",
            checks.display()
        )));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn usage_errors_exit_2() {
    mcu_build().args(["syscalls", "list"]).assert().code(2);
    mcu_build()
        .args(["syscalls", "list", "--csv", FORMAT_CSV, "--reserved", "-1"])
        .assert()
        .code(2);
}

#[test]
fn help_has_examples() {
    for args in [
        &["syscalls", "--help"][..],
        &["syscalls", "gen", "--help"],
        &["syscalls", "list", "--help"],
        &["syscalls", "check", "--help"],
    ] {
        mcu_build()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"));
    }
}

/// Every name in `dir` with its bytes (`None` for a directory) and
/// modification time.
fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>, std::time::SystemTime)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let modified = path.metadata().unwrap().modified().unwrap();
            (name, std::fs::read(&path).ok(), modified)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_failed_gen_leaves_every_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let generate = |csv: &Path| {
        let mut command = mcu_build();
        command
            .args(["syscalls", "gen", "--lang", "c", "--csv"])
            .arg(csv)
            .arg("--out")
            .arg(&out);
        command
    };
    generate(FORMAT_CSV.as_ref()).assert().success();
    // Drop `open` (its proxy and stub become stale) and add `zzz_new`
    // (every number table changes), whose proxy cannot be written.
    let csv = dir.path().join("syscall.csv");
    let text = std::fs::read_to_string(FORMAT_CSV).unwrap();
    let mut changed: String = text
        .lines()
        .filter(|l| !l.starts_with("\"open\""))
        .map(|l| format!("{l}\n"))
        .collect();
    changed.push_str("\"zzz_new\",\"unistd.h\",\"\",\"int\",\"int\"\n");
    std::fs::write(&csv, changed).unwrap();
    std::fs::create_dir(out.join("PROXY_zzz_new.c")).unwrap();
    let before = snapshot(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));

    generate(&csv).assert().code(1).stderr(format!(
        "error: cannot write {}: it is a directory; mcu-build writes generated files as regular files\n",
        out.join("PROXY_zzz_new.c").display()
    ));
    assert_eq!(snapshot(&out), before);

    // Once it can be written, everything changes together.
    std::fs::remove_dir(out.join("PROXY_zzz_new.c")).unwrap();
    generate(&csv)
        .assert()
        .success()
        .stderr(predicate::str::contains("removed 2 stale"));
    let numbers = std::fs::read_to_string(out.join("syscall_numbers.h")).unwrap();
    assert!(numbers.contains("SYS_zzz_new"));
    assert!(!out.join("PROXY_open.c").exists());
}

#[test]
fn gen_out_must_be_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.csv");
    std::fs::write(&file, "kept").unwrap();
    let link = dir.path().join("dangling");
    std::os::unix::fs::symlink("missing", &link).unwrap();
    for out in [&file, &link] {
        mcu_build()
            .args(["syscalls", "gen", "--lang", "c", "--csv", FORMAT_CSV])
            .arg("--out")
            .arg(out)
            .assert()
            .code(1)
            .stderr(format!(
                "error: {} exists and is not a directory\n",
                out.display()
            ));
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"kept");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// The tester's cases: `asm` (a GNU C keyword, which arm-none-eabi-gcc
/// refuses in its default mode) and `maxsyscall` with `--lang rust` (the
/// CSV serves both languages, so the clash names the language that
/// defines the identifier without suggesting it is the current output).
/// Both fail with exit code 1 and write nothing.
#[test]
fn gen_refuses_gnu_keywords_and_generated_names_for_either_language() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "\"asm\",\"x.h\",\"\",\"int\",\"int\"\n",
            "expected a function name, found the GNU C keyword \"asm\"",
        ),
        (
            "\"maxsyscall\",\"x.h\",\"\",\"int\"\n",
            "`maxsyscall` would define SYS_maxsyscall, which mcu-build's generated C defines itself",
        ),
    ];
    let csv = dir.path().join("s.csv");
    let out = dir.path().join("out");
    for (text, message) in cases {
        std::fs::write(&csv, text).unwrap();
        mcu_build()
            .args(["syscalls", "gen", "--lang", "rust", "--csv"])
            .arg(&csv)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1)
            .stderr(format!("error: {}:1:2: {message}\n", csv.display()));
        assert!(!out.exists());
    }
}
