use std::io::Read;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use simd_json::{Buffers, ErrorType, INPUT_PADDING, Node, Tape};

use crate::de::{Copied, InPlace, TapeDeserializer};
use crate::error::{Error, ErrorKind};
use crate::value::{BorrowedValue, Document, Value, owned_from_tape};

/// Objects and arrays may nest this deep by default: any document up to this depth parses.
pub const DEFAULT_MAX_DEPTH: usize = 1024;
/// The deepest [`max_depth`](ParserBuilder::max_depth) a parser accepts: 1024, the default.
///
/// Building an owned [`Value`] uses no thread stack per level, but deserializing into a type
/// recurses once per level (serde's design), and so does dropping a nested [`Value`]. At this
/// depth every entry point, `parse::<serde_json::Value>` included, is tested on a thread with
/// a 2 MiB stack (std's default for spawned threads) in a debug build (8 MiB under
/// AddressSanitizer, whose redzones about triple each frame); twice as deep already
/// overflowed it there. A limit the stack could not honour would turn a hostile document into
/// a crash of the process, so a deeper limit is refused rather than promised.
pub const MAX_DEPTH: usize = 1024;
/// The longest input accepted by default: 256 MiB.
pub const DEFAULT_MAX_INPUT: usize = 256 << 20;
/// Typed parses and [`Value`]s of inputs this long or longer are read by the streaming
/// engine, shorter ones by simd-json's tape: by default 0, every input is streamed (it is the
/// faster engine on every bench file, and the one with bounded memory). See
/// [`ParserBuilder::stream_from`]. (A build with `--cfg perfkit_json_tape` puts every input
/// through the tape by default: CI runs the whole test suite so, once per engine.)
pub const DEFAULT_STREAM_FROM: usize = if cfg!(perfkit_json_tape) {
    usize::MAX
} else {
    0
};
/// A parser keeps its buffers after parsing inputs up to this size (4 MiB) and frees them
/// after a larger one, so one huge request does not pin its memory for the thread's life.
pub const DEFAULT_RETAIN_INPUT: usize = 4 << 20;

/// A reusable JSON parser: simd-json's buffers, a padded copy of the input, and the tape, all
/// kept between calls so that a warm parse allocates only what the result itself needs.
///
/// [`from_slice`](crate::from_slice) uses one per thread; hold a `Parser` yourself to avoid the
/// thread-local, to set limits, or to parse into a DOM that borrows from the parser.
///
/// # Examples
/// ```
/// use serde::Deserialize;
/// use perfkit_json::Parser;
///
/// #[derive(Deserialize)]
/// struct Event { id: u64, tags: Vec<String> }
///
/// let mut parser = Parser::builder().max_depth(64).max_input(1 << 20).build();
/// let event: Event = parser.parse(br#"{"id": 7, "tags": ["a", "b"], "ignored": {"x": 1}}"#)?;
/// assert_eq!((event.id, event.tags.len()), (7, 2));
///
/// let too_deep = parser.parse_value(&[b'['; 100]).unwrap_err();
/// assert_eq!(too_deep.kind(), perfkit_json::ErrorKind::DepthLimit);
/// # Ok::<(), perfkit_json::Error>(())
/// ```
pub struct Parser {
    /// The input copied with `INPUT_PADDING` bytes after it (simd-json reads past the end).
    scratch: Vec<u8>,
    /// Where `parse_reader` reads its input.
    read_buf: Vec<u8>,
    buffers: Buffers,
    /// Always empty between calls: only its allocation is kept.
    tape: Tape<'static>,
    max_depth: usize,
    max_input: usize,
    retain_input: usize,
    stream_from: usize,
}

/// Builds a [`Parser`] with limits other than the defaults.
#[derive(Clone, Debug)]
#[must_use]
pub struct ParserBuilder {
    max_depth: usize,
    max_input: usize,
    retain_input: usize,
    stream_from: usize,
}

impl Default for ParserBuilder {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            max_input: DEFAULT_MAX_INPUT,
            retain_input: DEFAULT_RETAIN_INPUT,
            stream_from: DEFAULT_STREAM_FROM,
        }
    }
}

