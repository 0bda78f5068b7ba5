//! A board's defconfig converted between NuttX's flat build and its
//! protected build (`CONFIG_BUILD_PROTECTED`), writing only what a
//! defconfig must carry under NuttX's current Kconfig (master, 2026-08):
//!
//! - `BUILD_PROTECTED` (`Kconfig`) depends on `ARCH_USE_MPU`, which
//!   `ARM_MPU` selects (`arch/arm/Kconfig`), and selects `LIB_SYSCALL` and
//!   `BUILD_2PASS`; `MM_KERNEL_HEAP` (`mm/Kconfig`) and `TLS_ALIGNED`
//!   (`libs/libc/tls/Kconfig`) default to `y` with it. A defconfig leaves
//!   those out, as `make savedefconfig` does, and so does the conversion.
//! - `PASS1_BUILDIR` (default `"build"`) must name the board's `kernel`
//!   directory, whose Makefile links the user blob in pass 1;
//!   `NUTTX_USERSPACE` (default 0) the user flash origin, where memory.ld
//!   links `struct userspace_s`; `MM_KERNEL_HEAPSIZE` defaults to 8192.
//! - `ARM_MPU_NREGIONS` defaults to 16 on a Cortex-M7 and 8 otherwise.
//! - `SYS_RESERVED` is no Kconfig option (`arch/arm/include/syscall.h`
//!   defines it), nor `MM_MULTIHEAP`; `NSH_ARCHINIT` was removed in
//!   2026-02 (commit 48db502daf9: `BOARD_LATE_INITIALIZE`, default `y`,
//!   does the board's initialisation, in kernel mode); the MPU options were
//!   named `ARMV7M_MPU*` before 2015 (commit dfec6a0dd0f).
//!
//! A built `.config` is refused: it holds every option at its resolved
//! value, including those the build mode derives (`LIB_SYSCALL`,
//! `TLS_ALIGNED`, `LIBC_USRWORK`, `ARCH_KERNEL_STACK`, ...), and
//! converting it would freeze the old mode's values. Kconfig derives them
//! again from a defconfig (`make savedefconfig` makes one of a `.config`).

use std::path::{Path, PathBuf};

use super::config_checks::{
    DEFAULT_KERNEL_HEAP, DEFAULT_TLS_LOG2_MAXSTACK, Finding, Severity, check_mpu_regions,
    check_tls, smallest_tls_log2,
};
use super::defconfig::{Defconfig, line_of};
use super::kconfig::{KconfigError, Value};
use super::memory_ld::{MemoryLd, MemoryLdError, Role};

/// One option changed, added or removed, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub name: String,
    /// The line before (absent: the option was not named).
    pub before: Option<String>,
    /// The line after (absent: removed).
    pub after: Option<String>,
    pub why: String,
}

/// The converted defconfig, what changed and what the checks found.
#[derive(Clone, Debug)]
pub struct Conversion {
    pub defconfig: Defconfig,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
}

impl Conversion {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// What `protect` needs beyond the defconfig.
#[derive(Clone, Debug, Default)]
pub struct ProtectOptions {
    /// `CONFIG_NUTTX_USERSPACE`, the user flash origin.
    pub userspace: Option<u64>,
    /// `CONFIG_MM_KERNEL_HEAPSIZE`, bytes.
    pub kernel_heap: Option<u64>,
    /// The chip's MPU region count.
    pub mpu_regions: Option<u64>,
    /// The NuttX tree: checks the pass-1 directory, reads the board's
    /// memory.ld for the user flash origin.
    pub tree: Option<PathBuf>,
}

/// The defconfig cannot be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Input(#[from] KconfigError),
    #[error(
        "{}: this is a built .config (it sets {option}, which `make savedefconfig` leaves \
         out): it holds every option at the value the old build mode gave it, and a \
         conversion would keep those; convert the board's defconfig, or make one with \
         `make savedefconfig`",
        path.display()
    )]
    FullConfig { path: PathBuf, option: String },
    #[error(
        "{}: CONFIG_NUTTX_USERSPACE: where is the user blob linked? Give --userspace ADDR \
         (the user flash origin) or --tree DIR (read from the board's memory.ld)",
        path.display()
    )]
    NoUserspace { path: PathBuf },
    #[error(transparent)]
    MemoryLd(#[from] MemoryLdError),
    #[error("{}: no user flash region (NuttX names it uflash) to take CONFIG_NUTTX_USERSPACE from", path.display())]
    NoUserFlash { path: PathBuf },
}

