//! A configured NuttX tree: its `.config`, its board directory and the
//! board's `scripts/memory.ld`, and where its build leaves the two blobs.
//!
//! The board directory is found as NuttX's `tools/Config.mk` finds it:
//! `boards/$(CONFIG_ARCH)/$(CONFIG_ARCH_CHIP)/$(CONFIG_ARCH_BOARD)`, or
//! `CONFIG_ARCH_BOARD_CUSTOM_DIR` (relative to the tree when
//! `CONFIG_ARCH_BOARD_CUSTOM_DIR_RELPATH=y`) for a custom board.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::kconfig::{Kconfig, KconfigError};
use super::memory_ld::{MemoryLd, MemoryLdError, Region, Role};
use super::userspace::{Layout, Partitions};
use crate::image::format_range;
use crate::position::Located;

/// The user blob NuttX's build links (`nuttx_user.elf`), at the top of the
/// tree.
pub const USER_ELF: &str = "nuttx_user.elf";
/// The kernel NuttX's build links, at the top of the tree.
pub const KERNEL_ELF: &str = "nuttx";

/// A configured NuttX tree set up for a protected build.
#[derive(Clone, Debug)]
pub struct Tree {
    pub root: PathBuf,
    /// `.config`.
    pub config: Kconfig,
    pub board_dir: PathBuf,
    /// The board's `memory.ld` (or, when it needs the C preprocessor, the
    /// `memory.ld.tmp` the build made of it).
    pub memory: MemoryLd,
}

/// The tree is not a configured protected NuttX build mcu-build can read.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error(
        "{} is not a configured NuttX tree: it has no .config (configure it with \
         `./tools/configure.sh BOARD:CONFIG`, e.g. lm3s6965-ek:qemu-kostest)",
        root.display()
    )]
    NotConfigured { root: PathBuf },
    #[error(transparent)]
    Config(#[from] KconfigError),
    #[error(
        "{}: CONFIG_BUILD_PROTECTED is not set: a flat build has no user blob to protect \
         (`mcu-build nuttx config protect` converts a flat defconfig)",
        path.display()
    )]
    NotProtected { path: PathBuf },
    #[error("{}: the board directory {} does not exist", config.display(), dir.display())]
    NoBoardDir { config: PathBuf, dir: PathBuf },
    #[error(transparent)]
    MemoryLd(#[from] MemoryLdError),
    #[error(
        "{}: no {role} {kind} region (NuttX names them {example}){hint}; a protected build's \
         memory.ld gives each partition a region",
        path.display()
    )]
    NoRegion {
        path: PathBuf,
        role: &'static str,
        kind: &'static str,
        example: &'static str,
        /// Why a region of that name does not count, starting with `: `.
        hint: String,
    },
    #[error(
        "{}:{line}: CONFIG_NUTTX_USERSPACE={value:#010x} is not the user flash origin: {}:{} \
         puts {region} at {origin:#010x}; NuttX's kernel reads struct userspace_s at \
         CONFIG_NUTTX_USERSPACE, and the user blob links it at the start of {region}",
        config.display(), memory.display(), memory_line
    )]
    UserspaceNotAtUflash {
        config: PathBuf,
        line: usize,
        value: u64,
        memory: PathBuf,
        memory_line: usize,
        region: String,
        origin: u64,
    },
    #[error(
        "{}:{line}: region {region} {} overlaps {other} {} (line {other_line}): a protected \
         build's kernel and user regions must not share a byte",
        path.display(), format_range(range), format_range(other_range)
    )]
    Overlap {
        path: PathBuf,
        line: usize,
        region: String,
        range: Range<u64>,
        other: String,
        other_line: usize,
        other_range: Range<u64>,
    },
    #[error("{}: {problem}", root.display())]
    NotADirectory {
        root: PathBuf,
        problem: &'static str,
    },
}

