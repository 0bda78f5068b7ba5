//! The Rust type of each parameter and return value, and the conversions
//! between it and a register, shared by the user and kernel modules so that
//! both sides agree on every argument.

use crate::syscall::model::ReturnType;
use crate::syscall::value_class::{ValueClass, Width, classify};

/// The Rust type for values of this class. Pointers, unions and typedefs we
/// cannot see through stay raw `usize` registers: the kernel must not
/// dereference a user address before checking it anyway.
pub fn rust_type(class: ValueClass) -> &'static str {
    use ValueClass::{Bool, Opaque, Pointer, Signed, Union, Unsigned};
    match class {
        Signed(Width::Bits8) => "i8",
        Signed(Width::Bits16) => "i16",
        Signed(Width::Bits32) => "i32",
        Signed(Width::Word) => "isize",
        Unsigned(Width::Bits8) => "u8",
        Unsigned(Width::Bits16) => "u16",
        Unsigned(Width::Bits32) => "u32",
        Unsigned(Width::Word) | Pointer | Opaque | Union => "usize",
        Bool => "bool",
    }
}

/// The class of a value-returning call's result.
pub fn return_class(returns: &ReturnType) -> Option<ValueClass> {
    match returns {
        ReturnType::Value(c_type) => Some(classify(c_type)),
        ReturnType::Void | ReturnType::NoReturn => None,
    }
}

/// `expr` (of the class's Rust type) as a register value.
pub fn to_register(expr: &str, class: ValueClass) -> String {
    match rust_type(class) {
        "usize" => expr.to_owned(),
        "bool" => format!("usize::from({expr})"),
        _ => format!("{expr} as usize"),
    }
}

/// A register value `expr` as the class's Rust type. Narrowing keeps the
/// low bits, which is what the 32-bit ABI passes.
pub fn from_register(expr: &str, class: ValueClass) -> String {
    match rust_type(class) {
        "usize" => expr.to_owned(),
        "bool" => format!("{expr} != 0"),
        ty => format!("{expr} as {ty}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip_through_a_register() {
        let int = classify("int");
        assert_eq!(rust_type(int), "i32");
        assert_eq!(to_register("parm1", int), "parm1 as usize");
        assert_eq!(from_register("args[0]", int), "args[0] as i32");
        let flag = classify("bool");
        assert_eq!(to_register("parm1", flag), "usize::from(parm1)");
        assert_eq!(from_register("args[0]", flag), "args[0] != 0");
        let pointer = classify("FAR void *");
        assert_eq!(to_register("parm2", pointer), "parm2");
        assert_eq!(from_register("args[1]", pointer), "args[1]");
    }
}
