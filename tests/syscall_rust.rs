//! Rust output: golden text, a host round trip of user proxies through
//! `dispatch` into a recording kernel, and builds of both modules for
//! thumbv7em-none-eabi and thumbv8m.main-none-eabi with warnings denied.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{FORMAT_CSV, nuttx_testdata, run};

use mcu_build::syscall::{
    self, GenerateOptions, GeneratedFile, Language, PointerChecks, Side, checks, csv,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/syscall");

fn generate(csv_path: &Path, checks_path: Option<&Path>) -> Vec<GeneratedFile> {
    let table = csv::read(csv_path).unwrap();
    let checks = match checks_path {
        Some(path) => checks::read(path, &table).unwrap(),
        None => PointerChecks::none(),
    };
    let options = GenerateOptions {
        language: Language::Rust,
        side: Side::Both,
        single_file: false,
        reserved: 8,
        source_name: csv_path.file_name().unwrap().to_string_lossy().into_owned(),
    };
    syscall::generate(&table, &checks, &options).unwrap()
}

/// Generates into a fresh directory and copies the test fixtures next to
/// the generated files, which they `include!`.
fn generate_into_temp(csv_path: &Path, checks_path: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    syscall::write_changed(dir.path(), &generate(csv_path, checks_path), |_| false).unwrap();
    for fixture in ["host_round_trip.rs", "target_lib.rs"] {
        std::fs::copy(
            Path::new(DATA).join("rust").join(fixture),
            dir.path().join(fixture),
        )
        .unwrap();
    }
    dir
}

/// rustc, run from the crate so that rust-toolchain.toml picks the
/// toolchain with the ARM targets.
fn rustc() -> Command {
    let mut command = Command::new("rustc");
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--edition", "2024", "-D", "warnings"]);
    command
}

/// Set MCU_BUILD_BLESS=1 to rewrite the golden files after an intended
/// change, then review the diff.
#[test]
fn generated_rust_matches_the_golden_text() {
    let golden_dir = Path::new(DATA).join("rust");
    let files = generate(
        &golden_dir.join("golden.csv"),
        Some(&golden_dir.join("golden-checks.toml")),
    );
    let bless = std::env::var_os("MCU_BUILD_BLESS").is_some();
    for file in &files {
        let golden_path = golden_dir.join(format!("golden_{}", file.name));
        if bless {
            std::fs::write(&golden_path, &file.contents).unwrap();
        }
        let golden = std::fs::read_to_string(&golden_path).unwrap();
        assert_eq!(file.contents, golden, "{} differs from golden", file.name);
    }
    assert_eq!(files.len(), 3);
}

#[test]
fn rust_round_trip_on_the_host() {
    let dir = generate_into_temp(
        &Path::new(DATA).join("roundtrip.csv"),
        Some(&Path::new(DATA).join("roundtrip-checks.toml")),
    );
    let program = dir.path().join("host_round_trip");
    run(rustc()
        .arg("--test")
        .arg(dir.path().join("host_round_trip.rs"))
        .arg("-o")
        .arg(&program));
    let output = run(&mut Command::new(&program));
    assert!(output.contains("test result: ok. 5 passed"), "{output}");
}

fn build_for_targets(dir: &Path) -> Vec<PathBuf> {
    ["thumbv7em-none-eabi", "thumbv8m.main-none-eabi"]
        .iter()
        .map(|target| {
            let asm = dir.join(format!("{target}.s"));
            run(rustc()
                .args(["--crate-type", "lib", "--target", target])
                .args(["-C", "opt-level=2", "-C", "codegen-units=1"])
                .arg(format!("--emit=asm={},link", asm.display()))
                .arg("--out-dir")
                .arg(dir)
                .arg(dir.join("target_lib.rs")));
            asm
        })
        .collect()
}

/// Both modules for the round-trip CSV build for ARMv7E-M and ARMv8-M
/// Mainline; the six-argument trap passes its last argument in r6.
#[test]
fn round_trip_modules_build_for_cortex_m() {
    let dir = generate_into_temp(
        &Path::new(DATA).join("roundtrip.csv"),
        Some(&Path::new(DATA).join("roundtrip-checks.toml")),
    );
    // A caller, so that the inline proxy and its trap are compiled here.
    let lib = dir.path().join("target_lib.rs");
    let mut text = std::fs::read_to_string(&lib).unwrap();
    text.push_str(
        "\n#[inline(never)]\npub fn probe(a: i32) -> i32 {\n    \
         unsafe { user::rt_arity6(a, 2, 3, 4, 5, 6) }\n}\n",
    );
    std::fs::write(&lib, text).unwrap();
    for asm in build_for_targets(dir.path()) {
        let text = std::fs::read_to_string(asm).unwrap();
        assert!(text.contains("svc\t#0"), "no svc in the proxies");
        assert!(text.contains("push\t{r6}") && text.contains("pop\t{r6}"));
    }
}

/// Every form of the format (the fixture) makes valid Rust on both targets.
#[test]
fn format_csv_modules_build_for_cortex_m() {
    let dir = generate_into_temp(Path::new(FORMAT_CSV), None);
    build_for_targets(dir.path());
}

/// All 221 calls of the real NuttX CSV (NUTTX_TESTDATA), with the checks
/// of nuttx-checks.toml, make valid Rust on both targets.
#[test]
fn real_csv_modules_build_for_cortex_m() {
    let Some(real_csv) = nuttx_testdata("syscall.csv") else {
        return;
    };
    let checks_path = Path::new(DATA).join("nuttx-checks.toml");
    let dir = generate_into_temp(&real_csv, Some(&checks_path));
    build_for_targets(dir.path());
}
