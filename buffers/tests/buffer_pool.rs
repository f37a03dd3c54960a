//! `BufferPool`: size classes, reuse, cleared buffers, freezing, oversize requests.

use perfkit_buffers::{BufferPool, SIZE_CLASSES};

#[test]
fn requests_land_in_the_smallest_class_that_fits_and_are_reused_cleared() {
    let pool = BufferPool::new();
    for (want, class) in [
        (1, 0),
        (4096, 0),
        (4097, 1),
        (65_536, 1),
        (65_537, 2),
        (1 << 20, 2),
    ] {
        let buf = pool.get(want);
        assert!(buf.capacity() >= SIZE_CLASSES[class], "{want}");
        assert!(buf.capacity() >= want);
    }
    {
        let mut buf = pool.get(100);
        buf.extend_from_slice(b"dirty");
    }
    let buf = pool.get(100);
    assert!(buf.is_empty(), "reused buffers come back cleared");
    let [small, medium, large] = pool.stats();
    // Each request above returned its buffer before the next one, so every class created one.
    assert_eq!((small.misses, small.hits), (1, 3));
    assert_eq!((medium.misses, medium.hits), (1, 1));
    assert_eq!((large.misses, large.hits), (1, 1));
}

#[test]
fn oversize_frozen_and_grown_buffers_are_not_kept() {
    let pool = BufferPool::new();
    let big = pool.get(3 << 20);
    assert!(big.capacity() >= 3 << 20);
    assert!(format!("{big:?}").contains("pooled: false"));
    drop(big);

    let mut frozen = pool.get(10);
    frozen.extend_from_slice(b"keep me");
    let bytes = frozen.freeze();
    assert_eq!(&bytes[..], b"keep me");
    assert_eq!(pool.stats()[0].detached, 1);

    let mut grown = pool.get(10);
    grown.extend_from_slice(&[0u8; 20_000]); // past twice its 4 KiB class
    drop(grown);
    // The grown buffer was freed and replaced: the class hands out class-sized buffers again.
    let again = pool.get(10);
    assert!(again.is_empty());
    assert!(
        (4096..=8192).contains(&again.capacity()),
        "{}",
        again.capacity()
    );
}
