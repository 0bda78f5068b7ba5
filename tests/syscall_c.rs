//! C output: the numbers and tables for the fixture with every form of the
//! format; golden text for real NuttX entries (when NUTTX_TESTDATA names
//! NuttX's syscall.csv); and a real round trip through proxies, the stub
//! lookup table and stubs compiled with the host `cc`, plus a warning-free
//! build for Cortex-M4 with `arm-none-eabi-gcc`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{FORMAT_CSV, nuttx_testdata, run};

use mcu_build::syscall::{
    self, GenerateOptions, GeneratedFile, Language, PointerChecks, Side, checks, csv,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/syscall");

/// Generates C for `csv_path` as `mcu-build syscalls gen --lang c` would,
/// with the banner naming the file by its base name.
fn generate(csv_path: &Path, checks_path: Option<&Path>, single_file: bool) -> Vec<GeneratedFile> {
    let table = csv::read(csv_path).unwrap();
    let checks = match checks_path {
        Some(path) => checks::read(path, &table).unwrap(),
        None => PointerChecks::none(),
    };
    let options = GenerateOptions {
        language: Language::C,
        side: Side::Both,
        single_file,
        reserved: 8,
        source_name: csv_path.file_name().unwrap().to_string_lossy().into_owned(),
    };
    syscall::generate(&table, &checks, &options).unwrap()
}

fn file<'a>(files: &'a [GeneratedFile], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} was not generated"))
        .contents
}

