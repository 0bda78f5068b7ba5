//! ELF: loading the bytes a flash programmer writes, and storing an image as
//! an ELF that debuggers and probe-rs can load.
//!
//! What is loaded is what `objcopy -O ihex` and `objcopy -O binary` output
//! (GNU binutils, `bfd/elf.c`, `_bfd_elf_make_section_from_shdr`): the
//! contents of every allocated section that has file bytes (`SHF_ALLOC`,
//! not `SHT_NOBITS`, `sh_size > 0`) at its *load* address (LMA). The LMA of
//! a section inside a `PT_LOAD` segment (by file offset and by run address)
//! is `p_paddr + (sh_offset - p_offset)`: `.data` runs in SRAM but is stored
//! in flash right after `.text`, and the startup code copies it. A section
//! in no `PT_LOAD` segment loads at its run address `sh_addr`, as objcopy
//! does, and so does every section when no program header sets `p_paddr`
//! (all are 0: BFD takes it that the linker left physical addresses
//! unset). `.bss` (`SHT_NOBITS`) has no bytes in the file and is not loaded.
//!
//! Segments are not loaded whole, because a linker may put bytes that are
//! not firmware into a `PT_LOAD` segment: ld.lld emits a first segment that
//! holds only the ELF and program headers, and GNU ld puts the headers (and
//! padding) at the start of the first segment when the vector table does
//! not start at the memory's origin. Loaded whole, those bytes would be
//! flashed below the firmware, over a bootloader. Such skipped bytes are
//! reported in [`ElfInfo::skipped`]. Only an ELF without section headers
//! (stripped with `sstrip`) is loaded by its `PT_LOAD` segments' file bytes.
//!
//! Headers go through the object crate's read cache; the loaded bytes are
//! read straight from the file into the image, in runs of adjacent sections.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;

use object::elf;
use object::endian::{Endianness, LittleEndian as LE, U16, U32};
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader};
use object::{ReadCache, ReadRef};

use super::{Image, InsertError, OverlapPolicy, StartAddress, format_range};

/// What kind of ELF file was read, and how it was loaded, for `hex info`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ElfInfo {
    /// 32 or 64.
    pub class: u8,
    pub big_endian: bool,
    /// `e_machine`, e.g. 40 for ARM.
    pub machine: u16,
    /// PT_LOAD segments that carry file bytes.
    pub load_segments: usize,
    /// What the loaded bytes were taken from.
    pub loaded_from: LoadSource,
    /// Allocated sections with file bytes that were loaded (0 when loaded
    /// from segments).
    pub load_sections: usize,
    /// Bytes of PT_LOAD segments that no loaded section holds, not loaded.
    pub skipped: Vec<Skipped>,
}

/// Where the loaded bytes of an ELF come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadSource {
    /// Allocated sections with file bytes, as objcopy loads them.
    Sections,
    /// PT_LOAD segments' file bytes: the file has no section headers.
    Segments,
}

/// File bytes of one PT_LOAD segment that were not loaded, for one reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Index of the segment in the program header table.
    pub segment: usize,
    /// Load address of the first skipped byte.
    pub address: u32,
    /// Skipped bytes in all.
    pub bytes: u64,
    /// Number of separate runs of skipped bytes.
    pub places: usize,
    pub reason: SkipReason,
}

/// Why bytes of a PT_LOAD segment are not firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// The ELF header or the program header table, nothing else.
    Headers,
    /// The headers and padding after them.
    HeadersAndPadding,
    /// Padding between sections, or the bytes of a non-allocated section.
    Padding,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (bytes, segment, address) = (self.bytes, self.segment, self.address);
        let what = match self.reason {
            SkipReason::Headers => "ELF/program headers",
            SkipReason::HeadersAndPadding => "ELF/program headers and padding",
            SkipReason::Padding => "padding between sections",
        };
        if self.places == 1 {
            write!(
                f,
                "skipped {bytes} bytes of PT_LOAD #{segment} at {address:#010x} \
                 that no section holds ({what})"
            )
        } else {
            write!(
                f,
                "skipped {bytes} bytes in {} places of PT_LOAD #{segment} from {address:#010x} \
                 that no section holds ({what})",
                self.places
            )
        }
    }
}

