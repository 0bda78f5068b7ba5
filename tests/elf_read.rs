//! Loading ELF files: load addresses, no .bss, every class and byte order,
//! and errors that point at the byte offset of the fault.

mod common;

use common::{TestSegment, build_elf, layout};
use mcu_build::image::StartAddress;
use mcu_build::image::elf::{self, ElfErrorKind};
use object::elf::{PT_LOAD, PT_NOTE};

#[test]
fn data_is_taken_at_its_load_address_and_bss_is_not_stored() {
    let text = [0xAA; 8];
    let data = [0xDD; 4];
    let segments = [
        TestSegment::load(0x0800_0000, &text),
        // .data runs at 0x20000000 but is stored in flash after .text; its
        // memsz also covers 12 bytes of .bss, which must not appear.
        TestSegment {
            kind: PT_LOAD,
            paddr: 0x0800_0008,
            vaddr: 0x2000_0000,
            data: &data,
            memsz: 16,
        },
        TestSegment {
            kind: PT_NOTE,
            paddr: 0x3000_0000,
            vaddr: 0x3000_0000,
            data: &[1, 2, 3],
            memsz: 3,
        },
    ];
    for (is_64, big) in [(false, false), (false, true), (true, false), (true, true)] {
        let file = elf::read(&build_elf(is_64, big, 0x0800_0001, &segments)).unwrap();
        let mut expected = text.to_vec();
        expected.extend(data);
        assert_eq!(
            layout(&file.image),
            vec![(0x0800_0000, expected)],
            "64={is_64} big={big}"
        );
        assert_eq!(
            file.image.start_address(),
            Some(StartAddress::Linear {
                address: 0x0800_0001
            })
        );
        assert_eq!(file.info.class, if is_64 { 64 } else { 32 });
        assert_eq!(file.info.big_endian, big);
        assert_eq!(file.info.load_segments, 2);
    }
}

#[test]
fn not_elf_is_reported_at_offset_zero() {
    let err = elf::read(b"\x7fELX....").unwrap_err();
    assert_eq!(err.offset, 0);
    assert_eq!(err.kind, ElfErrorKind::NotElf);
    assert!(
        err.to_string()
            .starts_with("byte offset 0x0: not an ELF file")
    );
}

#[test]
fn an_elf_without_loadable_bytes_is_an_error() {
    let bss_only = [TestSegment {
        kind: PT_LOAD,
        paddr: 0x2000_0000,
        vaddr: 0x2000_0000,
        data: &[],
        memsz: 64,
    }];
    let err = elf::read(&build_elf(false, false, 0, &bss_only)).unwrap_err();
    assert_eq!(err.kind, ElfErrorKind::NoLoadableData);
}

#[test]
fn segments_beyond_4g_name_the_program_header_and_its_offset() {
    let data = [1u8; 16];
    let segments = [
        TestSegment::load(0x1000, &data),
        TestSegment::load(0xFFFF_FFF8, &data),
    ];
    let err = elf::read(&build_elf(true, false, 0, &segments)).unwrap_err();
    // ELF64: program headers start at 64 and are 56 bytes each.
    assert_eq!(err.offset, 64 + 56);
    assert!(matches!(
        err.kind,
        ElfErrorKind::SegmentBeyondAddressSpace { index: 1, .. }
    ));
    assert!(err.to_string().contains("0xfffffff8..0x100000008"), "{err}");
}

#[test]
fn a_segment_past_the_end_of_the_file_is_an_error() {
    let data = [1u8; 16];
    let mut bytes = build_elf(false, false, 0, &[TestSegment::load(0x1000, &data)]);
    bytes.truncate(bytes.len() - 4);
    let err = elf::read(&bytes).unwrap_err();
    assert_eq!(
        err.offset, 52,
        "the first program header, right after the ELF32 header"
    );
    assert!(matches!(
        err.kind,
        ElfErrorKind::SegmentPastEndOfFile { index: 0, .. }
    ));
}

#[test]
fn overlapping_segments_with_different_bytes_are_an_error() {
    let (a, b) = ([1u8; 8], [2u8; 8]);
    let segments = [TestSegment::load(0x1000, &a), TestSegment::load(0x1004, &b)];
    let err = elf::read(&build_elf(false, false, 0, &segments)).unwrap_err();
    assert!(
        matches!(err.kind, ElfErrorKind::SegmentOverlap { index: 1, .. }),
        "{err}"
    );
}

#[test]
fn a_truncated_header_is_an_error_not_a_panic() {
    let bytes = build_elf(false, false, 0, &[TestSegment::load(0, &[1])]);
    for len in 0..bytes.len() {
        assert!(elf::read(&bytes[..len]).is_err(), "prefix of {len} bytes");
    }
}

#[test]
fn written_elf_loads_back_with_one_segment_per_image_segment() {
    let parts = vec![(0x0800_0000, vec![1, 2, 3]), (0x0800_1000, vec![4; 100])];
    let mut image = common::image_of(&parts);
    image.set_start_address(Some(StartAddress::Linear {
        address: 0x0800_0001,
    }));
    let bytes = elf::write(&image);
    let file = elf::read(&bytes).unwrap();
    assert_eq!(layout(&file.image), parts);
    assert_eq!(file.image.start_address(), image.start_address());
    assert_eq!(file.info.load_segments, 2);
    assert_eq!(file.info.machine, object::elf::EM_ARM);
}
