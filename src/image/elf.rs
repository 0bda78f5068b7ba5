//! ELF: loading the bytes a flash programmer writes, and storing an image as
//! an ELF that debuggers and probe-rs can load.
//!
//! A flash image is made of the PT_LOAD segments at their *load* address
//! (`p_paddr`), not their run address: `.data` runs in SRAM but is stored in
//! flash right after `.text`, and the startup code copies it. Only the
//! `p_filesz` bytes are stored; the rest of `p_memsz` is `.bss`, which the
//! startup code zeroes and which has no bytes in the file.

use std::io::{self, Read, Seek, SeekFrom, Write};

use object::elf;
use object::endian::{Endianness, LittleEndian as LE, U16, U32};
use object::read::elf::{FileHeader, ProgramHeader};
use object::{ReadCache, ReadRef};

use super::{Image, InsertError, OverlapPolicy, StartAddress, format_range};

/// What kind of ELF file was read, for `hex info`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ElfInfo {
    /// 32 or 64.
    pub class: u8,
    pub big_endian: bool,
    /// `e_machine`, e.g. 40 for ARM.
    pub machine: u16,
    /// PT_LOAD segments that carry file bytes.
    pub load_segments: usize,
}

/// A loaded ELF file.
#[derive(Clone, Debug)]
pub struct ElfFile {
    pub image: Image,
    pub info: ElfInfo,
}

/// An ELF file could not be loaded; `offset` is the byte offset in the file
/// of the structure at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("byte offset {offset:#x}: {kind}")]
pub struct ElfError {
    pub offset: u64,
    pub kind: ElfErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElfErrorKind {
    #[error("not an ELF file: expected the magic bytes 7F 45 4C 46 ('\\x7fELF')")]
    NotElf,
    #[error("malformed ELF header: {0}")]
    Header(String),
    #[error("malformed program header table: {0}")]
    ProgramHeaders(String),
    #[error(
        "program header {index} (PT_LOAD) has {size:#x} file bytes at offset {file_offset:#x}, \
         past the end of the file ({file_len:#x} bytes)"
    )]
    SegmentPastEndOfFile {
        index: usize,
        file_offset: u64,
        size: u64,
        file_len: u64,
    },
    #[error(
        "program header {index} (PT_LOAD) loads {} at p_paddr, \
         beyond the 32-bit address space",
        format_range(range)
    )]
    SegmentBeyondAddressSpace {
        index: usize,
        range: std::ops::Range<u64>,
    },
    #[error("program header {index} (PT_LOAD) overlaps an earlier segment: {error}")]
    SegmentOverlap { index: usize, error: InsertError },
    #[error("entry point {0:#x} is beyond the 32-bit address space")]
    EntryBeyondAddressSpace(u64),
    #[error("no loadable data: no PT_LOAD segment has file bytes (p_filesz > 0)")]
    NoLoadableData,
    #[error("cannot read: {0}")]
    Read(String),
}

/// Loads every PT_LOAD segment's file bytes at `p_paddr`, with the entry
/// point as start address. ELF32 and ELF64, either byte order.
pub fn read(data: &[u8]) -> Result<ElfFile, ElfError> {
    read_from(io::Cursor::new(data))
}

/// [`read`] from a file: only the headers are read through the object
/// crate's cache; each segment's bytes are read straight into the image,
/// so a large ELF is never held in memory twice.
pub fn read_from<R: Read + Seek>(file: R) -> Result<ElfFile, ElfError> {
    let cache = ReadCache::new(file);
    let plan = match object::FileKind::parse(&cache) {
        Ok(object::FileKind::Elf32) => plan::<elf::FileHeader32<Endianness>>(&cache, 32)?,
        Ok(object::FileKind::Elf64) => plan::<elf::FileHeader64<Endianness>>(&cache, 64)?,
        _ => {
            return Err(ElfError {
                offset: 0,
                kind: ElfErrorKind::NotElf,
            });
        }
    };
    let mut file = cache.into_inner();
    let mut image = Image::new();
    for segment in &plan.segments {
        let mut bytes = Vec::with_capacity(segment.size as usize);
        // `plan` checked the segment against the file's length; a short
        // read means the file changed under us.
        file.seek(SeekFrom::Start(segment.file_offset))
            .and_then(|_| (&mut file).take(segment.size).read_to_end(&mut bytes))
            .and_then(|read| {
                if read as u64 == segment.size {
                    Ok(())
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                }
            })
            .map_err(|error| ElfError {
                offset: segment.file_offset,
                kind: ElfErrorKind::Read(error.to_string()),
            })?;
        image
            .insert_vec(segment.address, bytes, OverlapPolicy::Identical)
            .map_err(|error| ElfError {
                offset: segment.header_offset,
                kind: ElfErrorKind::SegmentOverlap {
                    index: segment.index,
                    error,
                },
            })?;
    }
    image.set_start_address(Some(StartAddress::Linear {
        address: plan.entry,
    }));
    Ok(ElfFile {
        image,
        info: plan.info,
    })
}

