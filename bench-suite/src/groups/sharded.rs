//! Area `sharded`: a concurrent u64 -> u64 map under read-heavy and write-heavy random-key
//! workloads (groups `map-read`, `map-write`), and a read-mostly lock (group `rwlock`).

use std::collections::HashMap;
use std::hash::RandomState;
use std::hint::black_box;
use std::sync::{Arc, Mutex, RwLock};

use perfkit_sharded::{ShardedMap, ShardedRwLock};

use crate::fixture::Fixture;
use crate::measure;
use crate::registry::{CHECK_ITERS, Case, Group, Role, Throughput};

const KEYS: u64 = 100_000;
const THREADS: [usize; 3] = [1, 2, 8];

/// The operations every map case performs; all maps use std's `RandomState` (SipHash-1-3).
trait Map: Send + Sync + 'static {
    fn build() -> Self;
    fn get(&self, key: u64) -> Option<u64>;
    fn insert(&self, key: u64, value: u64);
}

impl Map for Mutex<HashMap<u64, u64, RandomState>> {
    fn build() -> Self {
        Mutex::new(HashMap::with_capacity_and_hasher(
            KEYS as usize,
            RandomState::new(),
        ))
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.lock().expect("poisoned").get(&key).copied()
    }
    fn insert(&self, key: u64, value: u64) {
        self.lock().expect("poisoned").insert(key, value);
    }
}

impl Map for RwLock<HashMap<u64, u64, RandomState>> {
    fn build() -> Self {
        RwLock::new(HashMap::with_capacity_and_hasher(
            KEYS as usize,
            RandomState::new(),
        ))
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.read().expect("poisoned").get(&key).copied()
    }
    fn insert(&self, key: u64, value: u64) {
        self.write().expect("poisoned").insert(key, value);
    }
}

impl Map for ShardedMap<u64, u64, RandomState> {
    fn build() -> Self {
        ShardedMap::with_capacity_and_hasher(KEYS as usize, RandomState::new())
    }
    fn get(&self, key: u64) -> Option<u64> {
        ShardedMap::get(self, &key)
    }
    fn insert(&self, key: u64, value: u64) {
        ShardedMap::insert(self, key, value);
    }
}

/// A `ShardedMap` with 16 shards, the old default on two cores (8 per core): the row that shows
/// what the default's 64 per core buys.
struct SixteenShards(ShardedMap<u64, u64, RandomState>);

impl Map for SixteenShards {
    fn build() -> Self {
        Self(ShardedMap::with_config(
            16,
            KEYS as usize,
            RandomState::new(),
        ))
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.0.get(&key)
    }
    fn insert(&self, key: u64, value: u64) {
        self.0.insert(key, value);
    }
}

impl Map for dashmap::DashMap<u64, u64, RandomState> {
    fn build() -> Self {
        dashmap::DashMap::with_capacity_and_hasher(KEYS as usize, RandomState::new())
    }
    fn get(&self, key: u64) -> Option<u64> {
        dashmap::DashMap::get(self, &key).map(|v| *v)
    }
    fn insert(&self, key: u64, value: u64) {
        dashmap::DashMap::insert(self, key, value);
    }
}

impl Map for scc::HashMap<u64, u64, RandomState> {
    fn build() -> Self {
        scc::HashMap::with_capacity_and_hasher(KEYS as usize, RandomState::new())
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.read_sync(&key, |_, v| *v)
    }
    fn insert(&self, key: u64, value: u64) {
        self.upsert_sync(key, value);
    }
}

impl Map for papaya::HashMap<u64, u64, RandomState> {
    fn build() -> Self {
        papaya::HashMap::builder()
            .capacity(KEYS as usize)
            .hasher(RandomState::new())
            .build()
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.pin().get(&key).copied()
    }
    fn insert(&self, key: u64, value: u64) {
        self.pin().insert(key, value);
    }
}

/// A new map holding `k -> k` for every key.
fn filled<M: Map>() -> M {
    let map = M::build();
    for k in 0..KEYS {
        map.insert(k, k);
    }
    map
}

