//! Our compact serializer: serde_json's output, byte for byte, written straight into a `Vec`.
//!
//! serde_json's serializer writes through `io::Write` and its `Formatter` hooks and escapes
//! strings a byte at a time; this one appends to a `Vec<u8>` and finds escapes eight bytes at a
//! time ([`escape`](super::escape)). Numbers are written by the crates serde_json uses (itoa
//! for integers, zmij for the shortest round-trip float), so the bytes are the same.
//! Serializing into an `io::Write` fills the `Vec` and hands it to the writer whenever it
//! passes [`FLUSH_AT`] bytes, between two values.

use std::io::Write;

use serde::ser::{self, Impossible, Serialize};

use super::escape::{write_key, write_str, write_str_contents};
use crate::error::{Error, ErrorKind};

/// Bytes the serializer gathers before handing them to an `io::Write`.
pub(crate) const FLUSH_AT: usize = 64 * 1024;

/// The struct names by which serde_json's `RawValue` and its `arbitrary_precision` `Number`
/// ask a serializer to write a string as it is: serde_json's private tokens.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Compact JSON into `out`; into `writer` too, in blocks, when one is given.
pub(crate) struct Serializer<'o> {
    out: &'o mut Vec<u8>,
    writer: Option<&'o mut dyn Write>,
    /// The length at which `out` goes to the writer: [`FLUSH_AT`], or never without one.
    flush_at: usize,
}

impl<'o> Serializer<'o> {
    /// A serializer that appends to `out`.
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Self {
        Self {
            out,
            writer: None,
            flush_at: usize::MAX,
        }
    }

    /// A serializer that gathers into `out` and writes each block to `writer`.
    pub(crate) fn with_writer(out: &'o mut Vec<u8>, writer: &'o mut dyn Write) -> Self {
        Self {
            out,
            writer: Some(writer),
            flush_at: FLUSH_AT,
        }
    }

    /// Hands what is gathered to the writer, if there is one.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        if let Some(writer) = self.writer.as_mut() {
            writer.write_all(self.out).map_err(Error::io)?;
            self.out.clear();
        }
        Ok(())
    }

    /// Between two values: a writer gets a block once one is full.
    #[inline]
    fn boundary(&mut self) -> Result<(), Error> {
        if self.out.len() >= self.flush_at {
            self.flush()?;
        }
        Ok(())
    }

    #[inline]
    fn integer(&mut self, n: impl itoa::Integer) -> Result<(), Error> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        Ok(())
    }
}

fn key_must_be_a_string() -> Error {
    Error::new(ErrorKind::Syntax, "key must be a string")
}

fn float_key_must_be_finite() -> Error {
    Error::new(ErrorKind::Syntax, "float key must be finite")
}

/// The ten integer methods of a serializer, each writing its integer with `self.integer`.
macro_rules! integers {
    ($($method:ident: $t:ty),* $(,)?) => {$(
        #[inline]
        fn $method(self, v: $t) -> Result<(), Error> {
            self.integer(v)
        }
    )*};
}

impl<'a, 'o> ser::Serializer for &'a mut Serializer<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    integers! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128,
    }

    /// Non-finite floats are `null`, as in serde_json; `f32`s are printed as `f32`s.
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if v.is_finite() {
            let mut buffer = zmij::Buffer::new();
            self.out
                .extend_from_slice(buffer.format_finite(v).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            let mut buffer = zmij::Buffer::new();
            self.out
                .extend_from_slice(buffer.format_finite(v).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }

    /// An array of numbers, as serde_json writes bytes.
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.out.push(b'[');
        for (i, &byte) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.integer(byte)?;
        }
        self.out.push(b']');
        Ok(())
    }

    #[inline]
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    #[inline]
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    #[inline]
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'[');
        Ok(Compound::new(self, Close::Array))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Compound::new(self, Close::ArrayInObject))
    }

    #[inline]
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        Ok(Compound::new(self, Close::Object))
    }

    #[inline]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'a, 'o>, Error> {
        if name == RAW_VALUE_TOKEN || name == NUMBER_TOKEN {
            return Ok(Compound::new(self, Close::Raw));
        }
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":{");
        Ok(Compound::new(self, Close::ObjectInObject))
    }

    /// A plain loop (serde's default goes through `try_for_each` and a `Compound`, which the
    /// compiler left out of line in `Vec`s of `Value`s: 7% more instructions on canada.json).
    #[inline]
    fn collect_seq<I>(self, iter: I) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        self.out.push(b'[');
        let mut first = true;
        for item in iter {
            if !std::mem::replace(&mut first, false) {
                self.out.push(b',');
            }
            item.serialize(&mut *self)?;
            self.boundary()?;
        }
        self.out.push(b']');
        Ok(())
    }

    /// A plain loop, as [`collect_seq`](Self::collect_seq).
    #[inline]
    fn collect_map<K, V, I>(self, iter: I) -> Result<(), Error>
    where
        K: Serialize,
        V: Serialize,
        I: IntoIterator<Item = (K, V)>,
    {
        self.out.push(b'{');
        let mut first = true;
        for (key, value) in iter {
            if !std::mem::replace(&mut first, false) {
                self.out.push(b',');
            }
            key.serialize(KeySerializer {
                out: self.out,
                raw: false,
            })?;
            value.serialize(&mut *self)?;
            self.boundary()?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// The value's `Display` output, escaped as it is written (no `String` in between).
    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Result<(), Error> {
        struct Escaping<'v>(&'v mut Vec<u8>);
        impl std::fmt::Write for Escaping<'_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                write_str_contents(self.0, s);
                Ok(())
            }
        }
        self.out.push(b'"');
        std::fmt::write(&mut Escaping(self.out), format_args!("{value}"))
            .map_err(|_| <Error as ser::Error>::custom("a Display impl returned an error"))?;
        self.out.push(b'"');
        Ok(())
    }
}

