//! `ResourcePool` with a fake connector that counts live resources: the limit holds under
//! contention, failed creates free their slot, timeouts end on time, broken and expired
//! resources are replaced. (The TCP tests, with a real server killed mid-run, are in
//! `bench-suite/tests/connections.rs`, next to the echo server they share with the bench.)

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use perfkit_pool::{CheckoutError, Manage, ResourcePool};

mod common;

/// Counts live resources and the peak; can be told to fail creates or validations.
#[derive(Default)]
struct Fake {
    live: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    made: AtomicUsize,
    fail_creates: AtomicUsize,
    invalid: AtomicBool,
    refuse_recycle: AtomicBool,
}

struct Conn {
    id: usize,
    live: Arc<AtomicUsize>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused")
    }
}

impl std::error::Error for Refused {}

/// The pool's handle on the fake (the test keeps another, to look inside).
struct Handle(Arc<Fake>);

impl Manage for Handle {
    type Resource = Conn;
    type Error = Refused;

    fn create(&self) -> Result<Conn, Refused> {
        let fake = &*self.0;
        if fake
            .fail_creates
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Refused);
        }
        let live = fake.live.fetch_add(1, Ordering::SeqCst) + 1;
        fake.peak.fetch_max(live, Ordering::SeqCst);
        Ok(Conn {
            id: fake.made.fetch_add(1, Ordering::SeqCst),
            live: Arc::clone(&fake.live),
        })
    }

    fn is_valid(&self, _: &mut Conn) -> bool {
        !self.0.invalid.load(Ordering::SeqCst)
    }

    fn recycle(&self, _: &mut Conn) -> bool {
        !self.0.refuse_recycle.load(Ordering::SeqCst)
    }
}

fn pool(max_size: usize) -> (Arc<Fake>, ResourcePool<Handle>) {
    let fake = Arc::new(Fake::default());
    let pool = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .max_size(max_size)
        .timeout(Duration::from_secs(10))
        .build();
    (fake, pool)
}

#[test]
fn more_threads_than_max_size_never_exceed_it() {
    let threads = 8;
    let (fake, pool) = pool(3);
    let checkouts = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (pool, checkouts, fake) = (&pool, &checkouts, &fake);
            s.spawn(move || {
                for i in 0..200 {
                    let mut lease = pool.checkout().expect("a resource within 10 s");
                    assert!(fake.live.load(Ordering::SeqCst) <= 3);
                    checkouts.fetch_add(1, Ordering::Relaxed);
                    if (t + i) % 17 == 0 {
                        lease.mark_broken();
                    }
                    std::hint::black_box(lease.id);
                }
            });
        }
    });
    assert!(
        fake.peak.load(Ordering::SeqCst) <= 3,
        "peak {}",
        fake.peak.load(Ordering::SeqCst)
    );
    let stats = pool.stats();
    assert_eq!(checkouts.load(Ordering::Relaxed), threads * 200);
    assert_eq!(stats.in_use, 0);
    assert!(stats.idle <= 3);
    assert_eq!(stats.idle, fake.live.load(Ordering::SeqCst));
    assert!(stats.broken > 0 && stats.created >= 3);
    assert_eq!(stats.created + stats.reused, (threads * 200) as u64);
}

#[test]
fn a_failed_create_frees_its_slot() {
    let (fake, pool) = pool(2);
    fake.fail_creates.store(5, Ordering::SeqCst);
    for _ in 0..5 {
        match pool.checkout() {
            Err(CheckoutError::Create(e)) => assert_eq!(e.to_string(), "connection refused"),
            other => panic!("expected a create error, got {:?}", other.map(|l| l.id)),
        }
    }
    // Both slots are still there.
    let a = pool.checkout().unwrap();
    let b = pool.checkout().unwrap();
    assert_eq!(fake.live.load(Ordering::SeqCst), 2);
    assert_eq!(pool.stats().create_errors, 5);
    let err = pool
        .checkout_timeout(Duration::from_millis(10))
        .map(|l| l.id)
        .unwrap_err();
    assert!(err.is_timeout());
    assert!(err.to_string().contains("10ms"), "{err}");
    drop((a, b));
}

