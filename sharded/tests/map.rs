//! `ShardedMap`: same answers as `HashMap` on random operation sequences (proptest), exact
//! totals from concurrent `upsert`s, and the documented API corners.
#![cfg(not(perfkit_loom))]

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::hash::DefaultHasher;

use perfkit_sharded::{ShardedMap, TryResult};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u32),
    Get(u8),
    Remove(u8),
    Update(u8, u32),
    Upsert(u8, u32),
    Contains(u8),
    Retain(u8),
    Len,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => any::<u8>().prop_map(Op::Get),
        2 => any::<u8>().prop_map(Op::Remove),
        2 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Update(k, v)),
        2 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Upsert(k, v)),
        1 => any::<u8>().prop_map(Op::Contains),
        1 => (1..8u8).prop_map(Op::Retain),
        1 => Just(Op::Len),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn behaves_like_a_hashmap(ops in proptest::collection::vec(op(), 1..200), shards in 1usize..40) {
        let map: ShardedMap<u8, u32> = ShardedMap::with_shards(shards);
        let mut oracle: HashMap<u8, u32> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => prop_assert_eq!(map.insert(k, v), oracle.insert(k, v)),
                Op::Get(k) => prop_assert_eq!(map.get(&k), oracle.get(&k).copied()),
                Op::Remove(k) => prop_assert_eq!(map.remove(&k), oracle.remove(&k)),
                Op::Update(k, v) => prop_assert_eq!(
                    map.update(&k, |x| std::mem::replace(x, v)),
                    oracle.get_mut(&k).map(|x| std::mem::replace(x, v))
                ),
                Op::Upsert(k, v) => {
                    map.upsert(k, || v, |x| *x = x.wrapping_add(v));
                    oracle.entry(k).and_modify(|x| *x = x.wrapping_add(v)).or_insert(v);
                }
                Op::Contains(k) => prop_assert_eq!(map.contains_key(&k), oracle.contains_key(&k)),
                Op::Retain(m) => {
                    map.retain(|k, _| k % m != 0);
                    oracle.retain(|k, _| k % m != 0);
                }
                Op::Len => {
                    prop_assert_eq!(map.len(), oracle.len());
                    prop_assert_eq!(map.is_empty(), oracle.is_empty());
                }
                Op::Clear => {
                    map.clear();
                    oracle.clear();
                }
            }
        }
        let mut entries = map.into_entries();
        entries.sort_unstable();
        let mut expected: Vec<_> = oracle.into_iter().collect();
        expected.sort_unstable();
        prop_assert_eq!(entries, expected);
    }
}

/// Operations per thread in the stress tests: 50,000 times `PERFKIT_STRESS`, a factor
/// (default 1; CI runs the stress tests again at 4).
fn stress_ops() -> u64 {
    let factor: u64 = std::env::var("PERFKIT_STRESS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    50_000 * factor
}

#[test]
fn concurrent_upserts_sum_exactly() {
    let map: ShardedMap<u64, u64> = ShardedMap::with_shards(4);
    let threads = 8u64;
    std::thread::scope(|s| {
        for t in 0..threads {
            let map = &map;
            s.spawn(move || {
                for i in 0..stress_ops() {
                    map.upsert((i + t) % 97, || 1, |n| *n += 1);
                    if i % 16 == 0 {
                        // Readers and writers of other keys interleave with the upserts.
                        let _ = map.get(&(i % 97));
                        map.insert(1000 + t, i);
                    }
                }
            });
        }
    });
    let mut total = 0;
    map.for_each(|k, v| {
        if *k < 1000 {
            total += v;
        }
    });
    assert_eq!(total, threads * stress_ops());
    assert_eq!(map.len(), 97 + threads as usize);
}

#[test]
fn borrowed_lookups_custom_hasher_and_debug() {
    let map: ShardedMap<String, Vec<u8>, BuildHasherDefault<DefaultHasher>> =
        ShardedMap::with_shards_and_hasher(2, BuildHasherDefault::default());
    map.insert("key".to_owned(), vec![1, 2]);
    assert_eq!(map.get_with("key", Vec::len), Some(2)); // &str lookup of a String key
    assert_eq!(map.update("key", |v| v.push(3)), Some(()));
    assert_eq!(map.get("key"), Some(vec![1, 2, 3]));
    assert_eq!(map.update("nope", |v| v.push(3)), None);
    assert_eq!(map.shard_count(), 2);
    assert_eq!(format!("{map:?}"), r#"{"key": [1, 2, 3]}"#);
    map.for_each_mut(|_, v| v.clear());
    assert_eq!(map.get("key"), Some(vec![]));
    let collected: ShardedMap<u8, u8> = (0..10).map(|i| (i, i * 2)).collect();
    assert_eq!(collected.len(), 10);
    assert_eq!(collected.get(&4), Some(8));
    assert!(ShardedMap::<u8, u8>::with_capacity(100).is_empty());
    assert!(
        ShardedMap::<u8, u8>::default()
            .shard_count()
            .is_power_of_two()
    );
}

#[test]
fn a_panicking_closure_does_not_poison_the_map() {
    let map: ShardedMap<u32, u32> = ShardedMap::with_shards(1);
    map.insert(1, 1);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        map.update(&1, |_| panic!("user code fails under the lock"));
    }));
    assert!(result.is_err());
    assert_eq!(map.get(&1), Some(1));
    map.insert(2, 2);
    assert_eq!(map.len(), 2);
}