impl ParserBuilder {
    /// The deepest nesting of objects and arrays accepted (default and most: [`MAX_DEPTH`],
    /// 1024; serde_json's default is 128). A deeper document is an [`ErrorKind::DepthLimit`]
    /// error. 0 is taken as 1.
    ///
    /// # Panics
    /// If `depth` is over [`MAX_DEPTH`]: deeper documents could overflow the thread's stack
    /// while being deserialized or dropped (see there), which aborts the process.
    pub fn max_depth(mut self, depth: usize) -> Self {
        assert!(
            depth <= MAX_DEPTH,
            "perfkit_json: max_depth({depth}) is over MAX_DEPTH ({MAX_DEPTH}): deserializing or \
             dropping a document that deep could overflow the thread stack"
        );
        self.max_depth = depth.max(1);
        self
    }

    /// The longest input accepted, in bytes (default 256 MiB; simd-json itself stops at
    /// 4 GiB). A longer input is an [`ErrorKind::SizeLimit`] error before any work is done.
    pub fn max_input(mut self, bytes: usize) -> Self {
        self.max_input = bytes;
        self
    }

    /// Keep the parser's buffers after inputs up to this size (default 4 MiB); after a larger
    /// input they are freed. The buffers take about five times the input.
    pub fn retain_input(mut self, bytes: usize) -> Self {
        self.retain_input = bytes;
        self
    }

    /// Typed parses ([`Parser::parse`], [`from_slice`](crate::from_slice), ...) and
    /// [`Parser::parse_value`] of inputs of at least `bytes` (default 0: every input) are read
    /// by the streaming engine, in one pass over the input with no copy, tape or index: its
    /// working memory is the longest string with escapes. Shorter inputs go through
    /// simd-json's tape, which holds about five times the input (up to fifteen for hostile
    /// ones, such as `[0,0,0,...]`) and was the slower engine on every bench file (typed,
    /// few fields and DOM, twitter, citm and canada) except a few fields of twitter.json,
    /// where the two are level. `usize::MAX` never streams. Both engines give the same values
    /// and errors (except where [`parse_value`](Parser::parse_value) says).
    pub fn stream_from(mut self, bytes: usize) -> Self {
        self.stream_from = bytes;
        self
    }

    /// The parser.
    #[must_use]
    pub fn build(self) -> Parser {
        Parser {
            scratch: Vec::new(),
            read_buf: Vec::new(),
            buffers: Buffers::with_max_depth(0, self.max_depth),
            tape: Tape(Vec::new()),
            max_depth: self.max_depth,
            max_input: self.max_input,
            retain_input: self.retain_input,
            stream_from: self.stream_from,
        }
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default limits.
    #[must_use]
    pub fn new() -> Self {
        ParserBuilder::default().build()
    }

    /// A builder for the limits: nesting depth, input size, memory kept between calls.
    pub fn builder() -> ParserBuilder {
        ParserBuilder::default()
    }

    /// Parses `input` into a `T`, which may borrow from it as from serde_json's `from_slice`
    /// (see [`from_slice`](crate::from_slice)). The input is not modified: the streaming
    /// engine reads it as it is; the tape engine (inputs under
    /// [`stream_from`](ParserBuilder::stream_from)) copies it into the parser's buffer, which
    /// simd-json parses in place.
    ///
    /// # Errors
    /// A syntax error with its byte offset, line and column; a data error when the JSON does
    /// not fit `T` (with the line and column where it was found); a limit error.
    pub fn parse<'a, T: Deserialize<'a>>(&mut self, input: &'a [u8]) -> Result<T, Error> {
        if input.len() >= self.stream_from {
            return self.stream(input);
        }
        let result = self.with_tape(input, |tape, base| {
            let value = T::deserialize(&mut TapeDeserializer::new(
                &tape.0,
                Copied::new(input, base),
            ));
            (tape, value)
        });
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => serde_json_verdict(e, input),
            // Limits are ours to keep; anything else serde_json might accept (it does not read
            // what `T` ignores: `1e400`, invalid UTF-8 in a skipped string).
            Err(e) if matches!(e.kind(), ErrorKind::Syntax | ErrorKind::Eof) => {
                serde_json_verdict(e, input)
            }
            Err(e) => Err(e),
        }
    }

    /// The streaming engine's parse of `input` (see [`ParserBuilder::stream_from`]); where it
    /// stops, serde_json gives the verdict, as for the tape.
    fn stream<'a, T: Deserialize<'a>>(&mut self, input: &'a [u8]) -> Result<T, Error> {
        self.stream_fast(input).or_else(|e| match e.kind() {
            ErrorKind::DepthLimit | ErrorKind::SizeLimit => Err(e),
            _ => serde_json_verdict(e, input),
        })
    }