impl Tree {
    /// Opens the tree at `root`: reads `.config`, checks it is a protected
    /// build, finds the board directory and reads its `memory.ld`.
    pub fn open(root: &Path) -> Result<Tree, TreeError> {
        match std::fs::metadata(root) {
            Err(_) => {
                return Err(TreeError::NotADirectory {
                    root: root.to_owned(),
                    problem: "no such directory: expected a configured NuttX tree",
                });
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(TreeError::NotADirectory {
                    root: root.to_owned(),
                    problem: "not a directory: expected a configured NuttX tree",
                });
            }
            Ok(_) => {}
        }
        let config_path = root.join(".config");
        if !config_path.is_file() {
            return Err(TreeError::NotConfigured {
                root: root.to_owned(),
            });
        }
        let config = Kconfig::read(&config_path)?;
        if !config.is_set("CONFIG_BUILD_PROTECTED") {
            return Err(TreeError::NotProtected { path: config_path });
        }
        let board_dir = board_dir(root, &config)?;
        if !board_dir.is_dir() {
            return Err(TreeError::NoBoardDir {
                config: config_path,
                dir: board_dir,
            });
        }
        let memory = read_memory_ld(&board_dir.join("scripts"))?;
        check_overlaps(&memory)?;
        Ok(Tree {
            root: root.to_owned(),
            config,
            board_dir,
            memory,
        })
    }

    /// A warning when `.config` changed after the last build (it is newer
    /// than the kernel `nuttx`): the model reads `.config`, but the blobs
    /// were built from an older one.
    pub fn stale_config(&self) -> Option<String> {
        let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let kernel = self.kernel_elf();
        (modified(&self.config.path)? > modified(&kernel)?).then(|| {
            format!(
                "{} changed after {} was built: what is reported follows .config, the blobs an \
                 older one; run make",
                self.config.path.display(),
                kernel.display()
            )
        })
    }

    pub fn user_elf(&self) -> PathBuf {
        self.root.join(USER_ELF)
    }

    pub fn kernel_elf(&self) -> PathBuf {
        self.root.join(KERNEL_ELF)
    }

    /// `CONFIG_NUTTX_USERSPACE`: where `struct userspace_s` lies, the user
    /// flash origin.
    pub fn userspace_address(&self) -> Result<u64, TreeError> {
        Ok(self
            .config
            .required_number("CONFIG_NUTTX_USERSPACE", "where struct userspace_s lies")?)
    }

    /// `CONFIG_NUTTX_USERSPACE` is the origin of the user flash region,
    /// where the user blob links `struct userspace_s` first.
    pub fn check_userspace_address(&self) -> Result<(), TreeError> {
        let value = self.userspace_address()?;
        let uflash = self.region(Role::User, true)?;
        if value == uflash.origin {
            return Ok(());
        }
        Err(TreeError::UserspaceNotAtUflash {
            config: self.config.path.clone(),
            line: self
                .config
                .entries
                .get("CONFIG_NUTTX_USERSPACE")
                .map_or(0, |entry| entry.line),
            value,
            memory: self.memory.path.clone(),
            memory_line: uflash.line,
            region: uflash.name.clone(),
            origin: uflash.origin,
        })
    }

    /// `[CONFIG_RAM_START, CONFIG_RAM_START + CONFIG_RAM_SIZE)`: the RAM
    /// NuttX's heaps are carved from (`CONFIG_RAM_END` in the chip code).
    pub fn ram(&self) -> Result<Range<u64>, TreeError> {
        let why = "the RAM NuttX's heaps are taken from";
        let start = self.config.required_number("CONFIG_RAM_START", why)?;
        let size = self.config.required_number("CONFIG_RAM_SIZE", why)?;
        Ok(start..start + size)
    }

    /// The layout of `struct userspace_s` under this configuration.
    pub fn userspace_layout(&self) -> Layout {
        Layout::of(&self.config)
    }

    /// The memory.ld region of `role` that is flash (`flash`) or RAM:
    /// `kflash`, `uflash`, `ksram`, `usram` by NuttX's names, or the first
    /// region of that role and kind.
    pub fn region(&self, role: Role, flash: bool) -> Result<&Region, TreeError> {
        let example = match (role, flash) {
            (Role::Kernel, true) => "kflash",
            (Role::User, true) => "uflash",
            (Role::Kernel, false) => "ksram",
            _ => "usram",
        };
        let hint = match self.memory.region(example) {
            Some(r) if r.length == 0 => format!(": {example} at line {} has LENGTH 0", r.line),
            Some(r) if r.is_flash() != flash => format!(
                ": {example} at line {} has attributes ({}), which make it {}",
                r.line,
                r.attributes,
                if r.is_flash() {
                    "flash (no w)"
                } else {
                    "RAM (w)"
                }
            ),
            _ => String::new(),
        };
        self.memory
            .of(role, flash)
            .next()
            .ok_or(TreeError::NoRegion {
                path: self.memory.path.clone(),
                role: match role {
                    Role::Kernel => "kernel",
                    Role::User => "user",
                    Role::Extra => "extra",
                    Role::Other => "other",
                },
                kind: if flash { "flash" } else { "RAM" },
                example,
                hint,
            })
    }

