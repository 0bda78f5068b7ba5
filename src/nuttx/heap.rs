//! The heaps a protected NuttX build sets up at boot, and the MPU regions
//! its chip code programs for the user, in call order, for the chip
//! families modelled here. Each follows its C files:
//!
//! - **tiva** (`CONFIG_ARCH_CHIP="tiva"`, LM3S/LM4F/TM4C):
//!   `arch/arm/src/tiva/common/tiva_mpuinit.c` (`tiva_mpuinitialize`, from
//!   `tiva_userspace`) and `tiva_allocateheap.c`; the heaps end at
//!   `CONFIG_RAM_END`; no extra heap regions.
//! - **stm32** (`CONFIG_ARCH_CHIP="stm32"`, or `"stm32f4"` and the other
//!   legacy Cortex-M3/M4 families with `CONFIG_STM32_COMMON_LEGACY`):
//!   `arch/arm/src/common/stm32/stm32_mpuinit_m3m4_v1.c` and
//!   `stm32_allocateheap_m3m4_v1.c` (`arch/arm/src/stm32/stm32_mpuinit.c`
//!   and `stm32_allocateheap.c` in older trees); the heaps end at
//!   `SRAM1_END`, the part's SRAM end from that file's table, not
//!   `CONFIG_RAM_END`; `arm_addregion` adds CCM SRAM and FSMC/FMC RAM.
//! - **mps** (`CONFIG_ARCH_CHIP="mps"`, the ARMv7-M AN386 and AN500):
//!   `arch/arm/src/mps/mps_userspace.c` and `mps_allocateheap.c`; the heaps
//!   end at `PRIMARY_RAM_END` (`hardware/mps_memorymap.h`), and with
//!   `CONFIG_MM_REGIONS > 1` `arm_addregion` adds `REGION1_RAM`.
//!
//! All three do the same at run time:
//!
//! 1. the user text `[us_textstart, us_textend)` with `mpu_user_flash` and
//!    the user `.data`/`.bss` `[min(us_datastart, us_bssstart),
//!    max(us_dataend, us_bssend))` with `mpu_user_intsram`;
//! 2. the user heap: `ubase = us_bssend + CONFIG_MM_KERNEL_HEAPSIZE`, the
//!    size `END - ubase` rounded *down* to a power of two
//!    (`mpu_log2regionfloor`), placed at the top: `[END - size, END)`,
//!    with `mpu_user_intsram`;
//! 3. the kernel heap `[us_bssend, END - size)`: whatever lies between the
//!    user's `.bss` and its heap, which is why `CONFIG_MM_KERNEL_HEAPSIZE`
//!    is "only approximate": the kernel heap is at least that, and up to
//!    twice the user heap's rounding more;
//! 4. `arm_addregion` (`CONFIG_MM_REGIONS > 1`): each extra user heap
//!    region with `mpu_user_intsram`.

use std::ops::Range;

use serde::Serialize;

use super::arm_mpu::{self, Call, Macro};
use super::kconfig::{Kconfig, KconfigError};
use super::userspace::Userspace;

/// A chip family whose protected-build code is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Tiva,
    Stm32,
    Mps,
}

/// The families modelled, for error messages.
pub const MODELLED: &str = "tiva, stm32 (the legacy Cortex-M3/M4 families: stm32, stm32f1, \
     stm32f2, stm32f3, stm32f4, stm32g4, stm32l1) and mps (AN386, AN500)";