/// Whether `section` occupies memory at run time (`SHF_ALLOC`): code,
/// data and `.bss`, not symbols, strings or debug information.
pub fn is_allocated<'d>(section: &impl object::ObjectSection<'d>) -> bool {
    matches!(section.flags(), object::SectionFlags::Elf { sh_flags }
        if sh_flags & u64::from(object::elf::SHF_ALLOC) != 0)
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
    #[error("unknown ELF class {0} (EI_CLASS): expected 1 (ELFCLASS32) or 2 (ELFCLASS64)")]
    UnknownClass(u8),
    #[error(
        "unknown ELF data encoding {0} (EI_DATA): expected 1 (ELFDATA2LSB, little-endian) \
         or 2 (ELFDATA2MSB, big-endian)"
    )]
    UnknownDataEncoding(u8),
    #[error("malformed ELF header: {0}")]
    Header(String),
    #[error("malformed program header table: {0}")]
    ProgramHeaders(String),
    #[error("malformed section header table: {0}")]
    SectionHeaders(String),
    #[error(
        "{part} has {size:#x} file bytes at offset {file_offset:#x}, \
         past the end of the file ({file_len:#x} bytes)"
    )]
    PastEndOfFile {
        part: Part,
        file_offset: u64,
        size: u64,
        file_len: u64,
    },
    #[error("{part} loads {} beyond the 32-bit address space", format_range(range))]
    BeyondAddressSpace { part: Part, range: Range<u64> },
    #[error("{part} overlaps earlier loaded data: {error}")]
    Overlap { part: Part, error: InsertError },
    #[error("entry point {0:#x} is beyond the 32-bit address space")]
    EntryBeyondAddressSpace(u64),
    #[error(
        "no loadable data: no allocated section has file bytes \
         (SHF_ALLOC, not SHT_NOBITS, sh_size > 0)"
    )]
    NoLoadableSections,
    #[error("no loadable data: no PT_LOAD segment has file bytes (p_filesz > 0)")]
    NoLoadableData,
    #[error("cannot read: {0}")]
    Read(String),
}

/// The header an error or a loaded run of bytes is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Index in the section header table.
    Section(usize),
    /// Index in the program header table (a PT_LOAD segment).
    Segment(usize),
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Section(index) => write!(f, "section {index}"),
            Part::Segment(index) => write!(f, "program header {index} (PT_LOAD)"),
        }
    }
}

/// Loads what objcopy loads (see the module docs), with the entry point as
/// start address (none when `e_entry` is 0). ELF32 and ELF64, either byte
/// order.
pub fn read(data: &[u8]) -> Result<ElfFile, ElfError> {
    read_from(io::Cursor::new(data))
}

/// [`read`] from a file: only the headers are read through the object
/// crate's cache; the loaded bytes are read straight into the image, so a
/// large ELF is never held in memory twice.
pub fn read_from<R: Read + Seek>(file: R) -> Result<ElfFile, ElfError> {
    let cache = ReadCache::new(file);
    let plan = plan_any(&cache)?;
    let mut file = cache.into_inner();
    let mut image = Image::new();
    for run in &plan.runs {
        let mut bytes = Vec::with_capacity(run.size as usize);
        // `plan` checked the run against the file's length; a short read
        // means the file changed under us.
        file.seek(SeekFrom::Start(run.file_offset))
            .and_then(|_| (&mut file).take(run.size).read_to_end(&mut bytes))
            .and_then(|read| {
                if read as u64 == run.size {
                    Ok(())
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                }
            })
            .map_err(|error| ElfError {
                offset: run.file_offset,
                kind: ElfErrorKind::Read(error.to_string()),
            })?;
        image
            .insert_vec(run.address, bytes, OverlapPolicy::Identical)
            .map_err(|error| {
                let piece = run.piece_of(&error);
                ElfError {
                    offset: piece.header_offset,
                    kind: ElfErrorKind::Overlap {
                        part: piece.part,
                        error,
                    },
                }
            })?;
    }
    // e_entry == 0 means "no entry point" (gABI: "If the file has no
    // associated entry point, this member holds zero"); objcopy reads it so
    // and writes no start address record, and `write_to` stores "no start
    // address" as 0, so reading it back as 0x00000000 would change the image.
    image.set_start_address((plan.entry != 0).then_some(StartAddress::Linear {
        address: plan.entry,
    }));
    Ok(ElfFile {
        image,
        info: plan.info,
    })
}

