use std::fmt;
use std::io;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not valid JSON (including invalid UTF-8 and trailing data).
    Syntax,
    /// The input ended in the middle of a value.
    Eof,
    /// The JSON is valid but does not fit the requested type (a missing field, a string where
    /// a number was expected, an integer out of range).
    Data,
    /// Objects and arrays nest deeper than the parser's
    /// [`max_depth`](crate::ParserBuilder::max_depth).
    DepthLimit,
    /// The input (or an NDJSON line) is longer than the configured limit.
    SizeLimit,
    /// Reading or writing failed.
    Io,
}

/// A JSON error: what went wrong and where.
///
/// Syntax errors carry the byte offset of the offending character, and the 1-based line and
/// column computed from it; data errors (the JSON does not fit the type) carry the line and
/// column where they are known. Errors from an [`NdjsonReader`](crate::NdjsonReader) carry the
/// line number in the stream. `Display` puts it all in one line:
///
/// ```
/// let err = perfkit_json::from_slice::<Vec<u32>>(b"[1,\n 2,, 3]").unwrap_err();
/// assert_eq!(err.kind(), perfkit_json::ErrorKind::Syntax);
/// assert_eq!((err.line(), err.column()), (Some(2), Some(4)));
/// assert_eq!(err.offset(), Some(7));
/// assert!(err.to_string().contains("line 2 column 4"), "{err}");
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    offset: Option<usize>,
    line: Option<u64>,
    column: Option<u64>,
    io: Option<io::Error>,
}

impl ErrorKind {
    /// Our kind for serde_json's category; `None` for I/O, whose error is kept whole.
    pub(crate) fn of(category: serde_json::error::Category) -> Option<Self> {
        use serde_json::error::Category;
        match category {
            Category::Io => None,
            Category::Syntax => Some(Self::Syntax),
            Category::Eof => Some(Self::Eof),
            Category::Data => Some(Self::Data),
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                offset: None,
                line: None,
                column: None,
                io: None,
            }),
        }
    }

    /// An error at byte `offset` of `input`, with its line and column.
    pub(crate) fn at(
        kind: ErrorKind,
        message: impl Into<String>,
        input: &[u8],
        offset: usize,
    ) -> Self {
        let mut err = Self::new(kind, message);
        err.set_offset(input, offset);
        err
    }

    pub(crate) fn set_offset(&mut self, input: &[u8], offset: usize) {
        let offset = offset.min(input.len());
        let before = &input[..offset];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        // Columns count bytes, as serde_json's do.
        let column = (offset - line_start) as u64 + 1;
        self.inner.offset = Some(offset);
        self.inner.line = Some(line);
        self.inner.column = Some(column);
    }

    pub(crate) fn set_offset_only(&mut self, offset: usize) {
        self.inner.offset = Some(offset);
    }

    pub(crate) fn set_line_column(&mut self, line: u64, column: u64) {
        self.inner.line = Some(line);
        self.inner.column = Some(column);
    }

    /// Re-bases an error from one NDJSON record onto the stream: `line` is the record's line
    /// number; the column stays the column within that line.
    pub(crate) fn in_line(mut self, line: u64) -> Self {
        if self.inner.line.is_some_and(|l| l > 1) {
            // A record is one line, so an error inside it is on line 1 of the record.
            self.inner.column = None;
        }
        self.inner.line = Some(line);
        self.inner.offset = None;
        self
    }

    /// serde_json's error, for the calls that are serde_json's (`to_value`, `from_value`):
    /// its classification and message, no position (a `Value` has none).
    pub(crate) fn from_serde_json(error: serde_json::Error) -> Self {
        match ErrorKind::of(error.classify()) {
            Some(kind) => Self::new(kind, error.to_string()),
            None => Self::io(error.into()),
        }
    }

    pub(crate) fn io(error: io::Error) -> Self {
        let mut err = Self::new(ErrorKind::Io, error.to_string());
        err.inner.io = Some(error);
        err
    }

    /// What kind of error this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The byte offset in the input where the error was found, if known.
    #[must_use]
    pub fn offset(&self) -> Option<usize> {
        self.inner.offset
    }

    /// The 1-based line of the error, if known (for NDJSON, the line in the stream).
    #[must_use]
    pub fn line(&self) -> Option<u64> {
        self.inner.line
    }

    /// The 1-based column of the error in its line, counted in bytes as serde_json counts it,
    /// if known.
    #[must_use]
    pub fn column(&self) -> Option<u64> {
        self.inner.column
    }

    /// serde_json's classification of this error, so that code written against
    /// `serde_json::Error::classify` works unchanged: `Eof` for input that ended early,
    /// `Syntax` for other malformed input and for our nesting and size limits (serde_json's
    /// only limit, its recursion limit, is a syntax error too), `Data` for valid JSON that
    /// does not fit the type, `Io` for read errors.
    #[must_use]
    pub fn classify(&self) -> serde_json::error::Category {
        use serde_json::error::Category;
        match self.inner.kind {
            ErrorKind::Syntax | ErrorKind::DepthLimit | ErrorKind::SizeLimit => Category::Syntax,
            ErrorKind::Eof => Category::Eof,
            ErrorKind::Data => Category::Data,
            ErrorKind::Io => Category::Io,
        }
    }

    /// Whether this is a syntax error: malformed input (not one that ended early, which is
    /// [`is_eof`](Self::is_eof)), or a limit; as serde_json's `is_syntax`.
    #[must_use]
    pub fn is_syntax(&self) -> bool {
        self.classify() == serde_json::error::Category::Syntax
    }

    /// Whether the input ended before the JSON did (as serde_json's `is_eof`).
    #[must_use]
    pub fn is_eof(&self) -> bool {
        self.inner.kind == ErrorKind::Eof
    }

    /// Whether the JSON was valid but did not fit the requested type.
    #[must_use]
    pub fn is_data(&self) -> bool {
        self.inner.kind == ErrorKind::Data
    }

    /// Whether reading the input failed (as serde_json's `is_io`).
    #[must_use]
    pub fn is_io(&self) -> bool {
        self.inner.kind == ErrorKind::Io
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.write_str(&inner.message)?;
        match (inner.line, inner.column) {
            (Some(line), Some(column)) => write!(f, " at line {line} column {column}")?,
            (Some(line), None) => write!(f, " at line {line}")?,
            _ => {}
        }
        if let Some(offset) = inner.offset {
            write!(f, " (byte {offset})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("offset", &self.inner.offset)
            .field("line", &self.inner.line)
            .field("column", &self.inner.column)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .io
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Self::io(error)
    }
}

impl From<Error> for io::Error {
    /// I/O errors come back as they were; syntax and data errors become `InvalidData`, end
    /// of input `UnexpectedEof`, as `serde_json` does.
    fn from(error: Error) -> Self {
        let kind = match error.inner.kind {
            ErrorKind::Eof => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        let mut inner = error.inner;
        match inner.io.take() {
            Some(io) => io,
            None => io::Error::new(kind, Error { inner }),
        }
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(ErrorKind::Data, msg.to_string())
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(ErrorKind::Data, msg.to_string())
    }
}

/// A type-safe check used by the crate's tests: `Error` is `Send + Sync + 'static`.
const _: fn() = || {
    fn is<T: Send + Sync + 'static>() {}
    is::<Error>();
};
