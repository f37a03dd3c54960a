use std::fmt;

use perfkit_utils::ThreadSlot;

use super::pool::{CreateFn, Pool, RetainFn};
use super::reset::{DefaultReset, ResetWith};

/// Default for [`Builder::max_idle`].
pub const DEFAULT_MAX_IDLE: usize = 64;

/// Configures a [`Pool`]; made by [`Pool::builder`].
///
/// The second type parameter records how objects are reset: [`DefaultReset`] (the type's
/// [`Reset`](crate::Reset) impl) until [`reset`](Self::reset) gives a closure, so a pool of a
/// type without `Reset` cannot be built without saying how to reset it. The pool keeps that
/// type (`Pool<T, R>`); to name a pool with a custom reset in a `static` or a struct field, give
/// a function pointer: `.reset(Parser::clear as fn(&mut Parser))` builds a
/// `Pool<Parser, fn(&mut Parser)>`.
///
/// # Examples
/// ```
/// use perfkit_pool::Pool;
///
/// struct Parser { stack: Vec<u32>, depth: usize }
///
/// let pool = Pool::builder(|| Parser { stack: Vec::with_capacity(256), depth: 0 })
///     .reset(|p| {
///         p.stack.clear();
///         p.depth = 0;
///     })
///     .max_idle(16)
///     // Don't keep parsers whose stack grew huge on one odd input.
///     .retain(|p| p.stack.capacity() <= 4096)
///     .prefill(4)
///     .build();
/// assert_eq!(pool.idle(), 4);
/// let mut p = pool.get();
/// p.stack.push(1);
/// p.depth = 3;
/// drop(p);
/// let p = pool.get();
/// assert!(p.stack.is_empty() && p.depth == 0);
/// ```
pub struct Builder<T, R = DefaultReset> {
    create: Box<CreateFn<T>>,
    reset: R,
    retain: Option<Box<RetainFn<T>>>,
    max_idle: usize,
    prefill: usize,
    thread_cache: bool,
}

impl<T: Send + 'static> Builder<T> {
    pub(crate) fn new(create: Box<CreateFn<T>>) -> Self {
        Self {
            create,
            reset: DefaultReset,
            retain: None,
            max_idle: DEFAULT_MAX_IDLE,
            prefill: 0,
            thread_cache: true,
        }
    }
}

impl<T: Send + 'static, R> Builder<T, R> {
    /// Resets returned objects with `reset` instead of [`Reset::reset`](crate::Reset::reset).
    /// Runs on every return,
    /// on the returning thread; keep it cheaper than creating an object, or pooling loses.
    pub fn reset<F: Fn(&mut T) + Send + Sync + 'static>(self, reset: F) -> Builder<T, F> {
        self.reset_with(reset)
    }

    /// Resets returned objects with any [`ResetWith`] implementation: a type of your own
    /// (nameable, with fields, e.g. a size limit) rather than a closure.
    pub fn reset_with<R2: ResetWith<T>>(self, reset: R2) -> Builder<T, R2> {
        Builder {
            create: self.create,
            reset,
            retain: self.retain,
            max_idle: self.max_idle,
            prefill: self.prefill,
            thread_cache: self.thread_cache,
        }
    }

    /// The most idle objects kept, per-thread slots included; returns beyond it are dropped.
    /// Default [`DEFAULT_MAX_IDLE`] (64). Zero keeps nothing (every `get` creates).
    #[must_use]
    pub fn max_idle(mut self, max_idle: usize) -> Self {
        self.max_idle = max_idle;
        self
    }

    /// Keeps a returned object only if `retain` says so (checked before the reset): e.g.
    /// `|v: &Vec<u8>| v.capacity() <= 1 << 20` stops one huge request pinning a huge buffer.
    #[must_use]
    pub fn retain(mut self, retain: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.retain = Some(Box::new(retain));
        self
    }

    /// Creates `n` objects up front (at most `max_idle`), so the first gets are hits.
    #[must_use]
    pub fn prefill(mut self, n: usize) -> Self {
        self.prefill = n;
        self
    }

    /// Whether each thread gets a private slot in front of the shared queue (default `true`).
    /// Without it every get and return goes through the shared queue: slower, but the idle
    /// objects are never parked in the slot of a thread that has stopped using the pool.
    #[must_use]
    pub fn thread_cache(mut self, enabled: bool) -> Self {
        self.thread_cache = enabled;
        self
    }
}

impl<T: Send + 'static, R: ResetWith<T>> Builder<T, R> {
    /// Builds the pool.
    #[must_use]
    pub fn build(self) -> Pool<T, R> {
        let slots = if self.thread_cache {
            ThreadSlot::count()
        } else {
            0
        };
        let pool = Pool::from_parts(self.create, self.reset, self.retain, self.max_idle, slots);
        pool.prefill(self.prefill);
        pool
    }
}

impl<T, R> fmt::Debug for Builder<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_idle", &self.max_idle)
            .field("prefill", &self.prefill)
            .field("thread_cache", &self.thread_cache)
            .field("retain", &self.retain.is_some())
            .finish_non_exhaustive()
    }
}
