//! Area `pool`: get a 4 KiB buffer, write 64 bytes, return it (group `pool`); build a
//! request's 1,000-node tree in boxes or in a pooled arena (group `arena`), and a
//! 100,000-node one (group `arena-large`: a 2.4 MB arena, where a fresh one per request pays
//! for fresh memory).

use std::hint::black_box;
use std::sync::Arc;

use bumpalo::Bump;
use perfkit_pool::Pool;

use crate::measure;
use crate::registry::{CHECK_ITERS, Case, Group, Role, Throughput};

const BUF: usize = 4096;
const PAYLOAD: [u8; 64] = [0xA5; 64];

/// One use of a buffer: write the payload, report its length (64 if it came back cleared).
#[inline]
fn use_buffer(buf: &mut Vec<u8>) -> u64 {
    // The buffer is observed through `black_box` below, so the copy cannot be optimised away.
    buf.extend_from_slice(&PAYLOAD);
    black_box(&*buf);
    buf.len() as u64
}

/// `threads` threads, each doing get + write + return `n` times through `op`, which returns
/// the buffer's length after the write; the answer sums those lengths.
fn buffer_case<S, F>(name: &str, role: Role, threads: usize, state: S, op: F) -> Case
where
    S: Send + Sync + 'static,
    // Generic, not a `fn` pointer: each case's loop calls its op directly, as user code would.
    F: Fn(&S) -> u64 + Copy + Send + Sync + 'static,
{
    let state = Arc::new(state);
    Case::new(name, role, threads, move |iters| {
        measure::threads(threads, iters, |_, n| {
            let state = black_box(&*state);
            (0..n).map(|_| op(state)).sum()
        })
    })
}

fn buffer_cases(threads: usize) -> Vec<Case> {
    use lockfree_object_pool::{LinearObjectPool, SpinLockObjectPool};

    struct OpoolVec;
    impl opool::PoolAllocator<Vec<u8>> for OpoolVec {
        fn allocate(&self) -> Vec<u8> {
            Vec::with_capacity(BUF)
        }
        fn reset(&self, obj: &mut Vec<u8>) {
            obj.clear();
        }
    }

    vec![
        buffer_case("Vec::with_capacity", Role::Baseline, threads, (), |()| {
            use_buffer(&mut Vec::with_capacity(BUF))
        }),
        buffer_case(
            "perfkit_pool::Pool",
            Role::Pattern,
            threads,
            Pool::new(|| Vec::with_capacity(BUF)),
            |pool| use_buffer(&mut pool.get()),
        ),
        buffer_case(
            "lockfree_object_pool::Linear",
            Role::Peer,
            threads,
            LinearObjectPool::new(|| Vec::with_capacity(BUF), Vec::clear),
            |pool| use_buffer(&mut pool.pull()),
        ),
        buffer_case(
            "lockfree_object_pool::SpinLock",
            Role::Peer,
            threads,
            SpinLockObjectPool::new(|| Vec::with_capacity(BUF), Vec::clear),
            |pool| use_buffer(&mut pool.pull()),
        ),
        buffer_case(
            "object_pool::Pool",
            Role::Peer,
            threads,
            object_pool::Pool::new(64, || Vec::with_capacity(BUF)),
            |pool| {
                let mut buf = pool.pull(|| Vec::with_capacity(BUF));
                let len = use_buffer(&mut buf);
                buf.clear(); // object-pool does not reset on return
                len
            },
        ),
        buffer_case(
            "opool::Pool",
            Role::Peer,
            threads,
            opool::Pool::new(64, OpoolVec),
            |pool| use_buffer(&mut pool.get()),
        ),
    ]
}

/// A node of a parsed tree: first child / next sibling links.
struct BoxNode {
    key: u64,
    child: Option<Box<BoxNode>>,
    next: Option<Box<BoxNode>>,
}

struct ArenaNode<'a> {
    key: u64,
    child: Option<&'a ArenaNode<'a>>,
    next: Option<&'a ArenaNode<'a>>,
}

/// Nodes per request in group `arena`; `arena-large` has `LARGE_NODES`.
const NODES: u64 = 1000;
const LARGE_NODES: u64 = 100_000;
const FANOUT: u64 = 10;

/// Makes tree nodes: in boxes or in an arena.
trait NodeAlloc {
    type Ref;
    fn make(&self, key: u64, child: Option<Self::Ref>, next: Option<Self::Ref>) -> Self::Ref;
}

struct Boxes;

