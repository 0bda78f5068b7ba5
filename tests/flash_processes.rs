//! `flash --only process:NAME` on the build of a project with `[[process]]`
//! tables, without a probe: the flash loader receives exactly the bytes
//! of that process's flash partition, every other part of the image
//! (the kernel, the other processes) stays out, and a part the build does
//! not have is refused as a usage error.
//!
//! The build is made by hand: the processes of tests/data/processes/ planned
//! on the STM32F4 Discovery by the planner itself, each given bytes at the
//! start of its flash partition, and a build.json of the shape `protect`
//! writes for processes (`plan.partitions` with `<name>-flash` and
//! `<name>-ram`, the planner's plan as `processes`) on top of the one
//! [`fixture`] writes with `crate::build::manifest`. On that chip the three
//! processes share one 128 KiB erase sector, the case where keeping the
//! unwritten bytes matters.

#![cfg(feature = "flash")]

#[path = "flash_fixture/mod.rs"]
mod fixture;

use std::path::Path;

use fixture::{Project, prepare, staged, stderr, stdout};
use mcu_build::flash::record::Part;
use mcu_build::flash::staging::{Selection, StagingError};
use mcu_build::image::Image;
use mcu_build::layout::processes::{ProcessesPlan, plan_processes};

const BOARD: &str = "stm32f4discovery";
const PROCESSES: &str = "tests/data/processes/mcu-build.toml";

/// A build of processes: the project, the plan, and each process's image.
struct Processes {
    project: Project,
    plan: ProcessesPlan,
    images: Vec<(String, Image)>,
}

impl Processes {
    fn new() -> Processes {
        let board = mcu_build::board::bundled(BOARD).unwrap();
        let config = mcu_build::build::config::load_layout(Path::new(PROCESSES)).unwrap();
        let request = mcu_build::build::process_config::processes_request(
            config.request(&board),
            &config.processes,
            &Default::default(),
        )
        .unwrap();
        let plan = plan_processes(&board, &request).unwrap();
        let mut project = Project::good(BOARD);
        let images: Vec<(String, Image)> = plan
            .processes
            .iter()
            .zip(1u8..)
            .map(|(process, seed)| {
                let mut image = Image::new();
                let data: Vec<u8> = (0..900 + usize::from(seed) * 100)
                    .map(|i| (i as u8) ^ seed.wrapping_mul(0x35))
                    .collect();
                image
                    .insert(process.flash.start as u32, &data, Default::default())
                    .unwrap();
                (process.name.clone(), image)
            })
            .collect();
        project.user = Image::new();
        for (_, image) in &images {
            project
                .user
                .merge(image.clone(), Default::default())
                .unwrap();
        }
        project.write(&project.combined(), &[]);
        let processes = Processes {
            project,
            plan,
            images,
        };
        processes.record_processes();
        processes
    }

    /// Turns the build.json [`Project::write`] wrote into the one of a
    /// project of processes: its partitions those `protect` records
    /// (the kernel's, then each process's flash and RAM), and the plan.
    fn record_processes(&self) {
        let path = self.project.out_dir().join("build.json");
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let kernel = self.plan.kernel.iter().map(|p| {
            serde_json::json!({"name": p.name, "owner": "kernel", "start": p.start, "end": p.end})
        });
        let processes = self.plan.processes.iter().flat_map(|p| {
            [("flash", p.flash), ("ram", p.ram)].map(|(what, range)| {
                serde_json::json!({
                    "name": format!("{}-{what}", p.name),
                    "owner": "user",
                    "start": range.start,
                    "end": range.end,
                })
            })
        });
        json["plan"]["partitions"] = kernel.chain(processes).collect();
        json["processes"] = serde_json::to_value(&self.plan.processes).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    }

