//! `Sharded<T>`: keys map to stable shards, counts are powers of two, whole-structure
//! operations visit every shard.
#![cfg(not(perfkit_loom))]

use perfkit_sharded::{Sharded, default_shards};

#[test]
fn shard_counts_round_up_to_powers_of_two() {
    for (asked, got) in [(0, 1), (1, 1), (3, 4), (8, 8), (9, 16)] {
        assert_eq!(Sharded::with_shards(asked, |_| ()).shard_count(), got);
    }
    assert!(default_shards().is_power_of_two() && default_shards() >= 16);
}

#[test]
fn a_key_always_lands_in_the_same_shard_and_keys_spread() {
    let sharded: Sharded<Vec<u64>> = Sharded::with_shards(16, |_| Vec::new());
    for key in 0..16_000u64 {
        let index = sharded.index(&key);
        assert_eq!(index, sharded.index_of_hash(sharded.hash(&key)));
        sharded.write(&key).push(key);
    }
    for key in [3u64, 999, 15_999] {
        assert!(sharded.read(&key).contains(&key));
    }
    let mut sizes = Vec::new();
    sharded.for_each(|shard| sizes.push(shard.len()));
    assert_eq!(sizes.iter().sum::<usize>(), 16_000);
    // 1,000 per shard on average; a decent hash keeps every shard within 25% of it.
    assert!(
        sizes.iter().all(|&n| (750..=1250).contains(&n)),
        "{sizes:?}"
    );
}

#[test]
fn whole_structure_operations() {
    let mut sharded: Sharded<u32> = Sharded::with_shards(4, |i| i as u32);
    sharded.for_each_mut(|n| *n *= 10);
    assert_eq!(*sharded.read_shard(3), 30);
    *sharded.write_shard(0) = 7;
    sharded.iter_mut().for_each(|n| *n += 1);
    assert_eq!(sharded.into_inner(), vec![8, 11, 21, 31]);
}