/// A section (or, without section headers, a segment) that [`read`] loads,
/// and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadedPart {
    pub part: Part,
    /// The load address.
    pub address: u32,
    pub size: u64,
}

/// What [`read`] would load, part by part, without reading the bytes.
pub fn loaded_parts(data: &[u8]) -> Result<Vec<LoadedPart>, ElfError> {
    let plan = plan_any(data)?;
    Ok(plan
        .runs
        .iter()
        .flat_map(|run| &run.pieces)
        .map(|piece| LoadedPart {
            part: piece.part,
            address: piece.address,
            size: piece.size,
        })
        .collect())
}

/// Checks the identification bytes (`e_ident`), then plans the load by
/// the class they give.
fn plan_any<'data>(data: impl ReadRef<'data>) -> Result<LoadPlan, ElfError> {
    let at = |offset: u64, kind| ElfError { offset, kind };
    let ident = data.read_bytes_at(0, 6).unwrap_or(&[]);
    let [0x7F, b'E', b'L', b'F', class, encoding] = *ident else {
        return Err(at(0, ElfErrorKind::NotElf));
    };
    if !matches!(class, elf::ELFCLASS32 | elf::ELFCLASS64) {
        return Err(at(4, ElfErrorKind::UnknownClass(class)));
    }
    if !matches!(encoding, elf::ELFDATA2LSB | elf::ELFDATA2MSB) {
        return Err(at(5, ElfErrorKind::UnknownDataEncoding(encoding)));
    }
    if class == elf::ELFCLASS32 {
        plan::<elf::FileHeader32<Endianness>>(data, 32)
    } else {
        plan::<elf::FileHeader64<Endianness>>(data, 64)
    }
}

/// What the headers say to load, checked against the file's length and
/// the address space.
struct LoadPlan {
    runs: Vec<Run>,
    entry: u32,
    info: ElfInfo,
}

/// One section, or one segment when there are no section headers, to load.
#[derive(Clone, Copy)]
struct Piece {
    part: Part,
    /// Where the header of `part` is in the file.
    header_offset: u64,
    file_offset: u64,
    size: u64,
    /// The load address.
    address: u32,
}

/// Pieces adjacent both in the file and in memory, read with one read.
struct Run {
    file_offset: u64,
    size: u64,
    address: u32,
    pieces: Vec<Piece>,
}

impl Run {
    /// The piece whose bytes an insert error is about.
    fn piece_of(&self, error: &InsertError) -> Piece {
        let at = match error {
            InsertError::Overlap(o) => o
                .first_difference
                .map_or(o.range.start, |d| u64::from(d.address)),
            InsertError::BeyondAddressSpace(range) => range.start,
        };
        *self
            .pieces
            .iter()
            .rev()
            .find(|p| u64::from(p.address) <= at)
            .unwrap_or(&self.pieces[0])
    }
}

/// Groups pieces (in header order) into runs of adjacent ones.
fn runs(pieces: Vec<Piece>) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for piece in pieces {
        match runs.last_mut() {
            Some(run)
                if run.file_offset + run.size == piece.file_offset
                    && u64::from(run.address) + run.size == u64::from(piece.address) =>
            {
                run.size += piece.size;
                run.pieces.push(piece);
            }
            _ => runs.push(Run {
                file_offset: piece.file_offset,
                size: piece.size,
                address: piece.address,
                pieces: vec![piece],
            }),
        }
    }
    runs
}

/// A PT_LOAD segment with file bytes.
struct LoadSegment {
    index: usize,
    header_offset: u64,
    file: Range<u64>,
    /// Run addresses (`p_vaddr` to `p_vaddr + p_memsz`).
    run: Range<u64>,
    paddr: u64,
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
    let file_len = data.len().map_err(|()| {
        at(
            0,
            ElfErrorKind::Read("cannot find the file's length".into()),
        )
    })?;
    let check_in_file = |part, header_offset, file_offset: u64, size: u64| {
        if file_offset
            .checked_add(size)
            .is_none_or(|end| end > file_len)
        {
            return Err(at(
                header_offset,
                ElfErrorKind::PastEndOfFile {
                    part,
                    file_offset,
                    size,
                    file_len,
                },
            ));
        }
        Ok(())
    };
    let check_address = |part, header_offset, address: u64, size: u64| {
        let range = address..address.saturating_add(size);
        if range.end > super::ADDRESS_SPACE_END {
            return Err(at(
                header_offset,
                ElfErrorKind::BeyondAddressSpace { part, range },
            ));
        }
        Ok(address as u32)
    };

