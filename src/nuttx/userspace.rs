//! NuttX's `struct userspace_s` (`include/nuttx/userspace.h`): the header
//! at `CONFIG_NUTTX_USERSPACE`, the first bytes of the user blob
//! `nuttx_user.elf`, through which the kernel finds the user entry point
//! and the extents it initialises (`.data` from its load image, `.bss`
//! zeroed) and grants (NuttX's `*_mpuinitialize`, `*_userspace.c`).
//!
//! The struct has no magic number and no version; its fields depend on
//! the configuration, so its layout is derived from the tree's `.config`
//! ([`Layout::of`]). Every field is a 32-bit word on Arm (`uintptr_t`,
//! `main_t` and the other function pointers), little-endian.

use std::fmt;
use std::ops::Range;

use crate::image::Image;

use super::kconfig::Kconfig;

/// Bytes of each field on 32-bit Arm.
pub const WORD: u64 = 4;

/// The fields `struct userspace_s` has in every configuration, in order.
const ALWAYS: [&str; 11] = [
    "us_entrypoint",
    "us_textstart",
    "us_textend",
    "us_datasource",
    "us_datastart",
    "us_dataend",
    "us_bssstart",
    "us_bssend",
    "us_heapend",
    "us_data",
    "task_startup",
];

/// The fields that follow, each present when its option is set.
const OPTIONAL: [(&str, &str); 2] = [
    ("signal_handler", "CONFIG_ENABLE_ALL_SIGNALS"),
    ("work_usrstart", "CONFIG_LIBC_USRWORK"),
];

/// The fields a configuration gives `struct userspace_s`, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub fields: Vec<&'static str>,
}

impl Layout {
    /// The layout `include/nuttx/userspace.h` gives under `config`.
    pub fn of(config: &Kconfig) -> Layout {
        let optional = OPTIONAL
            .iter()
            .filter(|(_, option)| config.is_set(option))
            .map(|(field, _)| *field);
        Layout {
            fields: ALWAYS.iter().copied().chain(optional).collect(),
        }
    }

    /// The fields every configuration has, for a blob read without its
    /// tree's `.config` (a `[pass1]` with `header = "nuttx"`).
    pub fn common() -> Layout {
        Layout {
            fields: ALWAYS.to_vec(),
        }
    }

    /// Bytes.
    pub fn size(&self) -> u64 {
        self.fields.len() as u64 * WORD
    }
}

/// A `struct userspace_s` as read from the user blob.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Userspace {
    /// Where it lies: `CONFIG_NUTTX_USERSPACE`.
    pub address: u64,
    /// Each field and its value, in the layout's order.
    pub fields: Vec<(&'static str, u32)>,
}

/// Where a header field points, and which range it must lie in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Code: a Thumb function address (bit 0 set) in the user text.
    Code,
    /// A bound of user flash contents.
    Flash,
    /// A bound of user RAM contents.
    Ram,
    /// `us_heapend`: 0 (most boards leave it unset) or in user RAM.
    RamOrZero,
}

fn target(field: &str) -> Target {
    match field {
        "us_entrypoint" | "task_startup" | "signal_handler" | "work_usrstart" => Target::Code,
        "us_textstart" | "us_textend" | "us_datasource" => Target::Flash,
        "us_heapend" => Target::RamOrZero,
        _ => Target::Ram,
    }
}

/// A header that is missing, or whose values are not a user blob inside
/// its partitions. Display: `struct userspace_s at 0x00020000: ...`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UserspaceError {
    #[error(
        "struct userspace_s at {address:#010x}: the blob holds {found} of its {size} bytes there \
         (CONFIG_NUTTX_USERSPACE is the user flash origin, where the user blob must begin)"
    )]
    Truncated { address: u64, size: u64, found: u64 },
    #[error("struct userspace_s at {address:#010x}: {field} = {value:#010x}: {problem}")]
    Field {
        address: u64,
        field: &'static str,
        value: u32,
        problem: String,
    },
}

/// The user partitions a header must stay inside.
#[derive(Clone, Debug)]
pub struct Partitions {
    /// The user flash region (`uflash`), by name and range.
    pub flash: (String, Range<u64>),
    /// The user RAM regions (`usram`, `xsram`, ...).
    pub ram: Vec<(String, Range<u64>)>,
}