/// What the headers say to load, checked against the file's length and
/// the address space.
struct LoadPlan {
    segments: Vec<PlannedSegment>,
    entry: u32,
    info: ElfInfo,
}

struct PlannedSegment {
    /// Index in the program header table, and where its entry is.
    index: usize,
    header_offset: u64,
    file_offset: u64,
    size: u64,
    /// `p_paddr`.
    address: u32,
}

fn plan<'data, H: FileHeader<Endian = Endianness>>(
    data: impl ReadRef<'data>,
    class: u8,
) -> Result<LoadPlan, ElfError> {
    let at = |offset: u64, kind| ElfError { offset, kind };
    let header = H::parse(data).map_err(|e| at(0, ElfErrorKind::Header(e.to_string())))?;
    let endian = header
        .endian()
        .map_err(|e| at(5, ElfErrorKind::Header(e.to_string())))?;
    let table_offset: u64 = header.e_phoff(endian).into();
    let entry_size = u64::from(header.e_phentsize(endian));
    let program_headers = header
        .program_headers(endian, data)
        .map_err(|e| at(table_offset, ElfErrorKind::ProgramHeaders(e.to_string())))?;
    let file_len = data.len().map_err(|()| {
        at(
            0,
            ElfErrorKind::Read("cannot find the file's length".into()),
        )
    })?;

    let mut segments = Vec::new();
    for (index, ph) in program_headers.iter().enumerate() {
        let header_offset = table_offset + index as u64 * entry_size;
        let size: u64 = ph.p_filesz(endian).into();
        if ph.p_type(endian) != elf::PT_LOAD || size == 0 {
            continue;
        }
        let file_offset: u64 = ph.p_offset(endian).into();
        if file_offset
            .checked_add(size)
            .is_none_or(|end| end > file_len)
        {
            return Err(at(
                header_offset,
                ElfErrorKind::SegmentPastEndOfFile {
                    index,
                    file_offset,
                    size,
                    file_len,
                },
            ));
        }
        let address: u64 = ph.p_paddr(endian).into();
        let range = address..address.saturating_add(size);
        if range.end > super::ADDRESS_SPACE_END {
            return Err(at(
                header_offset,
                ElfErrorKind::SegmentBeyondAddressSpace { index, range },
            ));
        }
        segments.push(PlannedSegment {
            index,
            header_offset,
            file_offset,
            size,
            address: address as u32,
        });
    }
    if segments.is_empty() {
        return Err(at(table_offset, ElfErrorKind::NoLoadableData));
    }
    let entry: u64 = header.e_entry(endian).into();
    let entry =
        u32::try_from(entry).map_err(|_| at(0x18, ElfErrorKind::EntryBeyondAddressSpace(entry)))?;
    Ok(LoadPlan {
        info: ElfInfo {
            class,
            big_endian: endian == Endianness::Big,
            machine: header.e_machine(endian),
            load_segments: segments.len(),
        },
        segments,
        entry,
    })
}

const FILE_HEADER_SIZE: usize = size_of::<elf::FileHeader32<LE>>();
const PROGRAM_HEADER_SIZE: usize = size_of::<elf::ProgramHeader32<LE>>();
const SECTION_HEADER_SIZE: usize = size_of::<elf::SectionHeader32<LE>>();