    let table_offset: u64 = header.e_phoff(endian).into();
    let entry_size = u64::from(header.e_phentsize(endian));
    let program_headers = header
        .program_headers(endian, data)
        .map_err(|e| at(table_offset, ElfErrorKind::ProgramHeaders(e.to_string())))?;
    let mut segments = Vec::new();
    for (index, ph) in program_headers.iter().enumerate() {
        let header_offset = table_offset + index as u64 * entry_size;
        let size: u64 = ph.p_filesz(endian).into();
        if ph.p_type(endian) != elf::PT_LOAD || size == 0 {
            continue;
        }
        let file_offset: u64 = ph.p_offset(endian).into();
        check_in_file(Part::Segment(index), header_offset, file_offset, size)?;
        let vaddr: u64 = ph.p_vaddr(endian).into();
        segments.push(LoadSegment {
            index,
            header_offset,
            file: file_offset..file_offset + size,
            run: vaddr..vaddr.saturating_add(ph.p_memsz(endian).into()),
            paddr: ph.p_paddr(endian).into(),
        });
    }

    // BFD: no p_paddr set means load addresses equal run addresses.
    let paddr_set = program_headers
        .iter()
        .any(|ph| Into::<u64>::into(ph.p_paddr(endian)) != 0);
    let section_table: u64 = header.e_shoff(endian).into();
    let section_headers = header
        .section_headers(endian, data)
        .map_err(|e| at(section_table, ElfErrorKind::SectionHeaders(e.to_string())))?;
    let (pieces, loaded_from) = if section_headers.is_empty() {
        let mut pieces = Vec::new();
        for segment in &segments {
            let part = Part::Segment(segment.index);
            let size = segment.file.end - segment.file.start;
            pieces.push(Piece {
                part,
                header_offset: segment.header_offset,
                file_offset: segment.file.start,
                size,
                address: check_address(part, segment.header_offset, segment.paddr, size)?,
            });
        }
        if pieces.is_empty() {
            return Err(at(table_offset, ElfErrorKind::NoLoadableData));
        }
        (pieces, LoadSource::Segments)
    } else {
        let mut pieces = Vec::new();
        if !paddr_set {
            // Skipped bytes are then reported at their run address too.
            for segment in &mut segments {
                segment.paddr = segment.run.start;
            }
        }
        let finder = SegmentFinder::new(if paddr_set { &segments } else { &[] });
        let header_size = size_of::<H::SectionHeader>() as u64;
        for (index, sh) in section_headers.iter().enumerate() {
            let size: u64 = sh.sh_size(endian).into();
            let flags: u64 = sh.sh_flags(endian).into();
            let kind = sh.sh_type(endian);
            if index == 0
                || flags & u64::from(elf::SHF_ALLOC) == 0
                || kind == elf::SHT_NOBITS
                || kind == elf::SHT_NULL
                || size == 0
            {
                continue;
            }
            let part = Part::Section(index);
            let header_offset = section_table + index as u64 * header_size;
            let file_offset: u64 = sh.sh_offset(endian).into();
            check_in_file(part, header_offset, file_offset, size)?;
            let run_address: u64 = sh.sh_addr(endian).into();
            let load_address = match finder.containing(file_offset, run_address, size) {
                Some(segment) => segment
                    .paddr
                    .saturating_add(file_offset - segment.file.start),
                None => run_address,
            };
            pieces.push(Piece {
                part,
                header_offset,
                file_offset,
                size,
                address: check_address(part, header_offset, load_address, size)?,
            });
        }
        if pieces.is_empty() {
            return Err(at(section_table, ElfErrorKind::NoLoadableSections));
        }
        (pieces, LoadSource::Sections)
    };

