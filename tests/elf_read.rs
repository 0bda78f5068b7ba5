//! Loading ELF files: load addresses, no .bss, every class and byte order,
//! and errors that point at the byte offset of the fault.

mod common;

use common::{TestSegment, build_elf, layout};
use mcu_build::image::StartAddress;
use mcu_build::image::elf::{self, ElfErrorKind, LoadSource, Part, SkipReason, Skipped};
use mcu_build::image::ihex;
use object::elf::{PT_LOAD, PT_NOTE};
use object::read::elf::{FileHeader, SectionHeader};

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
fn an_unknown_class_or_byte_order_is_named() {
    let mut bytes = build_elf(false, false, 0, &[TestSegment::load(0, &[1])]);
    bytes[4] = 3;
    let err = elf::read(&bytes).unwrap_err();
    assert_eq!((err.offset, &err.kind), (4, &ElfErrorKind::UnknownClass(3)));
    assert!(
        err.to_string()
            .starts_with("byte offset 0x4: unknown ELF class 3 (EI_CLASS)"),
        "{err}"
    );
    bytes[4] = 1;
    bytes[5] = 0;
    let err = elf::read(&bytes).unwrap_err();
    assert_eq!(
        (err.offset, &err.kind),
        (5, &ElfErrorKind::UnknownDataEncoding(0))
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
        ElfErrorKind::BeyondAddressSpace {
            part: Part::Segment(1),
            ..
        }
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
        ElfErrorKind::PastEndOfFile {
            part: Part::Segment(0),
            ..
        }
    ));
}