/// Why a configuration's heaps cannot be modelled.
#[derive(Debug, thiserror::Error)]
pub enum HeapError {
    #[error(transparent)]
    Config(#[from] KconfigError),
    #[error(
        "{}: CONFIG_ARCH_CHIP=\"{chip}\" is not modelled: `nuttx check` models the protected \
         builds of {MODELLED}",
        path.display()
    )]
    Unsupported {
        path: std::path::PathBuf,
        chip: String,
    },
    #[error(
        "{}: CONFIG_ARCH_FAMILY=\"{family}\": `nuttx check` models NuttX's ARMv7-M MPU code \
         (arch/arm/src/armv7-m/arm_mpu.c); this chip uses arch/arm/src/{family}",
        path.display()
    )]
    NotArmv7m {
        path: std::path::PathBuf,
        family: String,
    },
    #[error("{}: {what}", path.display())]
    Configuration {
        path: std::path::PathBuf,
        what: String,
    },
    #[error(
        "the kernel heap does not fit: us_bssend {bss_end:#010x} + CONFIG_MM_KERNEL_HEAPSIZE \
         {kernel_heap_size} = {} is not below the end of the heaps {end:#010x} \
         ({end_name}); NuttX DEBUGASSERTs `ubase < {end_name}` in up_allocate_heap",
        ubase.map_or_else(|| "more than 64 bits hold".to_owned(), |u| format!("{u:#x}"))
    )]
    NoRoom {
        bss_end: u64,
        kernel_heap_size: u64,
        /// `us_bssend + CONFIG_MM_KERNEL_HEAPSIZE`, unless it overflows.
        ubase: Option<u64>,
        end: u64,
        end_name: &'static str,
    },
}

/// A user heap region that `arm_addregion` adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtraRegion {
    /// What the C code calls it: `CCM SRAM`, `CONFIG_HEAP2`, `REGION1_RAM`.
    pub name: &'static str,
    pub start: u64,
    pub end: u64,
}

/// The heaps a protected build sets up at boot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Heaps {
    pub family: Family,
    /// Where the heaps end: `CONFIG_RAM_END`, `SRAM1_END` or
    /// `PRIMARY_RAM_END`, by name and value.
    pub end_name: &'static str,
    pub end: u64,
    /// `[us_bssend, user heap start)`.
    pub kernel_start: u64,
    pub kernel_end: u64,
    /// `CONFIG_MM_KERNEL_HEAPSIZE`, bytes.
    pub kernel_configured: u64,
    /// The user heap, `[END - 2^n, END)`.
    pub user_start: u64,
    pub user_end: u64,
    /// More user heap, added by `arm_addregion`.
    pub extra: Vec<ExtraRegion>,
    /// Where NuttX's own assumptions fail (its DEBUGASSERTs, off in a
    /// release build), one sentence each.
    pub warnings: Vec<String>,
}

impl Heaps {
    pub fn kernel(&self) -> Range<u64> {
        self.kernel_start..self.kernel_end
    }

    pub fn user(&self) -> Range<u64> {
        self.user_start..self.user_end
    }
}

