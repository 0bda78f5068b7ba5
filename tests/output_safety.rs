//! An output never destroys data: a failed `hex merge`/`hex convert` leaves
//! its destination exactly as it was (even when it is an input), a symbolic
//! link is written through, a device, FIFO or socket is written in place,
//! `-o -` is standard output, and a replaced file keeps its mode and owner.
//! `/dev/stdout`, `/dev/fd/N`, `/proc/*/fd/N` and `>(...)` are open streams,
//! written where the shell left off; a writable file that cannot be replaced
//! (its directory is not the user's, or is sticky) is overwritten as by `cp`.
//! Also: a missing output directory is named as such, and
//! `--message-format json` ends a failed run with a `failed` event.

mod common;

use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;

use common::Dir;
use mcu_build::image::ihex::{self, RecordLength};
use mcu_build::image::{Image, OverlapPolicy, StartAddress};
use proptest::prelude::*;

/// Runs mcu-build in `dir`.
fn mcu_build(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An Intel HEX file's bytes with `data` at `address`.
fn hex(address: u32, data: &[u8], start: Option<u32>) -> Vec<u8> {
    let mut image = Image::new();
    image.insert(address, data, OverlapPolicy::Error).unwrap();
    image.set_start_address(start.map(|address| StartAddress::Linear { address }));
    ihex::write(&image, RecordLength::default())
}

/// A HEX file whose first record has a wrong checksum (0xF3 for 0xF2).
const CORRUPT_HEX: &[u8] = b":0400000001020304F3\n:00000001FF\n";

/// The names in `dir`, sorted: a failed or finished run leaves no temporary.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Makes a FIFO (named pipe) at `path`.
fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
    let status = unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) };
    assert_eq!(status, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// Reads the FIFO at `path` to its end on another thread.
fn read_fifo(path: &Path) -> JoinHandle<Vec<u8>> {
    let path = path.to_owned();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        fs::File::open(path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    })
}

/// Collects what a FIFO reader got once the writer is done. A run that
/// failed never opened the FIFO, leaving the reader waiting in `open`: a
/// writer opened and closed here releases it with end of file.
fn finish_fifo(path: &Path, reader: JoinHandle<Vec<u8>>) -> Vec<u8> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // Non-blocking: fails (ENXIO) at once when the reader has gone.
    let _ = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    reader.join().unwrap()
}

