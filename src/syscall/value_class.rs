//! How a C type from the CSV travels through a 32-bit register.
//!
//! The C generator pastes types as written and lets the compiler cast; but
//! the checked-pointer annotations must know which parameters are pointers
//! and which are lengths, and the Rust generator must pick a Rust type and a
//! conversion for each. Both ask this one classification, so they cannot
//! disagree about what a parameter is.
//!
//! Widths are those of the ARM EABI (ILP32, unsigned `char`), the ABI the
//! registers follow, whatever the host.

use super::model::{Param, ParamType};

/// The class of a C type, as far as the system-call ABI is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueClass {
    /// A data or function pointer (or an array, which decays to one): a
    /// user address the kernel must not trust.
    Pointer,
    Signed(Width),
    Unsigned(Width),
    /// `bool`: any non-zero register is true.
    Bool,
    /// A union, passed as one of its members: the register is passed on
    /// unchanged and is neither a pointer to check nor a length.
    Union,
    /// A typedef this classification cannot see through (`pid_t`, `mode_t`,
    /// `off_t`, `mqd_t`, ...): the register value is passed on unchanged.
    Opaque,
}

/// Width of an integer type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    Bits8,
    Bits16,
    Bits32,
    /// As wide as a pointer (`size_t`, `uintptr_t`, `ssize_t`, `intptr_t`).
    Word,
}

impl ValueClass {
    /// Whether a value of this class can give the length of a buffer.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ValueClass::Signed(_) | ValueClass::Unsigned(_) | ValueClass::Opaque
        )
    }
}

/// Qualifiers and NuttX address-space macros that do not change the class.
const QUALIFIERS: &[&str] = &[
    "FAR", "NEAR", "DSEG", "CODE", "IPTR", "const", "volatile", "restrict",
];

/// Classifies a parameter: its actual type, or [`ValueClass::Union`].
pub fn class_of(param: &Param) -> ValueClass {
    match param.kind {
        ParamType::Union { .. } => ValueClass::Union,
        ref kind => classify(kind.actual()),
    }
}

/// Classifies a C type as the CSV spells it.
pub fn classify(c_type: &str) -> ValueClass {
    if c_type.contains(['*', '[']) {
        return ValueClass::Pointer;
    }
    let words: Vec<&str> = c_type
        .split_whitespace()
        .filter(|w| !QUALIFIERS.contains(w))
        .collect();
    use ValueClass::{Bool, Opaque, Signed, Unsigned};
    use Width::{Bits8, Bits16, Bits32, Word};
    match words.join(" ").as_str() {
        "int" | "signed" | "signed int" | "long" | "long int" | "signed long"
        | "signed long int" | "int32_t" => Signed(Bits32),
        "unsigned" | "unsigned int" | "unsigned long" | "unsigned long int" | "uint32_t" => {
            Unsigned(Bits32)
        }
        "short" | "short int" | "signed short" | "signed short int" | "int16_t" => Signed(Bits16),
        "unsigned short" | "unsigned short int" | "uint16_t" => Unsigned(Bits16),
        // `char` is unsigned in the ARM EABI.
        "char" | "unsigned char" | "uint8_t" => Unsigned(Bits8),
        "signed char" | "int8_t" => Signed(Bits8),
        "size_t" | "uintptr_t" => Unsigned(Word),
        "ssize_t" | "intptr_t" | "ptrdiff_t" => Signed(Word),
        "bool" | "_Bool" => Bool,
        _ => Opaque,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_the_types_nuttx_uses() {
        assert_eq!(classify("FAR const char *"), ValueClass::Pointer);
        assert_eq!(classify("FAR char * const []"), ValueClass::Pointer);
        assert_eq!(classify("int (*)(int)"), ValueClass::Pointer);
        assert_eq!(classify("int"), ValueClass::Signed(Width::Bits32));
        assert_eq!(
            classify("unsigned long"),
            ValueClass::Unsigned(Width::Bits32)
        );
        assert_eq!(classify("const size_t"), ValueClass::Unsigned(Width::Word));
        assert_eq!(classify("ssize_t"), ValueClass::Signed(Width::Word));
        assert_eq!(classify("int16_t"), ValueClass::Signed(Width::Bits16));
        assert_eq!(classify("uint8_t"), ValueClass::Unsigned(Width::Bits8));
        assert_eq!(classify("bool"), ValueClass::Bool);
        assert_eq!(classify("pid_t"), ValueClass::Opaque);
        assert_eq!(classify("long long"), ValueClass::Opaque);
        assert!(classify("mode_t").is_integer());
        assert!(!classify("FAR void *").is_integer());
    }
}
