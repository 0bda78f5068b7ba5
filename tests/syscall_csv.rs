//! The NuttX syscall.csv parser: on the fixture that has every form of the
//! format, on NuttX's real file (when NUTTX_TESTDATA names it), on variants
//! of both, and on malformed or random input.

mod common;

use std::path::Path;

use common::{FORMAT_CSV, nuttx_testdata};
use mcu_build::syscall::csv::{self, CsvErrorKind};
use mcu_build::syscall::{Numbering, ParamType, ReturnType, SyscallTable};
use proptest::prelude::*;

fn format_csv() -> Vec<u8> {
    std::fs::read(FORMAT_CSV).unwrap()
}

fn format_table() -> SyscallTable {
    csv::read(Path::new(FORMAT_CSV)).unwrap()
}

fn plain(text: &str) -> ParamType {
    ParamType::Plain(text.into())
}

#[test]
fn every_form_of_the_format_reads_as_nuttx_reads_it() {
    let table = format_table();
    let names_and_lines: Vec<(&str, usize)> = table
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.line))
        .collect();
    // Comments (one indented) and blank lines (one of spaces and a tab) are
    // skipped, and every entry keeps its own line number.
    assert_eq!(
        names_and_lines,
        [
            ("close", 5),
            ("_exit", 6),
            ("sched_yield", 9),
            ("read", 10),
            ("open", 11),
            ("devctl", 12),
            ("log_printf", 13),
            ("nanosleep", 14),
            ("wait_info", 15),
            ("pipe2", 16),
            ("sigqueue", 17),
            ("on_exit", 18),
            ("mmap", 19),
        ]
    );

    let close = table.get("close").unwrap();
    assert_eq!(close.header, "unistd.h");
    assert_eq!(close.condition, "");
    assert_eq!(close.returns, ReturnType::Value("int".into()));
    assert_eq!(close.prototype(), "int close(int)");

    assert_eq!(table.get("_exit").unwrap().returns, ReturnType::NoReturn);
    let sched_yield = table.get("sched_yield").unwrap();
    assert_eq!(sched_yield.returns, ReturnType::Void);
    assert_eq!(sched_yield.prototype(), "void sched_yield(void)");

    // `...` and the types of the optional arguments after it.
    let open = table.get("open").unwrap();
    assert_eq!((open.fixed_params, open.params.len()), (2, 3));
    assert_eq!(open.optional_params()[0].csv, "mode_t");
    assert_eq!(open.prototype(), "int open(FAR const char *, int, ...)");
    let devctl = table.get("devctl").unwrap();
    let optional: Vec<&str> = devctl
        .optional_params()
        .iter()
        .map(|p| p.csv.as_str())
        .collect();
    assert_eq!(
        (devctl.fixed_params, optional),
        (2, vec!["unsigned long", "FAR void *"])
    );
    // `...` with no types: NuttX's proxy reads uintptr_t into every
    // register left, up to six arguments.
    let log_printf = table.get("log_printf").unwrap();
    assert_eq!(log_printf.header, "", "no header to include");
    assert_eq!(log_printf.fixed_params, 1);
    assert_eq!(
        log_printf
            .optional_params()
            .iter()
            .map(|p| &p.kind)
            .collect::<Vec<_>>(),
        vec![&plain("uintptr_t"); 5]
    );

    // Spaces around commas are outside the fields, spaces inside belong to it.
    let nanosleep = table.get("nanosleep").unwrap();
    assert_eq!(nanosleep.header, "time.h");
    assert_eq!(nanosleep.returns, ReturnType::Value("int".into()));
    assert_eq!(
        (
            nanosleep.params[0].csv.as_str(),
            nanosleep.params[1].csv.as_str()
        ),
        ("FAR const struct timespec *", "FAR struct timespec *")
    );
    let wait_info = table.get("wait_info").unwrap();
    assert_eq!(wait_info.params[2].csv, " FAR siginfo_t *");
    assert_eq!(wait_info.condition, "defined(CONFIG_SCHED_WAITPID)");

    // The CRLF line: the `\r` belongs to no field.
    let pipe2 = table.get("pipe2").unwrap();
    assert_eq!(
        pipe2.condition,
        "defined(CONFIG_PIPES) && CONFIG_PIPE_SIZE > 0"
    );
    assert_eq!(
        pipe2.params[0].kind,
        ParamType::Array {
            formal: "int [2]".into(),
            actual: "FAR int *".into()
        }
    );
    assert_eq!(pipe2.params[1].kind, plain("int"));

    assert_eq!(
        table.get("sigqueue").unwrap().params[2].kind,
        ParamType::Union {
            union_type: "union sigval".into(),
            member_type: "FAR void *".into(),
            member: "sival_ptr".into()
        }
    );
    assert_eq!(
        table.get("on_exit").unwrap().params[0].kind,
        ParamType::FunctionPointer("CODE void (*)(int, FAR void *)".into())
    );

    let mmap = table.get("mmap").unwrap();
    assert_eq!(mmap.returns, ReturnType::Value("FAR void *".into()));
    assert_eq!((mmap.fixed_params, mmap.params.len()), (6, 6));
    assert_eq!(mmap.params[5].kind, plain("off_t"));
}

