//! Intel HEX: reading all six record types and writing with 04 records.
//!
//! A record is `:LLAAAATT<data>CC`: LL data bytes, a 16-bit address offset
//! AAAA, the type TT, the data and a checksum that makes the sum of all
//! record bytes zero. The types are 00 data, 01 end of file, 02 extended
//! segment address, 03 start segment address (CS:IP), 04 extended linear
//! address and 05 start linear address.
//!
//! Addressing, as Intel's specification defines it: after an 02 record the
//! address of data byte `i` of a record is `base + ((AAAA + i) mod 64 KiB)`,
//! so data wraps around inside the 64 KiB segment; after an 04 record (or
//! none) it is `base + AAAA + i`, and a record that runs past 0xFFFFFFFF is
//! an error rather than a silent wrap to address 0.
//!
//! Two conventions of text files are accepted as `srec_cat` and Python's
//! `intelhex` accept them: a UTF-8 byte-order mark (EF BB BF) before the
//! first record, as Windows editors save it, and Ctrl-Z (0x1A, the CP/M and
//! DOS end-of-text mark) after the end-of-file record. A Ctrl-Z anywhere
//! else would cut the records short, so it is an error that says so.
//!
//! The codec is hand-written rather than taken from the `ihex` crate: errors
//! need the line and column of the offending character, and the reader and
//! writer are the hot path of `hex merge` (see benches/).

use std::fmt;
use std::io::{self, BufRead, Write};

use super::{Image, InsertError, OverlapPolicy, StartAddress};

/// Counts of records by type, as read from a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecordCounts {
    pub data: u64,
    pub end_of_file: u64,
    pub extended_segment_address: u64,
    pub start_segment_address: u64,
    pub extended_linear_address: u64,
    pub start_linear_address: u64,
}

/// A parsed HEX file: the image and what records it was made of.
#[derive(Clone, Debug)]
pub struct HexFile {
    pub image: Image,
    pub records: RecordCounts,
}

/// A HEX file could not be read; `line` and `column` are 1-based.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {kind}")]
pub struct HexError {
    pub line: usize,
    pub column: usize,
    pub kind: HexErrorKind,
}

/// What was wrong, and what was expected instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexErrorKind {
    #[error("expected ':' at the start of a record, found {0:?}")]
    MissingColon(char),
    #[error("expected a hex digit, found {0:?}")]
    NotHexDigit(char),
    #[error("odd number of hex digits ({0}): a record is made of whole bytes")]
    OddDigitCount(usize),
    #[error("record too short: {0} hex digits, a record has at least 10 (LL AAAA TT CC)")]
    TooShort(usize),
    #[error("record declares {declared} data bytes (LL = {declared:#04X}) but holds {actual}")]
    ByteCount { declared: usize, actual: usize },
    #[error("checksum is {found:#04X}, record sums to {expected:#04X}")]
    Checksum { found: u8, expected: u8 },
    #[error("unknown record type {0:#04X}: expected 00 to 05")]
    UnknownType(u8),
    #[error("{record} record must have {expected} data bytes, has {actual}")]
    RecordLength {
        record: RecordType,
        expected: usize,
        actual: usize,
    },
    #[error("data after the end-of-file record (line {eof_line})")]
    DataAfterEof { eof_line: usize },
    #[error("missing end-of-file record (:00000001FF)")]
    MissingEof,
    #[error(
        "Ctrl-Z (0x1A, end of text) before the end-of-file record: \
         it may only follow the :00000001FF record"
    )]
    CtrlZBeforeEof,
    #[error("cannot read: {0}")]
    Io(String),
    #[error("{record} record gives {new}, but line {first_line} already gave {first}")]
    ConflictingStart {
        record: RecordType,
        new: StartAddress,
        first: StartAddress,
        first_line: usize,
    },
    #[error(transparent)]
    Insert(#[from] InsertError),
}

/// The six record types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordType {
    Data = 0,
    EndOfFile = 1,
    ExtendedSegmentAddress = 2,
    StartSegmentAddress = 3,
    ExtendedLinearAddress = 4,
    StartLinearAddress = 5,
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            RecordType::Data => "data",
            RecordType::EndOfFile => "end-of-file",
            RecordType::ExtendedSegmentAddress => "extended segment address",
            RecordType::StartSegmentAddress => "start segment address",
            RecordType::ExtendedLinearAddress => "extended linear address",
            RecordType::StartLinearAddress => "start linear address",
        };
        write!(f, "{name} ({:02X})", *self as u8)
    }
}

