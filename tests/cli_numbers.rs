//! Every integer option on the command line reads numbers by one set of
//! rules (src/number.rs): `0x` hexadecimal, no leading zeros, and range
//! errors that say the range; time limits are finite, positive and at most
//! a day.

use assert_cmd::Command;
use predicates::str::contains;

fn mcu_build(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("mcu-build").unwrap().args(args).assert()
}

/// The option is refused before the command does anything (clap's exit
/// status 2) with `message`.
fn refused(args: &[&str], message: &str) {
    mcu_build(args).code(2).stderr(contains(message));
}

#[test]
fn hexadecimal_is_read_and_leading_zeros_are_refused_in_every_integer_option() {
    let leading_zero = "has a leading zero, which is ambiguous";
    refused(
        &[
            "hex",
            "convert",
            "a.hex",
            "-o",
            "a.bin",
            "--record-length",
            "016",
        ],
        leading_zero,
    );
    refused(
        &["mpu", "cover", "0", "1K", "--regions", "08"],
        leading_zero,
    );
    refused(
        &["syscalls", "list", "--csv", "s.csv", "--reserved", "08"],
        leading_zero,
    );
    refused(
        &["hex", "convert", "a.hex", "-o", "a.bin", "--fill", "0255"],
        leading_zero,
    );
    // 0x10 regions is out of range, so hexadecimal was read as such.
    refused(
        &["mpu", "cover", "0", "1K", "--regions", "0x11"],
        "\"0x11\" is out of range: expected a whole number from 0 to 16",
    );
    mcu_build(&["mpu", "cover", "0", "1K", "--regions", "0x10"]).success();
}

#[test]
fn out_of_range_integers_say_the_range() {
    refused(
        &[
            "hex",
            "convert",
            "a.hex",
            "-o",
            "a.hex",
            "--record-length",
            "0",
        ],
        "\"0\" is out of range: expected a whole number from 1 to 255",
    );
    refused(
        &[
            "hex",
            "convert",
            "a.hex",
            "-o",
            "a.hex",
            "--record-length",
            "256",
        ],
        "\"256\" is out of range: expected a whole number from 1 to 255",
    );
    refused(
        &["hex", "convert", "a.hex", "-o", "a.bin", "--fill", "0x100"],
        "\"0x100\" is out of range: expected a whole number from 0 to 255",
    );
    refused(
        &[
            "syscalls",
            "list",
            "--csv",
            "s.csv",
            "--reserved",
            "99999999999999999999999",
        ],
        "\"99999999999999999999999\" is out of range: expected a whole number from 0 to \
         4294967295",
    );
    refused(
        &["mpu", "cover", "0", "99999999999999999999999"],
        "\"99999999999999999999999\" is larger than 0xffffffffffffffff",
    );
    refused(
        &["flash", "x.hex", "--speed", "0"],
        "\"0\" is out of range: expected a whole number from 1 to 4294967295",
    );
}

#[test]
fn a_hexadecimal_record_length_makes_records_of_that_length() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.bin"), [7u8; 40]).unwrap();
    Command::cargo_bin("mcu-build")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "hex",
            "convert",
            "a.bin@0x0",
            "-o",
            "a.hex",
            "--record-length",
            "0x20",
        ])
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("a.hex")).unwrap();
    assert!(text.lines().any(|l| l.starts_with(":20000000")), "{text}");
    assert!(text.lines().any(|l| l.starts_with(":08002000")), "{text}");
}

#[test]
fn a_timeout_is_a_finite_positive_number_of_seconds_up_to_a_day() {
    for bad in [
        "nan",
        "inf",
        "-1",
        "0",
        "86401",
        "99999999999999999999",
        "1e3",
    ] {
        refused(
            &["run", &format!("--timeout={bad}")],
            &format!(
                "{bad:?} is not a time: expected a number of seconds greater than 0 and at most \
                 86400"
            ),
        );
    }
}