#[test]
fn overlapping_segments_with_different_bytes_are_an_error() {
    let (a, b) = ([1u8; 8], [2u8; 8]);
    let segments = [TestSegment::load(0x1000, &a), TestSegment::load(0x1004, &b)];
    let err = elf::read(&build_elf(false, false, 0, &segments)).unwrap_err();
    assert!(
        matches!(
            err.kind,
            ElfErrorKind::Overlap {
                part: Part::Segment(1),
                ..
            }
        ),
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
    assert_eq!(file.info.loaded_from, LoadSource::Sections);
    assert_eq!(file.info.load_sections, 2);
    assert!(file.info.skipped.is_empty());
}

#[test]
fn more_segments_than_e_phnum_holds_use_extended_numbering_and_load_back() {
    // 70,000 one-byte segments two bytes apart: e_phnum (65,535 at most)
    // and e_shnum (65,280) both overflow.
    let count = 70_000u32;
    let parts: Vec<(u32, Vec<u8>)> = (0..count)
        .map(|i| (0x0800_0000 + 2 * i, vec![i as u8]))
        .collect();
    let mut image = common::image_of(&parts);
    image.set_start_address(Some(StartAddress::Linear {
        address: 0x0800_0001,
    }));
    let bytes = elf::write(&image);
    let header = object::elf::FileHeader32::<object::Endianness>::parse(&bytes[..]).unwrap();
    let endian = header.endian().unwrap();
    assert_eq!(header.e_phnum(endian), object::elf::PN_XNUM);
    assert_eq!(header.e_shnum(endian), 0);
    assert_eq!(header.e_shstrndx(endian), object::elf::SHN_XINDEX);
    let section_0 = &header.section_headers(endian, &bytes[..]).unwrap()[0];
    assert_eq!(section_0.sh_info(endian), count, "the real segment count");
    assert_eq!(
        section_0.sh_size(endian),
        count + 2,
        "the real section count"
    );
    assert_eq!(
        section_0.sh_link(endian),
        count + 1,
        "the index of .shstrtab"
    );
    let file = elf::read(&bytes).unwrap();
    assert_eq!(file.info.load_segments, count as usize);
    assert_eq!(file.info.load_sections, count as usize);
    assert_eq!(file.image, image);
}

/// One section of a test ELF: its type, flags, run address, and the range
/// of the test file's data blob that holds its bytes.
struct TestSection {
    name: &'static [u8],
    kind: u32,
    flags: u32,
    address: u32,
    blob: std::ops::Range<usize>,
}

/// A PT_LOAD of a test ELF over `blob` of the data blob, or over the ELF
/// and program headers when `blob` is `None`.
struct TestLoad {
    vaddr: u32,
    paddr: u32,
    blob: Option<std::ops::Range<usize>>,
    memsz: u32,
}

/// An ELF32 file as linkers make it: the headers, a data blob, program
/// headers over parts of it, sections over parts of it.
fn sectioned_elf(blob: &[u8], loads: &[TestLoad], sections: &[TestSection]) -> Vec<u8> {
    use object::write::elf::{
        FileHeader as WFileHeader, ProgramHeader, SectionHeader as WSection, Writer,
    };
    let mut out = Vec::new();
    let mut w = Writer::new(object::Endianness::Little, false, &mut out);
    w.reserve_file_header();
    w.reserve_program_headers(loads.len() as u32);
    let headers_end = w.reserved_len();
    let blob_at = w.reserve(blob.len(), 4);
    let names: Vec<_> = sections
        .iter()
        .map(|s| w.add_section_name(s.name))
        .collect();
    w.reserve_null_section_index();
    for _ in sections {
        w.reserve_section_index();
    }
    w.reserve_shstrtab_section_index();
    w.reserve_shstrtab();
    w.reserve_section_headers();
    w.write_file_header(&WFileHeader {
        os_abi: 0,
        abi_version: 0,
        e_type: object::elf::ET_EXEC,
        e_machine: object::elf::EM_ARM,
        e_entry: 0x4001,
        e_flags: 0,
    })
    .unwrap();
    w.write_align_program_headers();
    for load in loads {
        let (offset, size) = match &load.blob {
            Some(r) => (blob_at + r.start, r.len()),
            None => (0, headers_end),
        };
        w.write_program_header(&ProgramHeader {
            p_type: PT_LOAD,
            p_flags: object::elf::PF_R,
            p_offset: offset as u64,
            p_vaddr: load.vaddr.into(),
            p_paddr: load.paddr.into(),
            p_filesz: size as u64,
            p_memsz: u64::from(load.memsz).max(size as u64),
            p_align: 4,
        });
    }
    w.write_align(4);
    w.write(blob);
    w.write_shstrtab();
    w.write_null_section_header();
    for (section, name) in sections.iter().zip(names) {
        w.write_section_header(&WSection {
            name: Some(name),
            sh_type: section.kind,
            sh_flags: section.flags.into(),
            sh_addr: section.address.into(),
            sh_offset: (blob_at + section.blob.start) as u64,
            sh_size: section.blob.len() as u64,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: 1,
            sh_entsize: 0,
        });
    }
    w.write_shstrtab_section_header();
    out
}

#[test]
fn sections_load_at_their_load_address_and_header_only_segments_are_skipped() {
    use object::elf::{SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, SHT_PROGBITS};
    // The blob: vector table (8), 2 bytes of alignment padding, .text (6),
    // the .data image (4), then the bytes of an allocated section outside
    // every segment (2) and of a non-allocated one (3).
    let mut blob = vec![0x11; 8];
    blob.extend([0; 2]);
    blob.extend([0x22; 6]);
    blob.extend([0xDD; 4]);
    blob.extend([0x0F; 2]);
    blob.extend([0xCC; 3]);
    let loads = [
        // ld.lld's first segment: only the ELF and program headers, at 0.
        TestLoad {
            vaddr: 0,
            paddr: 0,
            blob: None,
            memsz: 0,
        },
        TestLoad {
            vaddr: 0x4000,
            paddr: 0x4000,
            blob: Some(0..16),
            memsz: 0,
        },
        // .data runs in SRAM, stored in flash after .text; .bss follows.
        TestLoad {
            vaddr: 0x2000_0000,
            paddr: 0x4010,
            blob: Some(16..20),
            memsz: 20,
        },
    ];
    let alloc = SHF_ALLOC;
    let sections = [
        TestSection {
            name: b".vector_table",
            kind: SHT_PROGBITS,
            flags: alloc,
            address: 0x4000,
            blob: 0..8,
        },
        TestSection {
            name: b".text",
            kind: SHT_PROGBITS,
            flags: alloc | SHF_EXECINSTR,
            address: 0x400A,
            blob: 10..16,
        },
        TestSection {
            name: b".data",
            kind: SHT_PROGBITS,
            flags: alloc | SHF_WRITE,
            address: 0x2000_0000,
            blob: 16..20,
        },
        TestSection {
            name: b".bss",
            kind: SHT_NOBITS,
            flags: alloc | SHF_WRITE,
            address: 0x2000_0004,
            blob: 20..36,
        },
        TestSection {
            name: b".orphan",
            kind: SHT_PROGBITS,
            flags: alloc,
            address: 0x3000_0000,
            blob: 20..22,
        },
        TestSection {
            name: b".comment",
            kind: SHT_PROGBITS,
            flags: 0,
            address: 0,
            blob: 22..25,
        },
    ];
    let bytes = sectioned_elf(&blob, &loads, &sections);
    let file = elf::read(&bytes).unwrap();
    let mut flash = vec![0x22; 6];
    flash.extend([0xDD; 4]);
    assert_eq!(
        layout(&file.image),
        vec![
            (0x4000, vec![0x11; 8]),
            (0x400A, flash),
            // Outside every PT_LOAD: at its run address, as objcopy does.
            (0x3000_0000, vec![0x0F; 2]),
        ]
    );
    assert_eq!(file.info.loaded_from, LoadSource::Sections);
    assert_eq!((file.info.load_sections, file.info.load_segments), (4, 3));
    let headers = 52 + 3 * 32;
    assert_eq!(
        file.info.skipped,
        vec![
            Skipped {
                segment: 0,
                address: 0,
                bytes: headers,
                places: 1,
                reason: SkipReason::Headers
            },
            Skipped {
                segment: 1,
                address: 0x4008,
                bytes: 2,
                places: 1,
                reason: SkipReason::Padding
            },
        ]
    );
    assert_eq!(
        file.info.skipped[0].to_string(),
        "skipped 148 bytes of PT_LOAD #0 at 0x00000000 that no section holds (ELF/program headers)"
    );
    // What is loaded, part by part, for the section check.
    let parts = elf::loaded_parts(&bytes).unwrap();
    assert_eq!(
        parts
            .iter()
            .map(|p| (p.part, p.address, p.size))
            .collect::<Vec<_>>(),
        vec![
            (Part::Section(1), 0x4000, 8),
            (Part::Section(2), 0x400A, 6),
            (Part::Section(3), 0x4010, 4),
            (Part::Section(5), 0x3000_0000, 2),
        ]
    );
}

#[test]
fn sections_load_at_their_run_address_when_no_segment_sets_p_paddr() {
    use object::elf::{SHF_ALLOC, SHT_PROGBITS};
    // As BFD reads it: every p_paddr 0 means the linker left them unset.
    let loads = [TestLoad {
        vaddr: 0x100,
        paddr: 0,
        blob: Some(0..4),
        memsz: 0,
    }];
    let sections = [TestSection {
        name: b".text",
        kind: SHT_PROGBITS,
        flags: SHF_ALLOC,
        address: 0x100,
        blob: 0..4,
    }];
    let file = elf::read(&sectioned_elf(&[5; 4], &loads, &sections)).unwrap();
    assert_eq!(layout(&file.image), vec![(0x100, vec![5; 4])]);
    // One p_paddr set anywhere (the header segment's is 0) and it counts.
    let loads = [
        TestLoad {
            vaddr: 0,
            paddr: 0,
            blob: None,
            memsz: 0,
        },
        TestLoad {
            vaddr: 0x100,
            paddr: 0x800,
            blob: Some(0..4),
            memsz: 0,
        },
    ];
    let file = elf::read(&sectioned_elf(&[5; 4], &loads, &sections)).unwrap();
    assert_eq!(layout(&file.image), vec![(0x800, vec![5; 4])]);
}

#[test]
fn sections_that_load_over_each_other_name_the_later_section() {
    use object::elf::{SHF_ALLOC, SHT_PROGBITS};
    let blob = [1, 1, 1, 1, 2, 2, 2, 2];
    let loads = [TestLoad {
        vaddr: 0x100,
        paddr: 0x100,
        blob: Some(0..4),
        memsz: 0,
    }];
    let sections = [
        TestSection {
            name: b".a",
            kind: SHT_PROGBITS,
            flags: SHF_ALLOC,
            address: 0x100,
            blob: 0..4,
        },
        TestSection {
            name: b".b",
            kind: SHT_PROGBITS,
            flags: SHF_ALLOC,
            address: 0x102,
            blob: 4..8,
        },
    ];
    let err = elf::read(&sectioned_elf(&blob, &loads, &sections)).unwrap_err();
    assert!(
        matches!(
            err.kind,
            ElfErrorKind::Overlap {
                part: Part::Section(2),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("section 2 overlaps earlier loaded data"),
        "{err}"
    );
}

#[test]
fn an_elf_whose_sections_hold_no_file_bytes_is_an_error() {
    use object::elf::{SHF_ALLOC, SHF_WRITE, SHT_NOBITS};
    let loads = [TestLoad {
        vaddr: 0x2000_0000,
        paddr: 0x2000_0000,
        blob: Some(0..4),
        memsz: 0,
    }];
    let sections = [TestSection {
        name: b".bss",
        kind: SHT_NOBITS,
        flags: SHF_ALLOC | SHF_WRITE,
        address: 0x2000_0000,
        blob: 0..64,
    }];
    let err = elf::read(&sectioned_elf(&[0; 4], &loads, &sections)).unwrap_err();
    assert_eq!(err.kind, ElfErrorKind::NoLoadableSections);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The fuzz target `elf_read` on stable: a damaged ELF with sections is
    /// an image or an error, never a panic, and an accepted image written
    /// and read again is the same image.
    #[test]
    fn damaged_sectioned_elves_load_or_fail_and_accepted_ones_round_trip(
        flips in proptest::collection::vec((0usize..2048, proptest::prelude::any::<u8>()), 1..6)
    ) {
        use object::elf::{SHF_ALLOC, SHF_WRITE, SHT_PROGBITS};
        let loads = [
            TestLoad { vaddr: 0, paddr: 0, blob: None, memsz: 0 },
            TestLoad { vaddr: 0x4000, paddr: 0x4000, blob: Some(0..8), memsz: 0 },
            TestLoad { vaddr: 0x2000_0000, paddr: 0x4008, blob: Some(8..12), memsz: 16 },
        ];
        let sections = [
            TestSection { name: b".text", kind: SHT_PROGBITS, flags: SHF_ALLOC, address: 0x4000, blob: 0..8 },
            TestSection { name: b".data", kind: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE, address: 0x2000_0000, blob: 8..12 },
        ];
        let mut bytes = sectioned_elf(&[7; 12], &loads, &sections);
        for (at, value) in flips {
            let len = bytes.len();
            bytes[at % len] = value;
        }
        if let Ok(file) = elf::read(&bytes) {
            let again = elf::read(&elf::write(&file.image)).expect("our own output loads");
            proptest::prop_assert_eq!(again.image, file.image);
        }
    }
}

/// `e_entry` is read as `arm-none-eabi-objcopy -O ihex` reads it: 0 is "no
/// entry point" (no 03/05 record), anything else the start address.
#[test]
fn a_zero_entry_point_is_no_start_address_as_objcopy_reads_it() {
    let dir = common::Dir::new();
    for (entry, expected) in [
        (0, None),
        (
            0x0800_0189,
            Some(StartAddress::Linear {
                address: 0x0800_0189,
            }),
        ),
    ] {
        // objcopy wants section headers, which the writer makes; patch
        // e_entry (offset 0x18 in ELF32) to the value under test.
        let mut bytes = elf::write(&common::image_of(&[(0x0800_0000, vec![5; 16])]));
        bytes[0x18..0x1c].copy_from_slice(&u32::to_le_bytes(entry));
        let ours = elf::read(&bytes).unwrap().image;
        assert_eq!(ours.start_address(), expected, "e_entry {entry:#x}");

        let input = dir.write("in.elf", &bytes);
        let output = dir.path("objcopy.hex");
        common::run(
            std::process::Command::new("arm-none-eabi-objcopy")
                .args(["-O", "ihex"])
                .arg(&input)
                .arg(&output),
        );
        let theirs = ihex::read(&std::fs::read(&output).unwrap()).unwrap().image;
        assert_eq!(
            theirs.start_address(),
            expected,
            "objcopy, e_entry {entry:#x}"
        );
        assert_eq!(ours, theirs, "e_entry {entry:#x}");
    }
}

/// The ELF writer stores "no start address" as `e_entry = 0`, so an image
/// without one survives ELF and back unchanged.
#[test]
fn an_image_without_a_start_address_round_trips_through_elf() {
    let image = common::image_of(&[(0x0800_0000, vec![1, 2, 3, 4])]);
    assert_eq!(image.start_address(), None);
    assert_eq!(elf::read(&elf::write(&image)).unwrap().image, image);
}
