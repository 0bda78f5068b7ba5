//! `mcu-build syscalls list` and `syscalls gen` as a user runs them:
//! output, messages and exit codes.

use assert_cmd::Command;
use predicates::prelude::*;

const REAL_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/testdata/nuttx/syscall.csv"
);

fn mcu_build() -> Command {
    Command::cargo_bin("mcu-build").unwrap()
}

#[test]
fn list_numbers_exit_as_8_with_reserved_8() {
    let output = mcu_build()
        .args(["syscalls", "list", "--csv", REAL_CSV, "--reserved", "8"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with(" NR  NAME"), "{header}");
    let first = lines.next().unwrap();
    let cells: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(&cells[..4], ["8", "_exit", "noreturn", "int"]);
    let open = text.lines().find(|l| l.contains(" open ")).unwrap();
    assert!(
        open.contains("FAR const char *, int, ...(mode_t)"),
        "{open}"
    );
    let pipe2 = text.lines().find(|l| l.contains(" pipe2 ")).unwrap();
    assert!(pipe2.ends_with("defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0"));
    assert!(text.ends_with("221 system calls, numbers 8..=228 (SYS_maxsyscall 229)\n"));
}

#[test]
fn list_json_has_every_call_with_its_number() {
    let output = mcu_build()
        .args([
            "syscalls",
            "list",
            "--csv",
            REAL_CSV,
            "--reserved",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["reserved"], 0);
    assert_eq!(json["count"], 221);
    let calls = json["syscalls"].as_array().unwrap();
    assert_eq!(calls.len(), 221);
    assert_eq!(calls[0]["name"], "_exit");
    assert_eq!(calls[0]["number"], 0);
    assert_eq!(calls[0]["condition"], serde_json::Value::Null);
    let prctl = calls.iter().find(|c| c["name"] == "prctl").unwrap();
    assert_eq!(
        prctl["parameters"],
        serde_json::json!(["int", "uintptr_t", "uintptr_t"])
    );
    assert_eq!(prctl["fixed_parameters"], 1);
    for (i, call) in calls.iter().enumerate() {
        assert_eq!(call["number"], i);
    }
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
    generate(REAL_CSV.as_ref()).stderr(format!(
        "221 system calls: wrote 223 of 223 files in {} (0 unchanged)\n",
        out.display()
    ));
    let before = mtimes(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));
    generate(REAL_CSV.as_ref()).stderr(predicate::str::contains("wrote 0 of 223 files"));
    assert_eq!(mtimes(&out), before);
    assert!(
        std::fs::read_to_string(out.join("PROXY_open.c"))
            .unwrap()
            .starts_with(&format!(
                "/* Generated from {REAL_CSV} by mcu-build; do not edit. */\n"
            ))
    );

    // Drop `open` from the CSV: its proxy goes, a hand-written file stays.
    std::fs::write(out.join("PROXY_mine.c"), "int mine;\n").unwrap();
    let csv = dir.path().join("syscall.csv");
    let text = std::fs::read_to_string(REAL_CSV).unwrap();
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
            REAL_CSV,
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
        .args(["syscalls", "gen", "--lang", "rust", "--csv", REAL_CSV])
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
            "syscalls", "gen", "--lang", "c", "--csv", REAL_CSV, "--checks",
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
        .args(["syscalls", "list", "--csv", REAL_CSV, "--reserved", "-1"])
        .assert()
        .code(2);
}

#[test]
fn help_has_examples() {
    for args in [
        &["syscalls", "--help"][..],
        &["syscalls", "gen", "--help"],
        &["syscalls", "list", "--help"],
    ] {
        mcu_build()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"));
    }
}
