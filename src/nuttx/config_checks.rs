//! Checks of a protected NuttX configuration that a person converting one
//! would miss: each names the NuttX code that makes it fail, and is an
//! error (the configuration would not build or boot) or a warning.
//! `nuttx config protect` ([`super::config_convert`]) runs them on what it
//! writes; docs/nuttx.md explains each with its NuttX sources.

use super::defconfig::Defconfig;
use super::kconfig::Value;

/// NuttX's default `CONFIG_MM_KERNEL_HEAPSIZE` (`mm/Kconfig`), bytes.
pub const DEFAULT_KERNEL_HEAP: u64 = 8192;
/// NuttX's default `CONFIG_TLS_LOG2_MAXSTACK` (`libs/libc/tls/Kconfig`).
pub const DEFAULT_TLS_LOG2_MAXSTACK: u64 = 13;
/// The range Kconfig allows `CONFIG_TLS_LOG2_MAXSTACK`
/// (`libs/libc/tls/Kconfig`).
const TLS_LOG2_RANGE: std::ops::RangeInclusive<u64> = 11..=24;
/// NuttX's default `CONFIG_DEFAULT_TASK_STACKSIZE` (`sched/Kconfig`), the
/// default of `INIT_STACKSIZE` and the work queues' stacks, bytes.
const DEFAULT_STACKSIZE: u64 = 2048;
/// The MPU regions NuttX's ARMv7-M protected build programs for the user
/// (text, .data/.bss, heap; `tiva_mpuinitialize`, `up_allocate_heap`), plus
/// one per extra heap region (`arm_addregion`).
const USER_REGIONS: u64 = 3;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The converted configuration would not build or boot: not written.
    Error,
    /// Worth a look; the configuration is written.
    Warning,
}

/// A check of the converted configuration that found something.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
}

/// The MPU has regions for what NuttX programs: three user regions and one
/// per extra heap region.
pub fn check_mpu_regions(
    d: &Defconfig,
    chip: Option<u64>,
    default_regions: u64,
    findings: &mut Vec<Finding>,
) {
    let configured = d
        .number("CONFIG_ARM_MPU_NREGIONS")
        .unwrap_or(default_regions);
    let extra = d.number("CONFIG_MM_REGIONS").unwrap_or(1).saturating_sub(1);
    let needed = USER_REGIONS.saturating_add(extra);
    if configured < needed {
        findings.push(Finding {
            severity: Severity::Error,
            message: format!(
                "CONFIG_ARM_MPU_NREGIONS is {configured}, and NuttX programs {needed} user \
                 regions (text, .data/.bss, heap{}): mpu_allocregion runs out",
                if extra > 0 {
                    format!(", {extra} more heap regions for CONFIG_MM_REGIONS")
                } else {
                    String::new()
                }
            ),
        });
    }
    if chip.is_none() && d.is_set("CONFIG_ARCH_CORTEXM7") && configured == 16 {
        findings.push(Finding {
            severity: Severity::Warning,
            message: "Cortex-M7: NuttX assumes 16 MPU regions, but the chip maker chooses 8 or \
                      16; give --mpu-regions N from the chip's manual"
                .to_owned(),
        });
    }
}

/// The block of the user heap the init task's stack takes: with
/// `CONFIG_TLS_ALIGNED`, `up_create_stack` (`arch/arm/src/common/
/// arm_createstack.c`) allocates `CONFIG_INIT_STACKSIZE` bytes aligned to
/// 2^`CONFIG_TLS_LOG2_MAXSTACK` with `kumm_memalign`, which asks the heap
/// for the size plus twice the alignment in one piece (`mm/mm_heap/
/// mm_memalign.c`); without it, `kumm_malloc` asks for the size alone.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InitStack {
    /// `CONFIG_INIT_STACKSIZE`, bytes.
    pub stack: u64,
    /// The stack's alignment, bytes (0 without `CONFIG_TLS_ALIGNED`).
    pub align: u64,
    /// The one piece of heap it takes: `stack + 2 * align`, bytes.
    pub needed: u64,
}

/// [`InitStack`] of a configuration whose options `number` gives (a
/// defconfig's or a `.config`'s; Kconfig's defaults for what it lacks);
/// `tls_aligned` is whether `CONFIG_TLS_ALIGNED` is on.
pub fn init_stack(number: impl Fn(&str) -> Option<u64>, tls_aligned: bool) -> InitStack {
    let stack = number("CONFIG_INIT_STACKSIZE").unwrap_or(DEFAULT_STACKSIZE);
    let align = if tls_aligned {
        1u64 << number("CONFIG_TLS_LOG2_MAXSTACK")
            .filter(|log2| TLS_LOG2_RANGE.contains(log2))
            .unwrap_or(DEFAULT_TLS_LOG2_MAXSTACK)
    } else {
        0
    };
    InitStack {
        stack,
        align,
        needed: stack.saturating_add(2 * align),
    }
}

/// The smallest `CONFIG_TLS_LOG2_MAXSTACK` Kconfig allows that holds every
/// stack `d` configures (and the default task stack), or `None` when a
/// stack is larger than Kconfig's largest. See [`check_tls`].
pub fn smallest_tls_log2(d: &Defconfig) -> Option<u64> {
    let largest = configured_stacks(d)
        .filter_map(|name| d.number(name))
        .fold(DEFAULT_STACKSIZE, u64::max);
    let log2 = u64::from(64 - (largest - 1).leading_zeros()).max(*TLS_LOG2_RANGE.start());
    TLS_LOG2_RANGE.contains(&log2).then_some(log2)
}

