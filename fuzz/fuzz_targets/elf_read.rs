//! The ELF loader answers every input with an image or an error; an
//! accepted image stored as ELF and loaded again is the same image.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcu_build::image::elf;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = elf::read(data) {
        let again = elf::read(&elf::write(&file.image)).expect("our own output must load");
        assert_eq!(again.image, file.image);
    }
});
