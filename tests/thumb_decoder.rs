//! The kernel's Thumb load/store classifier (firmware/kernel/src/thumb.rs),
//! run on the host against encodings made by the GNU assembler rather than
//! typed by hand: every load reads, every store writes, and no other
//! instruction is taken for either. Needs `arm-none-eabi-as`
//! (`scripts/test` installs binutils-arm-none-eabi).

use std::process::Command;

mod common;

use object::{Object as _, ObjectSection as _, ObjectSymbol as _};

#[path = "../firmware/kernel/src/thumb.rs"]
mod thumb;

use thumb::{Direction, direction};

/// Assembles `instructions` for ARMv8-M Mainline (a superset of ARMv7E-M's
/// load/store encodings) and returns the first halfword of each.
fn first_halfwords(instructions: &[&str]) -> Vec<u16> {
    let dir = tempfile::tempdir().unwrap();
    let mut source = String::from(".syntax unified\n.thumb\n.text\n");
    for (index, instruction) in instructions.iter().enumerate() {
        source += &format!("i{index}: {instruction}\n");
    }
    // `1:` is for `cbz`, which only branches forwards; the literal pool is
    // for `ldr r0, =...`.
    source += "1:\n.ltorg\n";
    let (asm, object_file) = (dir.path().join("t.s"), dir.path().join("t.o"));
    std::fs::write(&asm, source).unwrap();
    common::run(
        Command::new("arm-none-eabi-as")
            .args(["-march=armv8-m.main", "-o"])
            .arg(&object_file)
            .arg(&asm),
    );
    let bytes = std::fs::read(&object_file).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let text = file.section_by_name(".text").unwrap().data().unwrap();
    (0..instructions.len())
        .map(|index| {
            let name = format!("i{index}");
            let symbol = file
                .symbols()
                .find(|symbol| symbol.name() == Ok(name.as_str()))
                .unwrap();
            let at = symbol.address() as usize;
            u16::from_le_bytes([text[at], text[at + 1]])
        })
        .collect()
}

fn assert_all(expected: Option<Direction>, instructions: &[&str]) {
    for (instruction, first) in instructions.iter().zip(first_halfwords(instructions)) {
        assert_eq!(
            direction(first),
            expected,
            "`{instruction}` (first halfword {first:#06x})"
        );
    }
}

#[test]
fn loads_read() {
    assert_all(
        Some(Direction::Read),
        &[
            "ldr r0, [r1]",
            "ldr r0, [r1, #4]",
            "ldr r0, [r1, r2]",
            "ldrb r0, [r1, #1]",
            "ldrb r0, [r1, r2]",
            "ldrh r0, [r1, #2]",
            "ldrh r0, [r1, r2]",
            "ldrsb r0, [r1, r2]",
            "ldrsh r0, [r1, r2]",
            "ldr r0, [sp, #4]",
            "ldr r0, =0x12345678",
            "ldmia r0!, {r1, r2}",
            "pop {r0, r1}",
            "ldr.w r0, [r1, #0x100]",
            "ldr r0, [r1, #-4]",
            "ldr.w r8, [r1, r2, lsl #2]",
            "ldrb.w r0, [r1, #0x100]",
            "ldrsh.w r0, [r1, #2]",
            "ldrt r0, [r1, #4]",
            "ldrd r0, r1, [r2]",
            "ldrd r0, r1, [r2, #8]!",
            "ldm.w r0, {r1, r2, r3, r4}",
            "ldmdb r0, {r1, r2}",
            "pop.w {r4-r11, pc}",
            "ldrex r0, [r1]",
            "ldrexb r0, [r1]",
            "lda r0, [r1]",
        ],
    );
}

#[test]
fn stores_write() {
    assert_all(
        Some(Direction::Write),
        &[
            "str r0, [r1]",
            "str r0, [r1, #4]",
            "str r0, [r1, r2]",
            "strb r0, [r1, #1]",
            "strb r0, [r1, r2]",
            "strh r0, [r1, #2]",
            "strh r0, [r1, r2]",
            "str r0, [sp, #4]",
            "stmia r0!, {r1, r2}",
            "push {r0, lr}",
            "str.w r0, [r1, #0x100]",
            "str r0, [r1, #-4]",
            "str.w r8, [r1, r2, lsl #2]",
            "strb.w r0, [r1, #0x100]",
            "strt r0, [r1, #4]",
            "strd r0, r1, [r2]",
            "strd r0, r1, [r2, #-8]!",
            "stm.w r0, {r1, r2, r3, r4}",
            "stmdb r0, {r1, r2}",
            "push.w {r4-r11, lr}",
            "strex r0, r1, [r2]",
            "strexh r0, r1, [r2]",
            "stl r0, [r1]",
        ],
    );
}

#[test]
fn other_instructions_are_neither() {
    assert_all(
        None,
        &[
            "adds r0, r1, r2",
            "mov r0, r1",
            "add r0, sp, #8",
            "adr r0, i0",
            "b i0",
            "bl i0",
            "bx lr",
            "cmp r0, #1",
            "udf #0",
            "svc #1",
            "bkpt #1",
            "sdiv r0, r1, r2",
            "mul r0, r1, r0",
            "movw r0, #0x1234",
            "mrs r0, PSP",
            "nop",
            "cbz r0, 1f",
        ],
    );
}