    /// The streaming engine alone: its own error where it stops (a limit error, or a
    /// placeless syntax error for serde_json to replace).
    fn stream_fast<'a, T: Deserialize<'a>>(&mut self, input: &'a [u8]) -> Result<T, Error> {
        self.check_len(input.len())?;
        let result = crate::direct::from_slice(input, &mut self.scratch, self.max_depth);
        if self.scratch.capacity() > self.retain_input {
            self.scratch = Vec::new();
        }
        result
    }

    /// Reads `reader` to the end into the parser's reused read buffer and parses it into a `T`.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), plus read errors and [`ErrorKind::SizeLimit`] when the input
    /// is longer than [`max_input`](ParserBuilder::max_input) (reading stops there).
    pub fn parse_reader<T: DeserializeOwned>(&mut self, reader: impl Read) -> Result<T, Error> {
        let mut buf = std::mem::take(&mut self.read_buf);
        buf.clear();
        let limit = u64::try_from(self.max_input)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let result = match reader.take(limit).read_to_end(&mut buf) {
            Ok(_) => self.parse(&buf),
            Err(e) => Err(Error::io(e)),
        };
        if buf.capacity() <= self.retain_input {
            self.read_buf = buf;
        }
        result
    }

    /// Parses `input` into an owned DOM [`Value`].
    ///
    /// # Errors
    /// As [`parse`](Self::parse), without data errors. A rejected input over 1 MiB is placed
    /// by serde_json's skipping read (`IgnoredAny`: no DOM is built to say where a truncated
    /// 100 MB body ends); on the tape engine that read's verdict stands, so there a lone
    /// surrogate or a number beyond `f64`, which it does not check, is placed where our parse
    /// stopped, not where serde_json's `Value` would.
    pub fn parse_value(&mut self, input: &[u8]) -> Result<Value, Error> {
        if input.len() >= self.stream_from {
            // A rejected body over 1 MiB is placed by serde_json's skipping read (no DOM built
            // to say where a truncated 100 MB body ends), as the tape's; only where that accepts (a lone
            // surrogate, a number beyond f64) does serde_json build its `Value` for the verdict.
            return self.stream_fast::<Value>(input).or_else(|e| {
                if matches!(e.kind(), ErrorKind::DepthLimit | ErrorKind::SizeLimit) {
                    return Err(e);
                }
                if input.len() <= VALUE_RECHECK {
                    return serde_json_verdict(e, input);
                }
                match serde_json::from_slice::<serde::de::IgnoredAny>(input) {
                    Err(theirs) => Err(like_serde_json(e, &theirs, input)),
                    Ok(_) => serde_json_verdict(e, input),
                }
            });
        }
        self.with_tape(input, |tape, _| {
            let value = owned_from_tape(&tape.0);
            (tape, value)
        })
        .map_err(|e| located_by_serde_json(e, input))
    }

