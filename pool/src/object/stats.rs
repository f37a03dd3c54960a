/// A pool's counters, read with [`Pool::stats`](crate::Pool::stats).
///
/// The counts are kept in `perfkit_counters::Counter`s (one striped for the per-`get` count), so
/// they cost about a nanosecond per operation and are always on. A reading is not a snapshot:
/// operations running concurrently may or may not be included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Gets served with an idle object.
    pub hits: u64,
    /// Gets that had to create an object (the pool was empty).
    pub misses: u64,
    /// Returned objects that were dropped instead of kept: the pool was full (`max_idle`), the
    /// retain predicate rejected them, their holder panicked, or their reset panicked.
    pub dropped: u64,
    /// Objects detached from their guard, never to return.
    pub detached: u64,
    /// Objects idle in the pool right now (approximate under concurrency).
    pub idle: usize,
}