impl Family {
    /// The family's name, as `CONFIG_ARCH_CHIP` starts.
    pub fn name(self) -> &'static str {
        match self {
            Family::Tiva => "tiva",
            Family::Stm32 => "stm32",
            Family::Mps => "mps",
        }
    }

    /// The family of the configuration's chip, or why it is not modelled.
    pub fn of(config: &Kconfig) -> Result<Family, HeapError> {
        let chip = config.required_text("CONFIG_ARCH_CHIP", "it names the chip's code")?;
        let family = match chip {
            "tiva" => Family::Tiva,
            "stm32" => Family::Stm32,
            "mps" => Family::Mps,
            other if other.starts_with("stm32") && config.is_set("CONFIG_STM32_COMMON_LEGACY") => {
                Family::Stm32
            }
            other => {
                return Err(HeapError::Unsupported {
                    path: config.path.clone(),
                    chip: other.to_owned(),
                });
            }
        };
        match config.text("CONFIG_ARCH_FAMILY") {
            Some("armv7-m") | None => Ok(family),
            Some(other) => Err(HeapError::NotArmv7m {
                path: config.path.clone(),
                family: other.to_owned(),
            }),
        }
    }

    /// The heaps the family's `up_allocate_heap`/`up_allocate_kheap` and
    /// `arm_addregion` set up for the user blob described by `header`.
    pub fn heaps(self, config: &Kconfig, header: &Userspace) -> Result<Heaps, HeapError> {
        let why = "the protected build's heaps depend on it";
        if !config.is_set("CONFIG_MM_KERNEL_HEAP") {
            return Err(HeapError::Configuration {
                path: config.path.clone(),
                what: "CONFIG_MM_KERNEL_HEAP is not set: without a kernel heap the chip code \
                       programs no user heap region, and `nuttx check` models the split heaps \
                       of a protected build"
                    .to_owned(),
            });
        }
        let kernel_configured = config.required_number("CONFIG_MM_KERNEL_HEAPSIZE", why)?;
        let regions = config.number("CONFIG_MM_REGIONS")?.unwrap_or(1);
        let (end_name, end, extra) = match self {
            Family::Tiva => ("CONFIG_RAM_END", ram_end(config)?, Vec::new()),
            Family::Stm32 => stm32::memory(config, regions)?,
            Family::Mps => mps_memory(config, regions)?,
        };
        let bss_end = header.bss().end;
        let ubase = bss_end
            .checked_add(kernel_configured)
            .filter(|ubase| *ubase < end);
        let Some(ubase) = ubase else {
            return Err(HeapError::NoRoom {
                bss_end,
                kernel_heap_size: kernel_configured,
                ubase: bss_end.checked_add(kernel_configured),
                end,
                end_name,
            });
        };
        let log2 = arm_mpu::log2_region_floor(end - ubase);
        let size = 1u64 << log2;
        let mut warnings = Vec::new();
        if self != Family::Stm32 && end & (size - 1) != 0 {
            warnings.push(format!(
                "{end_name} {end:#010x} is not aligned to the user heap's {size:#x} bytes \
                 (NuttX DEBUGASSERTs it): its MPU region is larger than the heap"
            ));
        }
        Ok(Heaps {
            family: self,
            end_name,
            end,
            kernel_start: bss_end,
            kernel_end: end - size,
            kernel_configured,
            user_start: end - size,
            user_end: end,
            extra,
            warnings,
        })
    }

    /// The C functions that program the regions, for the report.
    fn callers(self) -> (&'static str, &'static str) {
        match self {
            Family::Tiva => ("tiva_mpuinitialize", "tiva_mpu_uheap"),
            Family::Stm32 => ("stm32_mpuinitialize", "stm32_mpu_uheap"),
            Family::Mps => ("mps_userspace", "up_allocate_heap"),
        }
    }

    /// The `mpu_configure_region` calls the family's code makes for the
    /// user, in the order it makes them: user text and data from the
    /// userspace initialisation (before the scheduler starts), the user
    /// heap from `up_allocate_heap` (in `nx_start`), then `arm_addregion`
    /// (in `up_initialize`).
    pub fn calls(self, header: &Userspace, heaps: &Heaps) -> Vec<Call> {
        let (init, uheap) = self.callers();
        let text = header.text();
        let (data, bss) = (header.data(), header.bss());
        let data_start = data.start.min(bss.start);
        let data_end = data.end.max(bss.end);
        let call = |purpose: &str, caller, mpu_macro, range: Range<u64>| Call {
            purpose: purpose.to_owned(),
            caller,
            mpu_macro,
            base: range.start,
            size: range.end.saturating_sub(range.start),
        };
        let mut calls = vec![
            call("user text", init, Macro::MpuUserFlash, text),
            call(
                "user .data/.bss",
                init,
                Macro::MpuUserIntsram,
                data_start..data_end,
            ),
            call("user heap", uheap, Macro::MpuUserIntsram, heaps.user()),
        ];
        let extra_caller = match self {
            Family::Stm32 => "stm32_mpu_uheap (arm_addregion)",
            _ => "arm_addregion",
        };
        calls.extend(heaps.extra.iter().map(|region| {
            call(
                &format!("user heap ({})", region.name),
                extra_caller,
                Macro::MpuUserIntsram,
                region.start..region.end,
            )
        }));
        calls
    }
}

/// `[CONFIG_RAM_START, CONFIG_RAM_END)`, `CONFIG_RAM_END` being
/// `CONFIG_RAM_START + CONFIG_RAM_SIZE` (`include/nuttx/config.h`), inside
/// the 32-bit address space.
pub fn ram(config: &Kconfig) -> Result<Range<u64>, HeapError> {
    let why = "CONFIG_RAM_END, where the heaps end, is CONFIG_RAM_START + CONFIG_RAM_SIZE";
    let start = config.required_number("CONFIG_RAM_START", why)?;
    let size = config.required_number("CONFIG_RAM_SIZE", why)?;
    beyond_address_space(config, "CONFIG_RAM_START + CONFIG_RAM_SIZE", start, size)
}

/// `CONFIG_RAM_END`.
fn ram_end(config: &Kconfig) -> Result<u64, HeapError> {
    Ok(ram(config)?.end)
}

