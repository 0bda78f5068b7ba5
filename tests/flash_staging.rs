//! From the image to probe-rs's flash loader, without a probe: the loader
//! of the chip's target description receives exactly the image, or with
//! `--only` exactly one half of it.
//!
//! probe-rs's fake probe cannot run a flash algorithm, so `commit` is not
//! exercised here; what reaches the loader (`FlashLoader::data`) is what
//! `commit` would program.

#![cfg(feature = "flash")]

#[path = "flash_fixture/mod.rs"]
mod fixture;

use fixture::{Project, prepare, staged};
use mcu_build::flash::record::Part;
use mcu_build::flash::staging::{Selection, Staging, StagingError};
use mcu_build::image::{Image, OverlapPolicy};

fn without_start(mut image: Image) -> Image {
    image.set_start_address(None);
    image
}

#[test]
fn the_loader_receives_exactly_the_image() {
    for board in fixture::boards_with_chip() {
        let project = Project::good(board);
        let prepared = prepare(&project, Selection::All);
        assert!(prepared.report.passed(), "{board}: {:?}", prepared.report);
        assert_eq!(
            staged(&prepared),
            without_start(project.combined()),
            "{board}"
        );
        assert_eq!(prepared.staging().unwrap().bytes(), 4000);
    }
}

#[test]
fn only_user_stages_the_user_partition_and_keeps_the_rest() {
    let project = Project::good("stm32f4discovery");
    let prepared = prepare(&project, Selection::Only(Part::User));
    assert_eq!(staged(&prepared), without_start(project.user.clone()));
    assert!(Selection::Only(Part::User).keep_unwritten_bytes());
    assert!(!Selection::All.keep_unwritten_bytes());
}

#[test]
fn only_kernel_stages_the_kernel_partition() {
    let project = Project::good("nrf52840");
    let prepared = prepare(&project, Selection::Only(Part::Kernel));
    assert_eq!(staged(&prepared), without_start(project.kernel.clone()));
}

#[test]
fn a_segment_across_both_partitions_is_cut_at_the_boundary() {
    let project = Project::good("stm32f4discovery");
    let boundary = project.plan.user_flash().start as u32;
    let mut image = project.combined();
    image
        .insert(boundary - 16, &[0xC3; 32], OverlapPolicy::Last)
        .unwrap();
    project.write(&image, &[]);
    let user = staged(&prepare(&project, Selection::Only(Part::User)));
    assert_eq!(user.segments().next().unwrap().address, boundary);
    assert_eq!(user.byte_at(boundary - 1), None);
    assert_eq!(user.byte_at(boundary), Some(0xC3));
}

#[test]
fn a_partial_update_needs_build_json() {
    let mut image = Image::new();
    image
        .insert(0x0800_0000, &[1; 16], Default::default())
        .unwrap();
    let error = Staging::new(&image, &Selection::Only(Part::User), None).unwrap_err();
    assert!(matches!(
        error,
        StagingError::NoRecord {
            selection: Selection::Only(Part::User)
        }
    ));
    assert!(error.to_string().contains("no build.json beside the image"));
}

#[test]
fn a_partial_update_of_a_half_the_image_lacks_is_refused() {
    let project = Project::good("stm32h743");
    project.write(&project.kernel.clone(), &[]);
    let prepared = prepare(&project, Selection::Only(Part::User));
    let error = prepared.staging().unwrap_err().to_string();
    assert!(
        error.contains("--only user: the image holds no bytes in the user partitions"),
        "{error}"
    );
}
