//! `mcu-build hex`: merge, inspect, convert and compare image files.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::image::bin;
use crate::image::diff::{self, DifferenceKind};
use crate::image::elf::LoadSource;
use crate::image::file::{self, Details, Format, InputSpec, LoadedFile, SaveOptions};
use crate::image::ihex::RecordLength;
use crate::image::merge::{self, EntryChoice};
use crate::image::select::{self, AddressRange};
use crate::image::{Image, OverlapPolicy, StartAddress, format_range};
use crate::{number, output};

use super::UsageError;

#[derive(Debug, Subcommand)]
pub enum HexCommand {
    /// Merge images (HEX, ELF, BIN@ADDR) into one, checking overlaps.
    #[command(after_help = "Examples:
  # NuttX protected build: kernel first, so its reset entry is kept
  mcu-build hex merge nuttx.hex nuttx_user.hex -o combined.hex
  # a raw binary at its load address, plus an ELF, into a binary
  mcu-build hex merge boot.bin@0x08000000 app.elf -o firmware.bin
  # later inputs win where they overlap
  mcu-build hex merge base.hex patch.hex --overlap last -o patched.hex")]
    Merge(MergeArgs),
    /// Show the segments, size, start address, record counts and CRC32 of images.
    #[command(after_help = "Examples:
  mcu-build hex info combined.hex
  mcu-build hex info kernel.elf user.bin@0x08020000 --json")]
    Info(InfoArgs),
    /// Convert an image to another format (ELF/HEX/BIN@ADDR to HEX, BIN or ELF).
    #[command(after_help = "Examples:
  mcu-build hex convert kernel.elf -o kernel.hex
  mcu-build hex convert combined.hex -o combined.bin --fill 0x00
  mcu-build hex convert app.bin@0x08020000 -o app.hex --record-length 32")]
    Convert(ConvertArgs),
    /// List the address ranges where two images differ; exit 1 if they do.
    #[command(after_help = "Examples:
  mcu-build hex diff build-a/combined.hex build-b/combined.hex
  mcu-build hex diff firmware.elf firmware.hex --json

Exit status: 0 when the images are identical, 1 when they differ or an
input cannot be read, 2 on a usage error.")]
    Diff(DiffArgs),
}

impl HexCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            HexCommand::Merge(args) => args.run(),
            HexCommand::Info(args) => args.run(),
            HexCommand::Convert(args) => args.run(),
            HexCommand::Diff(args) => args.run(),
        }
    }
}

/// Where and how to write the resulting image.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output file, or - for standard output; its extension (.hex, .bin,
    /// .elf) chooses the format unless --format is given. A symbolic link is
    /// written through, a device or FIFO in place; on failure an existing
    /// file is left as it was.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Data bytes per HEX data record (1 to 255).
    #[arg(long, default_value_t = 16, value_parser = |t: &str| number::parse_in(t, 1..=255u8))]
    record_length: u8,
    /// Byte that fills the gaps between segments in a binary.
    #[arg(long, default_value = "0xFF", value_parser = |t: &str| number::parse_in(t, 0..=0xFFu8))]
    fill: u8,
    /// Largest gap a binary may fill, e.g. 64K or 0x100000; a larger one is an
    /// error, so that a stray segment cannot produce a huge file.
    #[arg(long, default_value = "16M", value_parser = parse_size)]
    max_gap: u64,
    /// Largest binary that may be written, e.g. 1G; a larger one is an error,
    /// so that many small gaps cannot produce a huge file either.
    #[arg(long, default_value = "256M", value_parser = parse_size)]
    max_size: u64,
    /// Write only the data in START..END (END excluded), e.g.
    /// 0x08000000..0x08100000; repeat for several ranges.
    #[arg(long, value_name = "START..END")]
    range: Vec<AddressRange>,
    /// Leave out the data in START..END (END excluded); repeatable.
    #[arg(long, value_name = "START..END")]
    exclude: Vec<AddressRange>,
}

impl OutputArgs {
    /// Builds the image with `make` and saves it. When anything fails, the
    /// output is left exactly as it was (see `crate::output`): a failed run
    /// never costs a file, even when the output is one of the inputs.
    fn produce(
        &self,
        make: impl FnOnce() -> anyhow::Result<Image>,
    ) -> anyhow::Result<(Image, Format)> {
        let format = self.format()?;
        let image = make()?;
        self.save(&image, format)?;
        Ok((image, format))
    }

    /// The output's name in messages.
    fn name(&self) -> String {
        if output::is_stdout(&self.output) {
            "standard output".to_owned()
        } else {
            self.output.display().to_string()
        }
    }

    /// The part of `image` that --range and --exclude select.
    fn select(&self, image: Image) -> anyhow::Result<Image> {
        Ok(select::select(image, &self.range, &self.exclude)?)
    }

