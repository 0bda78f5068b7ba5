//! `syscalls gen`, both sides, C and Rust: into a clean output directory
//! (every file written) and into an up-to-date one (every file read and
//! compared, nothing written), and the CSV parse alone. Always on the
//! 13-entry fixture (tests/data/syscall/format.csv); on NuttX's real
//! 221-entry syscall.csv too when NUTTX_TESTDATA names its directory. The
//! target for the real file is under 50 ms for either run; per-file C output
//! creates 447 files, so its clean run is bound by the file system.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mcu_build::syscall::{self, GenerateOptions, Language, PointerChecks, Side, csv};

#[path = "../tests/common/mod.rs"]
mod common;

/// What `mcu-build syscalls gen --csv <csv> --lang <language>` does: read
/// and parse the CSV, generate, write what changed.
fn gen_both_sides(
    csv_path: &Path,
    language: Language,
    single_file: bool,
    out: &Path,
) -> syscall::WriteSummary {
    let table = csv::read(csv_path).unwrap();
    let options = GenerateOptions {
        language,
        side: Side::Both,
        single_file,
        reserved: 8,
        source_name: csv_path.display().to_string(),
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
    let mut inputs = vec![PathBuf::from(common::FORMAT_CSV)];
    inputs.extend(common::nuttx_testdata("syscall.csv"));
    for csv_path in &inputs {
        bench_csv(c, csv_path);
    }
}

/// The benchmarks on one CSV, named after its file.
fn bench_csv(c: &mut Criterion, csv_path: &Path) {
    let file = csv_path.file_name().unwrap().to_string_lossy();
    let variants = [
        (Language::C, false, "c"),
        (Language::C, true, "c --single-file"),
        (Language::Rust, false, "rust"),
    ];
    for (language, single_file, name) in variants {
        c.bench_function(
            &format!("{file}: syscalls gen {name} both, clean dir"),
            |b| {
                b.iter_batched(
                    temp_dir,
                    // The directory goes back to criterion, which removes it
                    // outside the measured time.
                    |dir| {
                        let out = dir.path().join("out");
                        let summary = gen_both_sides(csv_path, language, single_file, &out);
                        (dir, summary)
                    },
                    BatchSize::PerIteration,
                )
            },
        );
        let dir = temp_dir();
        gen_both_sides(csv_path, language, single_file, dir.path());
        c.bench_function(
            &format!("{file}: syscalls gen {name} both, up to date"),
            |b| {
                b.iter(|| {
                    let summary = gen_both_sides(csv_path, language, single_file, dir.path());
                    assert_eq!(summary.written, 0);
                    black_box(summary)
                })
            },
        );
    }
    c.bench_function(&format!("{file}: syscalls parse csv"), |b| {
        b.iter(|| black_box(csv::read(csv_path).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
