//! `mcu-build protect` makes the same bytes wherever the project is: two
//! copies of the repository at two absolute paths of different lengths
//! (as two clones would be) build byte-identical images and build.json.
//!
//! Paths that differ in length are the hard case: a path embedded in
//! debug information or in a `panic!` location, or hashed into a symbol
//! name, would change the size of the strings and so the layout of the
//! code, not only a few bytes.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::copy_repository;

/// Copies the repository to two paths, applies `edit` to each copy,
/// builds both and compares.
fn builds_at_two_paths_are_byte_identical(edit: &dyn Fn(&Path)) {
    let temp = tempfile::tempdir().unwrap();
    let near = temp.path().join("a");
    let far = temp.path().join("a-much-longer-name/at/another/depth");
    let outputs = [
        "user.elf",
        "kernel.elf",
        "combined.hex",
        "combined.bin",
        "build.json",
    ];
    let mut built = Vec::new();
    for root in [&near, &far] {
        copy_repository(root);
        edit(root);
        let output = Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .arg("protect")
            .current_dir(root)
            .output()
            .expect("mcu-build runs");
        assert!(
            output.status.success(),
            "protect in {}: {}",
            root.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let out = root.join("target/mcu-build/qemu-mps2-an386");
        let bytes: Vec<Vec<u8>> = outputs
            .iter()
            .map(|name| fs::read(out.join(name)).unwrap())
            .collect();
        built.push(bytes);
    }
    for (index, name) in outputs.iter().enumerate() {
        assert!(
            built[0][index] == built[1][index],
            "{name} differs between {} and {}",
            near.display(),
            far.display()
        );
    }
    // No absolute path of either copy is left in what was built.
    let far_text = far.display().to_string();
    for (index, name) in outputs.iter().enumerate() {
        let bytes = &built[1][index];
        assert!(
            !bytes
                .windows(far_text.len())
                .any(|w| w == far_text.as_bytes()),
            "{name} holds the path {far_text}"
        );
    }
    // build.json names its files relative to the project root.
    let manifest: serde_json::Value = serde_json::from_slice(&built[0][4]).unwrap();
    let paths: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(manifest["outputs"].as_array().unwrap())
        .map(|file| file["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"firmware/abi/syscall.csv"), "{paths:?}");
    assert!(
        paths.contains(&"target/mcu-build/qemu-mps2-an386/combined.hex"),
        "{paths:?}"
    );
}

#[test]
fn two_clean_builds_at_two_paths_are_byte_identical() {
    builds_at_two_paths_are_byte_identical(&|_| {});
}

/// With `target.<triple>.rustflags` in the firmware's cargo configuration,
/// cargo ignores `build.rustflags`: the remapping must go with the
/// target's flags.
#[test]
fn target_rustflags_in_the_cargo_configuration_keep_builds_identical() {
    builds_at_two_paths_are_byte_identical(&|root| {
        let config = root.join("firmware/.cargo/config.toml");
        let mut text = fs::read_to_string(&config).unwrap();
        text.push_str(
            "[target.thumbv7em-none-eabi]\nrustflags = [\"-C\", \"force-frame-pointers=yes\"]\n",
        );
        fs::write(config, text).unwrap();
    });
}