    fn format(&self) -> anyhow::Result<Format> {
        let to_stdout = output::is_stdout(&self.output);
        let format = match self.format {
            Some(format) => format,
            None if to_stdout => {
                return Err(UsageError(
                    "-o - writes to standard output, which has no extension: give the format \
                     with --format hex|bin|elf"
                        .to_owned(),
                )
                .into());
            }
            None => Format::from_extension(&self.output).ok_or_else(|| {
                UsageError(format!(
                    "cannot tell the output format from {}: use an extension .hex, .bin or .elf, \
                     or --format hex|bin|elf",
                    self.output.display()
                ))
            })?,
        };
        // Raw bytes would garble the terminal, as `gzip` refuses to.
        if to_stdout && format != Format::Hex && std::io::stdout().is_terminal() {
            return Err(UsageError(format!(
                "refusing to write {format} output to a terminal: redirect standard output, \
                 or use --format hex"
            ))
            .into());
        }
        Ok(format)
    }

    fn save(&self, image: &Image, format: Format) -> anyhow::Result<()> {
        let options = SaveOptions {
            format,
            record_length: RecordLength::new(self.record_length)
                .expect("clap restricts the range to 1..=255"),
            fill: self.fill,
            limits: bin::Limits {
                max_gap: self.max_gap,
                max_size: self.max_size,
            },
        };
        file::save(image, &self.output, &options)?;
        Ok(())
    }
}

fn parse_size(text: &str) -> Result<u64, String> {
    number::parse_u64(text).map_err(|e| e.to_string())
}

/// Loads the inputs on as many threads as there are cores: parsing
/// dominates the time of `hex merge`, and the files are independent. The
/// first input that fails, in command-line order, is the error.
fn load_all(specs: &[InputSpec]) -> anyhow::Result<Vec<LoadedFile>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(specs.len());
    let next = AtomicUsize::new(0);
    let mut loaded: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(spec) = specs.get(index) else {
                            return mine;
                        };
                        mine.push((index, file::load(spec)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|worker| worker.join().expect("loading does not panic"))
            .collect()
    });
    loaded.sort_by_key(|(index, _)| *index);
    loaded.into_iter().map(|(_, load)| Ok(load?)).collect()
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Input files: Intel HEX and ELF are recognised by content; a raw binary
    /// is given with the address of its first byte, as FILE@0x08020000.
    #[arg(required = true, value_name = "IN")]
    inputs: Vec<InputSpec>,
    /// What to do where inputs overlap: `identical` allows equal bytes only,
    /// `error` forbids any overlap, `first`/`last` keep that input's bytes.
    #[arg(long, value_enum, default_value_t = OverlapPolicy::Identical)]
    overlap: OverlapPolicy,
    /// Start address of the result: `first` (of the inputs that have one;
    /// put the kernel first), `last`, `none`, or an address such as 0x08000189.
    #[arg(long, default_value = "first", value_name = "first|last|none|ADDR")]
    entry: EntryChoice,
    #[command(flatten)]
    output: OutputArgs,
}

impl MergeArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let mut inputs = 0;
        let mut start_source = None;
        let (image, format) = self.output.produce(|| {
            let files = load_all(&self.inputs)?;
            inputs = files.len();
            let names: Vec<String> = files.iter().map(|f| f.spec.to_string()).collect();
            let merge_inputs = files
                .into_iter()
                .zip(&names)
                .map(|(file, name)| merge::Input {
                    name: name.clone(),
                    image: file.image,
                })
                .collect();
            let merged = merge::merge(merge_inputs, self.overlap, self.entry)?;
            for warning in merged.start_warnings(&names) {
                eprintln!("warning: {warning}");
            }
            start_source = merged.start_source(&names).map(str::to_owned);
            self.output.select(merged.image)
        })?;
        let from = start_source.map_or_else(String::new, |source| format!(" from {source}"));
        eprintln!(
            "wrote {} ({format}): {} bytes in {} segment(s) from {inputs} input(s), \
             start address {}{from}",
            self.output.name(),
            image.total_size(),
            image.segments().len(),
            describe_start(image.start_address()),
        );
        Ok(ExitCode::SUCCESS)
    }
}

fn describe_start(start: Option<StartAddress>) -> String {
    start.map_or_else(|| "none".to_owned(), |s| s.to_string())
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Image files (HEX, ELF, or BIN@ADDR).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<InputSpec>,
    /// Print JSON (one array, an object per file) instead of text.
    #[arg(long)]
    json: bool,
}

/// The JSON form of `hex info` for one file.
#[derive(Serialize)]
struct FileInfo {
    file: String,
    segments: Vec<SegmentInfo>,
    total_bytes: u64,
    start_address: Option<StartAddress>,
    crc32: String,
    #[serde(flatten)]
    details: Details,
}

