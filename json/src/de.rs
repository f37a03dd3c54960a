//! A serde `Deserializer` over simd-json's tape. simd-json's own visits every node of a value
//! the caller ignores (an unknown field becomes `deserialize_any` into `IgnoredAny`, all the way
//! down); here an ignored value is skipped in O(1), by the node count the tape stores in each
//! array and object. Type errors name what was found and what was expected, as serde_json's do.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use simd_json::{Node, StaticNode};

use crate::error::{Error, ErrorKind};

/// The `Deserializer` methods that are serde's plumbing, the same in both engines (the tape's
/// here and the streaming one in `direct.rs`): each reads as another method reads.
macro_rules! forward_plumbing {
    () => {
        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.deserialize_unit(visitor)
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            _len: usize,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.deserialize_seq(visitor)
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _len: usize,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.deserialize_seq(visitor)
        }

        #[inline]
        fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.deserialize_str(visitor)
        }

        fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.deserialize_str(visitor)
        }
    };
}
pub(crate) use forward_plumbing;

/// `VariantAccess` for an enum written as `{"Variant": content}`, on a `Variant { de }` whose
/// `de` is either engine's deserializer (the same four readings in both).
macro_rules! variant_access {
    ([$($generics:tt)*] $ty:ty $(where $($bounds:tt)*)?) => {
        impl<$($generics)*> serde::de::VariantAccess<'de> for $ty $(where $($bounds)*)? {
            type Error = Error;

            fn unit_variant(self) -> Result<(), Error> {
                serde::de::Deserialize::deserialize(&mut *self.de)
            }

            fn newtype_variant_seed<T: serde::de::DeserializeSeed<'de>>(
                self,
                seed: T,
            ) -> Result<T::Value, Error> {
                seed.deserialize(&mut *self.de)
            }

            fn tuple_variant<V: serde::de::Visitor<'de>>(
                self,
                _len: usize,
                visitor: V,
            ) -> Result<V::Value, Error> {
                serde::de::Deserializer::deserialize_seq(&mut *self.de, visitor)
            }

            fn struct_variant<V: serde::de::Visitor<'de>>(
                self,
                fields: &'static [&'static str],
                visitor: V,
            ) -> Result<V::Value, Error> {
                serde::de::Deserializer::deserialize_struct(&mut *self.de, "", fields, visitor)
            }
        }
    };
}
pub(crate) use variant_access;

