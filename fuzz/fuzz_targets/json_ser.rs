//! Our compact serializer against serde_json's, byte for byte: every value serde_json reads
//! from the input, and the input itself as a string (every escape, every UTF-8 shape) and as
//! the bits of floats.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn same<T: serde::Serialize + ?Sized>(value: &T) {
    let theirs = serde_json::to_vec(value).expect("serde_json serializes it");
    let ours = perfkit_json::to_vec(value).expect("we serialize what serde_json does");
    assert_eq!(ours, theirs);
    let mut written = Vec::new();
    perfkit_json::to_writer(&mut written, value).expect("into a Vec");
    assert_eq!(written, theirs);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        same(&value);
    }
    same(&*String::from_utf8_lossy(data));
    for chunk in data.chunks_exact(8) {
        let bits = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        same(&f64::from_bits(bits));
        same(&f32::from_bits(bits as u32));
    }
});
