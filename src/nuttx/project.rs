//! Whether a project directory is a protected NuttX tree, for the commands
//! whose answer would be wrong there: NuttX programs its own MPU regions
//! (`nuttx check` models them), so mcu-build's own region table says
//! nothing about such a tree.

use std::path::{Path, PathBuf};

use super::kconfig::Kconfig;

/// The `.config` of `dir` when it configures a protected build
/// (`CONFIG_BUILD_PROTECTED=y`); `None` when there is no `.config`, it is
/// not a protected build, or it cannot be read as a Kconfig file (then
/// `dir` is no NuttX tree mcu-build knows).
pub fn protected_tree_config(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(".config");
    let config = Kconfig::read(&path).ok()?;
    config
        .is_set("CONFIG_BUILD_PROTECTED")
        .then_some(config.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_protected_configuration_counts() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(protected_tree_config(dir.path()), None);
        let config = dir.path().join(".config");
        std::fs::write(&config, "CONFIG_BUILD_FLAT=y\n").unwrap();
        assert_eq!(protected_tree_config(dir.path()), None);
        std::fs::write(&config, "CONFIG_BUILD_PROTECTED=y\n").unwrap();
        assert_eq!(protected_tree_config(dir.path()), Some(config));
    }
}