/// `[base, base + size)`, or an error naming `what` when it leaves the
/// 32-bit address space.
fn beyond_address_space(
    config: &Kconfig,
    what: &str,
    base: u64,
    size: u64,
) -> Result<Range<u64>, HeapError> {
    match base.checked_add(size) {
        Some(end) if end <= crate::mpu::ADDRESS_SPACE_END => Ok(base..end),
        _ => Err(HeapError::Configuration {
            path: config.path.clone(),
            what: format!("{what} = {base:#x} + {size:#x} ends beyond the 32-bit address space"),
        }),
    }
}

/// `hardware/mps_memorymap.h` for the ARMv7-M MPS parts: `PRIMARY_RAM` is
/// the 16 MiB PSRAM at 0x60000000, `REGION1_RAM` the 4 MiB ZBT SSRAM23 at
/// 0x20000000. No `REGION2_RAM` is defined, so `CONFIG_MM_REGIONS > 2`
/// does not build.
fn mps_memory(
    config: &Kconfig,
    regions: u64,
) -> Result<(&'static str, u64, Vec<ExtraRegion>), HeapError> {
    if !(config.is_set("CONFIG_ARCH_CHIP_MPS2_AN386")
        || config.is_set("CONFIG_ARCH_CHIP_MPS2_AN500"))
    {
        return Err(HeapError::Configuration {
            path: config.path.clone(),
            what: "neither CONFIG_ARCH_CHIP_MPS2_AN386 nor CONFIG_ARCH_CHIP_MPS2_AN500 is set: \
                   the other MPS parts are ARMv8-M, whose MPU code is not modelled"
                .to_owned(),
        });
    }
    if regions > 2 {
        return Err(HeapError::Configuration {
            path: config.path.clone(),
            what: format!(
                "CONFIG_MM_REGIONS={regions}: mps_allocateheap.c adds REGION2_RAM, which \
                 mps_memorymap.h does not define for AN386/AN500 (the build fails)"
            ),
        });
    }
    let extra = (regions > 1)
        .then_some(ExtraRegion {
            name: "REGION1_RAM",
            start: 0x2000_0000,
            end: 0x2040_0000,
        })
        .into_iter()
        .collect();
    Ok(("PRIMARY_RAM_END", 0x6100_0000, extra))
}

/// The STM32 legacy families' memory: `SRAM1_END` and the extra regions,
/// as the preprocessor logic of `stm32_allocateheap_m3m4_v1.c` settles
/// them.
mod stm32 {
    use super::{ExtraRegion, HeapError, Kconfig, beyond_address_space, ram_end};

    /// A configuration that file refuses with `#error`: it does not build.
    fn refused(config: &Kconfig, what: &str) -> HeapError {
        HeapError::Configuration {
            path: config.path.clone(),
            what: format!("{what} (stm32_allocateheap_m3m4_v1.c stops the build with #error)"),
        }
    }

    fn ccm(end: u64) -> ExtraRegion {
        ExtraRegion {
            name: "CCM SRAM",
            start: 0x1000_0000,
            end,
        }
    }

