//! `AsyncResourcePool` under tokio and under `futures`' own executor: fairness, cancellation
//! at every await, errors that say what happened, timeouts without a runtime, and the sync
//! pool's fairness on the same core.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perfkit_pool::{AsyncResourcePool, CheckoutError, Manage, ManageAsync, ResourcePool};

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused")
    }
}

impl std::error::Error for Refused {}

/// A connection that counts itself: `open` is how many exist right now.
#[derive(Debug)]
struct Conn {
    open: Arc<AtomicUsize>,
    id: usize,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connector whose `create` and `is_valid` take a little time (they yield to the runtime),
/// and can be made to fail or to report connections dead.
#[derive(Clone, Default)]
struct Fake {
    open: Arc<AtomicUsize>,
    made: Arc<AtomicUsize>,
    refuse: Arc<AtomicBool>,
    invalid: Arc<AtomicBool>,
    slow: Option<Duration>,
}

impl ManageAsync for Fake {
    type Resource = Conn;
    type Error = Refused;

    async fn create(&self) -> Result<Conn, Refused> {
        if let Some(slow) = self.slow {
            tokio::time::sleep(slow).await;
        }
        if self.refuse.load(Ordering::SeqCst) {
            return Err(Refused);
        }
        self.open.fetch_add(1, Ordering::SeqCst);
        let id = self.made.fetch_add(1, Ordering::SeqCst);
        Ok(Conn {
            open: Arc::clone(&self.open),
            id,
        })
    }