impl NodeAlloc for Boxes {
    type Ref = Box<BoxNode>;
    fn make(&self, key: u64, child: Option<Box<BoxNode>>, next: Option<Box<BoxNode>>) -> Self::Ref {
        Box::new(BoxNode { key, child, next })
    }
}

struct Arena<'a>(&'a Bump);

impl<'a> NodeAlloc for Arena<'a> {
    type Ref = &'a ArenaNode<'a>;
    fn make(&self, key: u64, child: Option<Self::Ref>, next: Option<Self::Ref>) -> Self::Ref {
        self.0.alloc(ArenaNode { key, child, next })
    }
}

/// Builds node `k` (with sibling link `next`) and its subtree: node k's children are
/// `FANOUT*k+1 ..= FANOUT*k+FANOUT` below `nodes`, chained last to first. No scaffolding is
/// allocated, so the allocator under test does all the allocating.
fn build<A: NodeAlloc>(alloc: &A, k: u64, next: Option<A::Ref>, nodes: u64) -> A::Ref {
    let mut children = None;
    let first = FANOUT * k + 1;
    for c in (first..(first + FANOUT).min(nodes)).rev() {
        children = Some(build(alloc, c, children, nodes));
    }
    alloc.make(k, children, next)
}

fn sum_box(node: &BoxNode) -> u64 {
    let mut total = node.key;
    let mut child = node.child.as_deref();
    while let Some(c) = child {
        total += sum_box(c);
        child = c.next.as_deref();
    }
    total
}

fn sum_arena(node: &ArenaNode<'_>) -> u64 {
    let mut total = node.key;
    let mut child = node.child;
    while let Some(c) = child {
        total += sum_arena(c);
        child = c.next;
    }
    total
}

/// One request with a node per `Box`; the answer is the sum of the keys (0 + ... + nodes-1).
fn boxed_request(nodes: u64) -> u64 {
    let root = build(&Boxes, 0, None, nodes);
    sum_box(black_box(&root))
}

/// One request with nodes in `bump`.
fn arena_request(bump: &Bump, nodes: u64) -> u64 {
    let root = build(&Arena(bump), 0, None, nodes);
    sum_arena(black_box(root))
}

pub(super) fn groups() -> Vec<Group> {
    let mut cases = buffer_cases(1);
    cases.extend(buffer_cases(2));
    let pool = Group {
        name: "pool",
        area: "pool",
        about: "get a 4 KiB Vec<u8>, write 64 bytes, return it; time/op is aggregate over threads",
        throughput: Some(Throughput::Elements(1)),
        notes: "Baseline allocates and frees a fresh Vec each time (glibc malloc; 4 KiB is above \
                its per-thread tcache limit). Every pool starts empty and is warm after the \
                first op. object-pool does not reset on return, so its case clears the buffer \
                itself. Peers are configured with a reset (clear) like ours.",
        check_iters: CHECK_ITERS,
        cases,
    };

    let arena = arena_group(
        "arena",
        "one request: build a 1,000-node tree (child/sibling links) and walk it once",
        NODES,
        CHECK_ITERS,
    );
    let large = arena_group(
        "arena-large",
        "one request: build a 100,000-node tree (a 2.4 MB arena) and walk it once",
        LARGE_NODES,
        2,
    );
    vec![pool, arena, large]
}

/// The arena cases on trees of `nodes` nodes.
fn arena_group(name: &'static str, about: &'static str, nodes: u64, check_iters: u64) -> Group {
    let arena_pool = Pool::new(Bump::new);
    Group {
        name,
        area: "pool",
        about,
        throughput: Some(Throughput::Elements(nodes)),
        notes: "Box: one allocation and one free per node. Bump::new: a fresh arena per request \
                (allocates its chunks every time, doubling). Pool<Bump>: an arena reused across \
                requests, reset (all nodes freed at once, its largest chunk kept) on return.",
        check_iters,
        cases: vec![
            Case::new("Box per node", Role::Baseline, 1, move |iters| {
                measure::single(iters, |n| (0..n).map(|_| boxed_request(nodes)).sum())
            }),
            Case::new("Pool<Bump>", Role::Pattern, 1, move |iters| {
                measure::single(iters, |n| {
                    (0..n)
                        .map(|_| arena_request(&arena_pool.get(), nodes))
                        .sum()
                })
            }),
            Case::new("Bump::new per request", Role::Peer, 1, move |iters| {
                measure::single(iters, |n| {
                    (0..n).map(|_| arena_request(&Bump::new(), nodes)).sum()
                })
            }),
        ],
    }
}
