//! `nuttx check`: what unprivileged code of a built protected NuttX tree
//! can reach at run time, proved from the registers NuttX programs.
//!
//! From the tree's `.config`, `memory.ld`, the user blob's
//! `struct userspace_s` (in `nuttx_user.elf`) and the kernel's sections
//! (in `nuttx`), [`check`] models the heaps the chip code sets up and the
//! `mpu_configure_region` calls it makes ([`super::heap`]), computes the
//! RBAR/RASR words NuttX's ARMv7-M code writes for them
//! ([`super::arm_mpu`]), and hands those words to mcu-build's verifier
//! ([`crate::mpu::verify`]), which decodes them as the hardware does. The
//! grant therefore comes from decoded registers, not from the model's
//! intentions.
//!
//! # The user's own memory
//!
//! What unprivileged code may reach, and nothing more:
//!
//! - the user flash region of `memory.ld` (`uflash`), read and execute;
//! - the user blob's `.data` `[us_datastart, us_dataend)` and `.bss`
//!   `[us_bssstart, us_bssend)`, as its header gives them, read and write;
//! - the user heap, and the extra user heap regions `arm_addregion` adds,
//!   read and write.
//!
//! The user RAM region of `memory.ld` (`usram`) is *not* the user's: at run
//! time the kernel heap starts at `us_bssend` and runs up to the user heap,
//! whatever `memory.ld` says.
//!
//! # Over-grant
//!
//! A byte outside the user's own memory that some region lets
//! unprivileged code read (and so write or execute) is over-granted; each
//! over-granted range is named by what lives there (the kernel heap, a
//! section of the kernel ELF, the kernel's idle stack, a `memory.ld`
//! region, unused RAM, other). Inside its own RAM the user may also
//! *execute*, because `mpu_user_intsram` leaves XN clear: that is reported
//! as executable data, apart from the byte count, since no layout can fix
//! it (only NuttX's `mpu.h` can).

use std::io::Read as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use object::{Object as _, ObjectSection as _, ObjectSymbol as _};
use serde::Serialize;

use super::arm_mpu::{self, ArmMpuError, Programmed};
use super::heap::{Family, HeapError, Heaps};
use super::memory_ld::Role;
use super::tree::{Tree, TreeError};
use super::userspace::{Userspace, UserspaceError};
use crate::image::elf::{self, ElfError};
use crate::mpu::verify::{Finding, RegionBudget, UserPartition, verify};
use crate::mpu::{Access, RegionNumber, Registers};

/// `CONFIG_ARM_MPU_NREGIONS` when `.config` does not set it (arm_mpu.c's
/// default).
const DEFAULT_REGIONS: u64 = 8;

/// A tree `nuttx check` cannot read or model; the check did not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error(
        "{}: no such file: the tree is configured but the {what} is not built; run make first",
        path.display()
    )]
    MissingElf { path: PathBuf, what: &'static str },
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Elf { path: PathBuf, error: ElfError },
    #[error("{}: cannot read its sections: {error}", path.display())]
    Sections { path: PathBuf, error: object::Error },
    #[error("{}: {error}", path.display())]
    Header {
        path: PathBuf,
        error: UserspaceError,
    },
    #[error(transparent)]
    Heap(#[from] HeapError),
    #[error(transparent)]
    Mpu(#[from] ArmMpuError),
    #[error(
        "{}: CONFIG_ARM_MPU is not set: NuttX programs no MPU region and unprivileged code \
         reaches all memory",
        path.display()
    )]
    NoMpu { path: PathBuf },
    #[error("{}: {problem}", path.display())]
    NotAnArmElf { path: PathBuf, problem: String },
    #[error(
        "{}: struct userspace_s disagrees with the ELF it heads: {problem}",
        path.display()
    )]
    HeaderVsElf { path: PathBuf, problem: String },
}

/// An address range, `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: u64,
    pub end: u64,
}

impl Span {
    fn of(range: &Range<u64>) -> Span {
        Span {
            start: range.start,
            end: range.end,
        }
    }

    pub fn range(&self) -> Range<u64> {
        self.start..self.end
    }