    /// The partitions `struct userspace_s` must stay inside: the user
    /// flash region, and the user RAM regions.
    pub fn user_partitions(&self) -> Result<Partitions, TreeError> {
        let flash = self.region(Role::User, true)?;
        self.region(Role::User, false)?;
        Ok(Partitions {
            flash: (flash.name.clone(), flash.origin..flash.end()),
            ram: self
                .memory
                .of(Role::User, false)
                .map(|r| (r.name.clone(), r.origin..r.end()))
                .collect(),
        })
    }
}

/// No non-empty kernel region shares a byte with a user region: an
/// overlap would let a kernel section lie in memory the user is granted.
/// (NuttX boards do let `x*` regions alias the user's, as "the rest from
/// here": `boards/arm/lpc17xx_40xx/lx_cpu/scripts/memory.ld`.)
fn check_overlaps(memory: &MemoryLd) -> Result<(), TreeError> {
    let of = |role| {
        memory
            .regions
            .iter()
            .filter(move |r: &&Region| r.role() == role && r.length > 0)
    };
    for user in of(Role::User) {
        if let Some(kernel) =
            of(Role::Kernel).find(|k| k.origin < user.end() && user.origin < k.end())
        {
            let (first, second) = if kernel.line < user.line {
                (kernel, user)
            } else {
                (user, kernel)
            };
            return Err(TreeError::Overlap {
                path: memory.path.clone(),
                line: second.line,
                region: second.name.clone(),
                range: second.origin..second.end(),
                other: first.name.clone(),
                other_line: first.line,
                other_range: first.origin..first.end(),
            });
        }
    }
    Ok(())
}

fn board_dir(root: &Path, config: &Kconfig) -> Result<PathBuf, TreeError> {
    let why = "it names the board directory";
    if config.is_set("CONFIG_ARCH_BOARD_CUSTOM") {
        let dir = config.required_text("CONFIG_ARCH_BOARD_CUSTOM_DIR", why)?;
        return Ok(if config.is_set("CONFIG_ARCH_BOARD_CUSTOM_DIR_RELPATH") {
            root.join(dir)
        } else {
            PathBuf::from(dir)
        });
    }
    Ok(root
        .join("boards")
        .join(config.required_dir_name("CONFIG_ARCH", why)?)
        .join(config.required_dir_name("CONFIG_ARCH_CHIP", why)?)
        .join(config.required_dir_name("CONFIG_ARCH_BOARD", why)?))
}