/// Where the strings a visitor may borrow come from: a tape's strings live in the parser's
/// buffer (`'p`), and a deserializer for `'de` hands out `&'de str`s where it can.
pub(crate) trait Source<'p, 'de> {
    /// `s`, a string of the tape, as a string of the input, if it is one there unchanged.
    fn borrow(&self, s: &'p str) -> Option<&'de str>;
}

/// The tape of an in-place parse: its strings are the input's, unescaped where they stand.
pub(crate) struct InPlace;

impl<'de> Source<'de, 'de> for InPlace {
    #[inline]
    fn borrow(&self, s: &'de str) -> Option<&'de str> {
        Some(s)
    }
}

/// Strings that never come from the input (the streaming engine's unescaped ones).
pub(crate) struct Unborrowed;

impl<'p, 'de> Source<'p, 'de> for Unborrowed {
    #[inline]
    fn borrow(&self, _: &'p str) -> Option<&'de str> {
        None
    }
}

/// The tape of a copy of `input` that starts at address `base`: a string the copy holds
/// unescaped at the same offset as the input's raw string borrows from the input, as
/// serde_json's `from_slice` borrows strings without escapes.
pub(crate) struct Copied<'de> {
    input: &'de [u8],
    base: usize,
}

impl<'de> Copied<'de> {
    /// `base` is the address of the buffer `input` was copied to and parsed in place.
    pub(crate) fn new(input: &'de [u8], base: usize) -> Self {
        Self { input, base }
    }
}

impl<'de> Source<'_, 'de> for Copied<'de> {
    /// One of the crate's three places with `unsafe` (see `lib.rs`). Measured on twitter.json's typed struct: checking the
    /// borrowed bytes with `str::from_utf8` made every parse that reads strings pay a second
    /// UTF-8 validation (559 -> 920 µs); comparing them with `s` (memcmp) does not.
    #[inline(always)]
    #[allow(unsafe_code)]
    fn borrow(&self, s: &str) -> Option<&'de str> {
        // simd-json writes each string where its raw form starts, unescaped: it is the raw
        // form unchanged exactly when the input has the closing quote right after it, not
        // escaped (a quote inside a raw string longer than `s` is one of its escapes, `\"`,
        // so the byte before it is a backslash; a string without escapes has none). That
        // decides when to borrow, as serde_json does: strings without escapes.
        let start = (s.as_ptr() as usize).checked_sub(self.base)?;
        let end = start.checked_add(s.len())?;
        if self.input.get(end) != Some(&b'"') || (end > start && self.input[end - 1] == b'\\') {
            return None;
        }
        let bytes = self.input.get(start..end)?;
        // Whatever simd-json does, only bytes equal to `s`'s are borrowed.
        if !same_bytes(bytes, s.as_bytes()) {
            return None;
        }
        // SAFETY: `bytes` equals `s`, a `&str`, byte for byte, so it is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    }
}

/// `a == b` for slices of the same length, without a call for the short ones (most keys and
/// many values: the libc `memcmp` call was a third of the cost of borrowing).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn word(s: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(s[at..at + 8].try_into().expect("eight bytes"))
    }
    fn half(s: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(s[at..at + 4].try_into().expect("four bytes"))
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..4 => a == b,
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Reads a value from `nodes`, the tape of one whole document, borrowing strings through
/// `source`.
pub(crate) struct TapeDeserializer<'t, 'p, S> {
    nodes: &'t [Node<'p>],
    idx: usize,
    source: S,
}