    pub fn bytes(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
}

/// The extents `struct userspace_s` gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Header {
    /// `CONFIG_NUTTX_USERSPACE`.
    pub address: u64,
    pub entry: u64,
    pub text: Span,
    pub data: Span,
    pub bss: Span,
    /// Where `.data`'s initial bytes lie in flash.
    pub data_load: Span,
}

/// One region as NuttX programs it and as the hardware decodes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    #[serde(flatten)]
    pub programmed: Programmed,
    /// The decoded region; `None` when the registers are not a region the
    /// hardware applies as written (see `error`).
    pub decoded: Option<Decoded>,
    pub error: Option<String>,
}

/// What the registers of a region mean to the hardware.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decoded {
    /// The naturally aligned block, before subregions.
    pub block: Span,
    /// RASR.SRD: the disabled subregions, 0..=7.
    pub subregions_off: Vec<u8>,
    /// The ranges the enabled subregions cover.
    pub granted: Vec<Span>,
    /// What unprivileged code may do there.
    pub access: Access,
    /// RASR.XN.
    pub execute_never: bool,
}

/// What lives in an over-granted range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlaceKind {
    /// `[us_bssend, user heap)`: the kernel's heap at run time.
    KernelHeap,
    /// An allocated section of the kernel ELF (`.data`, `.bss`, `.text`).
    KernelSection,
    /// `[_ebss, _ebss + CONFIG_IDLETHREAD_STACKSIZE)`: the idle thread's
    /// stack (arch/arm/src/armv7-m/arm_vectors.c).
    KernelIdleStack,
    /// A kernel flash region of `memory.ld` (`kflash`).
    KernelFlash,
    /// A kernel RAM region of `memory.ld` (`ksram`) outside the above.
    KernelRam,
    /// RAM nothing above holds: a `memory.ld` RAM region or the rest of
    /// `[CONFIG_RAM_START, CONFIG_RAM_END)`.
    UnusedRam,
    /// A flash region of `memory.ld` that is neither the kernel's nor the
    /// user's (`xflash`).
    UnusedFlash,
    /// Anything else: peripherals, other memories.
    Other,
}

impl PlaceKind {
    /// For people: `kernel heap`.
    pub fn describe(self) -> &'static str {
        match self {
            PlaceKind::KernelHeap => "kernel heap",
            PlaceKind::KernelSection => "kernel section",
            PlaceKind::KernelIdleStack => "kernel idle stack",
            PlaceKind::KernelFlash => "kernel flash",
            PlaceKind::KernelRam => "kernel RAM",
            PlaceKind::UnusedRam => "unused RAM",
            PlaceKind::UnusedFlash => "unused flash",
            PlaceKind::Other => "other",
        }
    }
}

/// One part of an over-granted range, by what lives there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    pub kind: PlaceKind,
    /// The section or `memory.ld` region, when there is one.
    pub name: Option<String>,
    pub start: u64,
    pub end: u64,
}

/// Bytes outside the user's own memory that unprivileged code can reach.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverGrant {
    pub start: u64,
    pub end: u64,
    pub bytes: u64,
    /// The region that decides the access there.
    pub region: RegionNumber,
    pub access: Access,
    pub places: Vec<Place>,
}