    /// Parses `input` into a [`BorrowedValue`] whose strings borrow from the parser's buffer
    /// (no allocation per string): faster than [`parse_value`](Self::parse_value) when the
    /// value does not outlive the next call.
    ///
    /// # Errors
    /// As [`parse_value`](Self::parse_value).
    pub fn parse_borrowed(&mut self, input: &[u8]) -> Result<BorrowedValue<'_>, Error> {
        Ok(self.parse_document(input)?.to_borrowed())
    }

    /// Parses `input` into a [`Document`]: simd-json's tape, a flat array of nodes read in
    /// place, with no allocation per value at all. The fastest DOM, for reading a few values
    /// out of a document; convert parts with [`Document::to_value`] to keep them.
    ///
    /// # Errors
    /// As [`parse_value`](Self::parse_value).
    pub fn parse_document(&mut self, input: &[u8]) -> Result<Document<'_>, Error> {
        self.prepare(input)?;
        let Self {
            scratch,
            buffers,
            tape: home,
            ..
        } = self;
        let (tape, _) =
            fill(scratch, buffers, home, input).map_err(|e| located_by_serde_json(e, input))?;
        Ok(Document::new(tape, home))
    }

    /// Parses `input` in place, modifying it (strings are unescaped where they are), into a `T`
    /// that may borrow strings from it: zero copy.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), except that the input has been changed, so serde_json cannot
    /// be asked: the kind and offset are simd-json's (truncated input may be a syntax error
    /// rather than `Eof`), and no error carries a line or column.
    pub fn parse_in_place<'a, T: Deserialize<'a>>(
        &mut self,
        input: &'a mut [u8],
    ) -> Result<T, Error> {
        self.check_len(input.len())?;
        let mut tape = std::mem::replace(&mut self.tape, Tape(Vec::new())).reset();
        let len = input.len();
        let filled = simd_json::fill_tape(input, &mut self.buffers, &mut tape);
        let result = match filled {
            Ok(()) => T::deserialize(&mut TapeDeserializer::new(&tape.0, InPlace)),
            // The input may be partly rewritten by now (strings unescaped in place): the byte
            // offset is exact, a line and column counted in it would not be.
            Err(e) => Err(syntax_error(&e, Unknown(len))),
        };
        self.tape = tape.reset();
        result
    }

    fn check_len(&self, len: usize) -> Result<(), Error> {
        if len > self.max_input {
            return Err(Error::new(
                ErrorKind::SizeLimit,
                format!(
                    "input of {len} bytes is over the limit of {} bytes",
                    self.max_input
                ),
            ));
        }
        Ok(())
    }

    /// Checks the size limit, and frees the buffers before an input larger than they keep.
    /// Frees the buffers before an input larger than they keep, and buffers a previous call
    /// could not free (a `Document` or `BorrowedValue` of a large input borrowed them).
    fn prepare(&mut self, input: &[u8]) -> Result<(), Error> {
        self.check_len(input.len())?;
        if input.len() > self.retain_input || self.scratch.len() > self.retain_input + INPUT_PADDING
        {
            self.release();
        }
        Ok(())
    }

    /// Runs `f` over the tape of `input` and the address of the copy it was parsed in; `f`
    /// hands the tape back so its allocation is reused.
    fn with_tape<R>(
        &mut self,
        input: &[u8],
        f: impl for<'t> FnOnce(Tape<'t>, usize) -> (Tape<'t>, R),
    ) -> Result<R, Error> {
        self.prepare(input)?;
        let (tape, base) = fill(&mut self.scratch, &mut self.buffers, &mut self.tape, input)?;
        let (tape, result) = f(tape, base);
        self.tape = tape.reset();
        if input.len() > self.retain_input {
            self.release();
        }
        Ok(result)
    }

    /// Frees the buffers (after an input larger than `retain_input`).
    fn release(&mut self) {
        self.scratch = Vec::new();
        self.buffers = Buffers::with_max_depth(0, self.max_depth);
        self.tape = Tape(Vec::new());
    }
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("max_depth", &self.max_depth)
            .field("max_input", &self.max_input)
            .field("retain_input", &self.retain_input)
            .field("stream_from", &self.stream_from)
            .field("buffered", &self.scratch.capacity())
            .finish_non_exhaustive()
    }
}

/// Copies `input` into the padded `scratch` buffer and runs simd-json's two stages over it,
/// on the tape allocation kept in `home`; the tape comes back with the copy's address.
fn fill<'s>(
    scratch: &'s mut Vec<u8>,
    buffers: &mut Buffers,
    home: &mut Tape<'static>,
    input: &[u8],
) -> Result<(Tape<'s>, usize), Error> {
    scratch.clear();
    scratch.reserve(input.len() + INPUT_PADDING);
    scratch.extend_from_slice(input);
    scratch.resize(input.len() + INPUT_PADDING, 0);
    let base = scratch.as_ptr() as usize;
    let mut tape = std::mem::replace(home, Tape(Vec::new())).reset();
    match simd_json::fill_tape_padded(scratch, input.len(), buffers, &mut tape) {
        Ok(()) => Ok((tape, base)),
        Err(e) => {
            *home = tape.reset();
            Err(syntax_error(&e, Known(input)))
        }
    }
}

/// The input an error's offset refers to: known (line and column can be counted), or changed
/// by an in-place parse (only its length is known).
pub(crate) enum Input<'a> {
    Known(&'a [u8]),
    Unknown(usize),
}

use Input::{Known, Unknown};

