//! The DOM flavours: owned, borrowed, and the tape.

use serde_json::{Map, Number};
use simd_json::{Node, StaticNode, Tape};

/// An owned JSON value: serde_json's own `Value`, so that indexing (`v["missing"]` is
/// `Null`), `Display` (JSON), `to_string`, key order (sorted; insertion order with the
/// `preserve_order` feature, serde_json's), `json!`, `to_value` and `from_value` are exactly
/// serde_json's. Built straight from simd-json's tape.
pub type Value = serde_json::Value;

/// A JSON value whose strings borrow from the parser's buffer (simd-json's `BorrowedValue`).
pub type BorrowedValue<'p> = simd_json::BorrowedValue<'p>;

/// Builds a [`Value`] straight from a tape (one pass). `-0` (the tape's `I64(0)`, which only
/// `-0` produces) becomes the float `-0.0`, as in serde_json; a repeated key keeps its last
/// value, as in serde_json.
///
/// Recursive for the first [`RECURSION_LIMIT`] levels, iterative below that, with its own
/// stack of open containers, so that nesting costs heap, not thread stack.
pub(crate) fn owned_from_tape(nodes: &[Node<'_>]) -> Value {
    build(nodes, &mut 0, 0)
}

/// Levels built by recursion before the iterative walk takes over: a few tens of KiB of stack.
const RECURSION_LIMIT: usize = 64;

/// A scalar node as a value.
#[inline]
fn scalar(node: StaticNode) -> Value {
    match node {
        StaticNode::Null => Value::Null,
        StaticNode::Bool(b) => Value::Bool(b),
        StaticNode::U64(n) => Value::Number(n.into()),
        // `-0`, see `owned_from_tape`.
        StaticNode::I64(0) => Value::Number(Number::from_f64(-0.0).expect("finite")),
        StaticNode::I64(n) => Value::Number(n.into()),
        // A JSON number is always finite; `Null` is what serde_json makes of a non-finite one.
        StaticNode::F64(x) => Number::from_f64(x).map_or(Value::Null, Value::Number),
    }
}

fn build(nodes: &[Node<'_>], idx: &mut usize, depth: usize) -> Value {
    if depth == RECURSION_LIMIT {
        return build_deep(nodes, idx);
    }
    let Some(&node) = nodes.get(*idx) else {
        return Value::Null;
    };
    *idx += 1;
    match node {
        Node::String(s) => Value::String(s.to_owned()),
        Node::Static(s) => scalar(s),
        Node::Array { len, .. } => {
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(build(nodes, idx, depth + 1));
            }
            Value::Array(items)
        }
        Node::Object { len, .. } => {
            let mut members = Map::new();
            for _ in 0..len {
                let key = object_key(nodes, idx);
                let value = build(nodes, idx, depth + 1);
                // A repeated key keeps its last value, as in serde_json.
                members.insert(key, value);
            }
            Value::Object(members)
        }
    }
}

/// The subtree at `idx`, built without recursion.
fn build_deep(nodes: &[Node<'_>], idx: &mut usize) -> Value {
    /// A container being filled: its items so far, and how many are still to come.
    enum Open {
        Array(Vec<Value>, usize),
        Object(Map<String, Value>, usize, String),
    }
    let mut open: Vec<Open> = Vec::new();
    loop {
        // The next value: a scalar, or an empty container, or a container to open.
        let mut value = match nodes.get(*idx) {
            None => Value::Null,
            Some(&Node::String(s)) => Value::String(s.to_owned()),
            Some(&Node::Static(s)) => scalar(s),
            Some(&Node::Array { len, .. }) => {
                if len > 0 {
                    *idx += 1;
                    open.push(Open::Array(Vec::with_capacity(len), len));
                    continue;
                }
                Value::Array(Vec::new())
            }
            Some(&Node::Object { len, .. }) => {
                if len > 0 {
                    *idx += 1;
                    let key = object_key(nodes, idx);
                    open.push(Open::Object(Map::new(), len, key));
                    continue;
                }
                Value::Object(Map::new())
            }
        };
        *idx += 1;
        // Put it into its parent, closing every container it completes.
        loop {
            match open.last_mut() {
                None => return value,
                Some(Open::Array(items, left)) => {
                    items.push(value);
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                }
                Some(Open::Object(members, left, key)) => {
                    members.insert(std::mem::take(key), value);
                    *left -= 1;
                    if *left > 0 {
                        *key = object_key(nodes, idx);
                        break;
                    }
                }
            }
            value = match open.pop() {
                Some(Open::Array(items, _)) => Value::Array(items),
                Some(Open::Object(members, ..)) => Value::Object(members),
                None => unreachable!("a container was just filled"),
            };
        }
    }
}

/// The key at `idx` (always a string on the tape of a valid document), moving past it.
fn object_key(nodes: &[Node<'_>], idx: &mut usize) -> String {
    let key = match nodes.get(*idx) {
        Some(Node::String(key)) => (*key).to_owned(),
        _ => String::new(),
    };
    *idx += 1;
    key
}

/// A read-only view of one node of a [`Document`] (simd-json's tape value). Read it with the
/// [`prelude`](crate::prelude) traits: `get`, `get_idx`, `as_str`, `as_u64`, `as_array`, ...
pub type TapeValue<'t, 'p> = simd_json::value::tape::Value<'t, 'p>;

/// A parsed document as simd-json's tape: a flat array of nodes, read in place, with no
/// allocation per value. It borrows the [`Parser`](crate::Parser) and gives the tape's
/// allocation back to it when dropped.
///
/// # Examples
/// ```
/// use perfkit_json::Parser;
/// use perfkit_json::prelude::*;
///
/// let mut parser = Parser::new();
/// let doc = parser.parse_document(br#"{"user": {"name": "ada", "id": 36}, "tags": [1, 2]}"#)?;
/// let user = doc.root().get("user").expect("a user");
/// let name = user.get("name").expect("a name");
/// assert_eq!(name.as_str(), Some("ada"));
/// assert_eq!(user.get("id").and_then(|id| id.as_u64()), Some(36));
/// assert_eq!(doc.to_value()["tags"][1], 2);
/// # Ok::<(), perfkit_json::Error>(())
/// ```
pub struct Document<'p> {
    tape: Tape<'p>,
    home: &'p mut Tape<'static>,
}

impl<'p> Document<'p> {
    pub(crate) fn new(tape: Tape<'p>, home: &'p mut Tape<'static>) -> Self {
        Self { tape, home }
    }

    /// The root value.
    #[must_use]
    pub fn root(&self) -> TapeValue<'_, 'p> {
        self.tape.as_value()
    }

    /// The whole document as a [`BorrowedValue`].
    #[must_use]
    pub fn to_borrowed(&self) -> BorrowedValue<'p> {
        simd_json::value::lazy::Value::from_tape(self.root()).into_value()
    }

    /// The whole document as an owned [`Value`].
    #[must_use]
    pub fn to_value(&self) -> Value {
        owned_from_tape(&self.tape.0)
    }

    /// The number of nodes on the tape (values, keys excepted, plus one per container).
    #[must_use]
    pub fn len(&self) -> usize {
        self.tape.0.len()
    }

    /// Whether the tape is empty (never, for a parsed document).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tape.0.is_empty()
    }
}

impl Drop for Document<'_> {
    fn drop(&mut self) {
        let tape = std::mem::replace(&mut self.tape, Tape(Vec::new()));
        *self.home = tape.reset();
    }
}

impl std::fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("nodes", &self.len())
            .finish()
    }
}