#[test]
fn entry_forms_count_as_dashmap_does() {
    // dashmap: `*map.entry(word).or_insert(0) += 1`.
    let words = ["a", "b", "a", "c", "a"];
    let owned: ShardedMap<String, u32> = ShardedMap::new();
    for w in words {
        let n = owned.entry_or_insert_with(
            w.to_owned(),
            || 0,
            |n| {
                *n += 1;
                *n
            },
        );
        assert!(n >= 1);
    }
    assert_eq!(owned.get("a"), Some(3));
    // Borrowed keys: the String is made only for a new word.
    let made = std::cell::Cell::new(0);
    let borrowed: ShardedMap<String, u32> = ShardedMap::new();
    for w in words {
        borrowed.entry_ref_or_insert_with(
            w,
            |w: &str| {
                made.set(made.get() + 1);
                w.to_owned()
            },
            || 0,
            |n| *n += 1,
        );
    }
    assert_eq!(made.get(), 3, "one allocation per distinct word");
    assert_eq!(borrowed.get("a"), Some(3));
    assert_eq!(borrowed.get("c"), Some(1));
}

#[test]
fn remove_if_try_get_early_exit_snapshot_and_std_traits() {
    let map: ShardedMap<u32, u32> = (0..100).map(|i| (i, i * 10)).collect();
    assert_eq!(map.remove_if(&5, |_, v| *v > 100), None);
    assert_eq!(map.remove_if(&50, |_, v| *v == 500), Some((50, 500)));
    assert!(!map.contains_key(&50));
    assert_eq!(map.try_get_with(&7, |v| *v), TryResult::Present(70));
    assert_eq!(map.try_get_with(&50, |v| *v), TryResult::Absent);
    let mut visited = 0;
    let found = map.find_map(|k, _| {
        visited += 1;
        (*k == 42).then_some(*k)
    });
    assert_eq!(found, Some(42));
    assert!(visited <= 99);
    let mut snapshot = map.snapshot();
    snapshot.sort_unstable();
    assert_eq!(snapshot.len(), 99);
    let copy = map.clone();
    copy.insert(1000, 1);
    assert_eq!((map.len(), copy.len()), (99, 100));
    let mut grown = copy;
    grown.extend([(2000, 2), (3000, 3)]);
    assert!(grown.capacity() >= grown.len());
    grown.clear();
    grown.shrink_to_fit();
    assert!(grown.is_empty());
    let mut back: Vec<_> = map.into_iter().collect();
    back.sort_unstable();
    assert_eq!(back, snapshot);
}

#[test]
fn try_get_reports_a_locked_shard() {
    let map: ShardedMap<u32, u32> = ShardedMap::with_shards(1);
    map.insert(1, 1);
    // The one shard is write-locked by `update` while its closure runs: from another thread,
    // `try_get_with` answers Locked instead of waiting.
    map.update(&1, |_| {
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(map.try_get_with(&1, |v| *v), TryResult::Locked));
        });
    });
}

#[cfg(debug_assertions)]
#[test]
fn reentering_the_map_from_its_closure_panics_in_debug_builds() {
    let map: ShardedMap<u32, u32> = ShardedMap::with_shards(1);
    map.insert(1, 1);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        map.update(&1, |_| map.get(&1));
    }))
    .expect_err("re-entry must panic, not deadlock");
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("ShardedMap::get_with"), "{message}");
    // The map is usable afterwards (no lock stays held, no poison).
    assert_eq!(map.get(&1), Some(1));
    // Two different maps may nest.
    let other: ShardedMap<u32, u32> = ShardedMap::new();
    map.for_each(|k, v| {
        other.insert(*k, *v);
    });
    assert_eq!(other.get(&1), Some(1));
}