#[test]
fn a_checkout_ends_by_its_timeout() {
    let (_fake, pool) = pool(1);
    let held = pool.checkout().unwrap();
    for timeout in [
        Duration::ZERO,
        Duration::from_millis(30),
        Duration::from_millis(120),
    ] {
        let start = Instant::now();
        let err = pool.checkout_timeout(timeout).map(|l| l.id).unwrap_err();
        let took = start.elapsed();
        assert!(err.is_timeout());
        assert!(took >= timeout, "returned early: {took:?} < {timeout:?}");
        // Generous: this machine is shared; the point is that it does not hang.
        assert!(
            took < timeout + Duration::from_secs(2),
            "hung: {took:?} for {timeout:?}"
        );
    }
    assert_eq!(pool.stats().timeouts, 3);
    drop(held);
}

#[test]
fn a_waiter_gets_the_resource_returned_while_it_waits() {
    let (_fake, pool) = pool(1);
    let held = pool.checkout().unwrap();
    let id = held.id;
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            barrier.wait();
            pool.checkout_timeout(Duration::from_secs(10)).map(|l| l.id)
        });
        barrier.wait();
        std::thread::sleep(Duration::from_millis(20));
        drop(held);
        assert_eq!(waiter.join().unwrap().unwrap(), id);
    });
    let stats = pool.stats();
    assert_eq!(stats.waits, 1);
    assert!(stats.wait_time > Duration::ZERO);
}

#[test]
fn invalid_broken_and_unrecyclable_resources_are_replaced() {
    let (fake, pool) = pool(2);
    let first = pool.checkout().unwrap().id;
    fake.invalid.store(true, Ordering::SeqCst);
    let second = pool.checkout().unwrap();
    assert_ne!(second.id, first, "an invalid idle resource was handed out");
    fake.invalid.store(false, Ordering::SeqCst);
    let mut second = second;
    second.mark_broken();
    assert!(second.is_broken());
    drop(second);
    fake.refuse_recycle.store(true, Ordering::SeqCst);
    drop(pool.checkout().unwrap());
    assert_eq!(pool.stats().idle, 0);
    assert_eq!(pool.stats().broken, 3);
    assert_eq!(fake.live.load(Ordering::SeqCst), 0);
}

#[test]
fn try_checkout_never_waits_or_creates() {
    let (fake, pool) = pool(1);
    assert!(pool.try_checkout().is_none());
    assert_eq!(fake.made.load(Ordering::SeqCst), 0);
    drop(pool.checkout().unwrap());
    let lease = pool.try_checkout().expect("the idle one");
    assert!(pool.try_checkout().is_none());
    drop(lease);
}

#[test]
fn a_holder_that_panics_drops_its_resource() {
    let (fake, pool) = pool(1);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _lease = pool.checkout().unwrap();
        panic!("request failed mid-way");
    }));
    assert!(result.is_err());
    assert_eq!(pool.stats().broken, 1);
    assert_eq!(fake.live.load(Ordering::SeqCst), 0);
    assert!(pool.checkout().is_ok());
}

