//! What a Cortex-M core reads at reset, checked before `run` hands an
//! image to QEMU.
//!
//! At reset the core loads the initial main stack pointer from the first
//! word of the vector table and the reset vector from the second, then
//! branches to it (Armv7-M ARM, B1.5.5 "Reset behavior"; Armv8-M ARM,
//! B3.29 for Armv8-M). The vector table base at reset is
//! `VTOR`'s reset value, which on the boards QEMU emulates is the origin
//! of the memory the core boots from: mps2-an386's SSRAM1 at 0x00000000,
//! mps2-an505's secure code alias at 0x10000000 (QEMU's `init-svtor`). In a
//! board file that memory is the `flash` memory with the lowest origin.
//!
//! The reset vector must have bit 0 set (Thumb state: M-profile cores
//! execute only Thumb code, and a clear bit faults at the first
//! instruction) and point into the image's data. An image that breaks
//! either does not run: QEMU prints a lockup dump and aborts, which names
//! no file and no cause.

use super::admission::{Check, CheckKind, failed, passed};
use crate::board::Board;
use crate::image::Image;
use crate::image::file::InputSpec;
use crate::mpu::MemoryKind;

/// The address of the vector table at reset: the origin of the board's
/// lowest `flash` memory, else of its lowest memory.
pub fn boot_address(board: &Board) -> Option<u32> {
    let flash = board
        .memories
        .iter()
        .filter(|m| m.kind == MemoryKind::Flash)
        .map(|m| m.origin)
        .min();
    flash.or_else(|| board.memories.iter().map(|m| m.origin).min())
}

/// The little-endian word `image` holds at `address`, if all four bytes
/// are there.
fn word_at(image: &Image, address: u32) -> Option<u32> {
    let mut bytes = [0u8; 4];
    for (offset, byte) in (0..4u32).zip(&mut bytes) {
        *byte = image.byte_at(address.checked_add(offset)?)?;
    }
    Some(u32::from_le_bytes(bytes))
}

/// Whether `image` has a vector table at the boot address of `board`
/// whose reset vector points into the image, in Thumb state.
pub fn vector_table(spec: &InputSpec, image: &Image, board: &Board) -> Check {
    let kind = CheckKind::VectorTable;
    let Some(boot) = boot_address(board) else {
        return failed(
            kind,
            format!("board {} has no memory to boot from", board.name),
        );
    };
    let (Some(stack), Some(reset)) = (word_at(image, boot), word_at(image, boot.wrapping_add(4)))
    else {
        return failed(
            kind,
            format!(
                "{spec} holds no vector table at {boot:#010x}, where {} boots (the initial stack \
                 pointer at {boot:#010x} and the reset vector at {:#010x}); its data starts at \
                 {}: a raw binary at the wrong address, or an image linked for another board?",
                board.name,
                boot.wrapping_add(4),
                image
                    .extent()
                    .map_or_else(|| "no address".to_owned(), |e| format!("{:#010x}", e.start))
            ),
        );
    };
    if reset & 1 == 0 {
        return failed(
            kind,
            format!(
                "{spec}: the reset vector at {:#010x} is {reset:#010x}, with bit 0 clear: a \
                 Cortex-M core runs only Thumb code, so the vector must be the handler's address \
                 + 1",
                boot.wrapping_add(4)
            ),
        );
    }
    let entry = reset & !1;
    if image.byte_at(entry).is_none() {
        return failed(
            kind,
            format!(
                "{spec}: the reset vector at {:#010x} points to {entry:#010x}, where the image \
                 holds no data",
                boot.wrapping_add(4)
            ),
        );
    }
    passed(
        kind,
        format!("at {boot:#010x}: initial SP {stack:#010x}, reset handler {entry:#010x} (Thumb)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::admission::Outcome;

    fn image(address: u32, words: &[u32]) -> Image {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut image = Image::new();
        image.insert(address, &bytes, Default::default()).unwrap();
        image
    }

    #[test]
    fn the_boot_address_is_the_lowest_flash_origin() {
        let an386 = crate::board::bundled("qemu-mps2-an386").unwrap();
        let an505 = crate::board::bundled("qemu-mps2-an505").unwrap();
        let f4 = crate::board::bundled("stm32f4discovery").unwrap();
        assert_eq!(boot_address(&an386), Some(0));
        assert_eq!(boot_address(&an505), Some(0x1000_0000));
        assert_eq!(boot_address(&f4), Some(0x0800_0000));
    }

    #[test]
    fn a_table_must_be_at_the_boot_address_and_point_into_the_image_in_thumb_state() {
        let board = crate::board::bundled("qemu-mps2-an386").unwrap();
        let spec: InputSpec = "c.bin@0x100".parse().unwrap();
        let good = image(0, &[0x2000_1000, 0x9, 0, 0]);
        assert_eq!(vector_table(&spec, &good, &board).outcome, Outcome::Passed);

        let moved = vector_table(&spec, &image(0x100, &[0x2000_1000, 0x109]), &board);
        assert_eq!(moved.outcome, Outcome::Failed);
        assert!(
            moved.detail.starts_with(
                "c.bin@0x00000100 holds no vector table at 0x00000000, where qemu-mps2-an386 \
                 boots"
            ),
            "{}",
            moved.detail
        );
        assert!(
            moved.detail.contains("its data starts at 0x00000100"),
            "{}",
            moved.detail
        );

        let arm = vector_table(&spec, &image(0, &[0x2000_1000, 0x8, 0]), &board);
        assert!(
            arm.detail.contains("is 0x00000008, with bit 0 clear"),
            "{}",
            arm.detail
        );

        let outside = vector_table(&spec, &image(0, &[0x2000_1000, 0x4001]), &board);
        assert_eq!(outside.outcome, Outcome::Failed);
        assert!(
            outside
                .detail
                .contains("points to 0x00004000, where the image holds no data"),
            "{}",
            outside.detail
        );
    }
}