#[derive(Serialize)]
struct SegmentInfo {
    start: u64,
    end: u64,
    size: u64,
}

impl InfoArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let files = load_all(&self.files)?;
        let infos: Vec<FileInfo> = files
            .into_iter()
            .map(|f| FileInfo {
                file: f.spec.to_string(),
                segments: f
                    .image
                    .ranges()
                    .map(|r| SegmentInfo {
                        start: r.start,
                        end: r.end,
                        size: r.end - r.start,
                    })
                    .collect(),
                total_bytes: f.image.total_size(),
                start_address: f.image.start_address(),
                crc32: format!("{:#010x}", f.image.crc32()),
                details: f.details,
            })
            .collect();
        if self.json {
            println!("{}", serde_json::to_string_pretty(&infos)?);
        } else {
            for (i, info) in infos.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", render_info(info));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn render_info(info: &FileInfo) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let format = match &info.details {
        Details::Hex { .. } => "Intel HEX".to_owned(),
        Details::Elf(elf) => format!(
            "ELF{} {}-endian, machine {}",
            elf.class,
            if elf.big_endian { "big" } else { "little" },
            elf.machine
        ),
        Details::Bin { base } => format!("binary at {base:#010x}"),
    };
    let _ = writeln!(out, "{}: {format}", info.file);
    let _ = writeln!(out, "  {:<12} {:<12} {:>10}", "start", "end", "size");
    for seg in &info.segments {
        let _ = writeln!(
            out,
            "  {:#010x}   {:#010x}   {:>10}",
            seg.start, seg.end, seg.size
        );
    }
    let _ = writeln!(
        out,
        "  total        {} bytes in {} segment(s)",
        info.total_bytes,
        info.segments.len()
    );
    let _ = writeln!(out, "  start        {}", describe_start(info.start_address));
    match &info.details {
        Details::Hex { records: r } => {
            let _ = writeln!(
                out,
                "  records      00 data: {}, 01 end of file: {}, 02 ext. segment: {}, \
                 03 start segment: {}, 04 ext. linear: {}, 05 start linear: {}",
                r.data,
                r.end_of_file,
                r.extended_segment_address,
                r.start_segment_address,
                r.extended_linear_address,
                r.start_linear_address
            );
        }
        Details::Elf(elf) => {
            let loaded = match elf.loaded_from {
                LoadSource::Sections => format!(
                    "{} allocated section(s) with file bytes; {} PT_LOAD segment(s) with file bytes",
                    elf.load_sections, elf.load_segments
                ),
                LoadSource::Segments => format!(
                    "{} PT_LOAD segment(s) with file bytes (no section headers)",
                    elf.load_segments
                ),
            };
            let _ = writeln!(out, "  loaded       {loaded}");
            for skipped in &elf.skipped {
                let _ = writeln!(out, "  note         {skipped}");
            }
        }
        Details::Bin { .. } => {}
    }
    let _ = writeln!(out, "  crc32        {}", info.crc32);
    out
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Input file (HEX, ELF, or BIN@ADDR).
    #[arg(value_name = "IN")]
    input: InputSpec,
    #[command(flatten)]
    output: OutputArgs,
}

impl ConvertArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let (image, format) = self
            .output
            .produce(|| self.output.select(file::load(&self.input)?.image))?;
        let first_byte = match (format, image.extent()) {
            (Format::Bin, Some(extent)) => format!(", first byte at {:#010x}", extent.start),
            _ => String::new(),
        };
        eprintln!(
            "wrote {} ({format}): {} bytes in {} segment(s){first_byte}",
            self.output.name(),
            image.total_size(),
            image.segments().len(),
        );
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// First image (HEX, ELF, or BIN@ADDR).
    a: InputSpec,
    /// Second image.
    b: InputSpec,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

impl DiffArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let a = file::load(&self.a)?;
        let b = file::load(&self.b)?;
        let result = diff::diff(&a.image, &b.image);
        if self.json {
            println!("{}", serde_json::to_string_pretty(&result)?);
        } else if result.is_empty() {
            println!(
                "{} and {} hold the same data and start address",
                self.a, self.b
            );
        } else {
            for r in &result.ranges {
                let what = match r.kind {
                    DifferenceKind::Differs => "differ".to_owned(),
                    DifferenceKind::OnlyInA => format!("only in {}", self.a),
                    DifferenceKind::OnlyInB => format!("only in {}", self.b),
                };
                println!("{}  {what}", format_range(&(r.start..r.end)));
            }
            if let Some((sa, sb)) = result.start_addresses {
                println!(
                    "start address: {} in {}, {} in {}",
                    describe_start(sa),
                    self.a,
                    describe_start(sb),
                    self.b
                );
            }
        }
        Ok(if result.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
