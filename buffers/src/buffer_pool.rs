use std::fmt;
use std::ops::{Deref, DerefMut};

use bytes::{Bytes, BytesMut};
use perfkit_pool::Pool;
use perfkit_pool::object::{Pooled, ResetWith, Stats};

/// The size classes of a [`BufferPool`]: 4 KiB, 64 KiB and 1 MiB.
pub const SIZE_CLASSES: [usize; 3] = [4 << 10, 64 << 10, 1 << 20];

/// Pooled `BytesMut` buffers in three size classes (4 KiB, 64 KiB, 1 MiB), on
/// `perfkit_pool::Pool`: a handler asks for the capacity it needs, gets a cleared buffer of the
/// smallest class that holds it, and the buffer returns to its class when the guard drops.
///
/// A buffer that grew past twice its class is freed and replaced by a fresh one of the class
/// size when it comes back (so one huge request cannot pin its memory); a request larger than
/// the largest class gets a fresh, unpooled buffer. When the
/// data must outlive the handler, [`freeze`](PooledBuffer::freeze) turns the buffer into
/// `Bytes` and gives up its reuse.
///
/// # Examples
/// ```
/// use perfkit_buffers::BufferPool;
///
/// let pool = BufferPool::new();
/// let mut buf = pool.get(10_000); // from the 64 KiB class
/// assert!(buf.capacity() >= 64 << 10);
/// buf.extend_from_slice(b"response body");
/// let body = buf.freeze(); // keep the bytes; the buffer leaves the pool
/// assert_eq!(&body[..], b"response body");
/// assert!(pool.get(10).is_empty()); // the 4 KiB class
/// ```
pub struct BufferPool {
    classes: [Pool<BytesMut, ClassReset>; 3],
}

/// Resets a returned buffer of one size class: cleared if its capacity is still within the
/// class (at least the class size, at most twice it), otherwise replaced by a fresh buffer of
/// the class size. A type, not a closure, so the pool calls it directly on every return.
#[derive(Clone, Copy, Debug)]
pub struct ClassReset {
    size: usize,
}

impl ResetWith<BytesMut> for ClassReset {
    #[inline]
    fn reset_with(&self, buf: &mut BytesMut) {
        if buf.capacity() >= self.size && buf.capacity() <= 2 * self.size {
            buf.clear();
        } else {
            *buf = BytesMut::with_capacity(self.size);
        }
    }
}

impl BufferPool {
    /// A pool keeping at most 64, 16 and 4 idle buffers in the 4 KiB, 64 KiB and 1 MiB classes
    /// (about 6 MiB in all).
    #[must_use]
    pub fn new() -> Self {
        Self::with_max_idle([64, 16, 4])
    }

    /// A pool keeping at most `max_idle[i]` idle buffers in size class `i`.
    #[must_use]
    pub fn with_max_idle(max_idle: [usize; 3]) -> Self {
        let class = |i: usize| {
            let size = SIZE_CLASSES[i];
            Pool::builder(move || BytesMut::with_capacity(size))
                .reset_with(ClassReset { size })
                .max_idle(max_idle[i])
                .build()
        };
        Self {
            classes: [class(0), class(1), class(2)],
        }
    }

    /// A cleared buffer with at least `min_capacity` bytes of capacity.
    #[inline]
    #[must_use = "dropping the buffer returns it at once"]
    pub fn get(&self, min_capacity: usize) -> PooledBuffer<'_> {
        match SIZE_CLASSES.iter().position(|&size| min_capacity <= size) {
            Some(i) => PooledBuffer(Inner::Pooled(self.classes[i].get())),
            None => PooledBuffer(Inner::Owned(BytesMut::with_capacity(min_capacity))),
        }
    }

    /// Each size class's statistics (hits, misses, drops, idle).
    #[must_use]
    pub fn stats(&self) -> [Stats; 3] {
        [
            self.classes[0].stats(),
            self.classes[1].stats(),
            self.classes[2].stats(),
        ]
    }
}

impl Default for BufferPool {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("stats", &self.stats())
            .finish()
    }
}

/// A buffer from a [`BufferPool`]; derefs to `BytesMut` and returns to its size class when
/// dropped.
#[must_use = "dropping the buffer returns it at once"]
pub struct PooledBuffer<'a>(Inner<'a>);

enum Inner<'a> {
    Pooled(Pooled<'a, BytesMut, ClassReset>),
    Owned(BytesMut),
}

impl PooledBuffer<'_> {
    /// The contents as `Bytes`, for data that must outlive the handler; the buffer leaves the
    /// pool for good.
    #[must_use]
    pub fn freeze(self) -> Bytes {
        match self.0 {
            Inner::Pooled(guard) => guard.detach().freeze(),
            Inner::Owned(buf) => buf.freeze(),
        }
    }
}

impl Deref for PooledBuffer<'_> {
    type Target = BytesMut;

    #[inline]
    fn deref(&self) -> &BytesMut {
        match &self.0 {
            Inner::Pooled(guard) => guard,
            Inner::Owned(buf) => buf,
        }
    }
}

impl DerefMut for PooledBuffer<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut BytesMut {
        match &mut self.0 {
            Inner::Pooled(guard) => guard,
            Inner::Owned(buf) => buf,
        }
    }
}

impl fmt::Debug for PooledBuffer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuffer")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("pooled", &matches!(self.0, Inner::Pooled(_)))
            .finish()
    }
}