impl Partitions {
    fn describe(ranges: &[(String, Range<u64>)]) -> String {
        ranges
            .iter()
            .map(|(name, range)| format!("{name} {}", crate::image::format_range(range)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Userspace {
    /// Reads the header of `layout` at `address` of the user blob `image`.
    pub fn read(image: &Image, address: u64, layout: &Layout) -> Result<Userspace, UserspaceError> {
        let size = layout.size();
        let bytes = u32::try_from(address)
            .ok()
            .and_then(|a| image.segment_at(a))
            .map(|segment| {
                let skip = (address - u64::from(segment.address)) as usize;
                &segment.data[skip..]
            })
            .unwrap_or_default();
        if (bytes.len() as u64) < size {
            return Err(UserspaceError::Truncated {
                address,
                size,
                found: bytes.len() as u64,
            });
        }
        let fields = layout
            .fields
            .iter()
            .zip(bytes.chunks_exact(WORD as usize))
            .map(|(&field, word)| (field, u32::from_le_bytes(word.try_into().expect("4 bytes"))))
            .collect();
        Ok(Userspace { address, fields })
    }

    /// The value of `field` (`us_bssend`), if the layout has it.
    pub fn get(&self, field: &str) -> Option<u32> {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|&(_, value)| value)
    }

    fn field(&self, field: &str) -> u64 {
        u64::from(
            self.get(field)
                .expect("every layout has the fields of ALWAYS"),
        )
    }

    /// `[us_textstart, us_textend)`.
    pub fn text(&self) -> Range<u64> {
        self.field("us_textstart")..self.field("us_textend")
    }

    /// `[us_datastart, us_dataend)`.
    pub fn data(&self) -> Range<u64> {
        self.field("us_datastart")..self.field("us_dataend")
    }

    /// `[us_bssstart, us_bssend)`.
    pub fn bss(&self) -> Range<u64> {
        self.field("us_bssstart")..self.field("us_bssend")
    }

    /// Where `.data`'s initial bytes lie in flash.
    pub fn data_load(&self) -> Range<u64> {
        let source = self.field("us_datasource");
        let data = self.data();
        source..source + (data.end.saturating_sub(data.start))
    }

    /// The entry point with its Thumb bit.
    pub fn entry(&self) -> u64 {
        self.field("us_entrypoint")
    }

    /// Checks that the header describes a user blob inside `partitions`:
    /// every extent ordered and inside them, the data's load image in
    /// flash, every code pointer a Thumb address inside the user text.
    pub fn check(&self, partitions: &Partitions) -> Result<(), UserspaceError> {
        let error = |field: &'static str, problem: String| UserspaceError::Field {
            address: self.address,
            field,
            value: self.get(field).unwrap_or_default(),
            problem,
        };
        let (flash_name, flash) = &partitions.flash;
        let in_ram = |value: u64, end_bound: bool| {
            partitions.ram.iter().any(|(_, r)| {
                r.contains(&value) || (end_bound && value == r.end && r.start < r.end)
            })
        };
        let in_flash = |value: u64, end_bound: bool| {
            flash.contains(&value) || (end_bound && value == flash.end)
        };
        let ram_names = Partitions::describe(&partitions.ram);
        let flash_name = Partitions::describe(&[(flash_name.clone(), flash.clone())]);
        for (start, end) in [
            ("us_textstart", "us_textend"),
            ("us_datastart", "us_dataend"),
            ("us_bssstart", "us_bssend"),
        ] {
            if self.field(start) > self.field(end) {
                return Err(error(
                    end,
                    format!("ends before {start} = {:#010x}", self.field(start)),
                ));
            }
        }
        for &(field, value) in &self.fields {
            let value = u64::from(value);
            let end_bound = field.ends_with("end");
            match target(field) {
                Target::Flash if !in_flash(value, end_bound) => {
                    return Err(error(
                        field,
                        format!("lies outside the user flash ({flash_name})"),
                    ));
                }
                Target::Ram if !in_ram(value, end_bound) => {
                    return Err(error(
                        field,
                        format!("lies outside the user RAM ({ram_names})"),
                    ));
                }
                Target::RamOrZero if value != 0 && !in_ram(value, true) => {
                    return Err(error(
                        field,
                        format!("is neither 0 nor inside the user RAM ({ram_names})"),
                    ));
                }
                Target::Code if value & 1 == 0 => {
                    return Err(error(
                        field,
                        "is not a Thumb function address (bit 0 clear); Cortex-M executes \
                         Thumb code only"
                            .to_owned(),
                    ));
                }
                Target::Code if !self.text().contains(&(value & !1)) => {
                    return Err(error(
                        field,
                        format!(
                            "lies outside the user text {} (us_textstart..us_textend)",
                            crate::image::format_range(&self.text())
                        ),
                    ));
                }
                _ => {}
            }
        }
        let load = self.data_load();
        if !in_flash(load.end, true) {
            return Err(error(
                "us_datasource",
                format!(
                    "the {} bytes of .data loaded from there end at {:#010x}, outside the user \
                     flash ({flash_name})",
                    load.end - load.start,
                    load.end
                ),
            ));
        }
        Ok(())
    }

    /// Whether `bytes` (at least [`Layout::size`] of the smallest layout)
    /// look like a `struct userspace_s`: a Thumb entry point and ordered
    /// text, data and bss extents. Used to name what was found where
    /// another header was expected; it proves nothing.
    pub fn plausible(bytes: &[u8]) -> bool {
        let words: Vec<u32> = bytes
            .chunks_exact(WORD as usize)
            .take(ALWAYS.len())
            .map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes")))
            .collect();
        let [
            entry,
            text_start,
            text_end,
            _,
            data_start,
            data_end,
            bss_start,
            bss_end,
            ..,
        ] = words[..]
        else {
            return false;
        };
        entry & 1 == 1
            && text_start <= text_end
            && (text_start..text_end).contains(&(entry & !1))
            && data_start <= data_end
            && bss_start <= bss_end
    }
}

impl fmt::Display for Userspace {
    /// One field a line: `us_entrypoint  0x00020b79`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (field, value) in &self.fields {
            writeln!(f, "{field:<15} {value:#010x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::image::OverlapPolicy;

    fn config(text: &str) -> Kconfig {
        Kconfig::parse(text, Path::new(".config")).unwrap()
    }

    /// The header of NuttX's `lm3s6965-ek:qemu-kostest` as built
    /// (CONFIG_ENABLE_ALL_SIGNALS=y, CONFIG_LIBC_USRWORK unset).
    const KOSTEST: [u32; 12] = [
        0x00020b79, 0x00020030, 0x0002ee6b, 0x0002ee74, 0x20005000, 0x2000501c, 0x2000501c,
        0x200056c4, 0, 0x20005000, 0x00020031, 0x000207a3,
    ];

    fn image(words: &[u32]) -> Image {
        let mut image = Image::new();
        let bytes = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        image
            .insert_vec(0x20000, bytes, OverlapPolicy::Error)
            .unwrap();
        image
    }

    fn partitions() -> Partitions {
        Partitions {
            flash: ("uflash".to_owned(), 0x20000..0x40000),
            ram: vec![("usram".to_owned(), 0x20005000..0x2000a000)],
        }
    }

    #[test]
    fn the_layout_follows_the_configuration() {
        let plain = Layout::of(&config("# CONFIG_ENABLE_ALL_SIGNALS is not set\n"));
        assert_eq!(plain.size(), 44);
        let signals = Layout::of(&config("CONFIG_ENABLE_ALL_SIGNALS=y\n"));
        assert_eq!(signals.fields.last(), Some(&"signal_handler"));
        let both = Layout::of(&config(
            "CONFIG_ENABLE_ALL_SIGNALS=y\nCONFIG_LIBC_USRWORK=y\n",
        ));
        assert_eq!(both.size(), 52);
        assert_eq!(both.fields[11..], ["signal_handler", "work_usrstart"]);
    }

    #[test]
    fn reads_and_checks_a_real_header() {
        let layout = Layout::of(&config("CONFIG_ENABLE_ALL_SIGNALS=y\n"));
        let header = Userspace::read(&image(&KOSTEST), 0x20000, &layout).unwrap();
        assert_eq!(header.entry(), 0x20b79);
        assert_eq!(header.bss(), 0x2000501c..0x200056c4);
        assert_eq!(header.data_load(), 0x2ee74..0x2ee90);
        assert_eq!(header.get("signal_handler"), Some(0x207a3));
        header.check(&partitions()).unwrap();
        assert!(Userspace::plausible(
            &KOSTEST.map(u32::to_le_bytes).concat()
        ));
    }

    #[test]
    fn a_short_blob_is_truncated() {
        let layout = Layout::of(&config(
            "CONFIG_ENABLE_ALL_SIGNALS=y\nCONFIG_LIBC_USRWORK=y\n",
        ));
        let error = Userspace::read(&image(&KOSTEST), 0x20000, &layout).unwrap_err();
        assert_eq!(
            error,
            UserspaceError::Truncated {
                address: 0x20000,
                size: 52,
                found: 48
            }
        );
        let error = Userspace::read(&image(&KOSTEST), 0x30000, &layout).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the blob holds 0 of its 52 bytes there"),
            "{error}"
        );
    }

    #[test]
    fn every_field_out_of_place_is_named() {
        let layout = Layout::of(&config("CONFIG_ENABLE_ALL_SIGNALS=y\n"));
        let cases: [(usize, u32, &str); 7] = [
            (
                0,
                0x00020b78,
                "us_entrypoint = 0x00020b78: is not a Thumb function address",
            ),
            (
                0,
                0x00010001,
                "us_entrypoint = 0x00010001: lies outside the user text 0x00020030..0x0002ee6b",
            ),
            (
                2,
                0x00040004,
                "us_textend = 0x00040004: lies outside the user flash (uflash 0x00020000..0x00040000",
            ),
            (
                7,
                0x2000a100,
                "us_bssend = 0x2000a100: lies outside the user RAM (usram 0x20005000..0x2000a000",
            ),
            (
                6,
                0x20006000,
                "us_bssend = 0x200056c4: ends before us_bssstart = 0x20006000",
            ),
            (
                8,
                0x30000000,
                "us_heapend = 0x30000000: is neither 0 nor inside the user RAM",
            ),
            (
                3,
                0x0003fff0,
                "us_datasource = 0x0003fff0: the 28 bytes of .data loaded from there end at 0x0004000c",
            ),
        ];
        for (index, value, expected) in cases {
            let mut words = KOSTEST;
            words[index] = value;
            let header = Userspace::read(&image(&words), 0x20000, &layout).unwrap();
            let error = header.check(&partitions()).unwrap_err().to_string();
            assert!(
                error.starts_with("struct userspace_s at 0x00020000: ") && error.contains(expected),
                "{error}\nexpected: {expected}"
            );
        }
        assert!(!Userspace::plausible(&[0x55, 0x43, 0x4d, 0x55]));
    }
}