impl<'t, 'p, S> TapeDeserializer<'t, 'p, S> {
    pub(crate) fn new(nodes: &'t [Node<'p>], source: S) -> Self {
        Self {
            nodes,
            idx: 0,
            source,
        }
    }

    #[inline]
    fn next(&mut self) -> Result<Node<'p>, Error> {
        let node = self.nodes.get(self.idx).copied().ok_or_else(truncated)?;
        self.idx += 1;
        Ok(node)
    }

    #[inline]
    fn peek(&self) -> Result<Node<'p>, Error> {
        self.nodes.get(self.idx).copied().ok_or_else(truncated)
    }

    /// Skips the next value, however large: O(1).
    #[inline]
    fn skip(&mut self) -> Result<(), Error> {
        match self.next()? {
            Node::Array { count, .. } | Node::Object { count, .. } => self.idx += count,
            Node::String(_) | Node::Static(_) => {}
        }
        if self.idx > self.nodes.len() {
            return Err(truncated());
        }
        Ok(())
    }

    #[inline]
    fn visit_array<'de, V: Visitor<'de>>(
        &mut self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error>
    where
        S: Source<'p, 'de>,
    {
        let mut access = Elements {
            de: self,
            remaining: len,
        };
        let value = visitor.visit_seq(&mut access)?;
        if access.remaining == 0 {
            Ok(value)
        } else {
            Err(de::Error::invalid_length(
                len,
                &"fewer elements in the array",
            ))
        }
    }

    /// An object of `len` members for `visitor`; `fields` when it is a struct's (see
    /// [`Key::fields`]).
    #[inline]
    fn visit_object<'de, V: Visitor<'de>>(
        &mut self,
        len: usize,
        visitor: V,
        fields: bool,
    ) -> Result<V::Value, Error>
    where
        S: Source<'p, 'de>,
    {
        let mut access = Members {
            de: self,
            remaining: len,
            fields,
        };
        let value = visitor.visit_map(&mut access)?;
        if access.remaining == 0 {
            Ok(value)
        } else {
            Err(de::Error::invalid_length(
                len,
                &"fewer members in the object",
            ))
        }
    }

    /// The node as an unsigned integer, for the integer methods.
    #[inline]
    fn unsigned<T: TryFrom<u64>>(&mut self, visitor: &dyn de::Expected) -> Result<T, Error> {
        let node = self.next()?;
        let n = match node {
            Node::Static(StaticNode::U64(n)) => n,
            // `-0`: simd-json's `I64(0)` (a plain `0` is `U64(0)`), a float to serde_json.
            Node::Static(StaticNode::I64(0)) => {
                return Err(de::Error::invalid_type(Unexpected::Float(-0.0), visitor));
            }
            Node::Static(StaticNode::I64(n)) => {
                return Err(de::Error::invalid_value(Unexpected::Signed(n), visitor));
            }
            other => return Err(unexpected(other, visitor)),
        };
        T::try_from(n).map_err(|_| de::Error::invalid_value(Unexpected::Unsigned(n), visitor))
    }

    /// The node as a signed integer, for the integer methods.
    #[inline]
    fn signed<T: TryFrom<i64>>(&mut self, visitor: &dyn de::Expected) -> Result<T, Error> {
        let node = self.next()?;
        let n = match node {
            // `-0`: simd-json's `I64(0)` (a plain `0` is `U64(0)`), a float to serde_json.
            Node::Static(StaticNode::I64(0)) => {
                return Err(de::Error::invalid_type(Unexpected::Float(-0.0), visitor));
            }
            Node::Static(StaticNode::I64(n)) => n,
            Node::Static(StaticNode::U64(n)) => {
                return i64::try_from(n)
                    .ok()
                    .and_then(|n| T::try_from(n).ok())
                    .ok_or_else(|| de::Error::invalid_value(Unexpected::Unsigned(n), visitor));
            }
            other => return Err(unexpected(other, visitor)),
        };
        T::try_from(n).map_err(|_| de::Error::invalid_value(Unexpected::Signed(n), visitor))
    }

    #[inline]
    fn float(&mut self, visitor: &dyn de::Expected) -> Result<f64, Error> {
        #[allow(
            clippy::cast_precision_loss,
            reason = "JSON numbers are read as f64, as serde_json does"
        )]
        match self.next()? {
            Node::Static(StaticNode::F64(x)) => Ok(x),
            Node::Static(StaticNode::U64(n)) => Ok(n as f64),
            Node::Static(StaticNode::I64(0)) => Ok(-0.0), // `-0`, see `signed`
            Node::Static(StaticNode::I64(n)) => Ok(n as f64),
            other => Err(unexpected(other, visitor)),
        }
    }
}

fn truncated() -> Error {
    Error::new(ErrorKind::Data, "the document ended inside a value")
}

/// serde's "invalid type: found X, expected Y" for `node`.
fn unexpected(node: Node<'_>, expected: &dyn de::Expected) -> Error {
    let found = match node {
        Node::String(s) => Unexpected::Str(s),
        Node::Static(StaticNode::Null) => Unexpected::Unit,
        Node::Static(StaticNode::Bool(b)) => Unexpected::Bool(b),
        Node::Static(StaticNode::U64(n)) => Unexpected::Unsigned(n),
        Node::Static(StaticNode::I64(0)) => Unexpected::Float(-0.0), // `-0`, see `signed`
        Node::Static(StaticNode::I64(n)) => Unexpected::Signed(n),
        Node::Static(StaticNode::F64(x)) => Unexpected::Float(x),
        Node::Array { .. } => Unexpected::Seq,
        Node::Object { .. } => Unexpected::Map,
    };
    de::Error::invalid_type(found, expected)
}

macro_rules! integer {
    ($($method:ident => $visit:ident via $read:ident,)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let n = self.$read(&visitor)?;
            visitor.$visit(n)
        }
    )*};
}

