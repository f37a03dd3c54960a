//! The DOM flavours: owned, borrowed, and the tape.

use simd_json::{Node, ObjectHasher, StaticNode, Tape};

/// An owned JSON value (simd-json's `OwnedValue`): keeps its strings, outlives the parser.
pub type Value = simd_json::OwnedValue;

/// A JSON value whose strings borrow from the parser's buffer (simd-json's `BorrowedValue`).
pub type BorrowedValue<'p> = simd_json::BorrowedValue<'p>;

/// Builds an owned value straight from a tape (one pass; not through a `BorrowedValue`).
pub(crate) fn owned_from_tape(nodes: &[Node<'_>]) -> Value {
    let mut idx = 0;
    build(nodes, &mut idx)
}

fn build(nodes: &[Node<'_>], idx: &mut usize) -> Value {
    let Some(&node) = nodes.get(*idx) else {
        return Value::Static(StaticNode::Null);
    };
    *idx += 1;
    match node {
        Node::String(s) => Value::String(s.to_owned()),
        Node::Static(s) => Value::Static(s),
        Node::Array { len, .. } => {
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(build(nodes, idx));
            }
            Value::Array(Box::new(items))
        }
        Node::Object { len, .. } => {
            let mut members =
                simd_json::owned::Object::with_capacity_and_hasher(len, ObjectHasher::default());
            for _ in 0..len {
                let key = match nodes.get(*idx) {
                    Some(Node::String(key)) => (*key).to_owned(),
                    _ => String::new(),
                };
                *idx += 1;
                let value = build(nodes, idx);
                // `insert`, not an unchecked push: a repeated key keeps its last value, as
                // every other reader of this crate does.
                members.insert(key, value);
            }
            Value::Object(Box::new(members))
        }
    }
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
