//! The NuttX syscall.csv parser against the real file from NuttX, variants
//! of it, and malformed or random input.

use std::path::Path;

use mcu_build::syscall::csv::{self, CsvErrorKind};
use mcu_build::syscall::{Numbering, ParamType, ReturnType};
use proptest::prelude::*;

const REAL_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/testdata/nuttx/syscall.csv"
);

fn real_csv() -> Vec<u8> {
    std::fs::read(REAL_CSV).expect("the shared NuttX test data is present")
}

#[test]
fn reads_all_221_entries_of_the_real_file() {
    let table = csv::read(Path::new(REAL_CSV)).unwrap();
    assert_eq!(table.entries.len(), 221);
    // Every line of the file is an entry, in order.
    let lines = String::from_utf8(real_csv()).unwrap();
    assert_eq!(lines.lines().count(), 221);
    for (entry, line) in table.entries.iter().zip(1..) {
        assert_eq!(entry.line, line);
    }
}

#[test]
fn real_entries_mean_what_nuttx_reads() {
    let table = csv::read(Path::new(REAL_CSV)).unwrap();

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
fn exit_is_numbered_first_after_the_reserved_calls() {
    let table = csv::read(Path::new(REAL_CSV)).unwrap();
    let numbering = Numbering::new(&table, 8).unwrap();
    let numbers: Vec<(u32, &str)> = numbering.iter().map(|(n, s)| (n, &*s.name)).collect();
    assert_eq!(numbers[0], (8, "_exit"));
    assert_eq!(numbers[1], (9, "_assert"));
    assert_eq!(numbers[2], (10, "accept4"));
    assert_eq!(numbers.last(), Some(&(228, "writev")));
    assert_eq!((numbering.count(), numbering.max()), (221, 229));
}

#[test]
fn crlf_comments_and_blank_lines_change_nothing() {
    let original = csv::parse(&real_csv(), Path::new("syscall.csv")).unwrap();
    let text = String::from_utf8(real_csv()).unwrap();
    let mut variant = String::from("# A comment\r\n\r\n   \t\r\n  # indented comment\r\n");
    for line in text.lines() {
        variant.push_str(line);
        variant.push_str("  \r\n\r\n");
    }
    let reparsed = csv::parse(variant.as_bytes(), Path::new("syscall.csv")).unwrap();
    assert_eq!(reparsed.entries.len(), original.entries.len());
    for (a, b) in original.entries.iter().zip(&reparsed.entries) {
        assert_eq!(
            (&a.name, &a.params, &a.returns),
            (&b.name, &b.params, &b.returns)
        );
    }
}

/// The real file with one line replaced, and the error that must follow.
fn error_in_real_file(line_no: usize, replacement: &str) -> csv::CsvError {
    let text = String::from_utf8(real_csv()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line_no { replacement } else { l })
        .collect();
    csv::parse(lines.join("\n").as_bytes(), Path::new("variant.csv")).unwrap_err()
}

#[test]
fn malformed_lines_are_located_and_explained() {
    let err = error_in_real_file(
        5,
        r#""aio_cancel","aio.h","defined(CONFIG_FS_AIO)","int","int","FAR struct aiocb *"#,
    );
    assert_eq!((err.line, err.column), (5, 59));
    assert_eq!(err.kind, CsvErrorKind::UnterminatedField);
    assert_eq!(
        err.to_string(),
        "variant.csv:5:59: expected a closing '\"' before the end of the line"
    );

    let err = error_in_real_file(30, r#""dup","unistd.h","","int","int";"#);
    assert_eq!((err.line, err.column), (30, 32));
    assert!(
        err.to_string()
            .contains("expected ',' or the end of the line")
    );

    let err = error_in_real_file(7, r#""","aio.h","","int","FAR struct aiocb *""#);
    assert_eq!(err.kind, CsvErrorKind::EmptyName);

    let err = error_in_real_file(100, r#""open","fcntl.h","","int","int""#);
    assert_eq!(
        err.to_string(),
        "variant.csv:112:2: expected a new function name, but \"open\" is already defined on line 100"
    );

    let err = error_in_real_file(
        2,
        r#""_exit","unistd.h","","noreturn","int","int","int","int","int","int","int""#,
    );
    assert_eq!((err.line, err.column), (2, 71));
    assert!(
        err.to_string()
            .contains("expected at most 6 parameters (registers r1..r6), found 7 for _exit")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random damage to the real file gives a table or an error, never a panic.
    #[test]
    fn no_panic_on_mutated_input(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = real_csv();
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