/// Records each edit of a defconfig with its reason.
struct Editor {
    defconfig: Defconfig,
    changes: Vec<Change>,
}

impl Editor {
    fn set(&mut self, name: &str, value: Value, why: &str) {
        let after = line_of(name, &value);
        let before = self.defconfig.line(name).map(str::to_owned);
        if self.defconfig.get(name).is_some_and(|v| v.same_as(&value)) {
            return;
        }
        self.defconfig.set(name, &value);
        self.changes.push(Change {
            name: name.to_owned(),
            before,
            after: Some(after),
            why: why.to_owned(),
        });
    }

    fn remove(&mut self, name: &str, why: &str) {
        if let Some(before) = self.defconfig.remove(name) {
            self.changes.push(Change {
                name: name.to_owned(),
                before: Some(before),
                after: None,
                why: why.to_owned(),
            });
        }
    }

    /// Removes `name` when it holds `default` (or, with `None`, any value).
    fn remove_if(&mut self, name: &str, default: Option<&Value>, why: &str) {
        let at_default = match (self.defconfig.get(name), default) {
            (Some(value), Some(default)) => value.same_as(default),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if at_default {
            self.remove(name, why);
        }
    }

    /// Renames option `old` to `new`, keeping its value; `new` wins when
    /// both are named.
    fn rename(&mut self, old: &str, new: &str) {
        let Some(value) = self.defconfig.get(old) else {
            return;
        };
        let why = format!("{old} is NuttX's name before 2015 (commit dfec6a0dd0f) for {new}");
        self.remove(old, &why);
        if self.defconfig.get(new).is_none() {
            self.set(new, value, &why);
        }
    }
}

fn yes() -> Value {
    Value::Bool(true)
}

fn number(value: u64, hex: bool) -> Value {
    Value::Number {
        value: i128::from(value),
        text: if hex {
            format!("{value:#010x}")
        } else {
            value.to_string()
        },
    }
}

/// Old MPU option names and their current ones.
const RENAMED: [(&str, &str); 2] = [
    ("CONFIG_ARMV7M_MPU", "CONFIG_ARM_MPU"),
    ("CONFIG_ARMV7M_MPU_NREGIONS", "CONFIG_ARM_MPU_NREGIONS"),
];

const NOT_AN_OPTION: &str = "not a Kconfig option in current NuttX (CONFIG_SYS_RESERVED is \
                             defined by arch/arm/include/syscall.h; MM_MULTIHEAP is gone)";

/// Refuses a built `.config` ([`super::kconfig::Kconfig::built_marker`]).
fn refuse_full_config(defconfig: &Defconfig) -> Result<(), ConvertError> {
    match defconfig.config.built_marker() {
        Some(option) => Err(ConvertError::FullConfig {
            path: defconfig.config.path.clone(),
            option: option.to_owned(),
        }),
        None => Ok(()),
    }
}

/// The pass-1 directory NuttX's protected boards use: the board
/// directory's `kernel` (relative to the tree, as `PASS1_BUILDIR` is).
fn pass1_dir(defconfig: &Defconfig) -> Result<String, KconfigError> {
    let config = &defconfig.config;
    let why = "it names the board directory, whose kernel/ builds pass 1";
    if config.is_set("CONFIG_ARCH_BOARD_CUSTOM") {
        let dir = config.required_text("CONFIG_ARCH_BOARD_CUSTOM_DIR", why)?;
        return Ok(format!("{}/kernel", dir.trim_end_matches('/')));
    }
    Ok(format!(
        "boards/{}/{}/{}/kernel",
        config.required_dir_name("CONFIG_ARCH", why)?,
        config.required_dir_name("CONFIG_ARCH_CHIP", why)?,
        config.required_dir_name("CONFIG_ARCH_BOARD", why)?
    ))
}

/// Converts a flat defconfig into a protected one.
pub fn protect(defconfig: Defconfig, options: &ProtectOptions) -> Result<Conversion, ConvertError> {
    refuse_full_config(&defconfig)?;
    let was_flat = !defconfig.is_set("CONFIG_BUILD_PROTECTED");
    let mut findings = Vec::new();
    let mut e = Editor {
        defconfig,
        changes: Vec::new(),
    };
    let default_regions = if e.defconfig.is_set("CONFIG_ARCH_CORTEXM7") {
        16
    } else {
        8
    };
    if options.mpu_regions.is_none() {
        // Before the renaming, so that an old name at the default goes at
        // once.
        for name in ["CONFIG_ARM_MPU_NREGIONS", "CONFIG_ARMV7M_MPU_NREGIONS"] {
            e.remove_if(
                name,
                Some(&number(default_regions, false)),
                "NuttX's default for this core (16 on Cortex-M7, else 8)",
            );
        }
    }
    for (old, new) in RENAMED {
        e.rename(old, new);
    }
    e.remove(
        "CONFIG_BUILD_FLAT",
        "one of the build-mode choice; BUILD_PROTECTED replaces it",
    );
    e.set(
        "CONFIG_BUILD_PROTECTED",
        yes(),
        "the protected build: a privileged kernel blob and an unprivileged user blob",
    );
    for name in ["CONFIG_BUILD_2PASS", "CONFIG_LIB_SYSCALL"] {
        e.remove(
            name,
            "BUILD_PROTECTED selects it, whatever the defconfig says; savedefconfig leaves it out",
        );
    }
    e.remove_if(
        "CONFIG_MM_KERNEL_HEAP",
        Some(&yes()),
        "defaults to y in a protected build",
    );
    if e.defconfig.get("CONFIG_MM_KERNEL_HEAP") == Some(Value::Bool(false)) {
        e.remove(
            "CONFIG_MM_KERNEL_HEAP",
            "without a kernel heap the kernel allocates from the user heap, which user code can write",
        );
    }
    e.remove_if(
        "CONFIG_TLS_ALIGNED",
        Some(&yes()),
        "defaults to y in a protected build",
    );
    e.remove_if(
        "CONFIG_PASS1_TARGET",
        Some(&Value::Text("all".to_owned())),
        "its default",
    );
    e.remove_if(
        "CONFIG_PASS1_OBJECT",
        Some(&Value::Text(String::new())),
        "its default",
    );
    e.remove_if("CONFIG_SYS_NNEST", Some(&number(2, false)), "its default");
    for name in ["CONFIG_SYS_RESERVED", "CONFIG_MM_MULTIHEAP"] {
        e.remove(name, NOT_AN_OPTION);
    }
    for name in ["CONFIG_NSH_ARCHINIT", "CONFIG_NSH_ARCHINITIALIZE"] {
        e.remove(
            name,
            "removed from NuttX (commit 48db502daf9, 2026-02): BOARD_LATE_INITIALIZE (default y) \
             initialises the board, in kernel mode as a protected build needs",
        );
    }
    if e.defconfig.get("CONFIG_BOARD_LATE_INITIALIZE") == Some(Value::Bool(false)) {
        findings.push(Finding {
            severity: Severity::Warning,
            message: "CONFIG_BOARD_LATE_INITIALIZE is not set: nothing initialises the board's \
                      drivers (user code cannot: BOARDIOC_INIT returns -ENOTTY since NuttX \
                      commit 48db502daf9)"
                .to_owned(),
        });
    }

    // Pass 1.
    let pass1 = match e.defconfig.config.text("CONFIG_PASS1_BUILDIR") {
        Some(dir) if e.defconfig.get("CONFIG_PASS1_BUILDIR").is_some() => dir.to_owned(),
        _ => pass1_dir(&e.defconfig)?,
    };
    e.set(
        "CONFIG_PASS1_BUILDIR",
        Value::Text(pass1.clone()),
        "the board's kernel/ directory, whose Makefile links the user blob in pass 1",
    );
    if let Some(tree) = &options.tree {
        let dir = tree.join(&pass1);
        if !dir.join("Makefile").is_file() {
            findings.push(Finding {
                severity: Severity::Error,
                message: format!(
                    "CONFIG_PASS1_BUILDIR=\"{pass1}\": {} has no Makefile: pass 1 runs make \
                     there to build the user blob (a board without kernel/ has no protected \
                     build yet)",
                    dir.display()
                ),
            });
        }
    }

    // The user blob's address.
    let from_tree = match &options.tree {
        Some(tree) => Some(user_flash_origin(tree, &e.defconfig)?),
        None => None,
    };
    let userspace = match (options.userspace, &from_tree) {
        (Some(given), Some((path, origin))) if given != *origin => {
            findings.push(Finding {
                severity: Severity::Error,
                message: format!(
                    "--userspace {given:#x}, but {} links the user blob at uflash {origin:#x}: \
                     the kernel would look for struct userspace_s where there is none",
                    path.display()
                ),
            });
            Some(given)
        }
        (Some(given), _) => Some(given),
        (None, Some((_, origin))) => Some(*origin),
        (None, None) => e.defconfig.number("CONFIG_NUTTX_USERSPACE"),
    };
    let userspace = userspace.ok_or_else(|| ConvertError::NoUserspace {
        path: e.defconfig.config.path.clone(),
    })?;
    e.set(
        "CONFIG_NUTTX_USERSPACE",
        number(userspace, true),
        "the user flash origin, where struct userspace_s lies",
    );

    // The kernel heap.
    match options.kernel_heap {
        Some(size) if size != DEFAULT_KERNEL_HEAP => e.set(
            "CONFIG_MM_KERNEL_HEAPSIZE",
            number(size, false),
            "the kernel heap's size in bytes (--kernel-heap)",
        ),
        Some(_) => e.remove(
            "CONFIG_MM_KERNEL_HEAPSIZE",
            "--kernel-heap is NuttX's default, 8192 bytes",
        ),
        None => e.remove_if(
            "CONFIG_MM_KERNEL_HEAPSIZE",
            Some(&number(DEFAULT_KERNEL_HEAP, false)),
            "NuttX's default, 8192 bytes",
        ),
    }

    // The MPU.
    e.set(
        "CONFIG_ARM_MPU",
        yes(),
        "selects ARCH_USE_MPU, which BUILD_PROTECTED depends on",
    );
    match options.mpu_regions {
        Some(regions) if regions == default_regions => e.remove(
            "CONFIG_ARM_MPU_NREGIONS",
            "its default for this core, the chip's count",
        ),
        Some(regions) => e.set(
            "CONFIG_ARM_MPU_NREGIONS",
            number(regions, false),
            "the chip's MPU region count (--mpu-regions)",
        ),
        None => {}
    }
    check_mpu_regions(
        &e.defconfig,
        options.mpu_regions,
        default_regions,
        &mut findings,
    );
    if was_flat {
        choose_tls_alignment(&mut e);
    }
    check_tls(&e.defconfig, &mut findings);
    Ok(Conversion {
        defconfig: e.defconfig,
        changes: e.changes,
        findings,
    })
}

/// A defconfig that leaves `CONFIG_TLS_LOG2_MAXSTACK` at Kconfig's default
/// (13: 8 KiB, where a flat defconfig never names it, as it depends on
/// `TLS_ALIGNED`) gets the smallest alignment that holds every configured
/// stack, when the default draws findings of [`check_tls`] and that one
/// draws fewer (a flat defconfig only: a protected one keeps its author's
/// choice, and the check speaks): every task's stack then costs the heap `2 x 2^n` less.
/// On lm3s6965-ek's kostest this is NuttX's own fix for qemu-protected,
/// 11 (commit 1128f6bd6c5).
fn choose_tls_alignment(e: &mut Editor) {
    let findings = |d: &Defconfig| {
        let mut found = Vec::new();
        check_tls(d, &mut found);
        found.len()
    };
    if e.defconfig.get("CONFIG_TLS_LOG2_MAXSTACK").is_some()
        || e.defconfig.get("CONFIG_TLS_ALIGNED") == Some(Value::Bool(false))
    {
        return;
    }
    let Some(log2) = smallest_tls_log2(&e.defconfig) else {
        return;
    };
    let at_default = findings(&e.defconfig);
    let mut chosen = e.defconfig.clone();
    chosen.set("CONFIG_TLS_LOG2_MAXSTACK", &number(log2, false));
    if findings(&chosen) < at_default {
        let why = format!(
            "the smallest stack alignment that holds every configured stack; Kconfig's default \
             {DEFAULT_TLS_LOG2_MAXSTACK} makes each stack take {} bytes more of its heap in one \
             piece, which the check finds too much",
            2 * ((1u64 << DEFAULT_TLS_LOG2_MAXSTACK) - (1 << log2))
        );
        e.set("CONFIG_TLS_LOG2_MAXSTACK", number(log2, false), &why);
    }
}

/// The user flash origin from the board's memory.ld in `tree`, and that
/// file.
fn user_flash_origin(tree: &Path, defconfig: &Defconfig) -> Result<(PathBuf, u64), ConvertError> {
    let board = Path::new(&pass1_dir(defconfig)?)
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default();
    let path = tree.join(board).join("scripts/memory.ld");
    let memory = MemoryLd::read(&path)?;
    let origin = memory
        .of(Role::User, true)
        .next()
        .map(|region| region.origin)
        .ok_or(ConvertError::NoUserFlash { path: path.clone() })?;
    Ok((path, origin))
}

/// The options a protected build adds, in current and older names; `flat`
/// removes them (the MPU ones unless asked to keep them).
const PROTECTION: [&str; 15] = [
    "CONFIG_BUILD_PROTECTED",
    "CONFIG_BUILD_2PASS",
    "CONFIG_PASS1_TARGET",
    "CONFIG_PASS1_BUILDIR",
    "CONFIG_PASS1_OBJECT",
    "CONFIG_NUTTX_USERSPACE",
    "CONFIG_LIB_SYSCALL",
    "CONFIG_SYS_NNEST",
    "CONFIG_SYS_RESERVED",
    "CONFIG_MM_KERNEL_HEAP",
    "CONFIG_MM_KERNEL_HEAPSIZE",
    "CONFIG_MM_MULTIHEAP",
    "CONFIG_TLS_ALIGNED",
    "CONFIG_TLS_LOG2_MAXSTACK",
    "CONFIG_ARCH_KERNEL_STACK",
];

/// The MPU options, current and older names.
const MPU: [&str; 6] = [
    "CONFIG_ARM_MPU",
    "CONFIG_ARM_MPU_NREGIONS",
    "CONFIG_ARM_MPU_RESET",
    "CONFIG_ARM_MPU_EARLY_RESET",
    "CONFIG_ARMV7M_MPU",
    "CONFIG_ARMV7M_MPU_NREGIONS",
];

/// Why `flat` removes option `name`.
fn flat_reason(name: &str) -> &'static str {
    match name {
        "CONFIG_BUILD_PROTECTED" => "a flat build is the default build mode",
        "CONFIG_BUILD_2PASS" | "CONFIG_LIB_SYSCALL" => {
            "BUILD_PROTECTED selected it; a flat build has no user blob and no system calls"
        }
        "CONFIG_PASS1_TARGET" | "CONFIG_PASS1_BUILDIR" | "CONFIG_PASS1_OBJECT" => {
            "pass 1 built the user blob; depends on BUILD_2PASS"
        }
        "CONFIG_NUTTX_USERSPACE" => "depends on BUILD_PROTECTED",
        "CONFIG_SYS_NNEST" => "depends on LIB_SYSCALL",
        "CONFIG_SYS_RESERVED" | "CONFIG_MM_MULTIHEAP" => NOT_AN_OPTION,
        "CONFIG_MM_KERNEL_HEAP" | "CONFIG_TLS_ALIGNED" => {
            "its default follows BUILD_PROTECTED (n in a flat build)"
        }
        "CONFIG_MM_KERNEL_HEAPSIZE" => "depends on MM_KERNEL_HEAP",
        "CONFIG_TLS_LOG2_MAXSTACK" => "depends on TLS_ALIGNED",
        "CONFIG_ARCH_KERNEL_STACK" => "depends on BUILD_PROTECTED or BUILD_KERNEL",
        _ => {
            "the MPU protected the kernel from the user blob; --keep-mpu keeps it (a flat build \
             may use it for caches or a stack guard)"
        }
    }
}

