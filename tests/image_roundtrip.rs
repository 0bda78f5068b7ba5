//! Property tests: random sparse images survive every format, and merging
//! disjoint images does not depend on their order.

mod common;

use common::{image_of, layout};
use mcu_build::image::ihex::RecordLength;
use mcu_build::image::merge::{self, EntryChoice, Input};
use mcu_build::image::{Image, OverlapPolicy, StartAddress, bin, elf, ihex};
use proptest::prelude::*;

/// Disjoint (address, bytes) parts in address order; gaps may be zero, in
/// which case the parts coalesce into one segment.
fn parts() -> impl Strategy<Value = Vec<(u32, Vec<u8>)>> {
    (
        0u32..0xF000_0000,
        prop::collection::vec(
            (0u32..0x3_0000, prop::collection::vec(any::<u8>(), 1..300)),
            0..12,
        ),
    )
        .prop_map(|(base, pieces)| {
            let mut address = base;
            pieces
                .into_iter()
                .map(|(gap, data)| {
                    address += gap;
                    let part = (address, data);
                    address += part.1.len() as u32;
                    part
                })
                .collect()
        })
}

fn start_address() -> impl Strategy<Value = Option<StartAddress>> {
    prop_oneof![
        Just(None),
        any::<u32>().prop_map(|address| Some(StartAddress::Linear { address })),
        (any::<u16>(), any::<u16>()).prop_map(|(cs, ip)| Some(StartAddress::Segment { cs, ip })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hex_round_trip(parts in parts(), start in start_address(), length in 1u8..=255) {
        let mut image = image_of(&parts);
        image.set_start_address(start);
        let text = ihex::write(&image, RecordLength::new(length).unwrap());
        let back = ihex::read(&text).unwrap();
        prop_assert_eq!(back.image, image);
    }

    #[test]
    fn elf_round_trip(parts in parts().prop_filter("ELF needs data", |p| !p.is_empty()), entry in any::<u32>()) {
        let mut image = image_of(&parts);
        image.set_start_address(Some(StartAddress::Linear { address: entry }));
        let back = elf::read(&elf::write(&image)).unwrap();
        prop_assert_eq!(back.image, image);
    }

    #[test]
    fn bin_round_trip_fills_the_gaps(parts in parts(), fill in any::<u8>()) {
        let image = image_of(&parts);
        let bytes = bin::write(&image, fill, bin::Limits::NONE).unwrap();
        let Some(extent) = image.extent() else {
            prop_assert!(bytes.is_empty());
            return Ok(());
        };
        let back = bin::read(bytes, extent.start as u32).unwrap();
        let mut filled = image.clone();
        filled.fill_gaps(fill);
        prop_assert_eq!(back, filled);
    }

    #[test]
    fn merging_disjoint_images_is_order_independent(parts in parts(), picks in prop::collection::vec(any::<bool>(), 12)) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (part, pick) in parts.iter().zip(picks.iter().cycle()) {
            if *pick { a.push(part.clone()) } else { b.push(part.clone()) }
        }
        let (a, b) = (image_of(&a), image_of(&b));
        let merged = |first: &Image, second: &Image| {
            let inputs = vec![
                Input { name: "first".into(), image: first.clone() },
                Input { name: "second".into(), image: second.clone() },
            ];
            merge::merge(inputs, OverlapPolicy::Error, EntryChoice::None).unwrap().image
        };
        let ab = merged(&a, &b);
        prop_assert_eq!(&ab, &merged(&b, &a));
        prop_assert_eq!(layout(&ab), layout(&image_of(&parts)));
    }
}