    async fn is_valid(&self, _: &mut Conn) -> bool {
        if let Some(slow) = self.slow {
            tokio::time::sleep(slow / 2).await;
        }
        !self.invalid.load(Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkouts_reuse_and_never_exceed_max_size() {
    let fake = Fake::default();
    let pool = AsyncResourcePool::builder(fake.clone()).max_size(3).build();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let pool = pool.clone();
        let open = Arc::clone(&fake.open);
        tasks.push(tokio::spawn(async move {
            for _ in 0..50 {
                let lease = pool.checkout().await.expect("a connection");
                assert!(open.load(Ordering::SeqCst) <= 3);
                tokio::task::yield_now().await;
                drop(lease);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let stats = pool.stats();
    assert!(stats.created <= 3, "{stats:?}");
    assert_eq!(stats.in_use, 0);
    assert_eq!(stats.pending, 0);
    assert_eq!(stats.idle, fake.open.load(Ordering::SeqCst));
    assert_eq!(stats.reused + stats.created, 32 * 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_are_served_first_come_first_served() {
    let pool = AsyncResourcePool::builder(Fake::default())
        .max_size(1)
        .build();
    let held = pool.checkout().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (waiter, order) = (pool.clone(), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            let lease = waiter.checkout().await.unwrap();
            order.lock().unwrap().push(i);
            tokio::time::sleep(Duration::from_millis(1)).await;
            drop(lease);
        }));
        // Queue them in order.
        while pool.stats().pending < i + 1 {
            tokio::task::yield_now().await;
        }
    }
    drop(held);
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
    assert_eq!(
        pool.stats().created,
        1,
        "the one connection went from waiter to waiter"
    );
}

#[test]
fn the_sync_pool_serves_waiters_first_come_first_served_too() {
    struct Sync;
    impl Manage for Sync {
        type Resource = ();
        type Error = Refused;
        fn create(&self) -> Result<(), Refused> {
            Ok(())
        }
        fn is_valid(&self, (): &mut ()) -> bool {
            true
        }
    }
    let pool = ResourcePool::builder(Sync).max_size(1).build();
    let held = pool.checkout().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let (waiter, order) = (pool.clone(), Arc::clone(&order));
            let thread = std::thread::spawn(move || {
                let lease = waiter.checkout().unwrap();
                order.lock().unwrap().push(i);
                drop(lease);
            });
            while pool.stats().pending < i + 1 {
                std::thread::yield_now();
            }
            thread
        })
        .collect();
    // A newcomer does not overtake them: the pool is full and six wait.
    assert!(pool.try_checkout().is_none());
    drop(held);
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..6).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkouts_cancelled_at_random_points_lose_no_slot() {
    let fake = Fake {
        slow: Some(Duration::from_micros(200)),
        ..Fake::default()
    };
    let pool = AsyncResourcePool::builder(fake.clone()).max_size(4).build();
    let mut tasks = Vec::new();
    for t in 0..50u64 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut seed = t.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            for _ in 0..200 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Cancel after 0-400 µs: while queued, while checking, while creating, or not.
                let budget = Duration::from_micros(seed % 400);
                if let Ok(Ok(mut lease)) = tokio::time::timeout(budget, pool.checkout()).await {
                    if seed % 3 == 0 {
                        lease.begin_request(); // dropped mid-request: the connection goes
                    }
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let stats = pool.stats();
    assert!(stats.cancelled > 0, "no checkout was cancelled: {stats:?}");
    assert_eq!(stats.in_use, 0, "{stats:?}");
    assert_eq!(stats.pending, 0, "{stats:?}");
    assert_eq!(stats.creating, 0, "{stats:?}");
    // Exactly the pool's connections are open: none leaked, none counted twice.
    assert_eq!(fake.open.load(Ordering::SeqCst), stats.idle, "{stats:?}");
    // And every slot is usable: four at once.
    let leases = futures::future::join_all((0..4).map(|_| pool.checkout())).await;
    assert!(leases.iter().all(Result::is_ok));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_create_is_the_callers_error_not_a_timeout() {
    let fake = Fake::default();
    fake.refuse.store(true, Ordering::SeqCst);
    let pool = AsyncResourcePool::builder(fake.clone())
        .max_size(1)
        .timeout(Duration::from_secs(30))
        .build();
    let start = Instant::now();
    let results = futures::future::join_all((0..5).map(|_| pool.checkout())).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(CheckoutError::Create(Refused)))),
        "every checkout gets the connect error"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "not after the 30 s timeout"
    );
    assert_eq!(pool.stats().create_errors, 5);
    // The slot is free again.
    fake.refuse.store(false, Ordering::SeqCst);
    assert!(pool.checkout().await.is_ok());
}

/// Returns `Pending` once, waking itself: lets the other branch of a `join!` run.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            std::task::Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

#[test]
fn timeouts_and_close_work_without_a_runtime() {
    // futures' executor: no tokio anywhere in this test (the connector does not sleep).
    futures::executor::block_on(async {
        let pool = AsyncResourcePool::builder(Fake::default())
            .max_size(1)
            .build();
        let held = pool.checkout().await.unwrap();
        let start = Instant::now();
        let err = pool
            .checkout_timeout(Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err}");
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert_eq!(pool.stats().timeouts, 1);

        // A waiter is woken by `close` with `Closed`.
        let waiting = pool.checkout();
        let closing = async {
            while pool.stats().pending == 0 {
                yield_now().await;
            }
            pool.close();
        };
        let (result, ()) = futures::join!(waiting, closing);
        assert!(matches!(result, Err(CheckoutError::Closed)));
        drop(held);
        assert_eq!(
            pool.stats().idle,
            0,
            "a lease returned to a closed pool is dropped"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_and_in_flight_connections_are_replaced_not_reused() {
    let fake = Fake::default();
    let pool = AsyncResourcePool::new(fake.clone());
    let first = pool.checkout().await.unwrap().id;
    // Dropped mid-request: not reused.
    let mut lease = pool.checkout().await.unwrap();
    assert_eq!(lease.id, first);
    lease.begin_request();
    drop(lease);
    let second = pool.checkout().await.unwrap().id;
    assert_ne!(second, first);
    // A completed request leaves it clean.
    let mut lease = pool.checkout().await.unwrap();
    lease.begin_request();
    lease.end_request();
    drop(lease);
    assert_eq!(pool.checkout().await.unwrap().id, second);
    // An invalid idle connection is replaced in its slot.
    fake.invalid.store(true, Ordering::SeqCst);
    assert_ne!(pool.checkout().await.unwrap().id, second);
    let stats = pool.stats();
    assert_eq!(stats.broken, 2, "{stats:?}");
    assert_eq!(fake.open.load(Ordering::SeqCst), stats.idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_create_frees_its_slot() {
    struct Panicky(AtomicBool);
    impl ManageAsync for Panicky {
        type Resource = ();
        type Error = Refused;
        async fn create(&self) -> Result<(), Refused> {
            assert!(!self.0.swap(false, Ordering::SeqCst), "create panics once");
            Ok(())
        }
        async fn is_valid(&self, (): &mut ()) -> bool {
            true
        }
    }
    let pool = Arc::new(
        AsyncResourcePool::builder(Panicky(AtomicBool::new(true)))
            .max_size(1)
            .build(),
    );
    let panicking = Arc::clone(&pool);
    let joined = tokio::spawn(async move { panicking.checkout().await.map(drop) }).await;
    assert!(joined.is_err(), "the panic reached the task");
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.creating), (0, 0), "{stats:?}");
    assert!(pool.checkout().await.is_ok(), "the slot is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintain_keeps_min_idle_and_idle_timeout_never_reaps_below_it() {
    let fake = Fake::default();
    let pool = AsyncResourcePool::builder(fake.clone())
        .max_size(4)
        .min_idle(2)
        .idle_timeout(Duration::from_millis(20))
        .build();
    assert!(pool.maintenance_period().is_some());
    pool.maintain().await.unwrap();
    assert_eq!(pool.stats().idle, 2);
    // Four in use, back, then idle past the timeout: reaped down to min_idle, not below.
    let leases = futures::future::join_all((0..4).map(|_| pool.checkout())).await;
    drop(leases);
    assert_eq!(pool.stats().idle, 4);
    tokio::time::sleep(Duration::from_millis(40)).await;
    pool.maintain().await.unwrap();
    assert_eq!(pool.stats().idle, 2, "{:?}", pool.stats());
    assert_eq!(fake.open.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifetimes_have_jitter() {
    let fake = Fake::default();
    let pool = AsyncResourcePool::builder(fake.clone())
        .max_size(64)
        .max_lifetime(Duration::from_millis(400))
        .lifetime_jitter(Duration::from_millis(300))
        .build();
    let leases = futures::future::join_all((0..64).map(|_| pool.checkout())).await;
    drop(leases);
    // Some retire early (jitter up to 300 ms), none outlive max_lifetime.
    tokio::time::sleep(Duration::from_millis(250)).await;
    pool.maintain().await.unwrap();
    let early = 64 - pool.stats().idle;
    assert!(early > 0 && early < 64, "{early} of 64 retired by 250 ms");
    tokio::time::sleep(Duration::from_millis(200)).await;
    pool.maintain().await.unwrap();
    assert_eq!(pool.stats().idle, 0);
}