#[test]
fn lifetimes_retire_resources_and_min_idle_is_kept_ready() {
    let fake = Arc::new(Fake::default());
    let pool = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .max_size(4)
        .min_idle(2)
        .max_lifetime(Duration::from_millis(60))
        .build();
    let deadline = Instant::now() + Duration::from_secs(5);
    while pool.stats().idle < 2 {
        assert!(
            Instant::now() < deadline,
            "min_idle never reached: {:?}",
            pool.stats()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let first_ids: Vec<usize> = [pool.checkout().unwrap(), pool.checkout().unwrap()]
        .iter()
        .map(|l| l.id)
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    // Every resource made at the start has passed its lifetime: none is handed out again.
    let lease = pool.checkout().unwrap();
    assert!(
        !first_ids.contains(&lease.id),
        "an expired resource was reused"
    );
    drop(lease);
    assert!(pool.stats().closed >= 2, "{:?}", pool.stats());
    let idle_timeout = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .idle_timeout(Duration::from_millis(20))
        .build();
    let id = idle_timeout.checkout().unwrap().id;
    std::thread::sleep(Duration::from_millis(60));
    assert_ne!(
        idle_timeout.checkout().unwrap().id,
        id,
        "an idle-expired resource was reused"
    );
}

#[test]
fn dropping_the_pool_closes_idle_resources_and_stops_maintenance() {
    let fake = Arc::new(Fake::default());
    let pool = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .max_size(3)
        .min_idle(3)
        .build();
    let deadline = Instant::now() + Duration::from_secs(5);
    while pool.stats().idle < 3 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    let lease = pool.checkout().unwrap();
    let clone = pool.clone();
    drop(pool);
    assert_eq!(
        fake.live.load(Ordering::SeqCst),
        3,
        "a clone keeps the pool open"
    );
    drop(clone);
    assert_eq!(
        fake.live.load(Ordering::SeqCst),
        1,
        "idle resources close with the last handle"
    );
    drop(lease);
    assert_eq!(
        fake.live.load(Ordering::SeqCst),
        0,
        "a lease returning to a closed pool drops"
    );
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        fake.made.load(Ordering::SeqCst),
        3,
        "no resources made after the pool closed"
    );
}

/// A connector whose every piece of user code can be told to panic.
#[derive(Default)]
struct Panicky {
    live: Arc<AtomicUsize>,
    panic_creates: AtomicUsize,
    panic_is_valid: AtomicBool,
    panic_recycle: AtomicBool,
}

struct PanickyConn {
    live: Arc<AtomicUsize>,
    panic_on_drop: bool,
}

impl Drop for PanickyConn {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
        if self.panic_on_drop && !std::thread::panicking() {
            panic!("a resource's Drop panics");
        }
    }
}

struct PanickyHandle(Arc<Panicky>);

impl Manage for PanickyHandle {
    type Resource = PanickyConn;
    type Error = Refused;

    fn create(&self) -> Result<PanickyConn, Refused> {
        let p = &*self.0;
        if p.panic_creates
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            panic!("create panics");
        }
        p.live.fetch_add(1, Ordering::SeqCst);
        Ok(PanickyConn {
            live: Arc::clone(&p.live),
            panic_on_drop: false,
        })
    }

    fn is_valid(&self, _: &mut PanickyConn) -> bool {
        assert!(
            !self.0.panic_is_valid.load(Ordering::SeqCst),
            "is_valid panics"
        );
        true
    }

    fn recycle(&self, _: &mut PanickyConn) -> bool {
        assert!(
            !self.0.panic_recycle.load(Ordering::SeqCst),
            "recycle panics"
        );
        true
    }
}

fn panicky_pool(max_size: usize) -> (Arc<Panicky>, ResourcePool<PanickyHandle>) {
    let p = Arc::new(Panicky::default());
    let pool = ResourcePool::builder(PanickyHandle(Arc::clone(&p)))
        .max_size(max_size)
        .timeout(Duration::from_millis(200))
        .build();
    (p, pool)
}

fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
}

#[test]
fn a_panicking_recycle_frees_its_slot() {
    let (p, pool) = panicky_pool(1);
    for _ in 0..3 {
        let lease = pool.checkout().unwrap();
        p.panic_recycle.store(true, Ordering::SeqCst);
        assert!(
            quietly(|| drop(lease)).is_err(),
            "recycle's panic reaches the caller"
        );
        p.panic_recycle.store(false, Ordering::SeqCst);
        assert_eq!(p.live.load(Ordering::SeqCst), 0, "the resource was dropped");
        // Before the fix the only slot stayed taken and this timed out.
        assert!(pool.checkout().is_ok(), "{:?}", pool.stats());
    }
    let stats = pool.stats();
    assert_eq!(
        (stats.in_use, stats.idle, stats.broken),
        (0, 1, 3),
        "{stats:?}"
    );
}

