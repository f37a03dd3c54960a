//! The one way the groups build what their cases share (an input file, a parsed DOM, a filled
//! map, generated records): a [`Fixture`], built on first use, once, and kept for the life of
//! the process. Building the registry (`perfkit-bench list`, `report --group pool`) therefore
//! builds no fixture and reads no data file; the answer check, which runs every case before
//! anything is timed, builds each one outside the timed region.
//!
//! Three process-wide resources stay `static`s, since they must exist once per process
//! whatever registry is built: the echo server of the `connections` group, the temporary file
//! the `read` group writes (and [`registry::cleanup`](crate::registry::cleanup) removes), and
//! the generated log lines every `buffers` group cycles through.

use std::fmt;
use std::path::PathBuf;
use std::sync::LazyLock;

/// The benchmark data folder (the one holding `json/` with twitter.json and the other standard
/// bench files): `$PERFKIT_DATA` if set, else `../shared/data` beside the workspace. Outside
/// this tree, point `PERFKIT_DATA` at a copy (the files are the standard JSON benchmark set;
/// see the README).
#[must_use]
pub fn data_dir() -> PathBuf {
    std::env::var_os("PERFKIT_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from,
    )
}

type Build<T> = Box<dyn FnOnce() -> T + Send>;

/// A value built on first [`get`](Self::get). `Copy`: every case of a group holds the same
/// one. (Each fixture is one small leaked cell: a registry is built a handful of times per
/// process.)
pub struct Fixture<T: 'static>(&'static LazyLock<T, Build<T>>);

impl<T: Send + Sync + 'static> Fixture<T> {
    /// A fixture that `build` makes on first use.
    pub fn new(build: impl FnOnce() -> T + Send + 'static) -> Self {
        let cell: LazyLock<T, Build<T>> = LazyLock::new(Box::new(build));
        Self(Box::leak(Box::new(cell)))
    }

    /// The value, built now if this is the first use.
    #[must_use]
    pub fn get(self) -> &'static T {
        self.0
    }
}

impl<T> Clone for Fixture<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fixture<T> {}

impl<T> fmt::Debug for Fixture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fixture(..)")
    }
}