impl<'p, S> TapeDeserializer<'_, 'p, S> {
    /// A string of the tape, borrowed from the input where the source can.
    #[inline]
    fn visit_string<'de, V: Visitor<'de>>(&self, s: &'p str, visitor: V) -> Result<V::Value, Error>
    where
        S: Source<'p, 'de>,
    {
        match self.source.borrow(s) {
            Some(borrowed) => visitor.visit_borrowed_str(borrowed),
            None => visitor.visit_str(s),
        }
    }

    /// An object key, borrowed from the input where the source can, when the visitor asks.
    #[inline]
    fn key(&self, s: &'p str, fields: bool) -> Key<'_, 'p, S> {
        Key {
            s,
            source: &self.source,
            fields,
        }
    }
}

impl<'de, 'p, S: Source<'p, 'de>> Deserializer<'de> for &mut TapeDeserializer<'_, 'p, S> {
    type Error = Error;

    crate::de::forward_plumbing!();

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::String(s) => self.visit_string(s, visitor),
            Node::Static(StaticNode::Null) => visitor.visit_unit(),
            Node::Static(StaticNode::Bool(b)) => visitor.visit_bool(b),
            Node::Static(StaticNode::U64(n)) => visitor.visit_u64(n),
            Node::Static(StaticNode::I64(0)) => visitor.visit_f64(-0.0), // `-0`, see `signed`
            Node::Static(StaticNode::I64(n)) => visitor.visit_i64(n),
            Node::Static(StaticNode::F64(x)) => visitor.visit_f64(x),
            Node::Array { len, .. } => self.visit_array(len, visitor),
            Node::Object { len, .. } => self.visit_object(len, visitor, false),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::Static(StaticNode::Bool(b)) => visitor.visit_bool(b),
            other => Err(unexpected(other, &visitor)),
        }
    }

    integer! {
        deserialize_u8 => visit_u8 via unsigned,
        deserialize_u16 => visit_u16 via unsigned,
        deserialize_u32 => visit_u32 via unsigned,
        deserialize_u64 => visit_u64 via unsigned,
        deserialize_i8 => visit_i8 via signed,
        deserialize_i16 => visit_i16 via signed,
        deserialize_i32 => visit_i32 via signed,
        deserialize_i64 => visit_i64 via signed,
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            node @ Node::Static(StaticNode::I64(0)) => Err(unexpected(node, &visitor)),
            Node::Static(StaticNode::I64(n)) => visitor.visit_i128(i128::from(n)),
            Node::Static(StaticNode::U64(n)) => visitor.visit_i128(i128::from(n)),
            other => Err(unexpected(other, &visitor)),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::Static(StaticNode::U64(n)) => visitor.visit_u128(u128::from(n)),
            node @ Node::Static(StaticNode::I64(0)) => Err(unexpected(node, &visitor)),
            Node::Static(StaticNode::I64(n)) => match u128::try_from(n) {
                Ok(n) => visitor.visit_u128(n),
                Err(_) => Err(de::Error::invalid_value(Unexpected::Signed(n), &visitor)),
            },
            other => Err(unexpected(other, &visitor)),
        }
    }

    #[inline]
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "f32 is asked for, as serde_json does"
        )]
        let x = self.float(&visitor)? as f32;
        visitor.visit_f32(x)
    }

    #[inline]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let x = self.float(&visitor)?;
        visitor.visit_f64(x)
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::String(s) => self.visit_string(s, visitor),
            other => Err(unexpected(other, &visitor)),
        }
    }

    #[inline]
    /// A visitor that asks for an owned string gets `visit_str` (serde lets a deserializer
    /// treat this as `deserialize_str`; `String`'s visitor copies either way), which saves
    /// the check whether the string could be borrowed from the input.
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::String(s) => visitor.visit_str(s),
            other => Err(unexpected(other, &visitor)),
        }
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Node::Static(StaticNode::Null) = self.peek()? {
            self.idx += 1;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    #[inline]
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::Static(StaticNode::Null) => visitor.visit_unit(),
            other => Err(unexpected(other, &visitor)),
        }
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::Array { len, .. } => self.visit_array(len, visitor),
            other => Err(unexpected(other, &visitor)),
        }
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Node::Object { len, .. } => self.visit_object(len, visitor, false),
            other => Err(unexpected(other, &visitor)),
        }
    }

    /// A struct from an object, or from an array of its fields in order (as serde_json).
    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.next()? {
            Node::Object { len, .. } => self.visit_object(len, visitor, true),
            Node::Array { len, .. } => self.visit_array(len, visitor),
            other => Err(unexpected(other, &visitor)),
        }
    }

    /// A unit variant from a string, any variant from an object of one member (as serde_json).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.next()? {
            Node::String(s) => visitor.visit_enum(s.into_deserializer()),
            Node::Object { len: 1, .. } => visitor.visit_enum(Variant { de: self }),
            other => Err(unexpected(other, &visitor)),
        }
    }

    /// The point of this deserializer: an ignored value, however large, is skipped in O(1).
    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }
}