/// `_exit` takes the first number whatever its place in the file; the
/// others follow in file order.
fn assert_numbering(table: &SyscallTable, first: [&str; 3], last: &str) {
    let numbering = Numbering::new(table, 8).unwrap();
    let numbers: Vec<(u32, &str)> = numbering.iter().map(|(n, s)| (n, &*s.name)).collect();
    assert_eq!(numbers[..3], [(8, first[0]), (9, first[1]), (10, first[2])]);
    let count = table.entries.len() as u32;
    assert_eq!(numbers.last(), Some(&(8 + count - 1, last)));
    assert_eq!((numbering.count(), numbering.max()), (count, 8 + count));
}

#[test]
fn exit_is_numbered_first_after_the_reserved_calls() {
    let table = format_table();
    assert_eq!(table.entries[1].name, "_exit", "second in the file");
    assert_numbering(&table, ["_exit", "close", "sched_yield"], "mmap");
}

/// Adds comments, blank lines, CRLF line ends and trailing blanks around
/// every line of `bytes` and checks that the entries stay the same.
fn assert_layout_changes_nothing(bytes: &[u8]) {
    let original = csv::parse(bytes, Path::new("syscall.csv")).unwrap();
    let text = std::str::from_utf8(bytes).unwrap();
    let mut variant = String::from("# A comment\r\n\r\n   \t\r\n  # indented comment\r\n");
    for line in text.lines() {
        variant.push_str(line);
        variant.push_str("  \r\n\r\n");
    }
    let reparsed = csv::parse(variant.as_bytes(), Path::new("syscall.csv")).unwrap();
    assert_eq!(reparsed.entries.len(), original.entries.len());
    for (a, b) in original.entries.iter().zip(&reparsed.entries) {
        assert_eq!(
            (&a.name, &a.header, &a.condition, &a.returns, &a.params),
            (&b.name, &b.header, &b.condition, &b.returns, &b.params)
        );
    }
}

#[test]
fn crlf_comments_and_blank_lines_change_nothing() {
    let bytes = format_csv();
    // The fixture itself has one CRLF line (16), so the plain parse above
    // already crossed one.
    let crlf_lines: Vec<usize> = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| line.ends_with(b"\r"))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(crlf_lines, [16]);
    assert_layout_changes_nothing(&bytes);
}

/// The fixture with one line replaced, and the error that must follow.
fn error_in_fixture(line_no: usize, replacement: &str) -> csv::CsvError {
    let text = String::from_utf8(format_csv()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line_no { replacement } else { l })
        .collect();
    csv::parse(lines.join("\n").as_bytes(), Path::new("variant.csv")).unwrap_err()
}