/// One map per implementation, prefilled with `k -> k` for every key, built on first use and
/// shared by every case of that implementation (inserts write `k -> k`, so the contents never
/// change and every case's answer is deterministic).
fn shared_map<M: Map>() -> Arc<M> {
    // A generic function's statics are shared by all instantiations, so key the cell by type.
    static MAPS: Mutex<Vec<(std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>)>> =
        Mutex::new(Vec::new());
    let id = std::any::TypeId::of::<M>();
    let mut maps = MAPS.lock().expect("poisoned");
    if let Some((_, map)) = maps.iter().find(|(t, _)| *t == id) {
        return Arc::clone(map).downcast::<M>().expect("keyed by type");
    }
    let map = Arc::new(filled::<M>());
    maps.push((id, map.clone()));
    map
}

/// Thread `t`'s share of a workload: `n` random-key operations on `map`, `write_percent` of
/// them inserts; the answer is the sum of the values read (each read finds its key: the map is
/// full). Thread `t`'s key sequence is the same whichever map it runs on.
fn random_ops<M: Map>(map: &M, t: usize, n: u64, write_percent: u64) -> u64 {
    let map = black_box(map);
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64 ^ (t as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let mut sum = 0u64;
    for _ in 0..n {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let key = rng % KEYS;
        if (rng >> 40) % 100 < write_percent {
            map.insert(key, key);
        } else {
            sum = sum.wrapping_add(map.get(key).expect("the map is full"));
        }
    }
    sum
}

/// `threads` threads doing [`random_ops`] on one shared map.
fn map_case<M: Map>(name: &str, role: Role, threads: usize, write_percent: u64) -> Case {
    let map: Fixture<Arc<M>> = Fixture::new(shared_map::<M>);
    Case::new(name, role, threads, move |iters| {
        let map = map.get();
        measure::threads(threads, iters, |t, n| {
            random_ops(&**map, t, n, write_percent)
        })
    })
}

/// The floor: the same work with a full `ShardedMap` of its own per thread, so no cache line
/// is shared between threads. The gap between it and the shared `ShardedMap` is what the
/// threads pay for sharing one map: shard locks and table lines moving between cores.
fn map_per_thread_case(threads: usize, write_percent: u64) -> Case {
    type Own = ShardedMap<u64, u64, RandomState>;
    let maps: Fixture<Vec<Own>> =
        Fixture::new(move || (0..threads).map(|_| filled::<Own>()).collect());
    Case::new(
        "ShardedMap, one per thread",
        Role::Floor,
        threads,
        move |iters| {
            let maps = maps.get();
            measure::threads(threads, iters, |t, n| {
                random_ops(&maps[t], t, n, write_percent)
            })
        },
    )
}

fn map_group(name: &'static str, about: &'static str, write_percent: u64) -> Group {
    type Std = RandomState;
    let mut cases = Vec::new();
    for threads in THREADS {
        cases.extend([
            map_case::<Mutex<HashMap<u64, u64, Std>>>(
                "Mutex<HashMap>",
                Role::Baseline,
                threads,
                write_percent,
            ),
            map_case::<RwLock<HashMap<u64, u64, Std>>>(
                "RwLock<HashMap>",
                Role::Baseline,
                threads,
                write_percent,
            ),
            map_case::<ShardedMap<u64, u64, Std>>(
                "ShardedMap",
                Role::Pattern,
                threads,
                write_percent,
            ),
            map_case::<dashmap::DashMap<u64, u64, Std>>(
                "dashmap",
                Role::Peer,
                threads,
                write_percent,
            ),
            map_case::<scc::HashMap<u64, u64, Std>>("scc", Role::Peer, threads, write_percent),
            map_case::<papaya::HashMap<u64, u64, Std>>(
                "papaya",
                Role::Peer,
                threads,
                write_percent,
            ),
        ]);
        // Only at two threads: one thread shares nothing, and eight full maps (one per
        // oversubscribed thread) would no longer fit the caches that one shared map fits.
        if threads == 2 {
            cases.push(map_case::<SixteenShards>(
                "ShardedMap, 16 shards",
                Role::Pattern,
                threads,
                write_percent,
            ));
            cases.push(map_per_thread_case(threads, write_percent));
        }
    }
    Group {
        name,
        area: "sharded",
        about,
        throughput: Some(Throughput::Elements(1)),
        notes: "100,000 keys, all present; random keys (xorshift per thread); every map hashes \
                with std's RandomState (SipHash-1-3). Time/op is aggregate over threads; 8 \
                threads on this 2-core machine are oversubscribed. The 'vs baseline' column \
                compares with Mutex<HashMap> (the first baseline). The floor gives each \
                thread a full ShardedMap of its own (same keys, same work, nothing shared); \
                'vs floor' compares with it (2 threads only; each map is as big as the shared \
                one, so the floor pays more cache misses, never fewer). 'ShardedMap, 16 \
                shards' is the same map with 16 shards instead of the default (64 per core).",
        check_iters: CHECK_ITERS,
        cases,
    }
}

/// A small read-mostly struct: readers sum `a + b`; a writer bumps `version` only, so the
/// readers' answer is deterministic while the write still takes the exclusive lock.
#[derive(Debug, Default)]
struct Config {
    a: u64,
    b: u64,
    version: u64,
}

const WRITE_EVERY: u64 = 10_000;

trait ReadMostly: Send + Sync + 'static {
    fn read_sum(&self) -> u64;
    fn bump(&self);
}