#[test]
fn a_panicking_is_valid_frees_its_slot() {
    let (p, pool) = panicky_pool(1);
    drop(pool.checkout().unwrap());
    p.panic_is_valid.store(true, Ordering::SeqCst);
    assert!(quietly(|| pool.checkout()).is_err());
    assert!(
        quietly(|| pool.try_checkout()).is_ok(),
        "nothing idle left to validate"
    );
    p.panic_is_valid.store(false, Ordering::SeqCst);
    assert_eq!(p.live.load(Ordering::SeqCst), 0);
    let stats = pool.stats();
    assert_eq!(
        (stats.in_use, stats.idle, stats.broken),
        (0, 0, 1),
        "{stats:?}"
    );
    assert!(pool.checkout().is_ok(), "{:?}", pool.stats());
}

#[test]
fn a_panicking_drop_of_a_resource_frees_its_slot() {
    let (p, pool) = panicky_pool(1);
    let mut lease = pool.checkout().unwrap();
    lease.panic_on_drop = true;
    lease.mark_broken();
    assert!(quietly(|| drop(lease)).is_err());
    assert_eq!(p.live.load(Ordering::SeqCst), 0);
    assert!(pool.checkout().is_ok(), "{:?}", pool.stats());
    // Cleared and expired resources too.
    let mut lease = pool.checkout().unwrap();
    lease.panic_on_drop = true;
    drop(lease);
    assert_eq!(pool.stats().idle, 1);
    assert!(quietly(|| pool.clear()).is_err());
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.idle), (0, 0), "{stats:?}");
    assert!(pool.checkout().is_ok());
}

#[test]
fn a_panicking_create_frees_its_slot_and_counts_as_an_error() {
    let (p, pool) = panicky_pool(1);
    p.panic_creates.store(2, Ordering::SeqCst);
    assert!(quietly(|| pool.checkout()).is_err());
    assert!(quietly(|| pool.checkout()).is_err());
    assert!(pool.checkout().is_ok());
    assert_eq!(pool.stats().create_errors, 2);
}

#[test]
fn the_maintenance_thread_survives_panics_in_user_code() {
    let p = Arc::new(Panicky {
        panic_creates: AtomicUsize::new(3),
        ..Panicky::default()
    });
    let pool = ResourcePool::builder(PanickyHandle(Arc::clone(&p)))
        .max_size(2)
        .min_idle(2)
        .idle_timeout(Duration::from_millis(4))
        .build();
    let deadline = Instant::now() + Duration::from_secs(10);
    // Each of the first three rounds dies in `create`; later rounds must still top up.
    while pool.stats().maintenance_panics < 3 || pool.stats().idle < 2 {
        assert!(
            Instant::now() < deadline,
            "maintenance stopped: {:?}",
            pool.stats()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(pool.stats().create_errors, 3);
}

/// The pool the expiring resources below look at from their `Drop`.
static SEEN_FROM_DROP: std::sync::OnceLock<ResourcePool<LooksBack>> = std::sync::OnceLock::new();

struct LooksBack;

/// A resource whose `Drop` reads the pool's stats, which takes the pool's lock: under the
/// lock that deadlocks (or panics), so it proves `Drop` runs without it.
struct Peeker;

impl Drop for Peeker {
    fn drop(&mut self) {
        if let Some(pool) = SEEN_FROM_DROP.get() {
            let _ = pool.stats();
        }
    }
}

impl Manage for LooksBack {
    type Resource = Peeker;
    type Error = Refused;

    fn create(&self) -> Result<Peeker, Refused> {
        Ok(Peeker)
    }

    fn is_valid(&self, _: &mut Peeker) -> bool {
        true
    }
}

#[test]
fn expired_resources_are_dropped_without_the_lock() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let pool = SEEN_FROM_DROP.get_or_init(|| {
            ResourcePool::builder(LooksBack)
                .max_size(2)
                .max_lifetime(Duration::from_millis(30))
                .timeout(Duration::from_secs(5))
                .build()
        });
        // A checkout just after the lifetime ends finds the resources expired before the
        // maintenance thread (every 7.5 ms) does, in most rounds.
        for _ in 0..20 {
            let (a, b) = (pool.checkout().unwrap(), pool.checkout().unwrap());
            drop((a, b));
            std::thread::sleep(Duration::from_millis(31));
            drop(pool.checkout().unwrap());
        }
        drop(pool.try_checkout());
        pool.clear();
        done_tx.send(pool.stats()).unwrap();
    });
    let stats = done_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a resource's Drop ran under the pool's lock (deadlock)");
    assert!(stats.closed >= 2, "{stats:?}");
}