/// What closes a compound value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    Array,
    Object,
    /// A tuple variant: `{"name":[...]}`.
    ArrayInObject,
    /// A struct variant: `{"name":{...}}`.
    ObjectInObject,
    /// serde_json's `RawValue` or `Number`: its one field's string, written as it is.
    Raw,
}

/// An array or object being written.
pub(crate) struct Compound<'a, 'o> {
    ser: &'a mut Serializer<'o>,
    first: bool,
    close: Close,
}

impl<'a, 'o> Compound<'a, 'o> {
    fn new(ser: &'a mut Serializer<'o>, close: Close) -> Self {
        Self {
            ser,
            first: true,
            close,
        }
    }

    #[inline]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        if !std::mem::replace(&mut self.first, false) {
            self.ser.out.push(b',');
        }
        value.serialize(&mut *self.ser)?;
        self.ser.boundary()
    }

    #[inline]
    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        if !std::mem::replace(&mut self.first, false) {
            self.ser.out.push(b',');
        }
        key.serialize(KeySerializer {
            out: self.ser.out,
            raw: false,
        })?;
        Ok(())
    }

    #[inline]
    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.ser)?;
        self.ser.boundary()
    }

    #[inline]
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        if self.close == Close::Raw {
            if key != RAW_VALUE_TOKEN && key != NUMBER_TOKEN {
                return Err(<Error as ser::Error>::custom("invalid raw value"));
            }
            return value.serialize(KeySerializer {
                out: self.ser.out,
                raw: true,
            });
        }
        if !std::mem::replace(&mut self.first, false) {
            self.ser.out.push(b',');
        }
        write_key(self.ser.out, key);
        self.value(value)
    }

    #[inline]
    fn finish(self) -> Result<(), Error> {
        let out = &mut self.ser.out;
        match self.close {
            Close::Array => out.push(b']'),
            Close::Object => out.push(b'}'),
            Close::ArrayInObject => out.extend_from_slice(b"]}"),
            Close::ObjectInObject => out.extend_from_slice(b"}}"),
            Close::Raw => {}
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }
    #[inline]
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// A map key and its `:`, as serde_json writes one: strings, and numbers and `bool`s quoted;
/// any other key is an error. With `raw` (and no `:`), the one string serde_json's `RawValue`/`Number` hands over,
/// written as it is.
struct KeySerializer<'v> {
    out: &'v mut Vec<u8>,
    raw: bool,
}

impl KeySerializer<'_> {
    /// `text` in quotes (it never needs an escape: digits, signs, `e`, `.`, letters).
    fn quoted(self, text: &[u8]) -> Result<(), Error> {
        self.out.push(b'"');
        self.out.extend_from_slice(text);
        self.out
            .extend_from_slice(if self.raw { b"\"" } else { b"\":" });
        Ok(())
    }

    fn integer(self, n: impl itoa::Integer) -> Result<(), Error> {
        self.quoted(itoa::Buffer::new().format(n).as_bytes())
    }
}

impl ser::Serializer for KeySerializer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if self.raw {
            self.out.extend_from_slice(v.as_bytes());
        } else {
            write_key(self.out, v);
        }
        Ok(())
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(if v { b"true" } else { b"false" })
    }
    integers! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128,
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(float_key_must_be_finite());
        }
        self.quoted(zmij::Buffer::new().format_finite(v).as_bytes())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(float_key_must_be_finite());
        }
        self.quoted(zmij::Buffer::new().format_finite(v).as_bytes())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Result<(), Error> {
        self.serialize_str(&value.to_string())
    }
}
