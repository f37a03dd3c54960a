//! Serialization. Compact output is our own serializer ([`serializer`]): the bytes
//! serde_json writes for the same value, appended to a `Vec` with escapes found a word at a
//! time. Pretty output is serde_json's serializer.

mod escape;
mod serializer;

use std::cell::RefCell;
use std::io::Write;

use serde::Serialize;

use crate::error::Error;
use serializer::{FLUSH_AT, Serializer};

thread_local! {
    /// The block a [`to_writer`] call gathers output in before writing it.
    static BLOCK: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Serializes `value` as compact JSON into a new `Vec`.
///
/// # Errors
/// When `value`'s `Serialize` fails (e.g. a map with non-string keys).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(128);
    to_vec_into(&mut out, value)?;
    Ok(out)
}

/// Serializes `value` as compact JSON, appending to `out`: pass a `Vec` you keep between
/// calls (after `clear()`) and a warm call allocates nothing.
///
/// # Errors
/// As [`to_vec`].
pub fn to_vec_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Serializer::new(out))
}

/// Serializes `value` as pretty-printed JSON (two-space indent) into a new `Vec`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_vec_pretty<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(128);
    to_writer_pretty(&mut out, value)?;
    Ok(out)
}

/// Serializes `value` as compact JSON into a `String`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    to_vec(value).map(into_string)
}

/// Serializes `value` as pretty-printed JSON into a `String`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    to_vec_pretty(value).map(into_string)
}

/// Serializes `value` as compact JSON into `writer`, in blocks of 64 KiB (gathered in a
/// per-thread buffer): a bare file or socket gets a few large writes, not one per token.
/// Into a `Vec` you own, [`to_vec_into`] saves the copy.
///
/// # Errors
/// As [`to_vec`], plus the writer's I/O errors. On an error, the blocks written before it
/// stay written (as with serde_json, whose writes are smaller).
pub fn to_writer<W: Write, T: Serialize + ?Sized>(mut writer: W, value: &T) -> Result<(), Error> {
    let mut write = |block: &mut Vec<u8>| {
        block.clear();
        let mut ser = Serializer::with_writer(block, &mut writer);
        value.serialize(&mut ser)?;
        ser.flush()
    };
    let result = BLOCK.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut block) => {
            let result = write(&mut block);
            // A block outgrows its size only by one value; keep at most a few blocks' worth.
            if block.capacity() > 4 * FLUSH_AT {
                *block = Vec::new();
            }
            Some(result)
        }
        // In use: a `Serialize` impl that serializes JSON itself.
        Err(_) => None,
    });
    match result {
        Ok(Some(result)) => result,
        // In use, or gone (called from a thread-local destructor).
        _ => write(&mut Vec::new()),
    }
}

/// Serializes `value` as pretty-printed JSON into `writer` (serde_json's pretty serializer,
/// which makes many small writes: give it a buffered writer).
///
/// # Errors
/// As [`to_writer`].
pub fn to_writer_pretty<W: Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<(), Error> {
    serde_json::to_writer_pretty(writer, value).map_err(ser_error)
}

fn ser_error(e: serde_json::Error) -> Error {
    Error::from_serde_json(e)
}

fn into_string(bytes: Vec<u8>) -> String {
    // serde_json writes only valid UTF-8; the fallback never runs but costs no `unsafe`.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