#[test]
fn malformed_lines_are_located_and_explained() {
    let err = error_in_fixture(
        10,
        r#""read","unistd.h","","ssize_t","int","FAR void *","size_t"#,
    );
    assert_eq!((err.line, err.column), (10, 51));
    assert_eq!(err.kind, CsvErrorKind::UnterminatedField);
    assert_eq!(
        err.to_string(),
        "variant.csv:10:51: expected a closing '\"' before the end of the line"
    );

    let err = error_in_fixture(5, r#""close","unistd.h","","int","int";"#);
    assert_eq!((err.line, err.column), (5, 34));
    assert!(
        err.to_string()
            .contains("expected ',' or the end of the line")
    );

    let err = error_in_fixture(9, r#""","sched.h","","void""#);
    assert_eq!(err.kind, CsvErrorKind::EmptyName);

    let err = error_in_fixture(6, r#""open","fcntl.h","","int","int""#);
    assert_eq!(
        err.to_string(),
        "variant.csv:11:2: expected a new function name, but \"open\" is already defined on line 6"
    );

    let err = error_in_fixture(
        19,
        r#""mmap","sys/mman.h","","FAR void *","FAR void *","size_t","int","int","int","off_t","int""#,
    );
    assert_eq!((err.line, err.column), (19, 86));
    assert!(
        err.to_string()
            .contains("expected at most 6 parameters (registers r1..r6), found 7 for mmap")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random damage to the fixture gives a table or an error, never a panic.
    #[test]
    fn no_panic_on_mutated_input(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = format_csv();
        for (index, byte) in edits {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = csv::parse(&bytes, Path::new("fuzz.csv"));
    }

    #[test]
    fn no_panic_on_arbitrary_lines(text in "[\"a-z ,.|()*\\[\\]#\r\n]{0,200}") {
        let _ = csv::parse(text.as_bytes(), Path::new("fuzz.csv"));
    }
}

// NuttX's real syscall.csv (NUTTX_TESTDATA): skipped, saying so, without it.

#[test]
fn reads_all_221_entries_of_the_real_file() {
    let Some(path) = nuttx_testdata("syscall.csv") else {
        return;
    };
    let table = csv::read(&path).unwrap();
    assert_eq!(table.entries.len(), 221);
    // Every line of the file is an entry, in order.
    let lines = std::fs::read_to_string(&path).unwrap();
    assert_eq!(lines.lines().count(), 221);
    for (entry, line) in table.entries.iter().zip(1..) {
        assert_eq!(entry.line, line);
    }
}

#[test]
fn real_entries_mean_what_nuttx_reads() {
    let Some(path) = nuttx_testdata("syscall.csv") else {
        return;
    };
    let table = csv::read(&path).unwrap();

    let exit = table.get("_exit").unwrap();
    assert_eq!(exit.returns, ReturnType::NoReturn);
    assert_eq!(exit.header, "unistd.h");
    assert_eq!(exit.condition, "");

    let open = table.get("open").unwrap();
    assert_eq!((open.fixed_params, open.params.len()), (2, 3));
    assert_eq!(open.optional_params()[0].csv, "mode_t");

    // `prctl(int, ...)` with two optional uintptr_t, three in all (NuttX's
    // hand-written syscall_lookup.h says 2).
    let prctl = table.get("prctl").unwrap();
    assert_eq!((prctl.fixed_params, prctl.params.len()), (1, 3));

    let pipe2 = table.get("pipe2").unwrap();
    assert_eq!(
        pipe2.params[0].kind,
        ParamType::Array {
            formal: "int [2]".into(),
            actual: "FAR int *".into()
        }
    );
    assert_eq!(
        pipe2.condition,
        "defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0"
    );

    let sigqueue = table.get("sigqueue").unwrap();
    assert_eq!(
        sigqueue.params[2].kind,
        ParamType::Union {
            union_type: "union sigval".into(),
            member_type: "FAR void *".into(),
            member: "sival_ptr".into()
        }
    );

    // Spaces around commas are outside the field, spaces inside belong to it.
    let clock_nanosleep = table.get("clock_nanosleep").unwrap();
    assert_eq!(clock_nanosleep.params[3].csv, "FAR struct timespec *");
    let pgalloc = table.get("pgalloc").unwrap();
    assert_eq!(pgalloc.header, "nuttx/arch.h");
    assert_eq!(pgalloc.returns, ReturnType::Value("uintptr_t".into()));
    let waitid = table.get("waitid").unwrap();
    assert_eq!(waitid.params[2].csv, " FAR siginfo_t *");

    // `exec` has five parameters in the CSV (syscall_lookup.h says 4).
    assert_eq!(table.get("exec").unwrap().params.len(), 5);
    assert_eq!(table.get("sched_lock").unwrap().returns, ReturnType::Void);
}

#[test]
fn real_exit_is_numbered_first_after_the_reserved_calls() {
    let Some(path) = nuttx_testdata("syscall.csv") else {
        return;
    };
    let table = csv::read(&path).unwrap();
    assert_numbering(&table, ["_exit", "_assert", "accept4"], "writev");
    assert_eq!(table.entries.len(), 221);
}

#[test]
fn real_file_with_crlf_comments_and_blank_lines_is_the_same() {
    let Some(path) = nuttx_testdata("syscall.csv") else {
        return;
    };
    assert_layout_changes_nothing(&std::fs::read(path).unwrap());
}

/// Names whose generated identifiers clash are refused at the later name,
/// naming the identifier and the other line; the generated code would not
/// compile otherwise.
#[test]
fn names_that_derive_the_same_or_a_generated_identifier_are_refused() {
    let cases: [(&str, &str); 8] = [
        (
            "\"_exit\",\"unistd.h\",\"\",\"noreturn\",\"int\"\n  \"maxsyscall\",\"x.h\",\"\",\"int\"\n",
            "t.csv:2:4: `maxsyscall` would define SYS_maxsyscall, which mcu-build's generated C defines itself",
        ),
        (
            "\"nsyscalls\",\"x.h\",\"\",\"int\"\n",
            "t.csv:1:2: `nsyscalls` would define SYS_nsyscalls, which mcu-build's generated C defines itself",
        ),
        (
            "\"reserved\",\"x.h\",\"\",\"int\"\n",
            "t.csv:1:2: `reserved` would define SYS_reserved, which mcu-build's generated Rust defines itself",
        ),
        (
            "\"sys_call1\",\"x.h\",\"\",\"int\"\n",
            "t.csv:1:2: `sys_call1` would define sys_call1, which mcu-build's generated C defines itself",
        ),
        (
            "\"user_string_ok\",\"x.h\",\"\",\"int\"\n",
            "t.csv:1:2: `user_string_ok` would define user_string_ok, which mcu-build's generated Rust defines itself",
        ),
        (
            "\"super\",\"x.h\",\"\",\"int\"\n\"read\",\"x.h\",\"\",\"int\"\n\"super_\",\"x.h\",\"\",\"int\"\n",
            "t.csv:3:2: `super_` and `super` (line 1) both become the Rust name `super_`",
        ),
        (
            "\"__\",\"x.h\",\"\",\"int\"\n\"_\",\"x.h\",\"\",\"int\"\n",
            "t.csv:2:2: `_` and `__` (line 1) both become the Rust name `__`",
        ),
        (
            "\"open\",\"x.h\",\"\",\"int\"\n\"STUB_open\",\"x.h\",\"\",\"int\"\n",
            "t.csv:2:2: `STUB_open` and `open` (line 1) both become the C name `STUB_open`",
        ),
    ];
    for (text, expected) in cases {
        let error = csv::parse(text.as_bytes(), Path::new("t.csv")).unwrap_err();
        assert_eq!(error.to_string(), expected, "{text}");
    }
}

/// Names that only look alike stay accepted: raw identifiers keep Rust
/// keywords apart, and NuttX's own names derive nothing generated.
#[test]
fn names_that_derive_distinct_identifiers_are_accepted() {
    let text = "\"yield\",\"x.h\",\"\",\"int\"\n\"self\",\"x.h\",\"\",\"int\"\n\"write\",\"x.h\",\"\",\"int\"\n\"sys_call\",\"x.h\",\"\",\"int\"\n";
    let table = csv::parse(text.as_bytes(), Path::new("t.csv")).unwrap();
    assert_eq!(table.entries.len(), 4);
    format_table();
    if let Some(nuttx) = nuttx_testdata("syscall.csv") {
        csv::read(&nuttx).unwrap();
    }
}

fn name_error(name: &str) -> String {
    let text = format!("\"{name}\",\"x.h\",\"\",\"int\",\"int\"\n");
    csv::parse(text.as_bytes(), Path::new("t.csv"))
        .unwrap_err()
        .to_string()
}

/// arm-none-eabi-gcc compiles NuttX as GNU C, whose keywords (`asm`,
/// `__attribute__`...) and built-in names cannot name a function, and the
/// headers every generated C file includes define `FAR`, `NULL`, `OK`...
/// as macros: all are refused where the CSV names them.
#[test]
fn gnu_c_keywords_and_header_macros_are_refused_as_names() {
    for keyword in [
        "asm",
        "__asm__",
        "__attribute__",
        "__extension__",
        "__inline__",
        "__volatile__",
        "__restrict__",
        "__alignof__",
        "__label__",
        "__builtin_va_list",
        "__int128",
        "__typeof__",
    ] {
        assert_eq!(
            name_error(keyword),
            format!("t.csv:1:2: expected a function name, found the GNU C keyword \"{keyword}\"")
        );
    }
    for name in [
        "FAR",
        "CODE",
        "NULL",
        "OK",
        "ERROR",
        "errno",
        "va_arg",
        "uintptr_t",
    ] {
        assert_eq!(
            name_error(name),
            format!(
                "t.csv:1:2: expected a function name, found \"{name}\", a macro or type defined \
                 by the NuttX and C library headers that mcu-build's generated C includes"
            )
        );
    }
    // Near misses stay valid: NuttX has calls with a leading underscore.
    let table = csv::parse(
        b"\"far\",\"x.h\",\"\",\"int\"\n\"asm_\",\"x.h\",\"\",\"int\"\n\"_asm\",\"x.h\",\"\",\"int\"\n",
        Path::new("t.csv"),
    )
    .unwrap();
    assert_eq!(table.entries.len(), 3);
}

/// Every word of the GNU C keyword list is one GCC refuses as a function
/// name: `int NAME(int parm1);` does not compile under arm-none-eabi-gcc
/// (default GNU C mode), while the near misses `_Nonnull` and
/// `__builtin_expect` do (so a compile failure is the name's, not the
/// setup's). Words that GCC 14 and 15 added are checked only by newer GCCs.
#[test]
fn every_gnu_c_keyword_fails_to_compile_as_a_function_name() {
    let compiles = |name: &str| -> Option<bool> {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("t.c");
        std::fs::write(&source, format!("int {name}(int parm1);\n")).unwrap();
        let status = std::process::Command::new("arm-none-eabi-gcc")
            .args(["-c", "-o"])
            .arg(dir.path().join("t.o"))
            .arg(&source)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        Some(status.success())
    };
    let Some(true) = compiles("_Nonnull") else {
        println!("skipped: arm-none-eabi-gcc is not installed");
        return;
    };
    assert_eq!(compiles("__builtin_expect"), Some(true));
    let newer = |name: &str| {
        name.starts_with("__builtin_stdc_")
            || name.starts_with("__typeof_unqual")
            || ["__builtin_counted_by_ref", "__builtin_c23_va_start"].contains(&name)
    };
    for name in mcu_build::syscall::model::GNU_C_KEYWORDS {
        if !newer(name) {
            assert_eq!(compiles(name), Some(false), "{name}");
        }
    }
}