/// Converts a protected defconfig into a flat one; with `keep_mpu` the
/// MPU options stay (renamed to their current names).
pub fn flat(defconfig: Defconfig, keep_mpu: bool) -> Result<Conversion, ConvertError> {
    refuse_full_config(&defconfig)?;
    let mut findings = Vec::new();
    if !defconfig.config.is_set("CONFIG_BUILD_PROTECTED") {
        findings.push(Finding {
            severity: Severity::Warning,
            message: format!(
                "{}: CONFIG_BUILD_PROTECTED is not set: already a flat build",
                defconfig.config.path.display()
            ),
        });
    }
    let mut e = Editor {
        defconfig,
        changes: Vec::new(),
    };
    // A protected defconfig that opts out of the aligned stacks (or in to
    // a flat kernel heap) says so with a line that means the same in a
    // flat build only when it turns the option on.
    let keep = |e: &Editor, name: &str| match name {
        "CONFIG_MM_KERNEL_HEAPSIZE" => e.defconfig.is_set("CONFIG_MM_KERNEL_HEAP"),
        "CONFIG_TLS_LOG2_MAXSTACK" => e.defconfig.is_set("CONFIG_TLS_ALIGNED"),
        _ => false,
    };
    for name in PROTECTION {
        if !keep(&e, name) {
            e.remove(name, flat_reason(name));
        }
    }
    if keep_mpu {
        for (old, new) in RENAMED {
            e.rename(old, new);
        }
    } else {
        for name in MPU {
            e.remove(name, flat_reason(name));
        }
    }
    Ok(Conversion {
        defconfig: e.defconfig,
        changes: e.changes,
        findings,
    })
}