    let skipped = match loaded_from {
        LoadSource::Sections => {
            let ehsize = u64::from(header.e_ehsize(endian));
            let phnum = program_headers.len() as u64;
            let headers = [0..ehsize, table_offset..table_offset + phnum * entry_size];
            skipped_bytes(&segments, &pieces, &headers)
        }
        LoadSource::Segments => Vec::new(),
    };
    let entry: u64 = header.e_entry(endian).into();
    let entry =
        u32::try_from(entry).map_err(|_| at(0x18, ElfErrorKind::EntryBeyondAddressSpace(entry)))?;
    Ok(LoadPlan {
        info: ElfInfo {
            class,
            big_endian: endian == Endianness::Big,
            machine: header.e_machine(endian),
            load_segments: segments.len(),
            loaded_from,
            load_sections: match loaded_from {
                LoadSource::Sections => pieces.len(),
                LoadSource::Segments => 0,
            },
            skipped,
        },
        runs: runs(pieces),
        entry,
    })
}

/// Finds the PT_LOAD segment that holds a section, as BFD's
/// `ELF_SECTION_IN_SEGMENT` does: its file bytes lie in the segment's file
/// bytes and its run addresses in the segment's; of several, the first in
/// the program header table. Segments are searched by file offset, so that
/// an ELF of many sections and segments loads in O(n log n).
struct SegmentFinder<'a> {
    /// Segments by file offset.
    by_offset: Vec<&'a LoadSegment>,
    /// The largest file end among `by_offset[..=i]`: the search backwards
    /// stops where no earlier segment reaches the section.
    reach: Vec<u64>,
}

impl<'a> SegmentFinder<'a> {
    fn new(segments: &'a [LoadSegment]) -> Self {
        let mut by_offset: Vec<&LoadSegment> = segments.iter().collect();
        by_offset.sort_by_key(|s| (s.file.start, s.index));
        let reach = by_offset
            .iter()
            .scan(0, |reach, s| {
                *reach = s.file.end.max(*reach);
                Some(*reach)
            })
            .collect();
        SegmentFinder { by_offset, reach }
    }

    fn containing(&self, file_offset: u64, address: u64, size: u64) -> Option<&'a LoadSegment> {
        let file = file_offset..file_offset + size;
        let run = address..address.saturating_add(size);
        let candidates = self
            .by_offset
            .partition_point(|s| s.file.start <= file.start);
        (0..candidates)
            .rev()
            .take_while(|&i| self.reach[i] >= file.end)
            .map(|i| self.by_offset[i])
            .filter(|s| s.file.end >= file.end && s.run.start <= run.start && run.end <= s.run.end)
            .min_by_key(|s| s.index)
    }
}

/// The file bytes of each segment that no loaded piece holds, by segment
/// and reason.
fn skipped_bytes(
    segments: &[LoadSegment],
    pieces: &[Piece],
    headers: &[Range<u64>],
) -> Vec<Skipped> {
    let mut loaded: Vec<Range<u64>> = pieces
        .iter()
        .map(|p| p.file_offset..p.file_offset + p.size)
        .collect();
    loaded.sort_by_key(|r| r.start);
    let loaded = super::select::union(loaded);
    let mut skipped: Vec<Skipped> = Vec::new();
    for segment in segments {
        let first = loaded.partition_point(|r| r.end <= segment.file.start);
        let mut cursor = segment.file.start;
        let mut holes = Vec::new();
        let this_segment = skipped.len();
        for r in loaded[first..]
            .iter()
            .take_while(|r| r.start < segment.file.end)
        {
            if r.start > cursor {
                holes.push(cursor..r.start);
            }
            cursor = cursor.max(r.end);
        }
        if cursor < segment.file.end {
            holes.push(cursor..segment.file.end);
        }
        for hole in holes {
            let in_headers: u64 = headers
                .iter()
                .map(|h| h.end.min(hole.end).saturating_sub(h.start.max(hole.start)))
                .sum();
            let reason = match in_headers {
                0 => SkipReason::Padding,
                n if n >= hole.end - hole.start => SkipReason::Headers,
                _ => SkipReason::HeadersAndPadding,
            };
            let bytes = hole.end - hole.start;
            match skipped[this_segment..]
                .iter_mut()
                .find(|s| s.segment == segment.index && s.reason == reason)
            {
                Some(entry) => {
                    entry.bytes += bytes;
                    entry.places += 1;
                }
                None => skipped.push(Skipped {
                    segment: segment.index,
                    // Wraps like the loaded addresses; only for messages.
                    address: segment.paddr.wrapping_add(hole.start - segment.file.start) as u32,
                    bytes,
                    places: 1,
                    reason,
                }),
            }
        }
    }
    skipped
}