struct Elements<'a, 't, 'p, S> {
    de: &'a mut TapeDeserializer<'t, 'p, S>,
    remaining: usize,
}

impl<'de, 'p, S: Source<'p, 'de>> SeqAccess<'de> for Elements<'_, '_, 'p, S> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining)
    }
}

struct Members<'a, 't, 'p, S> {
    de: &'a mut TapeDeserializer<'t, 'p, S>,
    remaining: usize,
    /// A struct's fields (see [`Key::fields`]).
    fields: bool,
}

impl<'de, 'p, S: Source<'p, 'de>> MapAccess<'de> for Members<'_, '_, 'p, S> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        match self.de.next()? {
            Node::String(key) => seed.deserialize(self.de.key(key, self.fields)).map(Some),
            // The tape of a valid document always has a string here.
            other => Err(unexpected(other, &"an object key")),
        }
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining)
    }
}

/// An object key: a string, which map types may also read as a number or a bool (as
/// serde_json: `{"1": ...}` into a `HashMap<u32, _>`), borrowed from the input where it can
/// be.
pub(crate) struct Key<'k, 'p, S> {
    s: &'p str,
    source: &'k S,
    /// The key names a field of a struct read with `deserialize_struct`: its identifier is
    /// visited with `visit_str`, not borrowed (a derived struct's field visitor matches
    /// names either way; one with `#[serde(flatten)]`, which keeps unknown keys, is read
    /// with `deserialize_map` and gets them borrowed, as from serde_json). Checking whether
    /// each key could be borrowed cost 10% on twitter.json's typed struct.
    fields: bool,
}

impl<'k, 'p, S> Key<'k, 'p, S> {
    /// The key `s`, borrowed through `source`; `fields` when it names a struct's field.
    #[inline]
    pub(crate) fn new(s: &'p str, source: &'k S, fields: bool) -> Self {
        Self { s, source, fields }
    }
}

/// Whether `s` is a JSON number, the only form serde_json reads a numeric key in (no `+`, no
/// leading zeros, no `inf`, no spaces): `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(s: &str) -> bool {
    fn digits(b: &[u8]) -> usize {
        b.iter().take_while(|c| c.is_ascii_digit()).count()
    }
    let mut b = s.as_bytes();
    if let [b'-', rest @ ..] = b {
        b = rest;
    }
    match b {
        [b'0', rest @ ..] => b = rest,
        [b'1'..=b'9', ..] => b = &b[digits(b)..],
        _ => return false,
    }
    if let [b'.', rest @ ..] = b {
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        b = &rest[n..];
    }
    if let [b'e' | b'E', rest @ ..] = b {
        let rest = match rest {
            [b'+' | b'-', rest @ ..] => rest,
            _ => rest,
        };
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        b = &rest[n..];
    }
    b.is_empty()
}

