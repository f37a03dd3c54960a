//! The heap profiler's per-thread totals: one block of counters per thread, whose fast paths
//! do one load and one store of one word (no atomic read-modify-write: no other thread writes
//! the block), and whose readers get a consistent snapshot through a sequence number.
//!
//! - `alloc_word` = `remaining << COUNT_BITS | allocations`: the bytes left in the current
//!   countdown chunk, and the allocations since the last flush. An allocation of `size` below
//!   `remaining` subtracts `size << COUNT_BITS` and adds 1; the one that reaches the end of
//!   the chunk takes the slow path, which flushes the word into the totals and decides whether
//!   to sample (the sampling countdown may span several chunks).
//! - `free_word` = `bytes << COUNT_BITS | frees` since the last flush, flushed after 8 MiB.
//!
//! Chunks are at most 8 MiB and every block is at least a byte, so neither count field can
//! reach 2^24 between flushes. Flushes (slow paths only, by the owner) are bracketed by a
//! sequence number, odd while flushing (a seqlock), so a reader never adds a flushed total to
//! the word it was flushed from. The protocol is a loom model (`--cfg perfkit_loom`).

use crate::sync::{AtomicU64, Ordering, fence};

/// Low bits of a packed word that count events.
pub(crate) const COUNT_BITS: u32 = 24;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
/// Longest countdown chunk.
pub(crate) const CHUNK_MAX: u64 = 8 << 20;
/// `free_word` at or above this (8 MiB freed) is flushed.
pub(crate) const FREE_FLUSH: u64 = CHUNK_MAX << COUNT_BITS;
/// Blocks of this size and above always take the slow paths (their shifted size would not
/// fit the word).
pub(crate) const HUGE: usize = 1 << 38;

#[derive(Debug)]
pub(crate) struct Block {
    seq: AtomicU64,
    alloc_word: AtomicU64,
    free_word: AtomicU64,
    /// The bytes the current chunk started with.
    chunk: AtomicU64,
    alloc_count: AtomicU64,
    alloc_bytes: AtomicU64,
    free_count: AtomicU64,
    free_bytes: AtomicU64,
}

macro_rules! block_with {
    ($free_word:expr) => {
        Block {
            seq: AtomicU64::new(0),
            alloc_word: AtomicU64::new(0),
            free_word: AtomicU64::new($free_word),
            chunk: AtomicU64::new(0),
            alloc_count: AtomicU64::new(0),
            alloc_bytes: AtomicU64::new(0),
            free_count: AtomicU64::new(0),
            free_bytes: AtomicU64::new(0),
        }
    };
}

impl Block {
    /// An empty block: no bytes left in its chunk (the first allocation takes the slow path).
    #[cfg(not(perfkit_loom))]
    pub(crate) const fn new() -> Self {
        block_with!(0)
    }

    #[cfg(perfkit_loom)]
    pub(crate) fn new() -> Self {
        block_with!(0)
    }

    /// A block whose fast paths always fail: for threads that have none of their own.
    #[cfg(not(perfkit_loom))]
    pub(crate) const fn exhausted() -> Self {
        block_with!(FREE_FLUSH)
    }

