//! `syscalls gen` on NuttX's real 221-entry syscall.csv, both sides, C and
//! Rust: into a clean output directory (every file written) and into an
//! up-to-date one (every file read and compared, nothing written). The
//! target is under 50 ms for either; per-file C output creates 447 files,
//! so its clean run is bound by the file system.

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mcu_build::syscall::{self, GenerateOptions, Language, PointerChecks, Side, csv};

const REAL_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/testdata/nuttx/syscall.csv"
);

/// What `mcu-build syscalls gen --csv syscall.csv --lang <language>` does:
/// read and parse the CSV, generate, write what changed.
fn gen_both_sides(language: Language, single_file: bool, out: &Path) -> syscall::WriteSummary {
    let table = csv::read(Path::new(REAL_CSV)).unwrap();
    let options = GenerateOptions {
        language,
        side: Side::Both,
        single_file,
        reserved: 8,
        source_name: REAL_CSV.to_owned(),
    };
    let files = syscall::generate(&table, &PointerChecks::none(), &options).unwrap();
    syscall::write_changed(out, &files, |name| options.may_produce(name)).unwrap()
}

/// A fresh directory under $MCU_BUILD_BENCH_DIR (default: the system's
/// temporary directory), to compare a disk with a tmpfs such as /dev/shm.
fn temp_dir() -> tempfile::TempDir {
    match std::env::var_os("MCU_BUILD_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let variants = [
        (Language::C, false, "c"),
        (Language::C, true, "c --single-file"),
        (Language::Rust, false, "rust"),
    ];
    for (language, single_file, name) in variants {
        c.bench_function(&format!("syscalls gen {name} both, clean dir"), |b| {
            b.iter_batched(
                temp_dir,
                // The directory goes back to criterion, which removes it
                // outside the measured time.
                |dir| {
                    let summary = gen_both_sides(language, single_file, &dir.path().join("out"));
                    (dir, summary)
                },
                BatchSize::PerIteration,
            )
        });
        let dir = temp_dir();
        gen_both_sides(language, single_file, dir.path());
        c.bench_function(&format!("syscalls gen {name} both, up to date"), |b| {
            b.iter(|| {
                let summary = gen_both_sides(language, single_file, dir.path());
                assert_eq!(summary.written, 0);
                black_box(summary)
            })
        });
    }
    c.bench_function("syscalls parse csv", |b| {
        b.iter(|| black_box(csv::read(Path::new(REAL_CSV)).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