/// Stores `image` as a 32-bit little-endian ARM executable: one PT_LOAD
/// segment per image segment (`p_paddr == p_vaddr ==` its address), and one
/// allocated PROGBITS section `.secN` per segment as `objcopy -I ihex`
/// makes, because GDB's `load` goes by sections while probe-rs goes by
/// segments. The entry point is the start address (0 when there is none).
pub fn write_to(image: &Image, out: &mut impl Write) -> io::Result<()> {
    let segments: Vec<_> = image.segments().collect();
    let count = segments.len();

    let mut names = vec![0u8]; // .shstrtab starts with the empty name
    let mut name_offsets = Vec::with_capacity(count + 1);
    for n in 1..=count {
        name_offsets.push(names.len() as u32);
        names.extend_from_slice(format!(".sec{n}\0").as_bytes());
    }
    let shstrtab_name = names.len() as u32;
    names.extend_from_slice(b".shstrtab\0");

    let program_headers_at = FILE_HEADER_SIZE;
    let mut data_at = Vec::with_capacity(count);
    let mut offset = program_headers_at + count * PROGRAM_HEADER_SIZE;
    for segment in &segments {
        data_at.push(offset);
        offset += segment.data.len();
    }
    let names_at = offset;
    let section_headers_at = (names_at + names.len()).next_multiple_of(4);

    let u16 = |v: u16| U16::new(LE, v);
    let u32 = |v: u32| U32::new(LE, v);
    let header = elf::FileHeader32::<LE> {
        e_ident: elf::Ident {
            magic: elf::ELFMAG,
            class: elf::ELFCLASS32,
            data: elf::ELFDATA2LSB,
            version: elf::EV_CURRENT,
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            padding: [0; 7],
        },
        e_type: u16(elf::ET_EXEC),
        e_machine: u16(elf::EM_ARM),
        e_version: u32(elf::EV_CURRENT.into()),
        e_entry: u32(image.start_address().map_or(0, |s| s.address())),
        e_phoff: u32(if count == 0 {
            0
        } else {
            program_headers_at as u32
        }),
        e_shoff: u32(section_headers_at as u32),
        e_flags: u32(elf::EF_ARM_EABI_VER5),
        e_ehsize: u16(FILE_HEADER_SIZE as u16),
        e_phentsize: u16(PROGRAM_HEADER_SIZE as u16),
        e_phnum: u16(count as u16),
        e_shentsize: u16(SECTION_HEADER_SIZE as u16),
        e_shnum: u16(count as u16 + 2),
        e_shstrndx: u16(count as u16 + 1),
    };

    out.write_all(object::bytes_of(&header))?;
    for (segment, &at) in segments.iter().zip(&data_at) {
        let size = u32(segment.data.len() as u32);
        out.write_all(object::bytes_of(&elf::ProgramHeader32::<LE> {
            p_type: u32(elf::PT_LOAD),
            p_offset: u32(at as u32),
            p_vaddr: u32(segment.address),
            p_paddr: u32(segment.address),
            p_filesz: size,
            p_memsz: size,
            p_flags: u32(elf::PF_R | elf::PF_W | elf::PF_X),
            p_align: u32(1),
        }))?;
    }
    for segment in &segments {
        out.write_all(segment.data)?;
    }
    out.write_all(&names)?;
    out.write_all(&[0; 3][..section_headers_at - names_at - names.len()])?;

    let section = |name, kind, flags, addr, offset: usize, size: usize| elf::SectionHeader32::<LE> {
        sh_name: u32(name),
        sh_type: u32(kind),
        sh_flags: u32(flags),
        sh_addr: u32(addr),
        sh_offset: u32(offset as u32),
        sh_size: u32(size as u32),
        sh_link: u32(0),
        sh_info: u32(0),
        sh_addralign: u32(1),
        sh_entsize: u32(0),
    };
    out.write_all(object::bytes_of(&section(0, elf::SHT_NULL, 0, 0, 0, 0)))?;
    let flags = elf::SHF_ALLOC | elf::SHF_WRITE | elf::SHF_EXECINSTR;
    for ((segment, &at), &name) in segments.iter().zip(&data_at).zip(&name_offsets) {
        let header = section(
            name,
            elf::SHT_PROGBITS,
            flags,
            segment.address,
            at,
            segment.data.len(),
        );
        out.write_all(object::bytes_of(&header))?;
    }
    let names_header = section(shstrtab_name, elf::SHT_STRTAB, 0, 0, names_at, names.len());
    out.write_all(object::bytes_of(&names_header))
}

/// [`write_to`] into memory.
pub fn write(image: &Image) -> Vec<u8> {
    let mut out = Vec::new();
    write_to(image, &mut out).expect("writing to a Vec cannot fail");
    out
}