    /// `(SRAM1_END, extra regions)`.
    pub(super) fn memory(
        config: &Kconfig,
        regions: u64,
    ) -> Result<(&'static str, u64, Vec<ExtraRegion>), HeapError> {
        let set = |name: &str| config.is_set(name);
        let mut external = (set("CONFIG_STM32_FSMC") || set("CONFIG_STM32_FMC"))
            && set("CONFIG_STM32_EXTERNAL_RAM");
        let mut ccm_excluded = set("CONFIG_STM32_CCMEXCLUDE");
        // (SRAM1_END, CCM end if the part has CCM)
        let (end, ccm_end): (u64, Option<u64>) = if set("CONFIG_STM32_STM32L15XX") {
            if regions > 1 {
                return Err(refused(config, "CONFIG_MM_REGIONS > 1 on an STM32L15xx"));
            }
            (ram_end(config)?, None)
        } else if set("CONFIG_STM32_STM32F10XX") {
            if external && regions < 2 {
                external = false;
            } else if external && regions > 2 || !external && regions > 1 {
                return Err(refused(
                    config,
                    "CONFIG_MM_REGIONS names regions an F1 lacks",
                ));
            }
            (ram_end(config)?, None)
        } else if set("CONFIG_STM32_STM32F30XX") || set("CONFIG_STM32_STM32F33XX") {
            external = false;
            let ccm_end = if set("CONFIG_STM32_STM32F30XX") {
                0x1000_2000
            } else {
                0x1000_1000
            };
            if regions < 2 {
                ccm_excluded = true;
            } else if regions > 2 || ccm_excluded {
                return Err(refused(
                    config,
                    "CONFIG_MM_REGIONS >= 2 needs exactly CCM SRAM as the second region",
                ));
            }
            (ram_end(config)?, Some(ccm_end))
        } else if set("CONFIG_STM32_STM32F37XX") {
            if regions > 1 {
                return Err(refused(config, "CONFIG_MM_REGIONS > 1 on an STM32F37xx"));
            }
            (ram_end(config)?, None)
        } else if set("CONFIG_STM32_HAVE_IP_FLASH_M3M4_F2F4")
            // The symbols of trees before arch/arm/src/common/stm32.
            || set("CONFIG_STM32_STM32F20XX")
            || set("CONFIG_STM32_STM32F4XXX")
        {
            if [
                "CONFIG_STM32_STM32F20XX",
                "CONFIG_STM32_STM32F401",
                "CONFIG_STM32_STM32F411",
                "CONFIG_STM32_STM32F410",
                "CONFIG_STM32_STM32F412",
            ]
            .iter()
            .any(|name| set(name))
            {
                ccm_excluded = true;
            }
            let end = if set("CONFIG_STM32_STM32F401xBC") {
                0x2001_0000
            } else if set("CONFIG_STM32_STM32F401xDE") {
                0x2001_8000
            } else if set("CONFIG_STM32_STM32F410") {
                0x2000_8000
            } else if set("CONFIG_STM32_STM32F427") || set("CONFIG_STM32_STM32F429") {
                0x2003_0000
            } else if set("CONFIG_STM32_STM32F446") {
                0x2002_0000
            } else if set("CONFIG_STM32_STM32F469") {
                0x2005_0000
            } else {
                0x2002_0000
            };
            if external {
                if regions < 2 {
                    external = false;
                    ccm_excluded = true;
                } else if regions > 2 && (ccm_excluded || regions != 3) {
                    return Err(refused(config, "CONFIG_MM_REGIONS names unknown regions"));
                } else if regions == 2 && !ccm_excluded {
                    return Err(refused(
                        config,
                        "CONFIG_MM_REGIONS == 2 cannot hold both CCM SRAM and FSMC SRAM",
                    ));
                }
            } else if !ccm_excluded {
                if regions < 2 {
                    ccm_excluded = true;
                } else if regions > 2 {
                    return Err(refused(
                        config,
                        "CONFIG_MM_REGIONS > 2 names unknown regions",
                    ));
                }
            }
            (end, Some(0x1001_0000))
        } else if set("CONFIG_STM32_STM32G4XXX") {
            let (end, ccm_end) = if set("CONFIG_STM32_STM32G47XX") {
                (0x2002_0000, 0x1000_8000)
            } else if set("CONFIG_STM32_STM32G43XX") {
                (0x2000_5800, 0x1000_2700)
            } else {
                return Err(refused(
                    config,
                    "an STM32G4 that is neither G43xx nor G47xx",
                ));
            };
            let expected = if external { 2..=3 } else { 1..=2 };
            if !expected.contains(&regions) {
                return Err(refused(
                    config,
                    "CONFIG_MM_REGIONS does not match the G4's memories",
                ));
            }
            (end, Some(ccm_end))
        } else {
            return Err(refused(config, "no STM32 family that file knows is set"));
        };
        let mut extra = Vec::new();
        if regions > 1 {
            if let (false, Some(ccm_end)) = (ccm_excluded, ccm_end) {
                extra.push(ccm(ccm_end));
            }
            if external {
                let why = "CONFIG_STM32_EXTERNAL_RAM adds it to the user heap";
                let base = config.required_number("CONFIG_HEAP2_BASE", why)?;
                let size = config.required_number("CONFIG_HEAP2_SIZE", why)?;
                let range = beyond_address_space(
                    config,
                    "CONFIG_HEAP2_BASE + CONFIG_HEAP2_SIZE",
                    base,
                    size,
                )?;
                extra.push(ExtraRegion {
                    name: "CONFIG_HEAP2",
                    start: range.start,
                    end: range.end,
                });
            }
        }
        Ok(("SRAM1_END", end, extra))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::image::{Image, OverlapPolicy};
    use crate::nuttx::userspace::Layout;

    fn config(text: &str) -> Kconfig {
        Kconfig::parse(text, Path::new(".config")).unwrap()
    }

    /// A header with the given text, .data and .bss extents.
    fn header(text: Range<u32>, data: Range<u32>, bss: Range<u32>) -> Userspace {
        let words = [
            text.start | 1,
            text.start,
            text.end,
            text.end,
            data.start,
            data.end,
            bss.start,
            bss.end,
            0,
            data.start,
            text.start | 1,
        ];
        let mut image = Image::new();
        let bytes = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        image
            .insert_vec(0x20000, bytes, OverlapPolicy::Error)
            .unwrap();
        Userspace::read(&image, 0x20000, &Layout::of(&config(""))).unwrap()
    }

    const TIVA: &str = "CONFIG_ARCH_CHIP=\"tiva\"\nCONFIG_ARCH_FAMILY=\"armv7-m\"\n\
        CONFIG_MM_KERNEL_HEAP=y\nCONFIG_MM_KERNEL_HEAPSIZE=8192\nCONFIG_MM_REGIONS=1\n\
        CONFIG_RAM_START=0x20000000\nCONFIG_RAM_SIZE=65536\n";

    /// lm3s6965-ek:qemu-kostest, by hand: kernel heap 10556 bytes for the
    /// 8192 configured, user heap the top 32 KiB.
    #[test]
    fn lm3s6965_heaps() {
        let config = config(TIVA);
        let header = header(
            0x20030..0x2ee6b,
            0x2000_5000..0x2000_501c,
            0x2000_501c..0x2000_56c4,
        );
        let heaps = Family::of(&config)
            .unwrap()
            .heaps(&config, &header)
            .unwrap();
        assert_eq!(heaps.kernel(), 0x2000_56c4..0x2000_8000);
        assert_eq!(heaps.kernel_end - heaps.kernel_start, 10556);
        assert_eq!(heaps.user(), 0x2000_8000..0x2001_0000);
        assert!(heaps.extra.is_empty() && heaps.warnings.is_empty());
        let calls = Family::Tiva.calls(&header, &heaps);
        assert_eq!(
            calls
                .iter()
                .map(|c| (c.base, c.size, c.mpu_macro))
                .collect::<Vec<_>>(),
            [
                (0x20030, 0xee3b, Macro::MpuUserFlash),
                (0x2000_5000, 0x6c4, Macro::MpuUserIntsram),
                (0x2000_8000, 0x8000, Macro::MpuUserIntsram),
            ]
        );
    }

    /// stm32f4discovery:kostest: SRAM1_END is the F407's 0x20020000, not
    /// CONFIG_RAM_END (0x2001c000); CCM SRAM stays out (CCMEXCLUDE).
    #[test]
    fn stm32f407_ends_at_sram1_end() {
        let config = config(
            "CONFIG_ARCH_CHIP=\"stm32f4\"\nCONFIG_STM32_COMMON_LEGACY=y\n\
             CONFIG_STM32_HAVE_IP_FLASH_M3M4_F2F4=y\nCONFIG_STM32_STM32F407=y\n\
             CONFIG_STM32_CCMEXCLUDE=y\nCONFIG_MM_KERNEL_HEAP=y\n\
             CONFIG_MM_KERNEL_HEAPSIZE=16384\nCONFIG_MM_REGIONS=2\n\
             CONFIG_RAM_START=0x20000000\nCONFIG_RAM_SIZE=114688\n",
        );
        // The header of stm32f4discovery:kostest as built.
        let header = header(
            0x0802_0030..0x0802_f358,
            0x2000_4000..0x2000_401c,
            0x2000_401c..0x2000_46c8,
        );
        let heaps = Family::of(&config)
            .unwrap()
            .heaps(&config, &header)
            .unwrap();
        assert_eq!(heaps.end_name, "SRAM1_END");
        assert_eq!(heaps.user(), 0x2001_0000..0x2002_0000);
        assert_eq!(heaps.kernel(), 0x2000_46c8..0x2001_0000);
        assert_eq!(heaps.kernel_end - heaps.kernel_start, 47416);
        let registers: Vec<(u32, u32)> = arm_mpu::program(&Family::Stm32.calls(&header, &heaps))
            .unwrap()
            .iter()
            .map(|p| (p.registers.rbar, p.registers.rasr))
            .collect();
        assert_eq!(
            registers,
            [
                (0x0802_0010, 0x0602_001f),
                (0x2000_4011, 0x0306_8015),
                (0x2001_0012, 0x0306_001f),
            ]
        );
        assert!(heaps.extra.is_empty());
        // With CCM SRAM in the heap, arm_addregion grants it as a fourth region.
        let with_ccm = Kconfig::parse(
            &config
                .entries
                .iter()
                .filter(|(name, _)| *name != "CONFIG_STM32_CCMEXCLUDE")
                .map(|(name, entry)| format!("{name}={}\n", entry.value.written()))
                .collect::<String>(),
            Path::new(".config"),
        )
        .unwrap();
        let heaps = Family::Stm32.heaps(&with_ccm, &header).unwrap();
        assert_eq!(heaps.extra, [ccm(0x1001_0000)]);
        assert_eq!(Family::Stm32.calls(&header, &heaps).len(), 4);
    }

    fn ccm(end: u64) -> ExtraRegion {
        ExtraRegion {
            name: "CCM SRAM",
            start: 0x1000_0000,
            end,
        }
    }

    #[test]
    fn mps_adds_region1_and_refuses_armv8m() {
        let config = config(
            "CONFIG_ARCH_CHIP=\"mps\"\nCONFIG_ARCH_FAMILY=\"armv7-m\"\n\
             CONFIG_ARCH_CHIP_MPS2_AN500=y\nCONFIG_MM_KERNEL_HEAP=y\n\
             CONFIG_MM_KERNEL_HEAPSIZE=65536\nCONFIG_MM_REGIONS=2\n",
        );
        let header = header(
            0x0004_0030..0x0004_8000,
            0x6008_0000..0x6008_0100,
            0x6008_0100..0x6008_2000,
        );
        let heaps = Family::Mps.heaps(&config, &header).unwrap();
        assert_eq!(heaps.end, 0x6100_0000);
        // 0x61000000 - 0x60092000 rounds down to 8 MiB.
        assert_eq!(heaps.user(), 0x6080_0000..0x6100_0000);
        assert_eq!(heaps.extra[0].name, "REGION1_RAM");
        let armv8m = super::Family::of(
            &Kconfig::parse(
                "CONFIG_ARCH_CHIP=\"mps\"\nCONFIG_ARCH_FAMILY=\"armv8-m\"\n",
                Path::new(".config"),
            )
            .unwrap(),
        )
        .unwrap_err()
        .to_string();
        assert!(armv8m.contains("arch/arm/src/armv8-m"), "{armv8m}");
    }

    #[test]
    fn unsupported_chips_and_full_ram_are_named() {
        let error = Family::of(&config("CONFIG_ARCH_CHIP=\"samv7\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("CONFIG_ARCH_CHIP=\"samv7\" is not modelled")
                && error.contains("tiva, stm32"),
            "{error}"
        );
        let config = config(TIVA);
        let header = header(
            0x20030..0x2ee6b,
            0x2000_5000..0x2000_501c,
            0x2000_501c..0x2000_f000,
        );
        let error = Family::Tiva
            .heaps(&config, &header)
            .unwrap_err()
            .to_string();
        assert!(error.contains("the kernel heap does not fit"), "{error}");
        let huge = Kconfig::parse(
            &TIVA.replace(
                "CONFIG_RAM_SIZE=65536",
                "CONFIG_RAM_SIZE=0xffffffffffffffff",
            ),
            Path::new(".config"),
        )
        .unwrap();
        let error = Family::Tiva.heaps(&huge, &header).unwrap_err().to_string();
        assert!(
            error.ends_with("ends beyond the 32-bit address space"),
            "{error}"
        );
    }
}