/// How serde_json reads a key for a number type: which forms it refuses before parsing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// Up to 64 bits: any JSON number, `-0` being a float.
    Integer,
    /// 128-bit signed: integer digits only.
    Wide,
    /// 128-bit unsigned: integer digits only, no sign.
    WideUnsigned,
    /// `f32`, `f64`: any JSON number.
    Float,
}

impl KeyKind {
    /// serde_json's verdict on `key`'s form, before its value is parsed.
    fn check(self, key: &str) -> Result<(), Error> {
        if !is_json_number(key) {
            // serde_json's classification: a syntax error, not a type mismatch.
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("expected key to be a number in quotes, found {key:?}"),
            ));
        }
        let wide = matches!(self, Self::Wide | Self::WideUnsigned);
        if wide
            && (key.contains(['.', 'e', 'E'])
                || (self == Self::WideUnsigned && key.starts_with('-')))
        {
            // serde_json's 128-bit key reader takes integer digits only, and no sign for an
            // unsigned key.
            return Err(Error::new(
                ErrorKind::Syntax,
                "expected key to be an integer in quotes",
            ));
        }
        Ok(())
    }
}

macro_rules! key_from_str {
    ($($method:ident => $visit:ident: $t:ty, $kind:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            KeyKind::$kind.check(self.s)?;
            // serde_json reads the key as a JSON number: `-0` is a float there, not an integer.
            let minus_zero_integer = KeyKind::$kind != KeyKind::Float && self.s == "-0";
            match self.s.parse::<$t>() {
                Ok(n) if !minus_zero_integer => visitor.$visit(n),
                _ => Err(de::Error::invalid_type(Unexpected::Str(self.s), &visitor)),
            }
        }
    )*};
}

impl<'de, 'p, S: Source<'p, 'de>> Deserializer<'de> for Key<'_, 'p, S> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.source.borrow(self.s) {
            Some(borrowed) => visitor.visit_borrowed_str(borrowed),
            None => visitor.visit_str(self.s),
        }
    }

    #[inline]
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.fields {
            visitor.visit_str(self.s)
        } else {
            self.deserialize_any(visitor)
        }
    }

    /// As [`TapeDeserializer`]'s: an owned string is not borrowed first.
    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.s)
    }

    key_from_str! {
        deserialize_u8 => visit_u8: u8, Integer;
        deserialize_u16 => visit_u16: u16, Integer;
        deserialize_u32 => visit_u32: u32, Integer;
        deserialize_u64 => visit_u64: u64, Integer;
        deserialize_u128 => visit_u128: u128, WideUnsigned;
        deserialize_i8 => visit_i8: i8, Integer;
        deserialize_i16 => visit_i16: i16, Integer;
        deserialize_i32 => visit_i32: i32, Integer;
        deserialize_i64 => visit_i64: i64, Integer;
        deserialize_i128 => visit_i128: i128, Wide;
        deserialize_f32 => visit_f32: f32, Float;
        deserialize_f64 => visit_f64: f64, Float;
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.s {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(de::Error::invalid_type(Unexpected::Str(self.s), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.s.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        char str bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        ignored_any
    }
}

/// An enum written as an object of one member: `{"Variant": content}`.
struct Variant<'a, 't, 'p, S> {
    de: &'a mut TapeDeserializer<'t, 'p, S>,
}

impl<'de, 'p, S: Source<'p, 'de>> EnumAccess<'de> for Variant<'_, '_, 'p, S> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), Error> {
        match self.de.next()? {
            Node::String(name) => Ok((seed.deserialize(self.de.key(name, false))?, self)),
            other => Err(unexpected(other, &"a variant name")),
        }
    }
}

variant_access!(['de, 'p, S] Variant<'_, '_, 'p, S> where S: Source<'p, 'de>);