impl OverGrant {
    /// What lives in the range: `kernel heap`, or, when it spans several
    /// things, each with its range and size.
    pub fn describe_places(&self) -> String {
        self.places
            .iter()
            .map(|p| {
                let what = match &p.name {
                    Some(name) => format!("{} {name}", p.kind.describe()),
                    None => p.kind.describe().to_owned(),
                };
                if self.places.len() == 1 {
                    what
                } else {
                    format!(
                        "{what} {:#010x}..{:#010x} ({} bytes)",
                        p.start,
                        p.end,
                        p.end - p.start
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The user's own RAM where unprivileged code may also execute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExecutableData {
    pub start: u64,
    pub end: u64,
    pub bytes: u64,
    /// `user .data`, `user heap`, ...
    pub partition: String,
    pub region: RegionNumber,
}

/// A heap NuttX hands out over bytes that something else already holds:
/// an allocation there overwrites them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeapCollision {
    /// `kernel heap`, `user heap`, `user heap (REGION1_RAM)`.
    pub heap: String,
    /// What already lives there: `user text`, `user .data`, a kernel
    /// section's name.
    pub holder: String,
    pub start: u64,
    pub end: u64,
    pub bytes: u64,
}

/// The outcome of [`check`].
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub tree: PathBuf,
    /// `CONFIG_ARCH_CHIP`.
    pub chip: String,
    pub family: Family,
    pub header: Header,
    pub heaps: Heaps,
    /// `CONFIG_ARM_MPU_NREGIONS`.
    pub hardware_regions: u64,
    pub regions: Vec<Region>,
    /// The user's own memory (see the module docs) and its access.
    pub own: Vec<UserPartition>,
    pub over_grants: Vec<OverGrant>,
    pub executable_data: Vec<ExecutableData>,
    /// Heaps laid over code or data (a configuration error NuttX does not
    /// check: its heap code trusts `CONFIG_RAM_*`, the chip's memory map
    /// and `CONFIG_MM_REGIONS`).
    pub heap_collisions: Vec<HeapCollision>,
    /// Kernel sections inside the user's own memory (`heap` names the
    /// user partition), which user code is granted by design.
    pub kernel_exposed: Vec<HeapCollision>,
    /// Everything else the verifier found: registers that decode to no
    /// region, user memory not granted (under-grant), more regions than
    /// the MPU has, more permission than the user's own memory allows
    /// other than execute on data.
    pub findings: Vec<Finding>,
    /// Where NuttX's own assumptions fail (its DEBUGASSERTs).
    pub warnings: Vec<String>,
}

impl CheckReport {
    /// Bytes outside the user's own memory that unprivileged code can
    /// reach.
    pub fn over_granted_bytes(&self) -> u64 {
        self.over_grants.iter().map(|o| o.bytes).sum()
    }

    /// Bytes of the user's own RAM that unprivileged code can execute.
    pub fn executable_data_bytes(&self) -> u64 {
        self.executable_data.iter().map(|e| e.bytes).sum()
    }

    /// One line for each reason the tree fails (an over-grant, a heap over
    /// code or data, another finding); empty when it passes (executable
    /// data aside).
    pub fn problems(&self) -> Vec<String> {
        let over_grants = self.over_grants.iter().map(|o| {
            format!(
                "unprivileged code reaches {} {} through region {}: {}",
                crate::image::format_range(&(o.start..o.end)),
                o.access,
                o.region,
                o.describe_places()
            )
        });
        let collisions = self.heap_collisions.iter().map(|c| {
            format!(
                "the {} lies over the {} at {}",
                c.heap,
                c.holder,
                crate::image::format_range(&(c.start..c.end))
            )
        });
        let exposed = self.kernel_exposed.iter().map(|c| {
            format!(
                "the {} lies in the user's {} at {}, which user code is granted",
                c.holder,
                c.heap,
                crate::image::format_range(&(c.start..c.end))
            )
        });
        over_grants
            .chain(collisions)
            .chain(exposed)
            .chain(self.findings.iter().map(ToString::to_string))
            .collect()
    }

    /// Whether the tree passes: no over-grant, no heap over code or data
    /// and no other finding, and,
    /// when `deny_executable_data`, no executable data either.
    pub fn passes(&self, deny_executable_data: bool) -> bool {
        self.over_grants.is_empty()
            && self.heap_collisions.is_empty()
            && self.kernel_exposed.is_empty()
            && self.findings.is_empty()
            && (!deny_executable_data || self.executable_data.is_empty())
    }
}

/// Checks the built protected tree `tree` (see the module docs).
pub fn check(tree: &Tree) -> Result<CheckReport, CheckError> {
    require_mpu(tree)?;
    let userspace = read_userspace(tree)?;
    let mut report = check_userspace(tree, &userspace)?;
    report.warnings.extend(tree.stale_config());
    Ok(report)
}

/// Without `CONFIG_ARM_MPU` there is nothing to check (said before the
/// blobs are read, so that an unbuilt tree without an MPU is told that).
pub fn require_mpu(tree: &Tree) -> Result<(), CheckError> {
    if tree.config.is_set("CONFIG_ARM_MPU") {
        Ok(())
    } else {
        Err(CheckError::NoMpu {
            path: tree.config.path.clone(),
        })
    }
}

/// The user blob's `struct userspace_s`, read from the tree's
/// `nuttx_user.elf` at `CONFIG_NUTTX_USERSPACE`.
pub fn read_userspace(tree: &Tree) -> Result<Userspace, CheckError> {
    let user_elf = tree.user_elf();
    let user_bytes = read_regular(&user_elf, "user blob")?;
    let image = elf::read(&user_bytes)
        .map_err(|error| CheckError::Elf {
            path: user_elf.clone(),
            error,
        })?
        .image;
    let header_error = |error| CheckError::Header {
        path: user_elf.clone(),
        error,
    };
    let userspace = Userspace::read(&image, tree.userspace_address()?, &tree.userspace_layout())
        .map_err(header_error)?;
    let partitions = tree.user_partitions()?;
    userspace.check(&partitions).map_err(header_error)?;
    let user_sections = allocated_sections(&user_bytes, &user_elf)?;
    header_matches_elf(&userspace, &image, &user_sections, &partitions.flash.1).map_err(
        |problem| CheckError::HeaderVsElf {
            path: user_elf.clone(),
            problem,
        },
    )?;
    Ok(userspace)
}

/// The check of `tree` with the user blob described by `userspace`, which
/// may be a planned header rather than the built one (`nuttx layout`
/// proves its plan this way); the kernel's sections come from the tree's
/// `nuttx`.
pub fn check_userspace(tree: &Tree, userspace: &Userspace) -> Result<CheckReport, CheckError> {
    let config = &tree.config;
    require_mpu(tree)?;
    let family = Family::of(config)?;
    let header_error = |error| CheckError::Header {
        path: tree.user_elf(),
        error,
    };
    tree.check_userspace_address()?;
    let partitions = tree.user_partitions()?;
    userspace.check(&partitions).map_err(header_error)?;
    let kernel = Kernel::read(&tree.kernel_elf())?;

    let heaps = family.heaps(config, userspace)?;
    let programmed = arm_mpu::program(&family.calls(userspace, &heaps))?;
    let hardware_regions = config
        .number("CONFIG_ARM_MPU_NREGIONS")
        .map_err(TreeError::from)?
        .unwrap_or(DEFAULT_REGIONS);
    let budget = RegionBudget {
        hardware: u8::try_from(hardware_regions).unwrap_or(u8::MAX),
        kernel_reserved: 0,
    };
    let registers: Vec<(RegionNumber, Registers)> = programmed
        .iter()
        .map(|p| {
            let number = RegionNumber::new(p.number as u8).expect("program numbers below 16");
            (number, Registers::Armv7m(p.registers))
        })
        .collect();

    let rw = Access::ReadWrite;
    let partition = |name: &str, range: Range<u64>, access| UserPartition {
        name: name.to_owned(),
        start: range.start,
        end: range.end,
        access,
    };
    let mut ram = vec![
        partition("user .data", userspace.data(), rw),
        partition("user .bss", userspace.bss(), rw),
        partition("user heap", heaps.user(), rw),
    ];
    ram.extend(
        heaps
            .extra
            .iter()
            .map(|e| partition(&format!("user heap ({})", e.name), e.start..e.end, rw)),
    );
    let (flash_name, flash) = &partitions.flash;
    let own: Vec<UserPartition> =
        std::iter::once(partition(flash_name, flash.clone(), Access::ReadExecute))
            .chain(ram.iter().cloned())
            .collect();
    let needed: Vec<UserPartition> = std::iter::once(partition(
        "user text",
        userspace.text(),
        Access::ReadExecute,
    ))
    .chain(ram)
    .collect();

    let kernel_exposed = kernel_in_user_memory(&kernel, &own);
    let places = Places::new(tree, &heaps, &kernel)?;
    let mut over_grants = Vec::new();
    let mut executable_data = Vec::new();
    let mut findings = Vec::new();
    for finding in verify(&registers, &own, budget).findings {
        match finding {
            Finding::OverGrant {
                start,
                end,
                granted,
                partition: None,
                region,
                ..
            } => over_grants.push(OverGrant {
                start,
                end,
                bytes: end - start,
                region,
                access: granted,
                places: places.split(start..end),
            }),
            Finding::OverGrant {
                start,
                end,
                granted,
                partition: Some(partition),
                allowed,
                region,
            } if granted == Access::ReadWriteExecute && allowed == Access::ReadWrite => {
                executable_data.push(ExecutableData {
                    start,
                    end,
                    bytes: end - start,
                    partition,
                    region,
                })
            }
            Finding::UnderGrant { .. } => {}
            other => findings.push(other),
        }
    }
    findings.extend(
        verify(&registers, &needed, budget)
            .findings
            .into_iter()
            .filter(|f| matches!(f, Finding::UnderGrant { .. })),
    );

    let regions = programmed
        .into_iter()
        .zip(&registers)
        .map(|(programmed, (number, _))| {
            let (decoded, error) = match programmed.registers.decode(*number) {
                Ok(Some(region)) => (Some(decode(&region)), None),
                Ok(None) => (None, Some("RASR.ENABLE is clear".to_owned())),
                Err(error) => (None, Some(error.to_string())),
            };
            Region {
                programmed,
                decoded,
                error,
            }
        })
        .collect();
    let heap_collisions = heap_collisions(&heaps, userspace, &kernel);
    let warnings = heaps.warnings.clone();
    Ok(CheckReport {
        tree: tree.root.clone(),
        chip: config
            .text("CONFIG_ARCH_CHIP")
            .unwrap_or_default()
            .to_owned(),
        family,
        header: Header {
            address: userspace.address,
            entry: userspace.entry(),
            text: Span::of(&userspace.text()),
            data: Span::of(&userspace.data()),
            bss: Span::of(&userspace.bss()),
            data_load: Span::of(&userspace.data_load()),
        },
        heaps,
        hardware_regions,
        regions,
        own,
        over_grants,
        executable_data,
        heap_collisions,
        kernel_exposed,
        findings,
        warnings,
    })
}

/// Every overlap of an allocated section of the kernel with the user's
/// own memory, which user code is granted by design.
fn kernel_in_user_memory(kernel: &Kernel, own: &[UserPartition]) -> Vec<HeapCollision> {
    let mut exposed = Vec::new();
    for (name, range) in &kernel.sections {
        for partition in own {
            let start = range.start.max(partition.start);
            let end = range.end.min(partition.end);
            if start < end {
                exposed.push(HeapCollision {
                    heap: partition.name.clone(),
                    holder: format!("kernel {name}"),
                    start,
                    end,
                    bytes: end - start,
                });
            }
        }
    }
    exposed
}

/// The header's extents against the sections of the ELF it heads: every
/// section in RAM inside `.data` or `.bss`, `.data` and `.bss` apart, and
/// `.data`'s load image present in the blob's flash bytes.
fn header_matches_elf(
    header: &Userspace,
    image: &crate::image::Image,
    sections: &[(String, Range<u64>)],
    flash: &Range<u64>,
) -> Result<(), String> {
    let (data, bss) = (header.data(), header.bss());
    if data.start < bss.end && bss.start < data.end {
        return Err(format!(
            ".data {} and .bss {} overlap",
            crate::image::format_range(&data),
            crate::image::format_range(&bss)
        ));
    }
    for (name, range) in sections {
        let in_flash = flash.start <= range.start && range.end <= flash.end;
        let inside = |extent: &Range<u64>| extent.start <= range.start && range.end <= extent.end;
        if !in_flash && !inside(&data) && !inside(&bss) {
            return Err(format!(
                "section {name} {} lies in neither .data {} (us_datastart..us_dataend) nor \
                 .bss {} (us_bssstart..us_bssend)",
                crate::image::format_range(range),
                crate::image::format_range(&data),
                crate::image::format_range(&bss)
            ));
        }
    }
    let load = header.data_load();
    let loaded: u64 = image
        .segments()
        .map(|s| {
            let r = s.range();
            r.end.min(load.end).saturating_sub(r.start.max(load.start))
        })
        .sum();
    if loaded != load.end - load.start {
        return Err(format!(
            "us_datasource: the blob holds {loaded} of the {} bytes of .data's load image \
             {}",
            load.end - load.start,
            crate::image::format_range(&load)
        ));
    }
    Ok(())
}

/// The bytes of the regular file at `path` (a FIFO or a device is refused
/// before it is read: it could block or never end).
fn read_regular(path: &Path, what: &'static str) -> Result<Vec<u8>, CheckError> {
    let io = |error| CheckError::Io {
        path: path.to_owned(),
        error,
    };
    // Before opening: opening a FIFO blocks until it has a writer.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(CheckError::NotAnArmElf {
            path: path.to_owned(),
            problem: format!("the {what} is not a regular file"),
        });
    }
    let mut file = open(path, what)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The allocated sections with bytes of a 32-bit Arm ELF, by run address.
fn allocated_sections(bytes: &[u8], path: &Path) -> Result<Vec<(String, Range<u64>)>, CheckError> {
    let file = object::File::parse(bytes).map_err(|error| CheckError::Sections {
        path: path.to_owned(),
        error,
    })?;
    if file.architecture() != object::Architecture::Arm {
        return Err(CheckError::NotAnArmElf {
            path: path.to_owned(),
            problem: format!(
                "a {:?} ELF, not a 32-bit Arm one (e_machine EM_ARM)",
                file.architecture()
            ),
        });
    }
    file.sections()
        .filter(|s| elf::is_allocated(s) && s.size() > 0)
        .map(|s| {
            let name = s.name().unwrap_or("?").to_owned();
            match s
                .address()
                .checked_add(s.size())
                .filter(|end| *end <= 1 << 32)
            {
                Some(end) => Ok((name, s.address()..end)),
                None => Err(CheckError::NotAnArmElf {
                    path: path.to_owned(),
                    problem: format!(
                        "section {name} at {:#x} ({} bytes) runs past the 32-bit address space",
                        s.address(),
                        s.size()
                    ),
                }),
            }
        })
        .collect()
}

/// Every overlap of a heap with the user blob's text, `.data` load image,
/// `.data` or `.bss`, or with an allocated section of the kernel.
fn heap_collisions(heaps: &Heaps, userspace: &Userspace, kernel: &Kernel) -> Vec<HeapCollision> {
    let mut heap_ranges = vec![
        ("kernel heap".to_owned(), heaps.kernel()),
        ("user heap".to_owned(), heaps.user()),
    ];
    heap_ranges.extend(
        heaps
            .extra
            .iter()
            .map(|e| (format!("user heap ({})", e.name), e.start..e.end)),
    );
    let mut holders = vec![
        ("user text".to_owned(), userspace.text()),
        ("user .data load image".to_owned(), userspace.data_load()),
        ("user .data".to_owned(), userspace.data()),
        ("user .bss".to_owned(), userspace.bss()),
    ];
    holders.extend(
        kernel
            .sections
            .iter()
            .map(|(name, range)| (format!("kernel {name}"), range.clone())),
    );
    let mut collisions = Vec::new();
    for (heap, range) in &heap_ranges {
        for (holder, held) in &holders {
            let start = range.start.max(held.start);
            let end = range.end.min(held.end);
            if start < end {
                collisions.push(HeapCollision {
                    heap: heap.clone(),
                    holder: holder.clone(),
                    start,
                    end,
                    bytes: end - start,
                });
            }
        }
    }
    collisions
}

fn open(path: &Path, what: &'static str) -> Result<std::fs::File, CheckError> {
    std::fs::File::open(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => CheckError::MissingElf {
            path: path.to_owned(),
            what,
        },
        _ => CheckError::Io {
            path: path.to_owned(),
            error,
        },
    })
}

