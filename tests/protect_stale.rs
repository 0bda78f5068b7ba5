//! A stale artifact never passes for a fresh one: `pass1` and `pass2`
//! remove every output made from what they replace, and `run` refuses an
//! image whose build.json no longer matches its inputs unless forced.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `mcu-build ARGS` in `dir`.
fn mcu_build(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("mcu-build runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// mcu-build.toml building the bundled firmware with `user_heap`.
fn config(user_heap: &str) -> String {
    config_for(
        "board = \"qemu-mps2-an386\"",
        &format!("user-heap = \"{user_heap}\""),
    )
}

/// mcu-build.toml building the bundled firmware for `board` (its key and
/// value) with the `[layout]` lines `layout`.
fn config_for(board: &str, layout: &str) -> String {
    let root = repository();
    format!(
        "{board}\n[layout]\n{layout}\n\
         [syscalls]\ncsv = {:?}\nchecks = {:?}\n\
         [pass1]\ncargo = {:?}\nbin = \"user\"\n[pass2]\ncargo = {:?}\nbin = \"kernel\"\n",
        root.join("firmware/abi/syscall.csv"),
        root.join("firmware/abi/syscall-checks.toml"),
        root.join("firmware/userspace"),
        root.join("firmware/kernel")
    )
}

fn succeeds(dir: &Path, args: &[&str]) -> Output {
    let output = mcu_build(dir, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    output
}

#[test]
fn passes_remove_later_outputs_and_run_refuses_a_stale_image() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = root.join("target/mcu-build/qemu-mps2-an386");
    let exists = |names: &[&str]| -> Vec<bool> {
        names.iter().map(|name| out.join(name).exists()).collect()
    };
    let later = ["combined.hex", "combined.bin", "combined.elf", "build.json"];
    fs::write(root.join("mcu-build.toml"), config("32K")).unwrap();
    succeeds(root, &["protect"]);
    assert_eq!(exists(&later), [true; 4]);

    // Pass 2 alone: the kernel is rebuilt, the merged outputs are gone.
    succeeds(root, &["pass2"]);
    assert_eq!(exists(&["user.elf", "kernel.elf"]), [true, true]);
    assert_eq!(exists(&later), [false; 4]);

    // The reproducer: a new layout, pass1 && pass2 && run.
    succeeds(root, &["protect"]);
    fs::write(root.join("mcu-build.toml"), config("16K")).unwrap();
    succeeds(root, &["pass1"]);
    assert_eq!(exists(&["kernel.elf", "kernel.hex"]), [false, false]);
    assert_eq!(exists(&later), [false; 4]);
    succeeds(root, &["pass2"]);
    let run = mcu_build(root, &["run"]);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{message}");
    assert!(
        message.contains("combined.hex does not exist: run `mcu-build protect` first"),
        "{message}"
    );

    // build.json notices an input changed after the image was made.
    succeeds(root, &["protect"]);
    let edited = format!("{}# edited\n", config("16K"));
    fs::write(root.join("mcu-build.toml"), edited).unwrap();
    let run = mcu_build(root, &["run"]);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{message}");
    let expected = "refusing to run:\n  up to date: the image is stale: mcu-build.toml changed \
                    since the build; run `mcu-build protect` again";
    assert!(message.contains(expected), "{message}");
    let forced = mcu_build(root, &["run", "--force"]);
    let message = stderr(&forced);
    assert_eq!(forced.status.code(), Some(0), "{message}");
    assert!(
        message.contains("warning: up to date: the image is stale: mcu-build.toml changed"),
        "{message}"
    );
}

#[test]
fn the_board_file_and_the_plan_are_part_of_what_an_image_was_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = root.join("target/mcu-build/qemu-mps2-an386");
    let bundled =
        fs::read_to_string(repository().join("src/board/boards/qemu-mps2-an386.toml")).unwrap();
    fs::write(root.join("an386.toml"), &bundled).unwrap();
    let board = "board-file = \"an386.toml\"";
    fs::write(root.join("mcu-build.toml"), config_for(board, "")).unwrap();
    succeeds(root, &["protect"]);

    // The board file is an input: editing it makes the image stale.
    fs::write(root.join("an386.toml"), format!("{bundled}# edited\n")).unwrap();
    let run = mcu_build(root, &["run"]);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{message}");
    assert!(
        message.contains("up to date: the image is stale: an386.toml changed since"),
        "{message}"
    );
    fs::write(root.join("an386.toml"), &bundled).unwrap();

    // Another configuration that differs only in [layout]: another plan.
    fs::write(
        root.join("other.toml"),
        config_for(board, "kernel-flash = \"128K\""),
    )
    .unwrap();
    let run = mcu_build(root, &["run", "--config", "other.toml"]);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{message}");
    assert!(
        message.contains(
            "same plan: the image was built for another plan: kernel-flash \
             0x00000000..0x00040000 then, 0x00000000..0x00020000 now, user-flash \
             0x00040000..0x00080000 then, 0x00020000..0x00060000 now"
        ),
        "{message}"
    );

    // pass2 alone on the new plan: user.elf is of the old one. Nothing of
    // the old kernel stays behind, and the error says what to run.
    fs::write(
        root.join("mcu-build.toml"),
        config_for(board, "kernel-flash = \"128K\""),
    )
    .unwrap();
    let pass2 = mcu_build(root, &["pass2"]);
    let message = stderr(&pass2);
    assert_eq!(pass2.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!(
            "{} was built for another plan: its data starts at 0x00040000, but user-flash \
             starts at 0x00020000 now; run `mcu-build pass1` first",
            out.join("user.elf").display()
        )),
        "{message}"
    );
    for name in ["kernel.elf", "kernel.hex", "combined.hex", "build.json"] {
        assert!(!out.join(name).exists(), "{name} was left behind");
    }
}