    /// Owner only, the fast path: book an allocation of `size` unless it reaches the end of
    /// the chunk (then nothing is booked).
    #[inline]
    pub(crate) fn try_book_alloc(&self, size: usize) -> bool {
        let word = self.alloc_word.load(Ordering::Relaxed);
        // `remaining` is at most CHUNK_MAX, so a smaller `size` shifts without overflow.
        if (size as u64) < word >> COUNT_BITS {
            self.alloc_word
                .store(word - ((size as u64) << COUNT_BITS) + 1, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Owner only, the fast path: book a free of `size` unless the free word is full or the
    /// block huge (then nothing is booked).
    #[inline]
    pub(crate) fn try_book_free(&self, size: usize) -> bool {
        if size >= HUGE {
            return false;
        }
        let word = self.free_word.load(Ordering::Relaxed) + ((size as u64) << COUNT_BITS) + 1;
        if word < FREE_FLUSH {
            self.free_word.store(word, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Owner only: the bytes left in the current chunk.
    pub(crate) fn remaining(&self) -> u64 {
        self.alloc_word.load(Ordering::Relaxed) >> COUNT_BITS
    }

    /// Owner only: fold the packed words into the totals (plus `extra` allocations, bytes,
    /// frees and freed bytes), and start a chunk of `next_chunk` bytes (at most CHUNK_MAX).
    pub(crate) fn flush(&self, extra: [u64; 4], next_chunk: u64) {
        debug_assert!(next_chunk <= CHUNK_MAX);
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        let a = self.alloc_word.load(Ordering::Relaxed);
        let f = self.free_word.load(Ordering::Relaxed);
        let used = self
            .chunk
            .load(Ordering::Relaxed)
            .saturating_sub(a >> COUNT_BITS);
        let bump =
            |c: &AtomicU64, n: u64| c.store(c.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        bump(&self.alloc_count, (a & COUNT_MASK) + extra[0]);
        bump(&self.alloc_bytes, used + extra[1]);
        bump(&self.free_count, (f & COUNT_MASK) + extra[2]);
        bump(&self.free_bytes, (f >> COUNT_BITS) + extra[3]);
        self.free_word.store(0, Ordering::Relaxed);
        self.chunk.store(next_chunk, Ordering::Relaxed);
        self.alloc_word
            .store(next_chunk << COUNT_BITS, Ordering::Relaxed);
        self.seq.store(seq + 2, Ordering::Release);
    }

    /// Any thread, for a block nobody owns: book with read-modify-writes.
    pub(crate) fn add_shared(&self, extra: [u64; 4]) {
        for (counter, n) in [
            &self.alloc_count,
            &self.alloc_bytes,
            &self.free_count,
            &self.free_bytes,
        ]
        .into_iter()
        .zip(extra)
        {
            if n != 0 {
                counter.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Any thread: (allocations, bytes, frees, freed bytes) so far, as of one moment of the
    /// owner's.
    pub(crate) fn read(&self) -> [u64; 4] {
        loop {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                crate::sync::spin_loop();
                continue;
            }
            let a = self.alloc_word.load(Ordering::Relaxed);
            let f = self.free_word.load(Ordering::Relaxed);
            let chunk = self.chunk.load(Ordering::Relaxed);
            let totals = [
                self.alloc_count.load(Ordering::Relaxed) + (a & COUNT_MASK),
                self.alloc_bytes.load(Ordering::Relaxed) + chunk.saturating_sub(a >> COUNT_BITS),
                self.free_count.load(Ordering::Relaxed) + (f & COUNT_MASK),
                self.free_bytes.load(Ordering::Relaxed) + (f >> COUNT_BITS),
            ];
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                return totals;
            }
        }
    }
}

#[cfg(all(test, not(perfkit_loom)))]
mod tests {
    use super::*;

    #[test]
    fn words_fold_into_exact_totals() {
        let b = Block::new();
        assert!(
            !b.try_book_alloc(1),
            "an empty chunk sends the first allocation to the slow path"
        );
        b.flush([1, 100, 0, 0], 1000);
        for size in [10, 20, 30] {
            assert!(b.try_book_alloc(size));
            assert!(b.try_book_free(size));
        }
        assert_eq!(b.read(), [4, 160, 3, 60]);
        assert!(
            !b.try_book_alloc(940),
            "reaching the end of the chunk is the slow path"
        );
        assert_eq!(b.remaining(), 940);
        b.flush([1, 940, 0, 0], CHUNK_MAX);
        assert_eq!(b.read(), [5, 1100, 3, 60]);
        assert!(!b.try_book_free(HUGE));
        // A full free word refuses: 8 MiB of frees in 1 MiB blocks.
        for _ in 0..7 {
            assert!(b.try_book_free(1 << 20));
        }
        assert!(!b.try_book_free(1 << 20));
        b.flush([0, 0, 1, 1 << 20], b.remaining());
        assert_eq!(b.read(), [5, 1100, 11, 60 + (8 << 20)]);
        let exhausted = Block::exhausted();
        assert!(!exhausted.try_book_alloc(1) && !exhausted.try_book_free(1));
    }
}

/// The seqlock: whatever the interleaving, a reader sees totals of one moment of the owner's
/// (every allocation is 8 bytes, so bytes are always 8 x allocations).
/// (Both sides run on spawned threads: loom explores a model's main thread against them less
/// thoroughly.)
#[cfg(all(test, perfkit_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    #[test]
    fn readers_see_consistent_totals() {
        loom::model(|| {
            let block = Arc::new(Block::new());
            let owner = Arc::clone(&block);
            let writer = loom::thread::spawn(move || {
                // A slow-path allocation (flushed with its own count), then a fast one.
                owner.flush([1, 8, 0, 0], 16);
                assert!(owner.try_book_alloc(8));
            });
            let observed = Arc::clone(&block);
            let reader = loom::thread::spawn(move || {
                let now = observed.read();
                assert_eq!(now[1], 8 * now[0], "torn read: {now:?}");
                now[0]
            });
            writer.join().unwrap();
            assert!(reader.join().unwrap() <= 2);
            assert_eq!(block.read(), [2, 16, 0, 0]);
        });
    }
}