/// `memory.ld` in `scripts`, or the preprocessed `memory.ld.tmp` when the
/// source needs the C preprocessor and a build has made it.
fn read_memory_ld(scripts: &Path) -> Result<MemoryLd, MemoryLdError> {
    let source = scripts.join("memory.ld");
    match MemoryLd::read(&source) {
        Err(MemoryLdError::Invalid(located))
            if located.message.starts_with("a C preprocessor directive") =>
        {
            let preprocessed = scripts.join("memory.ld.tmp");
            let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
            if !preprocessed.is_file() {
                Err(MemoryLdError::Invalid(located))
            } else if modified(&source) > modified(&preprocessed) {
                // Edited since the build preprocessed it: the .tmp is stale.
                Err(MemoryLdError::Invalid(Located {
                    message: format!(
                        "{}; memory.ld.tmp, which the build preprocessed from it, is older: run \
                         make to preprocess it again",
                        located.message
                    ),
                    ..located
                }))
            } else {
                MemoryLd::read(&preprocessed)
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const MEMORY: &str = "MEMORY\n{\n  kflash (rx) : ORIGIN = 0, LENGTH = 128K\n  \
        uflash (rx) : ORIGIN = 0x20000, LENGTH = 128K\n  ksram (rwx) : ORIGIN = 0x20000000, \
        LENGTH = 20K\n  usram (rwx) : ORIGIN = 0x20005000, LENGTH = 20K\n}\n";

    #[test]
    fn opens_a_configured_protected_tree() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".config",
            "CONFIG_ARCH=\"arm\"\nCONFIG_ARCH_CHIP=\"tiva\"\nCONFIG_ARCH_BOARD=\"b\"\n\
             CONFIG_BUILD_PROTECTED=y\nCONFIG_NUTTX_USERSPACE=0x20000\n\
             CONFIG_RAM_START=0x20000000\nCONFIG_RAM_SIZE=65536\n",
        );
        write(dir.path(), "boards/arm/tiva/b/scripts/memory.ld", MEMORY);
        let tree = Tree::open(dir.path()).unwrap();
        assert_eq!(tree.userspace_address().unwrap(), 0x20000);
        assert_eq!(tree.ram().unwrap(), 0x20000000..0x20010000);
        let user = tree.user_partitions().unwrap();
        assert_eq!(user.flash, ("uflash".to_owned(), 0x20000..0x40000));
        assert_eq!(user.ram, [("usram".to_owned(), 0x20005000..0x2000a000)]);
        assert_eq!(tree.region(Role::Kernel, true).unwrap().name, "kflash");
        assert_eq!(tree.user_elf(), dir.path().join("nuttx_user.elf"));
    }

    #[test]
    fn says_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let error = Tree::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("has no .config (configure it with"),
            "{error}"
        );
        write(dir.path(), ".config", "CONFIG_ARCH=\"arm\"\n");
        let error = Tree::open(dir.path()).unwrap_err().to_string();
        assert!(error.ends_with(".config: CONFIG_BUILD_PROTECTED is not set: a flat build has no user blob to protect (`mcu-build nuttx config protect` converts a flat defconfig)"), "{error}");
        write(
            dir.path(),
            ".config",
            "CONFIG_BUILD_PROTECTED=y\nCONFIG_ARCH=\"arm\"\nCONFIG_ARCH_CHIP=\"../../../etc\"\n\
             CONFIG_ARCH_BOARD=\"b\"\n",
        );
        let error = Tree::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.ends_with(
                ".config:3:1: `CONFIG_ARCH_CHIP`: expected one directory name (not empty, no `/`, \
                 not `.` or `..`), found \"../../../etc\""
            ),
            "{error}"
        );
        write(
            dir.path(),
            ".config",
            "CONFIG_BUILD_PROTECTED=y\nCONFIG_ARCH=\"arm\"\n",
        );
        let error = Tree::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.ends_with(".config: CONFIG_ARCH_CHIP is not set: it names the board directory"),
            "{error}"
        );
        write(
            dir.path(),
            ".config",
            "CONFIG_BUILD_PROTECTED=y\nCONFIG_ARCH_BOARD_CUSTOM=y\n\
             CONFIG_ARCH_BOARD_CUSTOM_DIR=\"custom/b\"\nCONFIG_ARCH_BOARD_CUSTOM_DIR_RELPATH=y\n",
        );
        write(dir.path(), "custom/b/scripts/memory.ld", "#include <x>\n");
        let error = Tree::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("memory.ld:1:1: a C preprocessor directive"),
            "{error}"
        );
        write(
            dir.path(),
            "custom/b/scripts/memory.ld.tmp",
            "MEMORY { kflash (rx) : ORIGIN = 0, LENGTH = 1K }\n",
        );
        let tree = Tree::open(dir.path()).unwrap();
        assert!(tree.memory.path.ends_with("memory.ld.tmp"));
        // memory.ld edited after the build: the .tmp is stale.
        let source = dir.path().join("custom/b/scripts/memory.ld");
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let error = Tree::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "memory.ld.tmp, which the build preprocessed from it, is older: run make to \
                 preprocess it again"
            ),
            "{error}"
        );
        let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(earlier)
            .unwrap();
        let error = tree.user_partitions().unwrap_err().to_string();
        assert!(error.ends_with("memory.ld.tmp: no user flash region (NuttX names them uflash); a protected build's memory.ld gives each partition a region"), "{error}");
        write(
            dir.path(),
            "custom/b/scripts/memory.ld.tmp",
            "MEMORY { kflash (rx) : ORIGIN = 0, LENGTH = 1K\n uflash (rwx) : ORIGIN = 1K, LENGTH = 1K }\n",
        );
        let error = Tree::open(dir.path())
            .unwrap()
            .user_partitions()
            .unwrap_err()
            .to_string();
        assert!(error.contains("no user flash region (NuttX names them uflash): uflash at line 2 has attributes (rwx), which make it RAM (w);"), "{error}");
    }
}