/// How addresses of data records are formed (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Addressing {
    Linear(u32),
    Segment(u32),
}

/// Value of each ASCII hex digit, 0xFF for anything else.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = match i as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => 0xFF,
        };
        i += 1;
    }
    table
};

/// Value of every pair of ASCII hex digits (first digit in the high byte of
/// the index), or 0x100 when either is not a hex digit: one load per byte in
/// the hot loop of every HEX read.
static PAIR_VALUE: [u16; 1 << 16] = {
    let mut table = [0x100u16; 1 << 16];
    let mut i = 0;
    while i < 1 << 16 {
        let (hi, lo) = (HEX_VALUE[i >> 8], HEX_VALUE[i & 0xFF]);
        if hi != 0xFF && lo != 0xFF {
            table[i] = (hi << 4 | lo) as u16;
        }
        i += 1;
    }
    table
};

/// A contiguous run of data records not yet inserted into the image, with
/// the line of each record so that an overlap can name the exact record.
#[derive(Default)]
struct Run {
    address: u32,
    bytes: Vec<u8>,
    /// Where the run's records came from, in offset order.
    stretches: Vec<Stretch>,
}

/// Records of one length on consecutive lines: a whole file of 16-byte
/// records is one stretch per 64 KiB (the 04 records break the lines), where
/// an entry per record would take as much memory as the data.
struct Stretch {
    /// Offset of the first record's data within the run.
    offset: usize,
    line: usize,
    length: usize,
    count: usize,
}

impl Stretch {
    /// The line of the record holding the byte at run offset `offset`.
    fn line_of(&self, offset: usize) -> usize {
        let index = (offset - self.offset) / self.length.max(1);
        self.line + index.min(self.count - 1)
    }
}

impl Run {
    fn end(&self) -> u64 {
        u64::from(self.address) + self.bytes.len() as u64
    }

    /// Adds a record's data, first flushing the run into `image` when the
    /// data does not continue it.
    fn append(
        &mut self,
        image: &mut Image,
        address: u32,
        data: &[u8],
        line: usize,
    ) -> Result<(), HexError> {
        if u64::from(address) != self.end() {
            self.flush(image)?;
        }
        if self.bytes.is_empty() {
            self.address = address;
        }
        match self.stretches.last_mut() {
            Some(last) if last.length == data.len() && last.line + last.count == line => {
                last.count += 1;
            }
            _ => self.stretches.push(Stretch {
                offset: self.bytes.len(),
                line,
                length: data.len(),
                count: 1,
            }),
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    /// Inserts the run into `image` and empties it.
    fn flush(&mut self, image: &mut Image) -> Result<(), HexError> {
        if self.bytes.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.bytes);
        let result = image.insert_vec(self.address, bytes, OverlapPolicy::Identical);
        if let Err(err) = result {
            let at = match &err {
                InsertError::Overlap(o) => o
                    .first_difference
                    .map_or(o.range.start, |d| u64::from(d.address)),
                InsertError::BeyondAddressSpace(r) => r.start,
            };
            let offset = (at - u64::from(self.address)) as usize;
            let index = self.stretches.partition_point(|s| s.offset <= offset) - 1;
            return Err(HexError {
                line: self.stretches[index].line_of(offset),
                column: 4,
                kind: err.into(),
            });
        }
        self.stretches.clear();
        Ok(())
    }
}

/// Parses Intel HEX text held in memory.
pub fn read(text: &[u8]) -> Result<HexFile, HexError> {
    read_from(text)
}

/// Parses Intel HEX text from `reader`, so that the text of a large file is
/// never held in memory whole, only its data. Lines are found in the
/// reader's buffer; only a line split across two reads is copied.
pub fn read_from(mut reader: impl BufRead) -> Result<HexFile, HexError> {
    let mut parser = Parser::new();
    let mut split_line = Vec::new();
    loop {
        let chunk = reader.fill_buf().map_err(|error| HexError {
            line: parser.line + 1,
            column: 1,
            kind: HexErrorKind::Io(error.to_string()),
        })?;
        if chunk.is_empty() {
            break;
        }
        let mut line_start = 0;
        for line_end in memchr::memchr_iter(b'\n', chunk) {
            let line = &chunk[line_start..line_end];
            line_start = line_end + 1;
            if split_line.is_empty() {
                parser.line(line)?;
            } else {
                split_line.extend_from_slice(line);
                parser.line(&split_line)?;
                split_line.clear();
            }
        }
        split_line.extend_from_slice(&chunk[line_start..]);
        let consumed = chunk.len();
        reader.consume(consumed);
    }
    if !split_line.is_empty() {
        parser.line(&split_line)?;
    }
    parser.finish()
}

/// The state of a HEX read between lines.
struct Parser {
    /// The number of the line last read (1-based).
    line: usize,
    image: Image,
    records: RecordCounts,
    addressing: Addressing,
    start: Option<(StartAddress, usize)>,
    eof_line: Option<usize>,
    run: Run,
    /// The decoded bytes of the current record.
    buffer: [u8; MAX_RECORD_BYTES],
}

impl Parser {
    fn new() -> Self {
        Parser {
            line: 0,
            image: Image::new(),
            records: RecordCounts::default(),
            addressing: Addressing::Linear(0),
            start: None,
            eof_line: None,
            run: Run::default(),
            buffer: [0; MAX_RECORD_BYTES],
        }
    }