/// Checkouts per thread in the panic stress test (see `common::stress`).
fn stress_checkouts() -> usize {
    common::stress(2_000)
}

/// Panics (without the panic hook's message: `resume_unwind`) on every `n`th call.
struct Sometimes {
    calls: AtomicUsize,
    live: Arc<AtomicUsize>,
}

impl Sometimes {
    fn maybe_panic(&self, every: usize) {
        if self
            .calls
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(every)
        {
            std::panic::resume_unwind(Box::new("injected"));
        }
    }
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Flaky(Arc<Sometimes>);

impl Manage for Flaky {
    type Resource = Counted;
    type Error = Refused;

    fn create(&self) -> Result<Counted, Refused> {
        self.0.maybe_panic(7);
        self.0.live.fetch_add(1, Ordering::SeqCst);
        Ok(Counted(Arc::clone(&self.0.live)))
    }

    fn is_valid(&self, _: &mut Counted) -> bool {
        self.0.maybe_panic(5);
        true
    }

    fn recycle(&self, _: &mut Counted) -> bool {
        self.0.maybe_panic(3);
        true
    }
}

#[test]
fn stress_panics_in_user_code_never_lose_a_slot() {
    let flaky = Arc::new(Sometimes {
        calls: AtomicUsize::new(1),
        live: Arc::new(AtomicUsize::new(0)),
    });
    let max_size = 2;
    let pool = ResourcePool::builder(Flaky(Arc::clone(&flaky)))
        .max_size(max_size)
        .timeout(Duration::from_secs(30))
        .build();
    let (threads, each) = (4, stress_checkouts());
    let start = Barrier::new(threads);
    let served = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for _ in 0..each {
                    let outcome = quietly(|| {
                        let lease = pool.checkout().expect("a slot is always freed in time");
                        assert!(flaky.live.load(Ordering::SeqCst) <= max_size);
                        drop(lease);
                    });
                    if outcome.is_ok() {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let stats = pool.stats();
    assert_eq!(stats.in_use, 0, "{stats:?}");
    assert_eq!(flaky.live.load(Ordering::SeqCst), stats.idle, "{stats:?}");
    assert!(stats.idle <= max_size);
    assert!(served.load(Ordering::Relaxed) > 0);
    // Every slot is still there: max_size leases at once, promptly.
    flaky.calls.store(2, Ordering::SeqCst); // off the panicking residues for a moment
    let leases: Vec<_> = (0..max_size)
        .map(|_| {
            loop {
                if let Ok(Ok(lease)) = quietly(|| pool.checkout_timeout(Duration::from_secs(5))) {
                    break lease;
                }
            }
        })
        .collect();
    assert_eq!(leases.len(), max_size);
    drop(leases);
}

#[test]
fn a_create_error_is_the_source_not_repeated_in_the_message() {
    use std::error::Error as _;
    let (fake, pool) = pool(1);
    fake.fail_creates.store(1, Ordering::SeqCst);
    let Err(err) = pool.checkout() else {
        panic!("the create was told to fail")
    };
    assert_eq!(err.to_string(), "creating a resource failed");
    assert_eq!(err.source().unwrap().to_string(), "connection refused");
}

#[test]
fn test_on_checkout_false_skips_the_health_check() {
    let fake = Arc::new(Fake::default());
    let pool = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .max_size(1)
        .test_on_checkout(false)
        .build();
    drop(pool.checkout().unwrap());
    fake.invalid.store(true, Ordering::SeqCst);
    // The check would refuse it; unchecked, the same resource comes back.
    assert_eq!(pool.checkout().unwrap().id, 0);
    assert_eq!(pool.stats().broken, 0);
}

#[test]
fn a_detached_resource_leaves_the_pool_and_frees_its_slot() {
    let (fake, pool) = pool(1);
    let conn = pool.checkout().unwrap().detach();
    assert_eq!(pool.stats().in_use, 0);
    assert_eq!(pool.stats().detached, 1);
    // The slot is free: a second resource can be made while the first lives on.
    let second = pool.checkout().unwrap();
    assert_eq!((conn.id, second.id), (0, 1));
    assert_eq!(fake.live.load(Ordering::SeqCst), 2);
    drop(conn);
    drop(second);
    assert_eq!(
        fake.live.load(Ordering::SeqCst),
        1,
        "only the pooled one remains"
    );
}

#[test]
fn close_fails_waiting_and_later_checkouts_and_drops_resources() {
    let (fake, pool) = pool(1);
    let lease = pool.checkout().unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| pool.checkout_timeout(Duration::from_secs(20)));
        std::thread::sleep(Duration::from_millis(50));
        pool.close();
        assert!(matches!(waiter.join().unwrap(), Err(CheckoutError::Closed)));
    });
    assert!(pool.is_closed());
    assert!(matches!(pool.checkout(), Err(CheckoutError::Closed)));
    drop(lease);
    assert_eq!(
        fake.live.load(Ordering::SeqCst),
        0,
        "a lease returning to a closed pool drops"
    );
}