/// The exact text NuttX's mksyscall gives these entries (its first line
/// aside), kept in tests/data/syscall/golden/c. Set MCU_BUILD_BLESS=1 to
/// rewrite them after an intended change, then review the diff.
#[test]
fn proxies_and_stubs_of_real_entries_match_the_golden_text() {
    let Some(real_csv) = nuttx_testdata("syscall.csv") else {
        return;
    };
    let files = generate(&real_csv, None, false);
    let golden_dir = Path::new(DATA).join("golden/c");
    let bless = std::env::var_os("MCU_BUILD_BLESS").is_some();
    let mut mismatches = Vec::new();
    for name in [
        "open",
        "_exit",
        "pipe2",
        "sigqueue",
        "task_create",
        "nx_vsyslog",
        "fcntl",
        "prctl",
    ] {
        for kind in ["PROXY", "STUB"] {
            let file_name = format!("{kind}_{name}.c");
            let generated = file(&files, &file_name);
            let golden_path = golden_dir.join(&file_name);
            if bless {
                std::fs::write(&golden_path, generated).unwrap();
            }
            let golden = std::fs::read_to_string(&golden_path).unwrap();
            if generated != golden {
                mismatches.push(format!("{file_name}:\n{generated}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "differs from golden:\n{}",
        mismatches.join("\n")
    );
}

/// Stubs as current NuttX `tools/mksyscall.c` (`generate_stub()`) writes
/// them, for the fixture's union, variadic and void-like entries: after
/// the banner, the `CONFIG_ARCH_TOOLCHAIN_TASKING` include of `<string.h>`;
/// a union rebuilt into `_parmN` (by `memcpy` for the Tasking compiler,
/// which cannot cast to a union, else by a cast through the member's
/// type); optional arguments taken as plain registers. Always runs; the
/// same text for NuttX's own CSV is in the golden files above.
#[test]
fn stubs_follow_mksyscall_for_unions_and_optional_arguments() {
    let files = generate(Path::new(FORMAT_CSV), None, false);
    let head = |header: &str| {
        format!(
            "/* Generated from format.csv by mcu-build; do not edit. */\n\n\
             #include <nuttx/config.h>\n#include <stdint.h>\n\
             #ifdef CONFIG_ARCH_TOOLCHAIN_TASKING\n#include <string.h>\n#endif\n\
             #include <{header}>\n\n"
        )
    };
    assert_eq!(
        file(&files, "STUB_sigqueue.c"),
        head("signal.h")
            + "#if !defined(CONFIG_DISABLE_SIGNALS)\n\n\
               uintptr_t STUB_sigqueue(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3)\n\
               {\n\
               \x20 union sigval _parm3;\n\
               #ifdef CONFIG_ARCH_TOOLCHAIN_TASKING\n\
               \x20 memcpy((FAR void *)&_parm3, (FAR void *)&parm3,\n\
               \x20        sizeof(uintptr_t));\n\
               #else\n\
               \x20 _parm3 = (union sigval)((FAR void *)parm3);\n\
               #endif\n\
               \x20 return (uintptr_t)sigqueue((int)parm1, (int)parm2, _parm3);\n\
               }\n\n\
               #endif /* !defined(CONFIG_DISABLE_SIGNALS) */\n"
    );
    assert_eq!(
        file(&files, "STUB_open.c"),
        head("fcntl.h")
            + "uintptr_t STUB_open(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3)\n\
               {\n\
               \x20 return (uintptr_t)open((FAR const char *)parm1, (int)parm2, (mode_t)parm3);\n\
               }\n"
    );
    // noreturn: no value goes back, and nothing follows the call.
    assert_eq!(
        file(&files, "STUB__exit.c"),
        head("unistd.h")
            + "uintptr_t STUB__exit(int nbr, uintptr_t parm1)\n{\n  _exit((int)parm1);\n}\n"
    );
    // void: the stub answers 0 (OK).
    assert_eq!(
        file(&files, "STUB_sched_yield.c"),
        head("sched.h")
            + "uintptr_t STUB_sched_yield(int nbr)\n{\n  sched_yield();\n  return 0;\n}\n"
    );
}

/// Stubs of real entries with the checks of nuttx-checks.toml: a buffer
/// whose length is another argument, and strings.
#[test]
fn checked_stubs_of_real_entries_match_the_golden_text() {
    let Some(real_csv) = nuttx_testdata("syscall.csv") else {
        return;
    };
    let checks_path = Path::new(DATA).join("nuttx-checks.toml");
    let files = generate(&real_csv, Some(&checks_path), false);
    let golden_dir = Path::new(DATA).join("golden/c/checked");
    let bless = std::env::var_os("MCU_BUILD_BLESS").is_some();
    for file_name in ["STUB_read.c", "STUB_readlink.c", "STUB_mount.c"] {
        let generated = file(&files, file_name);
        if bless {
            std::fs::write(golden_dir.join(file_name), generated).unwrap();
        }
        let golden = std::fs::read_to_string(golden_dir.join(file_name)).unwrap();
        assert_eq!(generated, golden, "{file_name} differs from golden");
    }
    // Unchecked stubs keep NuttX's text exactly.
    assert!(!file(&files, "STUB_close.c").contains("syscall_checks.h"));
}

/// What the numbers header and the stub and name tables of `csv` must
/// hold: `first` numbered 8, 9, 10, `last` numbered last, the entry
/// `conditional` under its `#if` with an `-ENOSYS` stand-in, and `mmap`
/// declared with six parameters.
fn assert_numbers_and_tables(csv: &Path, first: [&str; 3], last: &str, conditional: (&str, &str)) {
    let count = csv::read(csv).unwrap().entries.len();
    let files = generate(csv, None, false);
    let numbers = file(&files, "syscall_numbers.h");
    let source = csv.file_name().unwrap().to_str().unwrap();
    assert!(numbers.starts_with(&format!(
        "/* Generated from {source} by mcu-build; do not edit. */\n"
    )));
    let [a, b, c] = first;
    assert!(numbers.contains(&format!(
        "\n  SYS_{a} = 8,\n  SYS_{b} = 9,\n  SYS_{c} = 10,\n"
    )));
    let max = 8 + count;
    assert!(numbers.contains(&format!(
        "\n  SYS_{last} = {},\n  SYS_maxsyscall = {max}\n}};\n",
        max - 1
    )));
    assert!(numbers.contains("#define SYS_nsyscalls (SYS_maxsyscall - 8)\n"));
    assert!(numbers.contains("#if defined(CONFIG_SYS_RESERVED) && CONFIG_SYS_RESERVED != 8\n"));

    let lookup = file(&files, "syscall_stublookup.c");
    let entries: Vec<&str> = lookup
        .lines()
        .skip_while(|l| !l.starts_with("const uintptr_t g_stublookup"))
        .filter(|l| l.starts_with("  (uintptr_t)STUB_"))
        .collect();
    assert_eq!(entries.len(), count);
    assert_eq!(entries[0], format!("  (uintptr_t)STUB_{a},"));
    let (name, condition) = conditional;
    assert!(lookup.contains(&format!(
        "#if {condition}\n  (uintptr_t)STUB_{name},\n#else\n  (uintptr_t)syscall_stub_enosys,\n#endif\n"
    )));
    assert!(lookup.contains(
        "uintptr_t STUB_mmap(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3, uintptr_t parm4, uintptr_t parm5, uintptr_t parm6);\n"
    ));

    let names = file(&files, "syscall_names.c");
    assert!(names.contains(&format!("{{\n  \"{a}\",\n  \"{b}\",\n  \"{c}\",\n")));
    assert_eq!(names.matches("\",\n").count(), count);
}

#[test]
fn numbers_and_tables_come_from_the_same_numbering() {
    assert_numbers_and_tables(
        FORMAT_CSV.as_ref(),
        ["_exit", "close", "sched_yield"],
        "mmap",
        ("pipe2", "defined(CONFIG_PIPES) && CONFIG_PIPE_SIZE > 0"),
    );
}

#[test]
fn numbers_and_tables_of_the_real_csv() {
    let Some(real_csv) = nuttx_testdata("syscall.csv") else {
        return;
    };
    assert_numbers_and_tables(
        &real_csv,
        ["_exit", "_assert", "accept4"],
        "writev",
        ("pipe2", "defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0"),
    );
}

#[test]
fn generation_is_deterministic_and_single_file_holds_the_same_code() {
    let csv = Path::new(FORMAT_CSV);
    let files = generate(csv, None, false);
    assert_eq!(files, generate(csv, None, false));
    // syscall_numbers.h, syscall_svc.h, the lookup and names tables, the
    // checks header, and a proxy and a stub per entry.
    assert_eq!(files.len(), 5 + 2 * 13);

    let single = generate(csv, None, true);
    let names: Vec<&str> = single.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "syscall_numbers.h",
            "syscall_svc.h",
            "syscall_proxies.c",
            "syscall_stublookup.c",
            "syscall_names.c",
            "syscall_checks.h",
            "syscall_stubs.c"
        ]
    );
    let banner = "/* Generated from format.csv by mcu-build; do not edit. */\n";
    for (kind, single_name) in [
        ("PROXY_", "syscall_proxies.c"),
        ("STUB_", "syscall_stubs.c"),
    ] {
        let joined: String = files
            .iter()
            .filter(|f| f.name.starts_with(kind))
            .map(|f| f.contents.strip_prefix(banner).unwrap())
            .collect();
        assert_eq!(file(&single, single_name), format!("{banner}{joined}"));
    }
}

/// Writes the round-trip files into a fresh temporary directory.
fn generate_round_trip(single_file: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = dir.path().join("gen");
    let files = generate(
        &Path::new(DATA).join("roundtrip.csv"),
        Some(&Path::new(DATA).join("roundtrip-checks.toml")),
        single_file,
    );
    syscall::write_changed(&gen_dir, &files, |_| false).unwrap();
    (dir, gen_dir)
}

fn c_files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".c")
        })
        .collect();
    files.sort();
    files
}