    /// Takes the next line (without its '\n').
    fn line(&mut self, text: &[u8]) -> Result<(), HexError> {
        self.line += 1;
        let line = self.line;
        let text = match line {
            1 => text.strip_prefix(UTF8_BOM).unwrap_or(text),
            _ => text,
        };
        let record_text = text.trim_ascii_end();
        let is_text_end = |c: &u8| *c == CTRL_Z || c.is_ascii_whitespace();
        // Ctrl-Z can only be accepted at the end of the end-of-file record's
        // line or on a line after it; anywhere else inside a record the
        // hex-digit check below names it. So only those lines are searched,
        // which keeps the search off the hot path of every data record.
        let may_hold_ctrl_z = self.eof_line.is_some()
            || record_text.first() == Some(&CTRL_Z)
            || record_text.last() == Some(&CTRL_Z);
        let ctrl_z = if may_hold_ctrl_z {
            memchr::memchr(CTRL_Z, record_text)
        } else {
            None
        };
        let content = match ctrl_z {
            // On the line of the end-of-file record, after the record.
            Some(at) if self.eof_line.is_none() => {
                let before = record_text[..at].trim_ascii_end();
                if !(is_eof_record(before) && record_text[at..].iter().all(is_text_end)) {
                    return Err(HexError {
                        line,
                        column: at + 1,
                        kind: HexErrorKind::CtrlZBeforeEof,
                    });
                }
                before
            }
            // On a line of its own after the end-of-file record.
            Some(_) if record_text.iter().all(is_text_end) => &[],
            _ => record_text,
        };
        if content.is_empty() {
            return Ok(());
        }
        if let Some(eof_line) = self.eof_line {
            return Err(HexError {
                line,
                column: 1,
                kind: HexErrorKind::DataAfterEof { eof_line },
            });
        }
        let at = |column: usize, kind| HexError { line, column, kind };
        let bytes =
            decode_record(content, &mut self.buffer).map_err(|(column, kind)| at(column, kind))?;
        let data = &bytes[4..bytes.len() - 1];
        let checksum_column = content.len() - 1;
        let found = bytes[bytes.len() - 1];
        let expected = bytes[..bytes.len() - 1]
            .iter()
            .fold(0u8, |sum, b| sum.wrapping_add(*b))
            .wrapping_neg();
        if found != expected {
            return Err(at(
                checksum_column,
                HexErrorKind::Checksum { found, expected },
            ));
        }
        let offset = u16::from_be_bytes([bytes[1], bytes[2]]);
        let record = match bytes[3] {
            0 => RecordType::Data,
            1 => RecordType::EndOfFile,
            2 => RecordType::ExtendedSegmentAddress,
            3 => RecordType::StartSegmentAddress,
            4 => RecordType::ExtendedLinearAddress,
            5 => RecordType::StartLinearAddress,
            other => return Err(at(8, HexErrorKind::UnknownType(other))),
        };
        let expect_len = |expected: usize| {
            if data.len() == expected {
                Ok(())
            } else {
                Err(at(
                    2,
                    HexErrorKind::RecordLength {
                        record,
                        expected,
                        actual: data.len(),
                    },
                ))
            }
        };
        match record {
            RecordType::Data => {
                self.records.data += 1;
                // Where the record starts, and the segment base its data wraps to
                // after offset 0xFFFF (segment self.addressing only).
                let (address, wrap) = match self.addressing {
                    Addressing::Linear(base) => {
                        let first = u64::from(base) + u64::from(offset);
                        let range = first..first + data.len() as u64;
                        if range.end > super::ADDRESS_SPACE_END {
                            return Err(at(4, InsertError::BeyondAddressSpace(range).into()));
                        }
                        (first as u32, None)
                    }
                    Addressing::Segment(base) => (base + u32::from(offset), Some(base)),
                };
                let until_wrap = 0x1_0000 - usize::from(offset);
                match wrap {
                    Some(base) if data.len() > until_wrap => {
                        self.run
                            .append(&mut self.image, address, &data[..until_wrap], line)?;
                        self.run
                            .append(&mut self.image, base, &data[until_wrap..], line)?;
                    }
                    _ => self.run.append(&mut self.image, address, data, line)?,
                }
            }
            RecordType::EndOfFile => {
                expect_len(0)?;
                self.records.end_of_file += 1;
                self.eof_line = Some(line);
            }
            RecordType::ExtendedSegmentAddress => {
                expect_len(2)?;
                self.records.extended_segment_address += 1;
                self.addressing = Addressing::Segment(u32::from(be16(data)) << 4);
            }
            RecordType::ExtendedLinearAddress => {
                expect_len(2)?;
                self.records.extended_linear_address += 1;
                self.addressing = Addressing::Linear(u32::from(be16(data)) << 16);
            }
            RecordType::StartSegmentAddress | RecordType::StartLinearAddress => {
                expect_len(4)?;
                let new = if record == RecordType::StartSegmentAddress {
                    self.records.start_segment_address += 1;
                    StartAddress::Segment {
                        cs: be16(&data[..2]),
                        ip: be16(&data[2..]),
                    }
                } else {
                    self.records.start_linear_address += 1;
                    StartAddress::Linear {
                        address: u32::from_be_bytes([data[0], data[1], data[2], data[3]]),
                    }
                };
                match self.start {
                    Some((first, first_line)) if first != new => {
                        return Err(at(
                            10,
                            HexErrorKind::ConflictingStart {
                                record,
                                new,
                                first,
                                first_line,
                            },
                        ));
                    }
                    Some(_) => {}
                    None => self.start = Some((new, line)),
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<HexFile, HexError> {
        self.run.flush(&mut self.image)?;
        if self.eof_line.is_none() {
            return Err(HexError {
                line: self.line + 1,
                column: 1,
                kind: HexErrorKind::MissingEof,
            });
        }
        self.image.set_start_address(self.start.map(|(s, _)| s));
        Ok(HexFile {
            image: self.image,
            records: self.records,
        })
    }
}

/// The UTF-8 encoding of U+FEFF, which some editors put before the text.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Ctrl-Z (SUB), which CP/M and DOS put at the end of a text file.
const CTRL_Z: u8 = 0x1A;

/// Whether `content` is the end-of-file record, in either letter case.
fn is_eof_record(content: &[u8]) -> bool {
    content.eq_ignore_ascii_case(b":00000001FF")
}

fn be16(two: &[u8]) -> u16 {
    u16::from_be_bytes([two[0], two[1]])
}

/// The most bytes a record can hold: LL AAAA TT, 255 data bytes and CC.
const MAX_RECORD_BYTES: usize = 4 + 255 + 1;

/// Decodes `:` and the hex pairs of one record into `out` and returns the
/// decoded bytes; on error returns the 1-based column and the problem.
fn decode_record<'a>(
    content: &[u8],
    out: &'a mut [u8; MAX_RECORD_BYTES],
) -> Result<&'a [u8], (usize, HexErrorKind)> {
    if content[0] != b':' {
        return Err((1, HexErrorKind::MissingColon(first_char(content))));
    }
    let digits = &content[1..];
    let pairs = digits.len() / 2;
    // Decode optimistically (this is the hot loop of every HEX read); an
    // invalid pair leaves bit 8 set in `invalid`.
    let mut invalid = 0u16;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let value = PAIR_VALUE[usize::from(pair[0]) << 8 | usize::from(pair[1])];
        invalid |= value;
        *byte = value as u8;
    }
    let undecoded = &digits[2 * pairs.min(MAX_RECORD_BYTES)..];
    if invalid > 0xFF || undecoded.iter().any(|&c| HEX_VALUE[usize::from(c)] == 0xFF) {
        let i = digits
            .iter()
            .position(|&c| HEX_VALUE[usize::from(c)] == 0xFF)
            .expect("an invalid digit was seen");
        return Err((2 + i, HexErrorKind::NotHexDigit(first_char(&digits[i..]))));
    }
    if digits.len() % 2 == 1 {
        return Err((content.len(), HexErrorKind::OddDigitCount(digits.len())));
    }
    if pairs < 5 {
        return Err((content.len(), HexErrorKind::TooShort(digits.len())));
    }
    let declared = usize::from(out[0]);
    if pairs != declared + 5 {
        let actual = pairs - 5;
        return Err((2, HexErrorKind::ByteCount { declared, actual }));
    }
    Ok(&out[..pairs])
}

/// The character starting at `bytes` (lossily, for messages).
fn first_char(bytes: &[u8]) -> char {
    let end = bytes.len().min(4);
    String::from_utf8_lossy(&bytes[..end])
        .chars()
        .next()
        .unwrap_or('\u{FFFD}')
}

/// Number of data bytes per data record (1 to 255).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLength(u8);

impl RecordLength {
    /// `None` for 0: a data record must carry at least one byte.
    pub fn new(length: u8) -> Option<Self> {
        (length > 0).then_some(Self(length))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for RecordLength {
    fn default() -> Self {
        Self(16)
    }
}

/// Writes `image` as Intel HEX: an 04 record wherever the upper 16 address
/// bits change (data records never cross a 64 KiB boundary), data records of
/// `record_length` bytes, the start address (03 or 05) and the EOF record.
pub fn write_to(
    image: &Image,
    record_length: RecordLength,
    out: &mut impl Write,
) -> io::Result<()> {
    let line = &mut [0; size_of::<RecordBuffer>()];
    let mut upper = 0u16;
    for segment in image.segments() {
        let mut address = segment.address;
        let mut rest = segment.data;
        while !rest.is_empty() {
            let this_upper = (address >> 16) as u16;
            if this_upper != upper {
                let base = this_upper.to_be_bytes();
                write_record(out, line, 0, RecordType::ExtendedLinearAddress, &base)?;
                upper = this_upper;
            }
            let to_boundary = 0x1_0000 - (address & 0xFFFF) as usize;
            let n = rest
                .len()
                .min(usize::from(record_length.0))
                .min(to_boundary);
            write_record(out, line, address as u16, RecordType::Data, &rest[..n])?;
            rest = &rest[n..];
            address = address.wrapping_add(n as u32);
        }
    }
    match image.start_address() {
        Some(StartAddress::Linear { address }) => {
            write_record(
                out,
                line,
                0,
                RecordType::StartLinearAddress,
                &address.to_be_bytes(),
            )?;
        }
        Some(StartAddress::Segment { cs, ip }) => {
            let [c0, c1] = cs.to_be_bytes();
            let [i0, i1] = ip.to_be_bytes();
            write_record(
                out,
                line,
                0,
                RecordType::StartSegmentAddress,
                &[c0, c1, i0, i1],
            )?;
        }
        None => {}
    }
    write_record(out, line, 0, RecordType::EndOfFile, &[])
}

/// [`write_to`] into memory.
pub fn write(image: &Image, record_length: RecordLength) -> Vec<u8> {
    let mut out = Vec::with_capacity(image.total_size() as usize * 23 / 8 + 64);
    write_to(image, record_length, &mut out).expect("writing to a Vec cannot fail");
    out
}

/// The two ASCII hex digits of every byte value.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 0xF]];
        i += 1;
    }
    table
};

/// Room for the longest record: ':', two digits for each of LL AAAA TT, 255
/// data bytes and CC, and '\n'.
type RecordBuffer = [u8; 1 + 2 * (4 + 255 + 1) + 1];

/// Formats one record in `line` and writes it in one call: this is
/// the inner loop of every HEX output.
fn write_record(
    out: &mut impl Write,
    line: &mut RecordBuffer,
    offset: u16,
    record: RecordType,
    data: &[u8],
) -> io::Result<()> {
    let [hi, lo] = offset.to_be_bytes();
    let header = [data.len() as u8, hi, lo, record as u8];
    let sum = data.iter().fold(
        header.iter().fold(0u8, |s, b| s.wrapping_add(*b)),
        |s, b| s.wrapping_add(*b),
    );
    line[0] = b':';
    // Header, data and checksum in three plain loops: chained iterators do
    // not vectorise, and this is the inner loop of every HEX output.
    let (head, body) = line[1..].split_at_mut(2 * header.len());
    for (pair, &b) in head.chunks_exact_mut(2).zip(&header) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    for (pair, &b) in body.chunks_exact_mut(2).zip(data) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    let at = 2 * data.len();
    body[at..at + 2].copy_from_slice(&HEX_PAIRS[usize::from(sum.wrapping_neg())]);
    let end = 1 + 2 * (header.len() + data.len() + 1);
    line[end] = b'\n';
    out.write_all(&line[..=end])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record line with a correct checksum.
    fn record(kind: u8, offset: u16, data: &[u8]) -> String {
        let mut bytes = vec![data.len() as u8, (offset >> 8) as u8, offset as u8, kind];
        bytes.extend_from_slice(data);
        let sum = bytes
            .iter()
            .fold(0u8, |s, b| s.wrapping_add(*b))
            .wrapping_neg();
        bytes.push(sum);
        let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        format!(":{hex}\n")
    }

    const EOF: &str = ":00000001FF\n";

    fn parse(text: &str) -> Result<HexFile, HexError> {
        read(text.as_bytes())
    }

    fn error(text: &str) -> (usize, usize, String) {
        let e = parse(text).unwrap_err();
        (e.line, e.column, e.kind.to_string())
    }

    #[test]
    fn reads_records_written_by_objcopy() {
        let text = ":020000040800F2\n:0400000001020304F2\n:040000050800018965\n:00000001FF\n";
        let file = parse(text).unwrap();
        let seg = file.image.segments().next().unwrap();
        assert_eq!((seg.address, seg.data), (0x0800_0000, &[1, 2, 3, 4][..]));
        assert_eq!(
            file.image.start_address(),
            Some(StartAddress::Linear {
                address: 0x0800_0189
            })
        );
        assert_eq!(file.records.data, 1);
        assert_eq!(file.records.extended_linear_address, 1);
        assert_eq!(file.records.start_linear_address, 1);
        assert_eq!(file.records.end_of_file, 1);
    }

    #[test]
    fn a_byte_order_mark_and_a_trailing_ctrl_z_are_accepted() {
        let body = record(0, 0x10, &[1, 2, 3]);
        let expected = parse(&(body.clone() + EOF)).unwrap().image;
        for text in [
            format!("\u{FEFF}{body}{EOF}"),
            format!("{body}{EOF}\x1a"),
            format!("{body}{EOF}\x1a\x1a\r\n"),
            format!("{body}:00000001FF\x1a"),
            format!("{body}:00000001ff \x1a\n"),
            format!("\u{FEFF}{body}{EOF}\n\x1a"),
        ] {
            assert_eq!(parse(&text).unwrap().image, expected, "{text:?}");
        }
    }

    #[test]
    fn a_misplaced_byte_order_mark_or_ctrl_z_is_named() {
        let body = record(0, 0x10, &[1, 2, 3]);
        // Ctrl-Z before the end-of-file record would cut the file short.
        let (line, column, message) = error(&format!("\x1a\n{body}{EOF}"));
        assert_eq!((line, column), (1, 1));
        assert!(message.starts_with("Ctrl-Z (0x1A, end of text) before the end-of-file record"));
        let cut = format!("{}\x1a\n{EOF}", body.trim_end());
        let (line, column, _) = error(&cut);
        assert_eq!((line, column), (1, body.trim_end().len() + 1));
        // After the EOF record, only Ctrl-Z and blanks may follow.
        let (line, _, message) = error(&format!("{EOF}\x1a{body}"));
        assert_eq!(line, 2);
        assert_eq!(message, "data after the end-of-file record (line 1)");
        // A byte-order mark is a text file's first bytes, not a line's.
        let (line, column, message) = error(&format!("{body}\u{FEFF}{EOF}"));
        assert_eq!((line, column), (2, 1));
        assert_eq!(
            message,
            "expected ':' at the start of a record, found '\\u{feff}'"
        );
    }

    #[test]
    fn lines_split_across_reads_parse_the_same() {
        let mut image = Image::new();
        image
            .insert(0x0800_FFF0, &[0x3C; 100], OverlapPolicy::Error)
            .unwrap();
        let text = write(&image, RecordLength::default());
        for capacity in [1, 7, 43, 44, 45, 4096] {
            let reader = std::io::BufReader::with_capacity(capacity, &text[..]);
            assert_eq!(
                read_from(reader).unwrap().image,
                image,
                "capacity {capacity}"
            );
        }
        // And a last line without '\n'.
        let unterminated = &text[..text.len() - 1];
        let reader = std::io::BufReader::with_capacity(5, unterminated);
        assert_eq!(read_from(reader).unwrap().image, image);
    }

    #[test]
    fn crlf_and_blank_lines_are_accepted() {
        let text = format!("{}\r\n\r\n{}", record(0, 0x10, &[0xAB]).trim_end(), EOF);
        let file = parse(&text).unwrap();
        assert_eq!(file.image.byte_at(0x10), Some(0xAB));
    }

    #[test]
    fn segment_addressing_wraps_inside_the_64k_segment() {
        // Base 0x10000 (segment 0x1000); 4 bytes at offset 0xFFFE: two at
        // 0x1FFFE, then two wrapped to 0x10000.
        let text = record(2, 0, &[0x10, 0x00]) + &record(0, 0xFFFE, &[1, 2, 3, 4]) + EOF;
        let file = parse(&text).unwrap();
        let segs: Vec<_> = file
            .image
            .segments()
            .map(|s| (s.address, s.data.to_vec()))
            .collect();
        assert_eq!(segs, vec![(0x10000, vec![3, 4]), (0x1FFFE, vec![1, 2])]);
        assert_eq!(file.records.extended_segment_address, 1);
    }

    #[test]
    fn linear_addressing_does_not_wrap_at_64k() {
        let text = record(4, 0, &[0x00, 0x01]) + &record(0, 0xFFFE, &[1, 2, 3, 4]) + EOF;
        let file = parse(&text).unwrap();
        let seg = file.image.segments().next().unwrap();
        assert_eq!((seg.address, seg.data), (0x1FFFE, &[1, 2, 3, 4][..]));
    }

    #[test]
    fn start_segment_address_is_kept_in_its_form() {
        let text = record(3, 0, &[0x12, 0x34, 0x00, 0x10]) + EOF;
        let file = parse(&text).unwrap();
        assert_eq!(
            file.image.start_address(),
            Some(StartAddress::Segment {
                cs: 0x1234,
                ip: 0x0010
            })
        );
        // ... and written back as an 03 record.
        assert_eq!(
            String::from_utf8(write(&file.image, RecordLength::default())).unwrap(),
            text
        );
    }

    #[test]
    fn checksum_error_names_line_column_and_both_sums() {
        let text = ":020000040800F2\n:0400000001020304F3\n:00000001FF\n";
        assert_eq!(
            error(text),
            (2, 18, "checksum is 0xF3, record sums to 0xF2".to_owned())
        );
    }

    #[test]
    fn malformed_records_are_reported_where_they_go_wrong() {
        assert_eq!(error("0400000001020304F2\n").0, 1);
        assert_eq!(
            error("0400000001020304F2\n").2,
            "expected ':' at the start of a record, found '0'"
        );
        assert_eq!(
            error(":04000000010G0304F2\n:00000001FF\n"),
            (1, 13, "expected a hex digit, found 'G'".to_owned())
        );
        assert_eq!(
            error(":0400000001020304F\n"),
            (
                1,
                18,
                "odd number of hex digits (17): a record is made of whole bytes".to_owned()
            )
        );
        assert_eq!(
            error(":000000FF\n"),
            (
                1,
                9,
                "record too short: 8 hex digits, a record has at least 10 (LL AAAA TT CC)"
                    .to_owned()
            )
        );
        let (line, column, message) = error(":0500000001020304F1\n");
        assert_eq!((line, column), (1, 2));
        assert_eq!(
            message,
            "record declares 5 data bytes (LL = 0x05) but holds 4"
        );
        // Longer than any record can be: counted, not decoded past the buffer.
        let long = format!(":01000000{}00\n", "AB".repeat(300));
        let (_, column, message) = error(&long);
        assert_eq!(
            (column, message.as_str()),
            (2, "record declares 1 data bytes (LL = 0x01) but holds 300")
        );
        let (_, column, message) = error(&format!(":01000000{}X0\n", "AB".repeat(300)));
        assert_eq!(
            (column, message.as_str()),
            (610, "expected a hex digit, found 'X'")
        );
        let (_, column, message) = error(&(record(6, 0, &[]) + EOF));
        assert_eq!(
            (column, message.as_str()),
            (8, "unknown record type 0x06: expected 00 to 05")
        );
        let (_, _, message) = error(&(record(4, 0, &[1, 2, 3]) + EOF));
        assert_eq!(
            message,
            "extended linear address (04) record must have 2 data bytes, has 3"
        );
        let (_, _, message) = error(&(record(1, 0, &[1]) + EOF));
        assert_eq!(
            message,
            "end-of-file (01) record must have 0 data bytes, has 1"
        );
    }

    #[test]
    fn end_of_file_is_required_and_final() {
        let (line, _, message) = error(&record(0, 0, &[1]));
        assert_eq!(
            (line, message.as_str()),
            (2, "missing end-of-file record (:00000001FF)")
        );
        let text = String::from(EOF) + &record(0, 0, &[1]);
        assert_eq!(
            error(&text),
            (
                2,
                1,
                "data after the end-of-file record (line 1)".to_owned()
            )
        );
    }

    #[test]
    fn records_running_past_4g_are_errors() {
        let text = record(4, 0, &[0xFF, 0xFF]) + &record(0, 0xFFFE, &[1, 2, 3]) + EOF;
        let (line, column, message) = error(&text);
        assert_eq!((line, column), (2, 4));
        assert!(
            message.contains("runs past the end of the 32-bit address space"),
            "{message}"
        );
    }

    #[test]
    fn overlapping_records_with_different_bytes_name_the_later_record() {
        let text = record(0, 0x10, &[1, 2, 3, 4])
            + &record(0, 0x20, &[9])
            + &record(0, 0x12, &[3, 5])
            + EOF;
        let (line, column, message) = error(&text);
        assert_eq!((line, column), (3, 4));
        assert!(
            message.contains("first difference at 0x00000013 (0x04 vs 0x05)"),
            "{message}"
        );
        // The same bytes twice are fine.
        let text = record(0, 0x10, &[1, 2]) + &record(0, 0x10, &[1, 2]) + EOF;
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn overlaps_deep_in_a_long_run_name_their_record() {
        // Line 1 puts 0xEE somewhere; then a long run of records from
        // address 0: 16-byte records on lines 2-3001, an 04 record that keeps
        // the base on line 3002 (the run goes on, the lines skip one), 8-byte
        // records on lines 3003-3102 and 16-byte ones on lines 3103-3202.
        let mut run = String::new();
        for i in 0..3000u16 {
            run += &record(0, i * 16, &[i as u8; 16]);
        }
        run += &record(4, 0, &[0, 0]);
        for i in 0..100u16 {
            run += &record(0, 48_000 + i * 8, &[7; 8]);
        }
        for i in 0..100u16 {
            run += &record(0, 48_800 + i * 16, &[9; 16]);
        }
        for (address, expected_line) in [
            (0u16, 2),
            (15, 2),
            (16, 3),
            (47_999, 3001),
            (48_000, 3003),
            (48_799, 3102),
            (48_800, 3103),
            (50_399, 3202),
        ] {
            let text = record(0, address, &[0xEE]) + &run + EOF;
            let (line, column, message) = error(&text);
            assert_eq!((line, column), (expected_line, 4), "{address}: {message}");
        }
    }

    #[test]
    fn conflicting_start_addresses_are_errors() {
        let text = record(5, 0, &[0, 0, 0, 1]) + &record(5, 0, &[0, 0, 0, 2]) + EOF;
        let (line, _, message) = error(&text);
        assert_eq!(line, 2);
        assert!(
            message.contains("line 1 already gave 0x00000001"),
            "{message}"
        );
    }

    #[test]
    fn writer_emits_04_at_each_64k_boundary_and_splits_records_there() {
        let mut image = Image::new();
        image
            .insert(0x0800_FFF8, &[0x11; 16], OverlapPolicy::Error)
            .unwrap();
        image.set_start_address(Some(StartAddress::Linear {
            address: 0x0800_0189,
        }));
        let text = String::from_utf8(write(&image, RecordLength::default())).unwrap();
        let expected = record(4, 0, &[0x08, 0x00])
            + &record(0, 0xFFF8, &[0x11; 8])
            + &record(4, 0, &[0x08, 0x01])
            + &record(0, 0x0000, &[0x11; 8])
            + &record(5, 0, &[0x08, 0x00, 0x01, 0x89])
            + EOF;
        assert_eq!(text, expected);
    }

    #[test]
    fn writer_honours_the_record_length() {
        let mut image = Image::new();
        image.insert(0, &[7; 600], OverlapPolicy::Error).unwrap();
        let text = write(&image, RecordLength::new(255).unwrap());
        let lines: Vec<_> = text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), 4, "255 + 255 + 90 bytes, then EOF");
        assert!(lines[0].starts_with(b":FF0000"));
        assert!(lines[2].starts_with(b":5A01FE"));
        assert!(RecordLength::new(0).is_none());
    }
}
