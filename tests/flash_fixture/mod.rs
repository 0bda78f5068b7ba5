//! A protected build made by hand for the flash tests: a project directory
//! with mcu-build.toml, target/mcu-build/<board>/combined.hex and a
//! build.json written by `crate::build::manifest` itself, so that the
//! tests break if the manifest and `flash` stop agreeing.
//!
//! The images are made by library calls rather than `protect`, so that
//! each test can shape exactly the build record it needs.

#![allow(dead_code)] // each test file uses part of it

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mcu_build::board;
use mcu_build::build::config::Splits;
use mcu_build::build::inspect::Inspection;
use mcu_build::build::manifest::{FileDigest, Manifest};
use mcu_build::build::planned::Planned;
use mcu_build::image::ihex::{self, RecordLength};
use mcu_build::image::{Image, bin};
use mcu_build::mpu::Access;
use mcu_build::mpu::verify::{Finding, Report};

pub struct Project {
    pub dir: tempfile::TempDir,
    pub board: &'static str,
    pub plan: Planned,
    pub kernel: Image,
    pub user: Image,
}

/// The bundled boards that name a probe-rs chip.
pub fn boards_with_chip() -> Vec<&'static str> {
    board::bundled_names()
        .filter(|name| board::bundled(name).unwrap().probe_rs_chip.is_some())
        .collect()
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

impl Project {
    /// A good build for bundled board `name`: 3000 kernel bytes at the
    /// kernel flash origin, 1000 user bytes at the user flash origin.
    pub fn good(name: &'static str) -> Project {
        let board = board::bundled(name).unwrap();
        let plan = mcu_build::layout::plan(&board, &board.partitions).unwrap();
        let plan = Planned::new(plan).unwrap();
        let mut kernel = Image::new();
        kernel
            .insert(
                plan.kernel_flash().start as u32,
                &bytes(3000, 0x11),
                Default::default(),
            )
            .unwrap();
        let mut user = Image::new();
        user.insert(
            plan.user_flash().start as u32,
            &bytes(1000, 0x22),
            Default::default(),
        )
        .unwrap();
        let project = Project {
            dir: tempfile::tempdir().unwrap(),
            board: name,
            plan,
            kernel,
            user,
        };
        fs::create_dir_all(project.out_dir()).unwrap();
        fs::write(
            project.config(),
            format!(
                "board = \"{name}\"\n[pass1]\ncommand = \"true\"\nartifact = \"user.elf\"\n\
                 [pass2]\ncommand = \"true\"\nartifact = \"kernel.elf\"\n"
            ),
        )
        .unwrap();
        let image = project.combined();
        project.write(&image, &[]);
        project
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.root().join("mcu-build.toml")
    }

    pub fn out_dir(&self) -> PathBuf {
        self.root().join("target/mcu-build").join(self.board)
    }

    pub fn image_path(&self) -> PathBuf {
        self.out_dir().join("combined.hex")
    }

    /// Kernel and user together.
    pub fn combined(&self) -> Image {
        let mut image = self.kernel.clone();
        image.merge(self.user.clone(), Default::default()).unwrap();
        image
    }

    /// combined.bin, beside combined.hex.
    pub fn bin_path(&self) -> PathBuf {
        self.out_dir().join("combined.bin")
    }

    /// Writes `image` as combined.hex and (unless empty) combined.bin, and
    /// a build.json that records both with what they load, the
    /// configuration as input, and `findings` as the MPU verdict (the real
    /// verifier's verdict when empty).
    pub fn write(&self, image: &Image, findings: &[Finding]) {
        let hex = ihex::write(image, RecordLength::default());
        fs::write(self.image_path(), &hex).unwrap();
        let mut outputs = vec![FileDigest::of_image(
            &self.image_path(),
            self.root(),
            &hex,
            image,
        )];
        // A binary, when the image has data and no gap too large for one.
        if let (Some(extent), Ok(binary)) = (
            image.extent(),
            bin::write(image, 0xFF, bin::Limits::default()),
        ) {
            fs::write(self.bin_path(), &binary).unwrap();
            let loaded = bin::read(binary.clone(), extent.start as u32).unwrap();
            outputs.push(FileDigest::of_image(
                &self.bin_path(),
                self.root(),
                &binary,
                &loaded,
            ));
        }
        let mut report: Report = self.plan.plan().verify();
        assert!(report.is_ok(), "{report:?}");
        report.findings.extend_from_slice(findings);
        let config = fs::read(self.config()).unwrap();
        let inspection = |image: &Image| Inspection {
            image: image.clone(),
            sections: Vec::new(),
            header: None,
        };
        let manifest = Manifest::new(
            &self.plan,
            Splits::default(),
            &report,
            &inspection(&self.user),
            &inspection(&self.kernel),
            vec![FileDigest::of(&self.config(), self.root(), &config)],
            outputs,
        );
        fs::write(self.out_dir().join("build.json"), manifest.to_json()).unwrap();
    }

    /// `mcu-build flash ARGS` in the project directory.
    pub fn flash(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mcu-build"))
            .arg("flash")
            .args(args)
            .current_dir(self.root())
            .output()
            .unwrap()
    }
}

/// A finding as the verifier reports an over-grant.
pub fn over_grant() -> Finding {
    Finding::OverGrant {
        start: 0x2000_4000,
        end: 0x2000_4100,
        granted: Access::ReadWrite,
        partition: None,
        allowed: Access::None,
        region: mcu_build::mpu::RegionNumber::new(0).unwrap(),
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The flash of `project`'s image with `selection`, prepared as `flash`
/// prepares it.
#[cfg(feature = "flash")]
pub fn prepare(
    project: &Project,
    selection: mcu_build::flash::staging::Selection,
) -> mcu_build::flash::prepare::Prepared {
    mcu_build::flash::prepare::Prepared::new(mcu_build::flash::prepare::Request {
        image: mcu_build::image::file::InputSpec {
            path: project.image_path(),
            base: None,
        },
        board: None,
        chip: None,
        selection,
        force: false,
        plan: None,
        provenance: None,
    })
    .unwrap()
}

/// What the chip's flash loader holds after staging, as an image.
#[cfg(feature = "flash")]
pub fn staged(prepared: &mcu_build::flash::prepare::Prepared) -> Image {
    let mut loader = prepared.chip.target.flash_loader();
    prepared.staging().unwrap().stage(&mut loader).unwrap();
    let mut image = Image::new();
    for (address, data) in loader.data() {
        image
            .insert(u32::try_from(address).unwrap(), data, Default::default())
            .unwrap();
    }
    image
}
