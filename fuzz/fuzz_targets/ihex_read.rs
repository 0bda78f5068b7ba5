//! The Intel HEX reader answers every input with an image or an error; an
//! accepted image written back and read again is the same image.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcu_build::image::ihex::{self, RecordLength};

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = ihex::read(data) {
        let again = ihex::read(&ihex::write(&file.image, RecordLength::default()))
            .expect("our own output must parse");
        assert_eq!(again.image, file.image);
    }
});