#[test]
fn a_failed_merge_onto_its_own_input_keeps_the_input() {
    let dir = Dir::new();
    let good = hex(0x0800_0000, &[1, 2, 3, 4, 5], Some(0x0800_0001));
    dir.write("app.hex", &good);
    dir.write("bad.hex", CORRUPT_HEX);
    let output = mcu_build(
        dir.0.path(),
        &["hex", "merge", "app.hex", "bad.hex", "-o", "app.hex"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: bad.hex:1:18: checksum is 0xF3, record sums to 0xF2\n"
    );
    assert!(fs::read(dir.path("app.hex")).unwrap() == good);
    assert_eq!(names(dir.0.path()), ["app.hex", "bad.hex"]);
}

#[test]
fn an_overlap_conflict_onto_an_input_keeps_the_input() {
    let dir = Dir::new();
    let kernel = hex(0x0800_0000, &[0xAA; 16], Some(0x0800_0001));
    dir.write("kernel.hex", &kernel);
    dir.write("user.hex", hex(0x0800_0008, &[0xBB; 16], None));
    let output = mcu_build(
        dir.0.path(),
        &["hex", "merge", "kernel.hex", "user.hex", "-o", "kernel.hex"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("user.hex overlaps kernel.hex at 0x08000008..0x08000010"));
    assert!(fs::read(dir.path("kernel.hex")).unwrap() == kernel);
    assert_eq!(names(dir.0.path()), ["kernel.hex", "user.hex"]);
}

#[test]
fn converting_a_file_onto_itself_fails_harmlessly_or_rewrites_it() {
    let dir = Dir::new();
    dir.write("bad.hex", CORRUPT_HEX);
    let output = mcu_build(
        dir.0.path(),
        &["hex", "convert", "bad.hex", "-o", "bad.hex"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(dir.path("bad.hex")).unwrap(), CORRUPT_HEX);

    // The same file, valid: read whole before it is replaced.
    dir.write("x.hex", hex(0x100, &[9, 8, 7, 6, 5, 4], None));
    let output = mcu_build(
        dir.0.path(),
        &[
            "hex",
            "convert",
            "x.hex",
            "-o",
            "x.hex",
            "--record-length",
            "4",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        fs::read_to_string(dir.path("x.hex")).unwrap(),
        ":0401000009080706DD\n:020104000504F0\n:00000001FF\n"
    );
    assert_eq!(names(dir.0.path()), ["bad.hex", "x.hex"]);
}

#[test]
fn a_failed_binary_conversion_keeps_the_earlier_output() {
    let dir = Dir::new();
    let mut image = Image::new();
    image.insert(0x0, &[1], OverlapPolicy::Error).unwrap();
    image
        .insert(0x0100_0000, &[2], OverlapPolicy::Error)
        .unwrap();
    dir.write("gap.hex", ihex::write(&image, RecordLength::default()));
    dir.write("out.bin", b"earlier run");
    let output = mcu_build(
        dir.0.path(),
        &[
            "hex",
            "convert",
            "gap.hex",
            "-o",
            "out.bin",
            "--max-gap",
            "64K",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(dir.path("out.bin")).unwrap(), b"earlier run");
    assert_eq!(names(dir.0.path()), ["gap.hex", "out.bin"]);
}

#[test]
fn a_symlink_is_written_through_and_stays_a_link() {
    let dir = Dir::new();
    fs::create_dir(dir.path("real")).unwrap();
    dir.write("real/app.hex", b"old");
    std::os::unix::fs::symlink("real/app.hex", dir.path("link.hex")).unwrap();
    dir.write("in.hex", hex(0x2000, &[0x11, 0x22], None));
    let output = mcu_build(
        dir.0.path(),
        &["hex", "convert", "in.hex", "-o", "link.hex"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        fs::symlink_metadata(dir.path("link.hex"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        fs::read_link(dir.path("link.hex")).unwrap(),
        Path::new("real/app.hex")
    );
    assert_eq!(
        fs::read_to_string(dir.path("real/app.hex")).unwrap(),
        ":022000001122AB\n:00000001FF\n"
    );
    // The temporary was made next to the target, and is gone.
    assert_eq!(names(&dir.path("real")), ["app.hex"]);
    assert_eq!(names(dir.0.path()), ["in.hex", "link.hex", "real"]);
}

#[test]
fn a_failed_run_through_a_symlink_keeps_its_target() {
    let dir = Dir::new();
    let good = hex(0x0, &[1, 2, 3], None);
    dir.write("app.hex", &good);
    std::os::unix::fs::symlink("app.hex", dir.path("link.hex")).unwrap();
    dir.write("bad.hex", CORRUPT_HEX);
    let output = mcu_build(
        dir.0.path(),
        &["hex", "merge", "link.hex", "bad.hex", "-o", "link.hex"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        fs::symlink_metadata(dir.path("link.hex"))
            .unwrap()
            .is_symlink()
    );
    assert!(fs::read(dir.path("app.hex")).unwrap() == good);
}

#[test]
fn a_dangling_symlink_creates_its_target() {
    let dir = Dir::new();
    std::os::unix::fs::symlink("new.hex", dir.path("link.hex")).unwrap();
    dir.write("in.hex", hex(0x0, &[7], None));
    let output = mcu_build(
        dir.0.path(),
        &["hex", "convert", "in.hex", "-o", "link.hex"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        fs::symlink_metadata(dir.path("link.hex"))
            .unwrap()
            .is_symlink()
    );
    assert!(fs::read(dir.path("new.hex")).unwrap() == hex(0x0, &[7], None));
}

#[test]
fn a_fifo_is_written_in_place_for_its_reader() {
    let dir = Dir::new();
    let input = hex(
        0x0800_0000,
        &(0..=255).collect::<Vec<u8>>(),
        Some(0x0800_0001),
    );
    dir.write("in.hex", &input);
    let fifo = dir.path("pipe");
    mkfifo(&fifo);
    let reader = read_fifo(&fifo);
    let output = mcu_build(
        dir.0.path(),
        &["hex", "convert", "in.hex", "-o", "pipe", "--format", "hex"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let received = finish_fifo(&fifo, reader);
    assert!(received == input, "{}", String::from_utf8_lossy(&received));
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names(dir.0.path()), ["in.hex", "pipe"]);
}

#[test]
fn dev_null_stays_a_character_device() {
    let dir = Dir::new();
    dir.write("in.hex", hex(0x0, &[1, 2, 3, 4], None));
    let before = fs::metadata("/dev/null").unwrap();
    let output = mcu_build(
        dir.0.path(),
        &[
            "hex",
            "convert",
            "in.hex",
            "-o",
            "/dev/null",
            "--format",
            "bin",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let after = fs::symlink_metadata("/dev/null").unwrap();
    assert!(after.file_type().is_char_device());
    assert_eq!((after.ino(), after.rdev()), (before.ino(), before.rdev()));
}

#[test]
fn a_socket_is_connected_to_not_replaced() {
    let dir = Dir::new();
    let input = hex(0x4000, &[0x5A; 40], None);
    dir.write("in.hex", &input);
    let socket = dir.path("sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let output = mcu_build(
        dir.0.path(),
        &["hex", "convert", "in.hex", "-o", "sock", "--format", "hex"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(server.join().unwrap() == input);
    assert!(
        fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket()
    );
}

#[test]
fn a_replaced_file_keeps_its_mode_and_as_root_its_owner() {
    let dir = Dir::new();
    dir.write("in.hex", hex(0x0, &[1], None));
    let out = dir.write("out.hex", b"old");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::os::unix::fs::chown(&out, Some(1234), Some(4321)).unwrap();
    } else {
        println!("not root: skipping the check that the owner is kept");
    }
    let output = mcu_build(dir.0.path(), &["hex", "convert", "in.hex", "-o", "out.hex"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let meta = fs::metadata(&out).unwrap();
    assert!(fs::read(&out).unwrap() == hex(0x0, &[1], None));
    assert_eq!(meta.mode() & 0o7777, 0o640);
    if root {
        assert_eq!((meta.uid(), meta.gid()), (1234, 4321));
    }
}

#[test]
fn dash_writes_to_standard_output_the_bytes_a_file_gets() {
    let dir = Dir::new();
    let mut image = Image::new();
    image
        .insert(0x0800_0000, &[0xA5; 300], OverlapPolicy::Error)
        .unwrap();
    image
        .insert(0x0800_0200, &[0x3C; 10], OverlapPolicy::Error)
        .unwrap();
    image.set_start_address(Some(StartAddress::Linear {
        address: 0x0800_0001,
    }));
    dir.write("in.hex", ihex::write(&image, RecordLength::default()));
    dir.write("other.hex", hex(0x0900_0000, &[1, 2], None));
    for format in ["hex", "bin", "elf"] {
        let file = format!("out.{format}");
        let to_file = mcu_build(dir.0.path(), &["hex", "convert", "in.hex", "-o", &file]);
        assert!(to_file.status.success(), "{}", stderr(&to_file));
        let to_stdout = mcu_build(
            dir.0.path(),
            &["hex", "convert", "in.hex", "-o", "-", "--format", format],
        );
        assert!(to_stdout.status.success(), "{}", stderr(&to_stdout));
        assert!(
            to_stdout.stdout == fs::read(dir.path(&file)).unwrap(),
            "{format}"
        );
        assert!(stderr(&to_stdout).starts_with("wrote standard output ("));

        let merged_file = format!("merged.{format}");
        let merge = |out: &str| {
            let mut args = vec!["hex", "merge", "in.hex", "other.hex", "-o", out];
            if out == "-" {
                args.extend(["--format", format, "--max-gap", "32M"]);
            } else {
                args.extend(["--max-gap", "32M"]);
            }
            mcu_build(dir.0.path(), &args)
        };
        let to_file = merge(&merged_file);
        assert!(to_file.status.success(), "{}", stderr(&to_file));
        let to_stdout = merge("-");
        assert!(to_stdout.status.success(), "{}", stderr(&to_stdout));
        assert!(
            to_stdout.stdout == fs::read(dir.path(&merged_file)).unwrap(),
            "{format}"
        );
    }
    assert!(!dir.path("-").exists());
}

#[test]
fn dash_without_a_format_is_a_usage_error() {
    let dir = Dir::new();
    dir.write("in.hex", hex(0x0, &[1], None));
    let output = mcu_build(dir.0.path(), &["hex", "convert", "in.hex", "-o", "-"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: -o - writes to standard output, which has no extension: give the format with \
         --format hex|bin|elf\n"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_binary_image_is_not_written_to_a_terminal() {
    let dir = Dir::new();
    dir.write("in.hex", hex(0x0, &[1, 2], None));
    let (mut master, mut terminal) = (0, 0);
    // SAFETY: both pointers point to live c_ints; no name, termios or
    // window size is asked for (null).
    let status = unsafe {
        libc::openpty(
            &mut master,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(status, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two open descriptors that nothing else owns.
    let (_master, terminal) = unsafe {
        use std::os::fd::FromRawFd as _;
        (
            std::os::fd::OwnedFd::from_raw_fd(master),
            std::os::fd::OwnedFd::from_raw_fd(terminal),
        )
    };
    let to_terminal = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .args(["hex", "convert", "in.hex", "-o", "-", "--format", format])
            .current_dir(dir.0.path())
            .stdout(terminal.try_clone().unwrap())
            .output()
            .unwrap()
    };
    for (format, name) in [("bin", "binary"), ("elf", "ELF")] {
        let output = to_terminal(format);
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(
            stderr(&output),
            format!(
                "error: refusing to write {name} output to a terminal: redirect standard output, \
                 or use --format hex\n"
            )
        );
    }
    // Intel HEX is text: a terminal is fine.
    let output = to_terminal("hex");
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_failed_write_in_place_is_an_error_naming_the_output() {
    let dir = Dir::new();
    dir.write("in.hex", hex(0x0, &[1, 2], None));
    let output = mcu_build(
        dir.0.path(),
        &[
            "hex",
            "convert",
            "in.hex",
            "-o",
            "/dev/full",
            "--format",
            "hex",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: cannot write /dev/full: No space left on device (os error 28)\n"
    );
    assert!(
        fs::symlink_metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn a_missing_output_directory_is_named_not_the_temporary_file() {
    let dir = Dir::new();
    dir.write("in.hex", hex(0x0, &[1], None));
    let output = mcu_build(
        dir.0.path(),
        &["hex", "convert", "in.hex", "-o", "out/x.hex"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: cannot write out/x.hex: directory out does not exist\n"
    );
    // Through a symlink, the directory that is missing is the target's.
    std::os::unix::fs::symlink("gone/y.hex", dir.path("link.hex")).unwrap();
    let output = mcu_build(
        dir.0.path(),
        &["hex", "convert", "in.hex", "-o", "link.hex"],
    );
    assert_eq!(
        stderr(&output),
        "error: cannot write link.hex: directory gone does not exist\n"
    );
}

/// `hex convert in.hex -o OUT --format hex` in `dir`, with standard output
/// and standard error as given.
fn convert_to(dir: &Path, out: &str, stdout: Stdio, stderr: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(["hex", "convert", "in.hex", "-o", out, "--format", "hex"])
        .current_dir(dir)
        .stdout(stdout)
        .stderr(stderr)
        .output()
        .unwrap()
}

#[test]
fn descriptor_paths_write_to_a_pipe() {
    let dir = Dir::new();
    let good = hex(0x0800_0000, &[1, 2, 3, 4], Some(0x0800_0001));
    dir.write("in.hex", &good);
    for out in [
        "/dev/stdout",
        "/dev/fd/1",
        "/proc/self/fd/1",
        "/proc/thread-self/fd/1",
    ] {
        let output = convert_to(dir.0.path(), out, Stdio::piped(), Stdio::piped());
        assert!(output.status.success(), "{out}: {}", stderr(&output));
        assert!(output.stdout == good, "{out}");
    }
    assert_eq!(names(dir.0.path()), ["in.hex"]);
}

#[test]
fn descriptor_paths_write_into_a_redirected_file_where_the_shell_left_off() {
    let dir = Dir::new();
    let good = hex(0x0800_0000, &[1, 2, 3, 4], None);
    dir.write("in.hex", &good);
    for out in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
        // `{ echo HEADER; mcu-build ... -o /dev/stdout; echo TRAILER; } > log`
        let log = dir.path("log");
        let mut shell = fs::File::create(&log).unwrap();
        shell.write_all(b"HEADER\n").unwrap();
        let output = convert_to(
            dir.0.path(),
            out,
            shell.try_clone().unwrap().into(),
            Stdio::piped(),
        );
        assert!(output.status.success(), "{out}: {}", stderr(&output));
        shell.write_all(b"TRAILER\n").unwrap();
        let expected = [&b"HEADER\n"[..], &good, b"TRAILER\n"].concat();
        assert!(fs::read(&log).unwrap() == expected, "{out}");

        // `echo line1 > log; mcu-build ... -o /dev/stdout >> log`
        fs::write(&log, b"line1\n").unwrap();
        let append = fs::OpenOptions::new().append(true).open(&log).unwrap();
        let output = convert_to(dir.0.path(), out, append.into(), Stdio::piped());
        assert!(output.status.success(), "{out}: {}", stderr(&output));
        assert!(
            fs::read(&log).unwrap() == [&b"line1\n"[..], &good].concat(),
            "{out}"
        );
    }
    // /dev/stderr too, ahead of the report the run prints there.
    let log = dir.path("log");
    fs::write(&log, b"line1\n").unwrap();
    let append = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let output = convert_to(dir.0.path(), "/dev/stderr", Stdio::null(), append.into());
    assert!(output.status.success());
    let text = fs::read(&log).unwrap();
    assert!(text.starts_with(&[&b"line1\n"[..], &good].concat()));
    assert!(text.ends_with(b"wrote /dev/stderr (Intel HEX): 4 bytes in 1 segment(s)\n"));
    assert_eq!(names(dir.0.path()), ["in.hex", "log"]);
}

#[test]
fn bash_process_substitution_receives_the_output() {
    let dir = Dir::new();
    let good = hex(0x0800_0000, &[9; 40], None);
    dir.write("in.hex", &good);
    let Ok(output) = Command::new("bash")
        .args([
            "-c",
            r#""$0" hex convert in.hex --format hex -o >(cat > got.hex) && wait $!"#,
            env!("CARGO_BIN_EXE_mcu-build"),
        ])
        .current_dir(dir.0.path())
        .output()
    else {
        println!("no bash: skipping the >(...) output test");
        return;
    };
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(fs::read(dir.path("got.hex")).unwrap() == good);
}

#[test]
fn another_processs_pipe_is_written_not_replaced() {
    let dir = Dir::new();
    let good = hex(0x0800_0000, &[7; 20], None);
    dir.write("in.hex", &good);
    let mut cat = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = format!("/proc/{}/fd/0", cat.id());
    let output = convert_to(dir.0.path(), &out, Stdio::null(), Stdio::piped());
    assert!(output.status.success(), "{}", stderr(&output));
    drop(cat.stdin.take());
    let mut got = Vec::new();
    cat.stdout.take().unwrap().read_to_end(&mut got).unwrap();
    cat.wait().unwrap();
    assert!(got == good);
}

#[test]
fn layout_svg_goes_to_dev_stdout_and_dash_excludes_other_output() {
    let dir = Dir::new();
    let alone = mcu_build(dir.0.path(), &["layout", "--svg", "-"]);
    assert!(alone.status.success(), "{}", stderr(&alone));
    assert!(alone.stdout.starts_with(b"<svg "));
    let json = mcu_build(dir.0.path(), &["layout", "--json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    // A path to standard output is a file like any other: the picture,
    // then the JSON.
    let both = mcu_build(dir.0.path(), &["layout", "--json", "--svg", "/dev/stdout"]);
    assert!(both.status.success(), "{}", stderr(&both));
    assert!(both.stdout == [alone.stdout, json.stdout].concat());
    // `-` is the picture alone: with --json or --compare a usage error.
    for other in ["--json", "--compare"] {
        let output = mcu_build(dir.0.path(), &["layout", other, "--svg", "-"]);
        assert_eq!(output.status.code(), Some(2), "{other}");
        assert_eq!(
            stderr(&output),
            format!(
                "error: --svg - writes only the picture to standard output, so it cannot \
                 be combined with {other}; give --svg a file name\n"
            )
        );
        assert!(output.stdout.is_empty(), "{other}");
    }
    assert!(names(dir.0.path()).is_empty());
}

/// Runs mcu-build in `dir` as user and group 65534 (nobody), or says why
/// not and returns `None`: only root can drop to another user.
fn mcu_build_as_nobody(dir: &Path, args: &[&str]) -> Option<Output> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!("not root: skipping the outputs of another user");
        return None;
    }
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_mcu-build"))
        .args(args)
        .current_dir(dir)
        .output();
    match output {
        Ok(output) => Some(output),
        Err(_) => {
            println!("no setpriv: skipping the outputs of another user");
            None
        }
    }
}

#[test]
fn a_writable_file_in_a_directory_the_user_cannot_write_is_overwritten_like_cp() {
    let dir = Dir::new();
    fs::set_permissions(dir.0.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let good = hex(0x0800_0000, &[5; 8], None);
    let input = dir.write("in.hex", &good);
    let bad = dir.write("bad.hex", CORRUPT_HEX);
    for file in [&input, &bad] {
        fs::set_permissions(file, fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Root's directories: one the user cannot write, one sticky like /tmp.
    fs::create_dir(dir.path("locked")).unwrap();
    fs::create_dir(dir.path("sticky")).unwrap();
    fs::set_permissions(dir.path("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
    for out in ["locked/out.hex", "sticky/out.hex"] {
        let path = dir.write(out, b"old");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        let inode = fs::metadata(&path).unwrap().ino();

        let Some(failed) = mcu_build_as_nobody(
            dir.0.path(),
            &["hex", "convert", "bad.hex", "-o", out, "--format", "hex"],
        ) else {
            return;
        };
        assert_eq!(failed.status.code(), Some(1), "{out}");
        assert_eq!(fs::read(&path).unwrap(), b"old", "{out}");

        let output = mcu_build_as_nobody(
            dir.0.path(),
            &["hex", "convert", "in.hex", "-o", out, "--format", "hex"],
        )
        .unwrap();
        assert!(output.status.success(), "{out}: {}", stderr(&output));
        assert!(fs::read(&path).unwrap() == good, "{out}");
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(
            (meta.ino(), meta.uid(), meta.mode() & 0o7777),
            (inode, 0, 0o666)
        );
        assert_eq!(names(path.parent().unwrap()), ["out.hex"]);
    }
    // A file the user cannot write either: refused, untouched.
    let path = dir.write("locked/ro.hex", b"old");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let output = mcu_build_as_nobody(
        dir.0.path(),
        &["hex", "convert", "in.hex", "-o", "locked/ro.hex"],
    )
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: cannot write locked/ro.hex: cannot create a file in directory locked: \
         Permission denied (os error 13)\n"
    );
    assert_eq!(fs::read(&path).unwrap(), b"old");
}

#[test]
fn a_write_error_does_not_name_the_temporary_file() {
    use std::os::unix::process::CommandExt as _;
    let dir = Dir::new();
    dir.write("in.hex", hex(0x0800_0000, &[0x55; 4096], None));
    dir.write("out.hex", b"old");
    // A file size limit of 1 KiB makes the temporary file's write fail as
    // a full disk would, with EFBIG instead of ENOSPC.
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcu-build"));
    command
        .args(["hex", "convert", "in.hex", "-o", "out.hex"])
        .current_dir(dir.0.path());
    // SAFETY: setrlimit and signal are async-signal-safe and touch only the
    // child between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1024,
                rlim_max: 1024,
            };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: cannot write out.hex: File too large (os error 27)\n"
    );
    assert_eq!(fs::read(dir.path("out.hex")).unwrap(), b"old");
    assert_eq!(names(dir.0.path()), ["in.hex", "out.hex"]);
}

#[test]
fn a_failed_json_run_ends_with_a_failed_event_on_stdout() {
    let dir = Dir::new();
    let output = mcu_build(
        dir.0.path(),
        &[
            "protect",
            "--config",
            "missing.toml",
            "--message-format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let last = events.last().unwrap();
    assert_eq!(last["event"], "failed");
    let error = last["error"].as_str().unwrap();
    assert!(error.starts_with("cannot read missing.toml: "), "{error}");
    // The same text as the message for people on stderr.
    assert_eq!(stderr(&output), format!("error: {error}\n"));

    // Without json, stdout stays empty.
    let output = mcu_build(dir.0.path(), &["protect", "--config", "missing.toml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}

#[cfg(feature = "flash")]
#[test]
fn a_failed_json_flash_ends_with_a_failed_event_too() {
    let dir = Dir::new();
    let output = mcu_build(
        dir.0.path(),
        &[
            "flash",
            "--check",
            "--message-format",
            "json",
            "--chip",
            "STM32F407VGTx",
            "missing.bin@0x08000000",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "failed");
    assert_eq!(
        format!("error: {}\n", last["error"].as_str().unwrap()),
        stderr(&output)
    );
    assert!(stderr(&output).starts_with("error: cannot read missing.bin: "));
}

/// Where a merge writes, relative to its first input `app.hex`.
#[derive(Clone, Copy, Debug)]
enum Destination {
    TheInput,
    LinkToTheInput,
    Fifo,
    NewFile,
}

/// What the second input does to the merge.
#[derive(Clone, Copy, Debug)]
enum Second {
    /// Data elsewhere: the merge succeeds.
    Disjoint,
    /// Different bytes at the same addresses: an overlap conflict.
    Conflicting,
    /// A bad checksum: the merge fails reading it.
    Corrupt,
}

fn destination() -> impl Strategy<Value = Destination> {
    prop_oneof![
        Just(Destination::TheInput),
        Just(Destination::LinkToTheInput),
        Just(Destination::Fifo),
        Just(Destination::NewFile),
    ]
}

fn second() -> impl Strategy<Value = Second> {
    prop_oneof![
        Just(Second::Disjoint),
        Just(Second::Conflicting),
        Just(Second::Corrupt),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the output is and whether the merge succeeds, the input's
    /// bytes survive: untouched when it fails, inside the merged image when
    /// it succeeds.
    #[test]
    fn a_merge_never_loses_the_inputs_bytes(
        destination in destination(),
        second in second(),
        address in 0u32..0x1_0000,
        data in prop::collection::vec(any::<u8>(), 1..200),
    ) {
        let dir = Dir::new();
        let input = hex(address, &data, None);
        dir.write("app.hex", &input);
        match second {
            Second::Disjoint => dir.write("b.hex", hex(0x2_0000, &[0xEE; 8], None)),
            Second::Conflicting => {
                let flipped: Vec<u8> = data.iter().map(|b| !b).collect();
                dir.write("b.hex", hex(address, &flipped, None))
            }
            Second::Corrupt => dir.write("b.hex", CORRUPT_HEX),
        };
        let out = match destination {
            Destination::TheInput => "app.hex",
            Destination::LinkToTheInput => {
                std::os::unix::fs::symlink("app.hex", dir.path("link.hex")).unwrap();
                "link.hex"
            }
            Destination::Fifo => {
                mkfifo(&dir.path("pipe"));
                "pipe"
            }
            Destination::NewFile => "new.hex",
        };
        let out_path: PathBuf = dir.path(out);
        let reader = matches!(destination, Destination::Fifo).then(|| read_fifo(&out_path));
        let output = mcu_build(
            dir.0.path(),
            &["hex", "merge", "app.hex", "b.hex", "-o", out, "--format", "hex"],
        );
        let succeeded = matches!(second, Second::Disjoint);
        prop_assert_eq!(output.status.success(), succeeded, "{}", stderr(&output));
        let written = match reader {
            Some(reader) => finish_fifo(&out_path, reader),
            None => fs::read(&out_path).unwrap_or_default(),
        };
        if matches!(destination, Destination::LinkToTheInput) {
            prop_assert!(fs::symlink_metadata(&out_path).unwrap().is_symlink());
        }
        let input_now = fs::read(dir.path("app.hex")).unwrap();
        if succeeded {
            let merged = ihex::read(&written).unwrap().image;
            for (i, byte) in data.iter().enumerate() {
                prop_assert_eq!(merged.byte_at(address + i as u32), Some(*byte));
            }
            prop_assert_eq!(merged.byte_at(0x2_0000), Some(0xEE));
            if matches!(destination, Destination::Fifo | Destination::NewFile) {
                prop_assert!(input_now == input);
            }
        } else {
            prop_assert!(input_now == input);
            match destination {
                Destination::NewFile => prop_assert!(!out_path.exists()),
                Destination::Fifo => prop_assert!(written.is_empty()),
                Destination::TheInput | Destination::LinkToTheInput => {}
            }
        }
        // No temporary file is left, whatever happened.
        let temporaries = names(dir.0.path())
            .into_iter()
            .filter(|name| name.starts_with(".mcu-build-"))
            .count();
        prop_assert_eq!(temporaries, 0);
    }
}

/// Runs mcu-build in `dir`, killing it and failing the test if it is still
/// running after 30 s (a read of an endless output hangs, or fills memory).
fn mcu_build_within_30_s(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("mcu-build {args:?} still running after 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Every name in `dir` with the bytes of the regular files (`None` for the
/// others, which may never end: /dev/zero).
fn regular_files(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    names(dir)
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            let regular = fs::metadata(&path).is_ok_and(|meta| meta.is_file());
            let bytes = regular.then(|| fs::read(&path).unwrap());
            (name, bytes)
        })
        .collect()
}

/// `syscalls gen` compares each output with what it would write, to leave
/// unchanged files alone: an existing output that is not a regular file
/// (a link to /dev/zero or /dev/full, which reads without end; a FIFO, whose
/// open waits for a writer; a socket; a directory) is refused with its kind
/// before anything is written, and the directory stays as it was.
#[test]
fn syscalls_gen_refuses_an_output_that_is_not_a_regular_file() {
    let dir = Dir::new();
    let csv = dir.path("s.csv");
    let changed = dir.path("changed.csv");
    fs::copy(common::FORMAT_CSV, &csv).unwrap();
    let mut text = fs::read_to_string(&csv).unwrap();
    text.push_str("\"zzz_new\",\"unistd.h\",\"\",\"int\",\"int\"\n");
    fs::write(&changed, text).unwrap();
    let gen_args = |csv: &'static str| {
        [
            "syscalls", "gen", "--lang", "rust", "--csv", csv, "--out", "out",
        ]
    };
    type Make = fn(&Path);
    let not_regular = |kind: &str| {
        format!(
            "error: cannot write out/syscall_user.rs: it is {kind}; mcu-build writes generated files as regular files\n"
        )
    };
    // A link leads out of the directory, whatever it reaches.
    let link = |target: &str| {
        format!(
            "error: out/syscall_user.rs is a symbolic link (to {target}); generated files are written only inside their directory: remove the link\n"
        )
    };
    let cases: [(String, Make); 5] = [
        (link("/dev/zero"), |p| {
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
        (link("/dev/full"), |p| {
            std::os::unix::fs::symlink("/dev/full", p).unwrap()
        }),
        (not_regular("a FIFO"), mkfifo),
        (not_regular("a socket"), |p| {
            std::mem::forget(std::os::unix::net::UnixListener::bind(p).unwrap());
        }),
        (not_regular("a directory"), |p| fs::create_dir(p).unwrap()),
    ];
    for (expected, make) in cases {
        let _ = fs::remove_dir_all(dir.path("out"));
        let output = mcu_build(dir.0.path(), &gen_args("s.csv"));
        assert!(output.status.success(), "{}", stderr(&output));
        let user = dir.path("out/syscall_user.rs");
        fs::remove_file(&user).unwrap();
        make(&user);
        let before = regular_files(&dir.path("out"));
        let output = mcu_build_within_30_s(dir.0.path(), &gen_args("changed.csv"));
        assert_eq!(output.status.code(), Some(1), "{expected}");
        assert_eq!(stderr(&output), expected);
        let after = regular_files(&dir.path("out"));
        assert_eq!(after, before, "{expected}");
    }
}