/// An error from simd-json's parse (stages 1 and 2): its index is a byte offset in the input.
/// (The copying entry points then ask serde_json, whose place replaces this one: the typed
/// ones in [`serde_json_verdict`], the DOM ones in [`located_by_serde_json`]; in place, it
/// cannot be asked.)
/// A number error points at the number's first byte (simd-json's index is where it stopped
/// reading it, which may be past the end of the input).
pub(crate) fn syntax_error(e: &simd_json::Error, input: Input<'_>) -> Error {
    let (kind, what) = describe(e.error());
    let number = matches!(
        e.error(),
        ErrorType::InvalidNumber | ErrorType::InvalidExponent | ErrorType::Overflow
    );
    let message = match e.character() {
        Some(c) if kind == ErrorKind::Syntax && !number => format!("{what}: found {c:?}"),
        _ => what.into_owned(),
    };
    match input {
        Known(bytes) => {
            let mut index = e.index().min(bytes.len());
            if number {
                index = number_start(bytes, index);
            }
            Error::at(kind, message, bytes, index)
        }
        Unknown(len) => {
            let mut err = Error::new(kind, message);
            err.set_offset_only(e.index().min(len));
            err
        }
    }
}

/// The first byte of the number that the byte at `index` (or just before it) belongs to.
fn number_start(input: &[u8], index: usize) -> usize {
    let is_number_byte = |b: &u8| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E');
    let end = if input.get(index).is_some_and(is_number_byte) {
        index
    } else {
        index.saturating_sub(1)
    };
    let run = input[..end.min(input.len())]
        .iter()
        .rev()
        .take_while(|b| is_number_byte(b))
        .count();
    end - run
}

/// The verdict of the slow, exact path when the fast one failed in a way serde_json may not:
/// a data error (our deserializer and serde_json's should agree; where they do not, serde_json
/// is the reference a drop-in follows: an integer beyond 64 bits into a `u128` or `i128`,
/// which the tape holds as a float), or a syntax error in a part of the input `T` ignores,
/// which serde_json skips without reading it (`1e400`, invalid UTF-8 inside a string).
/// serde_json's value is returned when it accepts. When it rejects too, its error is the one
/// a serde_json user expects: the same kind (`Eof` for truncated input, where simd-json often
/// reports a syntax error), message, line and column (serde_json counts a column in bytes),
/// and the byte offset they point at, even where its kind differs from ours. Our own error
/// stands where it is one of our limits or serde_json stopped at its recursion limit (128).
/// This runs only when the fast path failed, so its cost is paid by bad or unusual input only.
fn serde_json_verdict<'a, T: Deserialize<'a>>(err: Error, input: &'a [u8]) -> Result<T, Error> {
    match serde_json::from_slice::<T>(input) {
        Ok(value) => Ok(value),
        Err(theirs) => Err(like_serde_json(err, &theirs, input)),
    }
}

/// A syntax error of a DOM parse, as serde_json reports it (see [`serde_json_verdict`], its
/// twin for typed parses, which asks serde_json for the `T` itself): the
/// DOM a serde_json user compares with is its `Value`, so up to [`VALUE_RECHECK`] bytes that is
/// what it parses (`IgnoredAny` does not check what it skips: a lone surrogate, a number
/// beyond f64). Larger inputs are re-read with `IgnoredAny`, which allocates nothing: a
/// truncated 100 MB body must not build a 100 MB DOM to say where it ends. Where serde_json
/// accepts what simd-json refused, our error stands.
fn located_by_serde_json(err: Error, input: &[u8]) -> Error {
    if !matches!(err.kind(), ErrorKind::Syntax | ErrorKind::Eof) {
        return err;
    }
    let theirs = if input.len() <= VALUE_RECHECK {
        serde_json::from_slice::<serde_json::Value>(input).err()
    } else {
        serde_json::from_slice::<serde::de::IgnoredAny>(input).err()
    };
    match theirs {
        None => err,
        Some(theirs) => like_serde_json(err, &theirs, input),
    }
}

/// Rejected inputs up to this size are re-read into a `serde_json::Value` to place the error.
const VALUE_RECHECK: usize = 1 << 20;