    fn image(&self, name: &str) -> &Image {
        &self.images.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// `flash --check ARGS IMAGE`, run outside the project, so that the
    /// record alone says what the build was.
    fn check(&self, args: &[&str]) -> std::process::Output {
        flash_check(&self.project, args)
    }
}

fn flash_check(project: &Project, args: &[&str]) -> std::process::Output {
    let elsewhere = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_mcu-build"))
        .arg("flash")
        .arg("--check")
        .args(args)
        .arg(project.image_path())
        .current_dir(elsewhere.path())
        .output()
        .unwrap()
}

fn process(name: &str) -> Selection {
    Selection::Process(name.into())
}

#[test]
fn only_a_process_stages_exactly_its_flash_partition() {
    let build = Processes::new();
    for planned in &build.plan.processes {
        let prepared = prepare(&build.project, process(&planned.name));
        assert!(prepared.report.passed(), "{:?}", prepared.report);
        let staging = prepared.staging().unwrap();
        let flash = planned.flash.start..planned.flash.end;
        assert_eq!(staging.ranges(), std::slice::from_ref(&flash));
        let staged = staged(&prepared);
        assert_eq!(&staged, build.image(&planned.name), "{}", planned.name);
        // Nothing of the kernel or of another process is staged.
        for (name, image) in &build.images {
            if *name != planned.name {
                for range in image.ranges() {
                    assert!(staged.byte_at(range.start as u32).is_none(), "{name}");
                }
            }
        }
        assert!(staged.byte_at(build.plan.kernel[0].start as u32).is_none());
        assert!(prepared.selection.keep_unwritten_bytes());
    }
}

#[test]
fn the_processes_share_an_erase_sector_whose_other_bytes_are_kept() {
    let build = Processes::new();
    let prepared = prepare(&build.project, process("radio"));
    let sector = |address: u64| {
        prepared
            .chip
            .target
            .flash_algorithms
            .iter()
            .find_map(|algorithm| {
                let properties = &algorithm.flash_properties;
                let range = &properties.address_range;
                if !range.contains(&address) {
                    return None;
                }
                let offset = address - range.start;
                let sectors = &properties.sectors;
                let index = sectors.partition_point(|s| s.address <= offset) - 1;
                let first = sectors[index];
                let from = first.address + (offset - first.address) / first.size * first.size;
                Some(range.start + from)
            })
            .unwrap()
    };
    let starts: Vec<u64> = build
        .plan
        .processes
        .iter()
        .map(|p| sector(p.flash.start))
        .collect();
    assert!(starts.iter().all(|s| *s == starts[0]), "{starts:x?}");
    assert!(prepared.selection.keep_unwritten_bytes());
}

#[test]
fn only_kernel_stages_the_kernel_of_a_build_of_processes() {
    let build = Processes::new();
    let prepared = prepare(&build.project, Selection::Only(Part::Kernel));
    let mut kernel = build.project.kernel.clone();
    kernel.set_start_address(None);
    assert_eq!(staged(&prepared), kernel);
}

#[test]
fn only_user_of_a_build_of_processes_is_refused_naming_them() {
    let build = Processes::new();
    let prepared = prepare(&build.project, Selection::Only(Part::User));
    let error = prepared.staging().unwrap_err();
    assert!(error.is_usage());
    let text = error.to_string();
    assert!(
        text.contains("--only user:")
            && text.contains("(sensor, radio, logger), which has no single user half")
            && text.contains("--only process:NAME"),
        "{text}"
    );
}

#[test]
fn an_unknown_process_is_refused_naming_the_known_ones() {
    let build = Processes::new();
    let prepared = prepare(&build.project, process("gps"));
    let error = prepared.staging().unwrap_err();
    assert!(
        matches!(&error, StagingError::UnknownProcess { name, .. } if name == "gps"),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.contains("records no process `gps`; its processes are sensor, radio, logger"),
        "{text}"
    );
}

#[test]
fn a_process_of_a_build_with_a_single_user_blob_is_refused() {
    let project = Project::good(BOARD);
    let error = prepare(&project, process("radio")).staging().unwrap_err();
    assert!(matches!(error, StagingError::NoProcesses { .. }), "{error}");
    assert!(
        error.to_string().contains("--only process:radio: ")
            && error.to_string().contains("single user blob"),
        "{error}"
    );
}

#[test]
fn a_process_without_a_build_record_is_refused() {
    let image = Processes::new().project.combined();
    let error =
        mcu_build::flash::staging::Staging::new(&image, &process("radio"), None).unwrap_err();
    assert!(!error.is_usage());
    assert!(
        error
            .to_string()
            .starts_with("--only process:radio needs the partitions of the build"),
        "{error}"
    );
}

#[test]
fn the_only_option_reads_and_prints_the_same() {
    for text in ["kernel", "user", "process:radio"] {
        assert_eq!(text.parse::<Selection>().unwrap().to_string(), text);
    }
    assert_eq!("process:b".parse::<Selection>(), Ok(process("b")));
    for bad in ["process:", "all", "Kernel", "radio", ""] {
        assert!(bad.parse::<Selection>().is_err(), "{bad}");
    }
}

#[test]
fn check_counts_the_bytes_of_the_process_alone() {
    let build = Processes::new();
    let output = build.check(&["--only", "process:logger", "--message-format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let last: serde_json::Value =
        serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap();
    assert_eq!(last["bytes"], build.image("logger").total_size());
}

#[test]
fn parts_the_build_lacks_exit_2_naming_what_it_has() {
    let build = Processes::new();
    let single = Project::good(BOARD);
    for (project, only, expected) in [
        (
            &build.project,
            "user",
            "has no single user half; give --only process:NAME",
        ),
        (
            &build.project,
            "process:gps",
            "records no process `gps`; its processes are sensor, radio, logger",
        ),
        (
            &single,
            "process:radio",
            "records a build with a single user blob, without [[process]] tables",
        ),
        (
            &build.project,
            "process:",
            "invalid value 'process:' for '--only <PART>'",
        ),
    ] {
        let output = flash_check(project, &["--only", only]);
        assert_eq!(output.status.code(), Some(2), "{only}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(expected),
            "{only}: {}",
            stderr(&output)
        );
    }
}
