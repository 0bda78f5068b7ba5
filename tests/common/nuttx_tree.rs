//! Synthetic built protected NuttX trees like lm3s6965-ek:qemu-kostest: a
//! `.config`, the board's `memory.ld`, `nuttx_user.elf` holding
//! `struct userspace_s`, and a kernel `nuttx` (`nuttx check`, `nuttx
//! layout`).

use std::path::Path;

use super::{TestSegment, build_elf};

/// The `memory.ld` of lm3s6965-ek's protected configurations.
pub const MEMORY: &str = "MEMORY\n{\n  kflash (rx) : ORIGIN = 0x00000000, LENGTH = 128K\n  \
    uflash (rx) : ORIGIN = 0x00020000, LENGTH = 128K\n  \
    ksram (rwx) : ORIGIN = 0x20000000, LENGTH = 20K\n  \
    usram (rwx) : ORIGIN = 0x20005000, LENGTH = 20K\n  \
    xsram (rwx) : ORIGIN = 0x2000a000, LENGTH = 24K\n}\n";

/// A tiva protected configuration like lm3s6965-ek:qemu-kostest's.
pub fn config(chip: &str) -> String {
    format!(
        "CONFIG_ARCH=\"arm\"\nCONFIG_ARCH_CHIP=\"{chip}\"\nCONFIG_ARCH_BOARD=\"b\"\n\
         CONFIG_ARCH_FAMILY=\"armv7-m\"\nCONFIG_BUILD_PROTECTED=y\nCONFIG_ARM_MPU=y\n\
         CONFIG_ARM_MPU_NREGIONS=8\nCONFIG_NUTTX_USERSPACE=0x00020000\n\
         CONFIG_RAM_START=0x20000000\nCONFIG_RAM_SIZE=65536\nCONFIG_MM_KERNEL_HEAP=y\n\
         CONFIG_MM_KERNEL_HEAPSIZE=8192\nCONFIG_MM_REGIONS=1\nCONFIG_IDLETHREAD_STACKSIZE=16\n"
    )
}

/// The user blob's extents: text, .data and .bss.
pub struct Extents {
    pub text: (u32, u32),
    pub data: (u32, u32),
    pub bss: (u32, u32),
}

/// lm3s6965-ek:qemu-kostest's extents, as built.
pub const KOSTEST: Extents = Extents {
    text: (0x0002_0030, 0x0002_ee6b),
    data: (0x2000_5000, 0x2000_501c),
    bss: (0x2000_501c, 0x2000_56c4),
};

/// The 11 words of `struct userspace_s` (no optional fields) for `e`.
pub fn header(e: &Extents) -> Vec<u8> {
    let code = e.text.0 | 1;
    [
        code, e.text.0, e.text.1, e.text.1, e.data.0, e.data.1, e.bss.0, e.bss.1, 0, e.data.0, code,
    ]
    .iter()
    .flat_map(|w| w.to_le_bytes())
    .collect()
}

/// Writes a built tree: `.config`, the board's `memory.ld`, the user blob
/// with the header of `extents` at 0x00020000, and a kernel ELF without
/// sections.
pub fn tree(dir: &Path, chip: &str, memory: &str, extents: &Extents) {
    write_tree(dir, chip, &config(chip), memory, extents, 0x20000);
}

/// Writes `.config` (`config`), the memory.ld of board `b` of `chip`, the
/// user blob with the header of `extents` at `userspace`, and a kernel ELF
/// without sections.
pub fn write_tree(
    dir: &Path,
    chip: &str,
    config: &str,
    memory: &str,
    extents: &Extents,
    userspace: u32,
) {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write(".config", config.as_bytes());
    write(
        &format!("boards/arm/{chip}/b/scripts/memory.ld"),
        memory.as_bytes(),
    );
    let user = header(extents);
    // .data's load image, where the header says (us_datasource).
    let data_load = vec![0; (extents.data.1 - extents.data.0) as usize];
    write(
        "nuttx_user.elf",
        &build_elf(
            false,
            false,
            u64::from(extents.text.0 | 1),
            &[
                TestSegment::load(u64::from(userspace), &user),
                TestSegment::load(u64::from(extents.text.1), &data_load),
            ],
        ),
    );
    write(
        "nuttx",
        &build_elf(false, false, 1, &[TestSegment::load(0, &[0; 8])]),
    );
}

/// Copies the configured NuttX tree `tree` and its `../apps` to
/// `dest/nuttx` and `dest/apps`, and points the copies' absolute symbolic
/// links (configuring a tree makes them: `Make.defs`, `arch/arm/src/board`,
/// `include/arch`, `apps/platform/board`) into the copies, so that nothing
/// built in the copy lands in the original. Returns `dest/nuttx`.
pub fn copy_built_tree(tree: &Path, dest: &Path) -> std::path::PathBuf {
    let tree = tree.canonicalize().unwrap();
    let apps = tree.join("../apps").canonicalize().unwrap();
    let copies = [(tree, dest.join("nuttx")), (apps, dest.join("apps"))];
    for (from, to) in &copies {
        super::run(std::process::Command::new("cp").arg("-a").arg(from).arg(to));
    }
    for (_, to) in &copies {
        repoint_links(to, &copies);
    }
    dest.join("nuttx")
}

/// Below `dir`, every symbolic link into one of `copies`' originals now
/// points to the same place in its copy.
fn repoint_links(dir: &Path, copies: &[(std::path::PathBuf, std::path::PathBuf)]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            if let Some((inside, copy)) = copies
                .iter()
                .find_map(|(from, to)| Some((target.strip_prefix(from).ok()?, to)))
            {
                std::fs::remove_file(&path).unwrap();
                std::os::unix::fs::symlink(copy.join(inside), &path).unwrap();
            }
        } else if meta.is_dir() {
            repoint_links(&path, copies);
        }
    }
}

/// The `.config` of the configured, built NuttX tree `NUTTX_TREE` names,
/// or `None` (after one `skipped` line) when it is unset.
pub fn real_tree_config() -> Option<std::path::PathBuf> {
    super::external::external_file(
        "NUTTX_TREE",
        ".config",
        "a configured and built protected NuttX tree",
    )
}

/// The bundled QEMU board a real tree's `CONFIG_ARCH_BOARD` runs on.
pub fn qemu_board(config: &mcu_build::nuttx::kconfig::Kconfig) -> Option<&'static str> {
    match config.text("CONFIG_ARCH_BOARD") {
        Some("lm3s6965-ek") => Some("qemu-lm3s6965evb"),
        Some("mps2-an500") => Some("qemu-mps2-an500"),
        _ => None,
    }
}

/// The console line that says a real tree's entry point ran to its end:
/// ostest's exit, else NuttShell's prompt.
pub fn expected_line(config: &mcu_build::nuttx::kconfig::Kconfig) -> &'static str {
    match config.text("CONFIG_INIT_ENTRYPOINT") {
        Some("ostest_main") => "ostest_main: Exiting with status 0",
        _ => "nsh> ",
    }
}