/// `theirs` in our type, unless `ours` is one of our limits (or a read error), which stand
/// (see [`serde_json_verdict`]). serde_json's wins even where the kinds differ: it reads a
/// value before what follows it, so `{"a":1} x` into a struct lacking `a`'s sibling is its
/// "missing field" (data), where our tape stage saw the trailing `x` (syntax) first.
fn like_serde_json(ours: Error, theirs: &serde_json::Error, input: &[u8]) -> Error {
    if !matches!(
        ours.kind(),
        ErrorKind::Syntax | ErrorKind::Eof | ErrorKind::Data
    ) {
        return ours;
    }
    let Some(kind) = ErrorKind::of(theirs.classify()) else {
        return ours;
    };
    let full = theirs.to_string();
    if full.starts_with("recursion limit exceeded") {
        return ours;
    }
    let suffix = format!(" at line {} column {}", theirs.line(), theirs.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let mut located = Error::new(kind, message);
    let offset = if kind == ErrorKind::Eof {
        Some(input.len())
    } else {
        offset_of(input, theirs.line(), theirs.column())
    };
    if let Some(offset) = offset {
        located.set_offset_only(offset);
    }
    located.set_line_column(theirs.line() as u64, theirs.column() as u64);
    located
}

/// The byte serde_json's 1-based line and byte column blame: its position is just past the byte
/// it stopped at (the column counts the bytes of the line read so far; column 0 of a line is
/// the newline before it).
fn offset_of(input: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let line_start = if line == 1 {
        0
    } else {
        input
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    Some((line_start + column).saturating_sub(1).min(input.len()))
}

/// A readable description of simd-json's error types, and our kind for each.
fn describe(t: &ErrorType) -> (ErrorKind, std::borrow::Cow<'static, str>) {
    use ErrorKind::{Data, DepthLimit, Eof, SizeLimit, Syntax};
    let (kind, what): (ErrorKind, &'static str) = match t {
        ErrorType::Eof => (Eof, "unexpected end of input"),
        ErrorType::DepthLimitExceeded => {
            (DepthLimit, "objects and arrays nest deeper than the limit")
        }
        ErrorType::InputTooLarge => (SizeLimit, "input too large for simd-json (4 GiB)"),
        ErrorType::ExpectedArrayComma => (Syntax, "expected `,` or `]` in an array"),
        ErrorType::ExpectedMapComma => (Syntax, "expected `,` or `}` in an object"),
        ErrorType::ExpectedObjectColon => (Syntax, "expected `:` after an object key"),
        ErrorType::ExpectedMapEnd => (Syntax, "expected `}`"),
        ErrorType::ExpectedObjectKey | ErrorType::KeyMustBeAString => {
            (Syntax, "expected a string key")
        }
        ErrorType::ExpectedArrayContent => (Syntax, "expected a value or `]`"),
        ErrorType::ExpectedObjectContent => (Syntax, "expected a key or `}`"),
        ErrorType::InvalidEscape => (Syntax, "invalid escape in a string"),
        ErrorType::InvalidUnicodeEscape => (Syntax, "invalid \\u escape in a string"),
        ErrorType::InvalidUnicodeCodepoint => {
            (Syntax, "invalid unicode code point (a lone surrogate?)")
        }
        ErrorType::InvalidUtf8 => (Syntax, "invalid UTF-8"),
        ErrorType::InvalidNumber | ErrorType::InvalidExponent => (Syntax, "invalid number"),
        ErrorType::Overflow => (Syntax, "number out of range"),
        ErrorType::UnterminatedString => (Syntax, "unterminated string"),
        ErrorType::TrailingData => (Syntax, "trailing characters after the value"),
        ErrorType::NoStructure => (Syntax, "expected a JSON value"),
        ErrorType::ExpectedTrue | ErrorType::ExpectedFalse | ErrorType::ExpectedNull => {
            (Syntax, "invalid literal (expected true, false or null)")
        }
        ErrorType::UnexpectedCharacter
        | ErrorType::Syntax
        | ErrorType::Parser
        | ErrorType::InternalError => (Syntax, "unexpected character"),
        ErrorType::ExpectedString => (Data, "expected a string"),
        ErrorType::ExpectedNumber | ErrorType::ExpectedFloat => (Data, "expected a number"),
        ErrorType::ExpectedInteger | ErrorType::ExpectedSigned => (Data, "expected an integer"),
        ErrorType::ExpectedUnsigned => (Data, "expected an unsigned integer"),
        ErrorType::ExpectedBoolean => (Data, "expected a boolean"),
        ErrorType::ExpectedArray => (Data, "expected an array"),
        ErrorType::ExpectedMap => (Data, "expected an object"),
        ErrorType::ExpectedEnum => (Data, "expected an enum"),
        ErrorType::BadKeyType => (Data, "object key of an unsupported type"),
        other => return (Syntax, format!("{other:?}").into()),
    };
    (kind, what.into())
}

/// `Node` is `Copy` and holds no resources, so a cleared tape can change lifetime freely;
/// simd-json's `Tape::reset` does it, and this documents why that is sound to rely on.
const _: fn(Node<'static>) = |_| {};