#[test]
fn pass2_and_run_refuse_what_was_built_from_another_syscall_table_or_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = root.join("target/mcu-build/qemu-mps2-an386");
    let user_elf = out.join("user.elf");
    let table = fs::read_to_string(repository().join("firmware/abi/syscall.csv")).unwrap();
    let mut lines: Vec<&str> = table.lines().collect();
    fs::write(root.join("syscall.csv"), &table).unwrap();
    // The bundled table, but named relative to the project root.
    let project = |layout: &str| {
        config_for("board = \"qemu-mps2-an386\"", layout).replace(
            &format!("{:?}", repository().join("firmware/abi/syscall.csv")),
            "\"syscall.csv\"",
        )
    };
    fs::write(root.join("mcu-build.toml"), project("")).unwrap();
    succeeds(root, &["pass1"]);
    assert!(out.join("pass1.json").is_file());

    // The reproducer: lines 2 and 3 swapped after pass 1.
    lines.swap(1, 2);
    let swapped = format!("{}\n", lines.join("\n"));
    fs::write(root.join("syscall.csv"), &swapped).unwrap();
    let pass2 = mcu_build(root, &["pass2"]);
    let message = stderr(&pass2);
    assert_eq!(pass2.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!(
            "{} was built from another system call table: syscall.csv changed since the build; \
             run `mcu-build pass1`",
            user_elf.display()
        )),
        "{message}"
    );
    assert!(!out.join("kernel.elf").exists());
    fs::write(root.join("syscall.csv"), &table).unwrap();

    // Other [layout] sizes that leave user-flash where it was.
    fs::write(root.join("mcu-build.toml"), project("user-heap = \"8K\"")).unwrap();
    let pass2 = mcu_build(root, &["pass2"]);
    let message = stderr(&pass2);
    assert_eq!(pass2.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!(
            "{} was built from another plan: partitions, kernel heap, MPU regions or stack and \
             heap splits differ",
            user_elf.display()
        )),
        "{message}"
    );

    // Built from the configuration as it is, both passes go through.
    fs::write(root.join("mcu-build.toml"), project("")).unwrap();
    succeeds(root, &["protect"]);

    // `run --config` with another table or other heap sizes: refused.
    fs::write(root.join("swapped.csv"), &swapped).unwrap();
    let other = project("").replace("\"syscall.csv\"", "\"swapped.csv\"");
    fs::write(root.join("other.toml"), other).unwrap();
    let run = mcu_build(root, &["run", "--config", "other.toml"]);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{message}");
    assert!(
        message.contains(
            "up to date: the image is stale: configuration: built from mcu-build.toml; \
             other.toml differs, system call table: built from syscall.csv; swapped.csv differs"
        ),
        "{message}"
    );
    let heaps = project("user-heap = \"8K\"\nkernel-heap = \"8K\"");
    fs::write(root.join("other.toml"), heaps).unwrap();
    let run = mcu_build(root, &["run", "--config", "other.toml"]);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{message}");
    assert!(
        message.contains("same plan: the image was built for another plan"),
        "{message}"
    );
    let forced = mcu_build(root, &["run", "--force", "--config", "other.toml"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
}
