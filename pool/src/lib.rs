//! Three pools for services: an object pool (reuse buffers, scratch structures and arenas
//! instead of allocating them per request, every object reset before its next user sees it),
//! a bounded connection pool ([`ResourcePool`]) and a bounded worker pool ([`WorkerPool`]).
//!
//! # The pattern
//! Go's `sync.Pool`, done the Rust way: [`Pool::get`] hands out an object inside a guard;
//! dropping the guard resets the object ([`Reset`], or a closure) and keeps it for the next
//! `get`. As in `sync.Pool`, each thread has a private slot in front of a shared store (here a
//! bounded lock-free `crossbeam_queue::ArrayQueue`): a thread reaches its slot through a dense
//! per-thread index ([`perfkit_utils::ThreadSlot`]) that no other live thread holds, so the
//! usual get-use-return cycle is a few plain loads and stores on one cache line of its own: no
//! lock, no atomic read-modify-write, nothing another core writes. Objects live in cache-padded
//! boxes, so two threads working on two pooled objects never share a cache line either.
//!
//! Unlike `sync.Pool`, the pool is bounded and predictable: at most
//! [`max_idle`](object::Builder::max_idle) objects are kept (per-thread slots included), a
//! [`retain`](object::Builder::retain) predicate drops objects that grew too big rather than pinning
//! their memory forever, a reset `Vec` or `String` keeps at most
//! [`MAX_RETAINED_BYTES`](object::MAX_RETAINED_BYTES) of capacity, an object whose holder
//! panicked is dropped rather than reused, and [`Stats`](object::Stats) counts hits, misses and
//! drops at about a nanosecond per operation. An object cached in the private slot of a thread
//! that has exited is not lost: the slot's index is handed to the next thread that starts, and
//! that thread's first `get` reuses it (so the slots never hold more than one object per
//! thread slot, and count against `max_idle`); [`Pool::clear`] drops the shared store's.
//!
//! The arena pattern (Rust's answer to "escape analysis and GC pressure") is a pool of
//! `bumpalo::Bump` (feature `bumpalo`): allocate a request's small objects from a pooled
//! arena and free them all at once when the guard drops.
//!
//! # When to use it
//! - Hot paths that allocate large or expensive objects per operation: I/O buffers of a few KiB
//!   and up (glibc serves those from its locked arena bins, not its per-thread cache), scratch
//!   `Vec`s and `HashMap`s that grow to a working size, parsers, compressors, arenas.
//! - Many threads doing the above at once: the per-thread slots scale where a shared free list
//!   makes every core fight over its head.
//!
//! # When not to
//! - Small objects: the allocator already caches them per thread, and a pooled object costs at
//!   least a 128-byte padded box. Pool a 4 KiB buffer, not a 32-byte struct.
//! - When the reset costs more than making a new one (zeroing a large buffer that a fresh
//!   allocation would get from the OS already zeroed; clearing a `HashMap` with millions of
//!   buckets to reuse it for ten keys). Measure.
//! - Objects that must not outlive a request's data: a reset only clears what you tell it to.
//! - One thread holding many objects at once: each thread's slot holds one; the rest go through
//!   the shared queue (still lock-free, but a shared cache line).
//!
//! # Connection pooling: [`ResourcePool`]
//! The Go guide's "reuse expensive connections instead of dialling per request". The user's
//! [`Manage`] makes a resource (`create`), checks it before each checkout (`is_valid`) and
//! when it comes back (`recycle`). The pool never has more than `max_size` live resources: a
//! burst of requests waits (up to a timeout) instead of opening a connection storm against
//! the server behind it. A [`Lease`] returns its resource on drop, or drops it when marked
//! broken (after an I/O error) or when its holder panicked; a failed `create` frees its slot.
//! `max_lifetime` and `idle_timeout` retire old connections (load balancers and firewalls
//! drop idle ones silently; each lifetime gets a random cut of up to a tenth, so connections
//! made together do not reconnect together), and `min_idle` keeps some ready (never reaped by
//! `idle_timeout`). One mutex guards the idle list and a FIFO queue of waiters: a resource that
//! comes back goes straight to the longest waiter, a newcomer never overtakes one, and the
//! connector's calls run outside the lock.
//!
//! [`AsyncResourcePool`] is the same pool for async services, on the same core: its
//! [`ManageAsync`] connector is `async` (`create`, `is_valid`), a checkout is a future that can
//! be dropped at any await without losing a slot or handing out a half-checked connection,
//! and it needs no runtime (one timer thread per pool keeps timeouts). An [`AsyncLease`]
//! bracketed with `begin_request`/`end_request` and dropped mid-request (its task cancelled)
//! drops its connection instead of handing a half-read reply to the next caller.
//!
//! Use it when making the resource costs a round trip or more (TCP and TLS handshakes,
//! database logins) and requests are short. Not for resources that are cheap to make (a file
//! handle), that must not be shared between requests at all, or that are multiplexed already
//! (one HTTP/2 connection carries many requests: pool the client, not connections).
//!
//! # Worker pool: [`WorkerPool`]
//! The Go guide's "goroutine pool": a fixed set of threads and a bounded queue, instead of a
//! thread per task. [`execute`](WorkerPool::execute) blocks while the queue is full
//! (backpressure), [`try_execute`](WorkerPool::try_execute) hands the job back instead, and
//! [`scope`](WorkerPool::scope) runs jobs that borrow from the caller's stack and waits for
//! them. A panicking job does not kill its worker; panics are counted and can be taken or
//! re-raised by [`join`](WorkerPool::join). It runs on crossbeam-channel's bounded queue; a
//! queued job is the closure itself, stored in the queue's slot when it is at most 56 bytes
//! (no allocation per job), so a refused `try_execute` hands back the caller's closure. What
//! the pattern's cost comes down to, with jobs this small, is cache lines moving between cores,
//! and three choices remove the ones a naive pool moves per job: a job is exactly one aligned
//! cache line (so neighbouring slots never share one); jobs are counted in by the submitter
//! and out by each worker on counters of their own, not on one `pending` counter both sides
//! write (`join` sums them); and a scope's jobs point at a scope state the pool keeps and
//! reuses, not at a reference-counted one (no `Arc` clone per job).
//!
//! Use it for many short, independent, blocking jobs (a thread spawn costs tens of
//! microseconds here; a queued job well under one). Not for CPU-parallel loops over data
//! (rayon's work stealing splits and balances those better), nor for async tasks (use the
//! runtime's `spawn_blocking` or its own pool).
//!
//! # Measured
#![doc = include_str!("../MEASURED.md")]
//!
//! # Example
//! ```
//! use std::sync::LazyLock;
//! use perfkit_pool::Pool;
//!
//! // One pool of response buffers for the whole service; big ones are not kept.
//! static BUFFERS: LazyLock<Pool<Vec<u8>>> = LazyLock::new(|| {
//!     Pool::builder(|| Vec::with_capacity(4096))
//!         .max_idle(256)
//!         .retain(|buf: &Vec<u8>| buf.capacity() <= 1 << 20)
//!         .build()
//! });
//!
//! fn handle(request: &[u8]) -> usize {
//!     let mut out = BUFFERS.get(); // a cleared buffer, warm after the first request
//!     out.extend_from_slice(b"echo: ");
//!     out.extend_from_slice(request);
//!     out.len()
//! } // `out` is cleared and returned here
//!
//! std::thread::scope(|s| {
//!     for _ in 0..2 {
//!         s.spawn(|| assert_eq!(handle(b"hi"), 8));
//!     }
//! });
//! assert!(BUFFERS.stats().misses <= 2);
//! ```
//!
//! A pool is `Send + Sync` (its objects move between threads, so they must be `Send`; they
//! need not be `Sync`, as `bumpalo::Bump` is not). A pool of non-`Send` objects cannot be made:
//! ```compile_fail,E0277
//! let pool = perfkit_pool::Pool::builder(|| std::rc::Rc::new(1)).reset(|_| {}).build();
//! ```
//! A guard left unused returns its object at once, which is almost always a bug:
//! ```compile_fail
//! #![deny(unused_must_use)]
//! let pool = perfkit_pool::Pool::new(String::new);
//! pool.get();
//! ```

pub mod object;
pub mod resource;
pub mod worker;

#[cfg(feature = "bumpalo")]
mod arena;
mod panic;
mod sync;

pub use object::{Pool, Reset};
pub use resource::{
    AsyncLease, AsyncResourcePool, CheckoutError, Lease, Manage, ManageAsync, ResourcePool,
};
pub use worker::{Scope, WorkerPool};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