fn decode(region: &crate::mpu::armv7m::Region) -> Decoded {
    let block = region.block();
    let base = u64::from(block.base());
    let srd = block.disabled_subregions();
    Decoded {
        block: Span {
            start: base,
            end: base + block.size(),
        },
        subregions_off: (0..8).filter(|i| srd & (1 << i) != 0).collect(),
        granted: region.granted().iter().map(Span::of).collect(),
        access: region.unprivileged_access(),
        execute_never: region.execute_never(),
    }
}

/// What the kernel ELF says lives where.
struct Kernel {
    /// Allocated sections with bytes, by run address.
    sections: Vec<(String, Range<u64>)>,
    /// `_ebss`, where the idle thread's stack starts.
    ebss: Option<u64>,
}

impl Kernel {
    fn read(path: &Path) -> Result<Kernel, CheckError> {
        let bytes = read_regular(path, "kernel")?;
        let sections = allocated_sections(&bytes, path)?;
        let file = object::File::parse(&*bytes).map_err(|error| CheckError::Sections {
            path: path.to_owned(),
            error,
        })?;
        if sections.is_empty() && file.segments().next().is_none() {
            return Err(CheckError::NotAnArmElf {
                path: path.to_owned(),
                problem: "no allocated section and no program header: not a linked kernel"
                    .to_owned(),
            });
        }
        let ebss = file
            .symbols()
            .find(|s| s.name() == Ok("_ebss"))
            .map(|s| s.address());
        Ok(Kernel { sections, ebss })
    }
}