/// User side (proxies and main.c) and kernel side (stubs, tables and the
/// real functions) linked into one host program, which checks that every
/// call arrives with its arguments and returns its value, and that bad
/// pointers are refused with -EFAULT before the real function runs.
#[test]
fn c_round_trip_on_the_host() {
    for single_file in [false, true] {
        let (dir, gen_dir) = generate_round_trip(single_file);
        let (proxy_prefix, stub_prefix) = if single_file {
            ("syscall_proxies", "syscall_stubs")
        } else {
            ("PROXY_", "STUB_")
        };
        let harness = Path::new(DATA).join("c");
        let flags = |cmd: &mut Command| {
            cmd.args(["-std=gnu11", "-Wall", "-Werror"])
                .arg("-I")
                .arg(harness.join("include"))
                .arg("-I")
                .arg(&harness)
                .arg("-I")
                .arg(&gen_dir);
        };
        let user_dir = dir.path().join("user");
        std::fs::create_dir(&user_dir).unwrap();
        let mut user = Command::new("cc");
        flags(&mut user);
        user.current_dir(&user_dir)
            .arg("-include")
            .arg(harness.join("include/user_names.h"))
            .arg("-c")
            .args(c_files(&gen_dir, proxy_prefix))
            .arg(harness.join("main.c"));
        run(&mut user);

        let program = dir.path().join("roundtrip");
        let mut kernel = Command::new("cc");
        flags(&mut kernel);
        kernel
            .args(c_files(&gen_dir, stub_prefix))
            .arg(gen_dir.join("syscall_stublookup.c"))
            .arg(gen_dir.join("syscall_names.c"))
            .arg(harness.join("kernel.c"))
            .args(
                std::fs::read_dir(&user_dir)
                    .unwrap()
                    .map(|e| e.unwrap().path()),
            )
            .arg("-o")
            .arg(&program);
        run(&mut kernel);

        let output = run(&mut Command::new(&program));
        assert_eq!(output, "C round trip: all checks passed\n");
    }
}

/// The same generated files, proxies with the generated `svc` traps, build
/// for Cortex-M4 with every warning an error.
#[test]
fn generated_c_compiles_for_cortex_m4_without_warnings() {
    for single_file in [false, true] {
        let (dir, gen_dir) = generate_round_trip(single_file);
        let mut arm = Command::new("arm-none-eabi-gcc");
        arm.current_dir(dir.path())
            .args(["-mcpu=cortex-m4", "-mthumb", "-Wall", "-Werror", "-c"])
            .arg("-I")
            .arg(Path::new(DATA).join("c/include"))
            .arg("-I")
            .arg(&gen_dir)
            .args(c_files(&gen_dir, ""));
        run(&mut arm);
        let objects = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("o".as_ref()))
            .count();
        assert_eq!(objects, c_files(&gen_dir, "").len());
    }
}