const FILE_HEADER_SIZE: usize = size_of::<elf::FileHeader32<LE>>();
const PROGRAM_HEADER_SIZE: usize = size_of::<elf::ProgramHeader32<LE>>();
const SECTION_HEADER_SIZE: usize = size_of::<elf::SectionHeader32<LE>>();

/// Stores `image` as a 32-bit little-endian ARM executable: one PT_LOAD
/// segment per image segment (`p_paddr == p_vaddr ==` its address), and one
/// allocated PROGBITS section `.secN` per segment as `objcopy -I ihex`
/// makes, because GDB's `load` goes by sections while probe-rs goes by
/// segments. The entry point is the start address (0 when there is none).
///
/// More segments than `e_phnum` can count (65,535 or more) or sections
/// than `e_shnum` (65,280 or more) use the gABI's extended numbering
/// ("Extended Section Numbering", "Program Header"): `e_phnum = PN_XNUM`
/// with the count in section header 0's `sh_info`, `e_shnum = 0` with the
/// count in its `sh_size`, and `e_shstrndx = SHN_XINDEX` with the index in
/// its `sh_link`; binutils, LLVM and the object crate read it. An image
/// whose file would not fit the 32-bit offsets of ELF32 is refused
/// (`io::ErrorKind::InvalidInput`).
pub fn write_to(image: &Image, out: &mut impl Write) -> io::Result<()> {
    let segments: Vec<_> = image.segments().collect();
    let count = segments.len();
    let numbering = Numbering::new(count);

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
    let file_end = section_headers_at as u64 + (count as u64 + 2) * SECTION_HEADER_SIZE as u64;
    if file_end > u64::from(u32::MAX) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the image makes an ELF file of {file_end} bytes, more than the 4 GiB a 32-bit \
                 ELF file can address; write HEX or select a part with --range"
            ),
        ));
    }

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
        e_phnum: u16(numbering.e_phnum),
        e_shentsize: u16(SECTION_HEADER_SIZE as u16),
        e_shnum: u16(numbering.e_shnum),
        e_shstrndx: u16(numbering.e_shstrndx),
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
    let mut null = section(0, elf::SHT_NULL, 0, 0, 0, 0);
    null.sh_size = u32(numbering.section_0_size);
    null.sh_link = u32(numbering.section_0_link);
    null.sh_info = u32(numbering.section_0_info);
    out.write_all(object::bytes_of(&null))?;
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

/// The header fields that count segments and sections, in the normal or
/// the extended form (see [`write_to`]).
struct Numbering {
    e_phnum: u16,
    e_shnum: u16,
    e_shstrndx: u16,
    section_0_size: u32,
    section_0_link: u32,
    section_0_info: u32,
}

impl Numbering {
    /// For `segments` segments, as many `.secN` sections, the null section
    /// and `.shstrtab` (the last).
    fn new(segments: usize) -> Self {
        let sections = segments + 2;
        let names_index = segments + 1;
        let (e_phnum, section_0_info) = match u16::try_from(segments) {
            Ok(n) if n < elf::PN_XNUM => (n, 0),
            _ => (elf::PN_XNUM, segments as u32),
        };
        let (e_shnum, section_0_size) = match u16::try_from(sections) {
            Ok(n) if n < elf::SHN_LORESERVE => (n, 0),
            _ => (0, sections as u32),
        };
        let (e_shstrndx, section_0_link) = match u16::try_from(names_index) {
            Ok(n) if n < elf::SHN_LORESERVE => (n, 0),
            _ => (elf::SHN_XINDEX, names_index as u32),
        };
        Numbering {
            e_phnum,
            e_shnum,
            e_shstrndx,
            section_0_size,
            section_0_link,
            section_0_info,
        }
    }
}

/// [`write_to`] into memory.
///
/// # Panics
///
/// When the file would exceed 4 GiB (see [`write_to`]): nearly 4 GiB of
/// data, which callers holding firmware images do not reach; file outputs
/// go through [`write_to`], which returns the error.
pub fn write(image: &Image) -> Vec<u8> {
    let mut out = Vec::new();
    write_to(image, &mut out).expect("an image of firmware fits a 32-bit ELF file");
    out
}