/// Labelled ranges in order of precedence: the first that holds an
/// address names what lives there.
struct Places {
    labels: Vec<(PlaceKind, Option<String>, Range<u64>)>,
}

impl Places {
    fn new(tree: &Tree, heaps: &Heaps, kernel: &Kernel) -> Result<Places, CheckError> {
        let mut labels = vec![(PlaceKind::KernelHeap, None, heaps.kernel())];
        labels.extend(
            kernel
                .sections
                .iter()
                .map(|(name, range)| (PlaceKind::KernelSection, Some(name.clone()), range.clone())),
        );
        let stack = tree
            .config
            .number("CONFIG_IDLETHREAD_STACKSIZE")
            .map_err(TreeError::from)?;
        if let (Some(ebss), Some(stack)) = (kernel.ebss, stack) {
            let end = ebss
                .checked_add(stack)
                .filter(|end| *end <= 1 << 32)
                .ok_or_else(|| {
                    let line = tree.config.entries["CONFIG_IDLETHREAD_STACKSIZE"].line;
                    TreeError::from(crate::nuttx::kconfig::KconfigError::from(tree.config.at(
                        line,
                        "CONFIG_IDLETHREAD_STACKSIZE",
                        format!(
                            "{stack:#x} bytes of idle stack from _ebss {ebss:#x} run past the \
                             32-bit address space"
                        ),
                    )))
                })?;
            labels.push((PlaceKind::KernelIdleStack, None, ebss..end));
        }
        labels.extend(tree.memory.regions.iter().map(|region| {
            let kind = match (region.role(), region.is_flash()) {
                (Role::Kernel, true) => PlaceKind::KernelFlash,
                (Role::Kernel, false) => PlaceKind::KernelRam,
                (_, true) => PlaceKind::UnusedFlash,
                (_, false) => PlaceKind::UnusedRam,
            };
            (kind, Some(region.name.clone()), region.origin..region.end())
        }));
        labels.push((PlaceKind::UnusedRam, None, super::heap::ram(&tree.config)?));
        Ok(Places { labels })
    }

    /// `range` cut where what lives there changes.
    fn split(&self, range: Range<u64>) -> Vec<Place> {
        let mut bounds: Vec<u64> = self
            .labels
            .iter()
            .flat_map(|(_, _, r)| [r.start, r.end])
            .filter(|b| range.contains(b))
            .chain([range.start, range.end])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut places: Vec<Place> = Vec::new();
        for pair in bounds.windows(2) {
            let (kind, name) = self
                .labels
                .iter()
                .find(|(_, _, r)| r.contains(&pair[0]))
                .map_or((PlaceKind::Other, None), |(k, n, _)| (*k, n.clone()));
            match places.last_mut() {
                Some(last) if last.kind == kind && last.name == name => last.end = pair[1],
                _ => places.push(Place {
                    kind,
                    name,
                    start: pair[0],
                    end: pair[1],
                }),
            }
        }
        places
    }
}
