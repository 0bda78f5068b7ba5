//! The macros a NuttX `.config` becomes, for evaluating `#if` conditions
//! without a compiler.
//!
//! NuttX turns `.config` into `include/nuttx/config.h` with
//! `tools/mkconfig.c`, whose `generate_definitions()` (tools/cfgdefine.c,
//! apache/nuttx 4ebc8a7291df) writes:
//!
//! - `CONFIG_X=y` as `#define CONFIG_X 1`, `CONFIG_X=m` as `2`;
//! - `CONFIG_X=n`, `# CONFIG_X is not set`, and an option the file does not
//!   name, as no macro at all (`#undef`);
//! - a number as written; a string as written, quotes included, except for
//!   a few options it unquotes, which become undefined when empty.
//!
//! `config.h` also defines `CONFIG_y` (1) and `CONFIG_m` (2). The headers
//! that come before `syscall_lookup.h` in `include/sys/syscall.h`
//! (`nuttx/config.h`, `nuttx/compiler.h` through it, `arch/syscall.h`)
//! define more `CONFIG_` names themselves, from the compiler or the
//! architecture: those listed in [`HEADER_DEFINED`], found by comparing
//! `gcc -E -dM` of `<sys/syscall.h>` with `.config` in a built NuttX tree.
//! Their values are not in `.config`, so a condition that uses one is
//! refused, and so is any identifier that is not a `CONFIG_` option.

use crate::nuttx::kconfig::{Kconfig, Value};

use super::preprocessor::Macro;

/// `CONFIG_` macros that NuttX's headers define before `syscall_lookup.h`
/// is read, with values that `.config` does not give: the compiler's
/// abilities (`include/nuttx/compiler.h`), the ends of memory
/// (`include/nuttx/config.h`, from mkconfig) and the reserved call numbers
/// (`arch/<arch>/include/syscall.h`: 8 on Arm unless the build is flat).
pub const HEADER_DEFINED: &[&str] = &[
    "CONFIG_C99_BOOL",
    "CONFIG_CPP_HAVE_VARARGS",
    "CONFIG_CPP_HAVE_WARNING",
    "CONFIG_DESIGNATED_INITIALIZERS",
    "CONFIG_FLASH_END",
    "CONFIG_HAVE_ANONYMOUS_STRUCT",
    "CONFIG_HAVE_ANONYMOUS_UNION",
    "CONFIG_HAVE_BUILTIN_BSWAP16",
    "CONFIG_HAVE_BUILTIN_BSWAP32",
    "CONFIG_HAVE_BUILTIN_BSWAP64",
    "CONFIG_HAVE_BUILTIN_CLZ",
    "CONFIG_HAVE_BUILTIN_CTZ",
    "CONFIG_HAVE_BUILTIN_FFS",
    "CONFIG_HAVE_BUILTIN_FFSL",
    "CONFIG_HAVE_BUILTIN_FFSLL",
    "CONFIG_HAVE_BUILTIN_POPCOUNT",
    "CONFIG_HAVE_BUILTIN_POPCOUNTLL",
    "CONFIG_HAVE_CXX14",
    "CONFIG_HAVE_DOUBLE",
    "CONFIG_HAVE_FILENAME",
    "CONFIG_HAVE_FLOAT",
    "CONFIG_HAVE_FUNCTIONNAME",
    "CONFIG_HAVE_LONG_DOUBLE",
    "CONFIG_HAVE_LONG_LONG",
    "CONFIG_HAVE_WEAKFUNCTIONS",
    "CONFIG_RAM_END",
    "CONFIG_RAM_VEND",
    "CONFIG_SYS_RESERVED",
];

/// What identifier `name` stands for in a condition, under `config`.
pub fn config_macro(config: &Kconfig, name: &str) -> Macro {
    match name {
        "CONFIG_y" => return Macro::Number(1),
        "CONFIG_m" => return Macro::Number(2),
        _ => {}
    }
    if !name.starts_with("CONFIG_") {
        return Macro::Unknown(
            "it is not a configuration option, and its definition would come from NuttX's headers, which mcu-build does not read".to_owned(),
        );
    }
    if HEADER_DEFINED.contains(&name) {
        return Macro::Unknown(format!(
            "NuttX's headers define it (from the compiler or the architecture), not {}",
            config.path.display()
        ));
    }
    match config.get(name) {
        None | Some(Value::Bool(false)) => Macro::Undefined,
        Some(Value::Bool(true)) => Macro::Number(1),
        Some(Value::Module) => Macro::Number(2),
        Some(Value::Number { value, .. }) => match i64::try_from(*value) {
            Ok(n) => Macro::Number(n),
            Err(_) => Macro::Unknown(format!("its value {value} does not fit intmax_t")),
        },
        Some(Value::Text(text)) if text.is_empty() => Macro::Unknown(
            "it is an empty string, which mkconfig leaves undefined for some options and defines as \"\" for others".to_owned(),
        ),
        Some(Value::Text(text)) => Macro::Text(text.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn options_become_macros_as_mkconfig_writes_them() {
        let config = Kconfig::parse(
            "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=n\nCONFIG_M=m\nCONFIG_N=0x10\n\
             CONFIG_S=\"arm\"\nCONFIG_E=\"\"\n",
            Path::new(".config"),
        )
        .unwrap();
        let m = |name| config_macro(&config, name);
        assert_eq!(m("CONFIG_A"), Macro::Number(1));
        assert_eq!(m("CONFIG_B"), Macro::Undefined);
        assert_eq!(m("CONFIG_C"), Macro::Undefined);
        assert_eq!(m("CONFIG_NOT_NAMED"), Macro::Undefined);
        assert_eq!(m("CONFIG_M"), Macro::Number(2));
        assert_eq!(m("CONFIG_N"), Macro::Number(16));
        assert_eq!(m("CONFIG_S"), Macro::Text("arm".into()));
        assert_eq!(m("CONFIG_y"), Macro::Number(1));
        assert!(matches!(m("CONFIG_E"), Macro::Unknown(why) if why.contains("empty string")));
        assert!(
            matches!(m("CONFIG_SYS_RESERVED"), Macro::Unknown(why) if why.contains("NuttX's headers define it"))
        );
        assert!(
            matches!(m("__KERNEL__"), Macro::Unknown(why) if why.contains("not a configuration option"))
        );
    }
}