/// The `*STACKSIZE` options `d` sets, but the idle thread's (not allocated
/// from a heap).
fn configured_stacks(d: &Defconfig) -> impl Iterator<Item = &str> {
    d.config.entries.keys().map(String::as_str).filter(|name| {
        name.ends_with("STACKSIZE")
            && *name != "CONFIG_IDLETHREAD_STACKSIZE"
            && d.get(name).is_some()
    })
}

/// With `CONFIG_TLS_ALIGNED` (the default in a protected build) every
/// thread's stack is aligned to 2^`CONFIG_TLS_LOG2_MAXSTACK` bytes and at
/// most that big: `up_create_stack` (`arch/arm/src/common/
/// arm_createstack.c`) asserts `stack_size <= TLS_MAXSTACK` and allocates
/// with `kumm_memalign` (user tasks, from the user heap) or `kmm_memalign`
/// (kernel threads, from the kernel heap), which asks the heap for the
/// size plus twice the alignment in one piece (`mm/mm_heap/
/// mm_memalign.c`).
pub fn check_tls(d: &Defconfig, findings: &mut Vec<Finding>) {
    if d.get("CONFIG_TLS_ALIGNED") == Some(Value::Bool(false)) {
        return;
    }
    let log2 = d
        .number("CONFIG_TLS_LOG2_MAXSTACK")
        .unwrap_or(DEFAULT_TLS_LOG2_MAXSTACK);
    if !TLS_LOG2_RANGE.contains(&log2) {
        findings.push(Finding {
            severity: Severity::Error,
            message: format!(
                "CONFIG_TLS_LOG2_MAXSTACK={log2} is outside Kconfig's range {} to {} \
                 (libs/libc/tls/Kconfig)",
                TLS_LOG2_RANGE.start(),
                TLS_LOG2_RANGE.end()
            ),
        });
        return;
    }
    let InitStack {
        stack: init,
        align,
        needed,
    } = init_stack(|name| d.number(name), true);
    let source = if d.number("CONFIG_TLS_LOG2_MAXSTACK").is_some() {
        format!("CONFIG_TLS_LOG2_MAXSTACK={log2}")
    } else {
        format!("CONFIG_TLS_LOG2_MAXSTACK's default {log2}")
    };
    for name in configured_stacks(d) {
        if let Some(size) = d.number(name).filter(|size| *size > align) {
            findings.push(Finding {
                severity: Severity::Error,
                message: format!(
                    "{name}={size} is more than the {align} bytes {source} allows a stack \
                     (up_create_stack asserts it, or cuts the stack); {}",
                    match u64::from(64 - (size - 1).leading_zeros()) {
                        log2 if TLS_LOG2_RANGE.contains(&log2) => {
                            format!("raise CONFIG_TLS_LOG2_MAXSTACK to {log2}")
                        }
                        _ => format!(
                            "make it smaller: Kconfig allows at most 2^{}",
                            TLS_LOG2_RANGE.end()
                        ),
                    }
                ),
            });
        }
    }
    let kernel_heap = d
        .number("CONFIG_MM_KERNEL_HEAPSIZE")
        .unwrap_or(DEFAULT_KERNEL_HEAP);
    if let Some(ram) = d.number("CONFIG_RAM_SIZE") {
        let room = ram.saturating_sub(kernel_heap);
        let heap = if room == 0 {
            0
        } else {
            1 << (63 - room.leading_zeros())
        };
        let fix = "CONFIG_TLS_LOG2_MAXSTACK=11 (2 KiB) makes it 6144 bytes; NuttX's \
                   lm3s6965-ek:qemu-protected needed that (commit 1128f6bd6c5)";
        if needed > heap {
            findings.push(Finding {
                severity: Severity::Error,
                message: format!(
                    "the init task's stack takes {needed} bytes of the user heap in one piece \
                     ({init} + 2 x {align}, {source}), and the user heap is at most {heap} bytes \
                     (CONFIG_RAM_SIZE {ram} less the kernel heap, rounded down to a power of two): \
                     the init task cannot start (nx_bringup asserts); {fix}"
                ),
            });
        } else if needed > heap / 2 {
            findings.push(Finding {
                severity: Severity::Warning,
                message: format!(
                    "the init task's stack takes {needed} bytes of the user heap in one piece \
                     ({init} + 2 x {align}, {source}); the user heap is at most {heap} bytes, and \
                     {} once what lies below it (the kernel's and the user's .data/.bss, the kernel \
                     heap) takes more than {} bytes of RAM: then the init task cannot start (nx_bringup asserts); {fix}",
                    heap / 2,
                    ram - heap
                ),
            });
        }
    }
    for (thread, option, stack) in [
        (
            "high-priority",
            "CONFIG_SCHED_HPWORK",
            "CONFIG_SCHED_HPWORKSTACKSIZE",
        ),
        (
            "low-priority",
            "CONFIG_SCHED_LPWORK",
            "CONFIG_SCHED_LPWORKSTACKSIZE",
        ),
    ] {
        if !d.is_set(option) {
            continue;
        }
        let size = d.number(stack).unwrap_or(DEFAULT_STACKSIZE);
        let needed = size.saturating_add(2 * align);
        if needed > kernel_heap {
            findings.push(Finding {
                severity: Severity::Warning,
                message: format!(
                    "the {thread} work queue is a kernel thread, whose stack takes {needed} bytes \
                     of the kernel heap in one piece ({size} + 2 x {align}, {source}); \
                     CONFIG_MM_KERNEL_HEAPSIZE is {kernel_heap}, and NuttX adds only what the \
                     user heap's power-of-two rounding leaves"
                ),
            });
        }
    }
}