#[test]
fn try_build_fails_fast_and_the_error_handler_sees_background_errors() {
    let fake = Arc::new(Fake {
        fail_creates: AtomicUsize::new(1),
        ..Fake::default()
    });
    let refused = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .max_size(3)
        .min_idle(2)
        .try_build();
    assert!(matches!(refused, Err(CheckoutError::Create(Refused))));
    // A reachable server: min_idle resources exist when try_build returns.
    let pool = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .max_size(3)
        .min_idle(2)
        .try_build()
        .unwrap();
    assert!(pool.stats().idle >= 2, "{:?}", pool.stats());
    // Background errors reach the handler.
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = Arc::clone(&seen);
    fake.fail_creates.store(1_000_000, Ordering::SeqCst);
    let _pool = ResourcePool::builder(Handle(Arc::clone(&fake)))
        .max_size(2)
        .min_idle(1)
        .idle_timeout(Duration::from_millis(8))
        .error_handler(move |_: &Refused| {
            seen2.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.load(Ordering::SeqCst) < 2 {
        assert!(
            Instant::now() < deadline,
            "the handler saw no background error"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits until `pool` has `n` checkouts queued.
fn until_pending(pool: &ResourcePool<Handle>, n: usize) {
    let start = Instant::now();
    while pool.stats().pending < n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no waiter queued"
        );
        std::thread::yield_now();
    }
}

#[test]
fn strict_fifo_hands_a_returned_resource_to_the_waiter() {
    let (_fake, pool) = pool(1);
    let held = pool.checkout().unwrap();
    let release = Barrier::new(2);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let lease = pool.checkout();
            // Hold it until the returning thread has tried to take it back.
            release.wait();
            lease.map(|lease| lease.id)
        });
        until_pending(&pool, 1);
        drop(held);
        // Granted to the waiter (picked up or not yet): the thread that returned it cannot
        // take it back.
        assert!(pool.try_checkout().is_none());
        release.wait();
        assert!(waiter.join().unwrap().is_ok());
    });
}