impl ReadMostly for RwLock<Config> {
    fn read_sum(&self) -> u64 {
        let c = self.read().expect("poisoned");
        c.a + c.b
    }
    fn bump(&self) {
        self.write().expect("poisoned").version += 1;
    }
}

impl ReadMostly for crossbeam_utils::sync::ShardedLock<Config> {
    fn read_sum(&self) -> u64 {
        let c = self.read().expect("poisoned");
        c.a + c.b
    }
    fn bump(&self) {
        self.write().expect("poisoned").version += 1;
    }
}

impl ReadMostly for ShardedRwLock<Config> {
    fn read_sum(&self) -> u64 {
        let c = self.read();
        c.a + c.b
    }
    fn bump(&self) {
        self.write().version += 1;
    }
}

fn rwlock_case<L: ReadMostly>(name: &str, role: Role, threads: usize, lock: L) -> Case {
    let lock = Arc::new(lock);
    Case::new(name, role, threads, move |iters| {
        measure::threads(threads, iters, |_, n| {
            let lock = black_box(&*lock);
            let mut sum = 0u64;
            for i in 0..n {
                if i % WRITE_EVERY == WRITE_EVERY - 1 {
                    lock.bump();
                } else {
                    sum = sum.wrapping_add(lock.read_sum());
                }
            }
            sum
        })
    })
}

pub(super) fn groups() -> Vec<Group> {
    let config = || Config {
        a: 3,
        b: 4,
        version: 0,
    };
    let mut rw_cases = Vec::new();
    for threads in [1, 2] {
        rw_cases.extend([
            rwlock_case("std RwLock", Role::Baseline, threads, RwLock::new(config())),
            rwlock_case(
                "crossbeam ShardedLock",
                Role::Peer,
                threads,
                crossbeam_utils::sync::ShardedLock::new(config()),
            ),
            rwlock_case(
                "ShardedRwLock",
                Role::Pattern,
                threads,
                ShardedRwLock::new(config()),
            ),
        ]);
    }
    vec![
        map_group(
            "map-read",
            "95% get / 5% insert on random keys of a full 100k-entry map",
            5,
        ),
        map_group(
            "map-write",
            "50% get / 50% insert on random keys of a full 100k-entry map",
            50,
        ),
        Group {
            name: "rwlock",
            area: "sharded",
            about: "read a small struct under a read lock; every 10,000th op is a write",
            throughput: Some(Throughput::Elements(1)),
            notes: "Time/op is aggregate over threads. The write touches a field the readers do \
                    not sum, so every case's answer is the same.",
            check_iters: CHECK_ITERS,
            cases: rw_cases,
        },
    ]
}
