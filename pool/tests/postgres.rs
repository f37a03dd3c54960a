//! Both resource pools against a real PostgreSQL server (`PERFKIT_PG_URL`, started by
//! `.ci/run` from `.ci/postgres.sh`): the server kills pooled backends and the pool heals;
//! 10,000 checkouts cancelled at random points leave exactly the pool's connections open; a
//! wrong password is an authentication error at once; an oversubscribed pool serves every
//! task. Without a server the tests skip, saying so; under `CI=true` they fail instead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use perfkit_pool::{AsyncResourcePool, CheckoutError, Manage, ManageAsync, ResourcePool};
use tokio_postgres::NoTls;

/// The server's URL, or `None` (skip) outside CI.
fn url() -> Option<String> {
    match std::env::var("PERFKIT_PG_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PERFKIT_PG_URL is not set: CI must start PostgreSQL (.ci/postgres.sh)"
            );
            eprintln!("skipping: PERFKIT_PG_URL not set (source .ci/postgres.sh && pg_start)");
            None
        }
    }
}

/// A client config for `url`, tagged with `app` (so a test counts only its own backends).
fn config(url: &str, app: &str) -> tokio_postgres::Config {
    let mut config: tokio_postgres::Config = url.parse().expect("a PostgreSQL URL");
    config
        .application_name(app)
        .connect_timeout(Duration::from_secs(5));
    config
}

/// The async connector: tokio-postgres, its connection task spawned on the test's runtime.
struct Pg(tokio_postgres::Config);

impl ManageAsync for Pg {
    type Resource = tokio_postgres::Client;
    type Error = tokio_postgres::Error;

    async fn create(&self) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = self.0.connect(NoTls).await?;
        tokio::spawn(connection);
        Ok(client)
    }

    async fn is_valid(&self, client: &mut tokio_postgres::Client) -> bool {
        !client.is_closed() && client.simple_query("").await.is_ok()
    }

    fn recycle(&self, client: &mut tokio_postgres::Client) -> bool {
        !client.is_closed()
    }
}

/// How many backends of application `app` the server has, once it has settled on `expected`
/// (a backend whose client went away takes a moment to exit), or after 10 s.
async fn backends(admin: &tokio_postgres::Client, app: &str, expected: i64) -> i64 {
    let start = Instant::now();
    loop {
        let row = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )
            .await
            .expect("count backends");
        let n: i64 = row.get(0);
        if n == expected || start.elapsed() > Duration::from_secs(10) {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn admin(url: &str) -> tokio_postgres::Client {
    let (client, connection) = config(url, "perfkit-admin")
        .connect(NoTls)
        .await
        .expect("connect as admin");
    tokio::spawn(connection);
    client
}

async fn select_one(client: &tokio_postgres::Client) -> i32 {
    client
        .query_one("SELECT 1", &[])
        .await
        .expect("SELECT 1")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_backends_are_replaced_and_the_pool_heals() {
    let Some(url) = url() else { return };
    let app = "perfkit-heal";
    let pool = AsyncResourcePool::builder(Pg(config(&url, app)))
        .max_size(4)
        .build();
    let leases = futures::future::join_all((0..4).map(|_| pool.checkout())).await;
    for lease in &leases {
        assert_eq!(select_one(lease.as_ref().unwrap()).await, 1);
    }
    drop(leases);
    let admin = admin(&url).await;
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 4);
    // Every checkout after the massacre works: dead connections fail `is_valid` and are
    // replaced in their slots (four at once reach all four).
    let leases = futures::future::join_all((0..4).map(|_| pool.checkout())).await;
    for lease in &leases {
        assert_eq!(
            select_one(lease.as_ref().expect("a live connection")).await,
            1
        );
    }
    drop(leases);
    for _ in 0..50 {
        let lease = pool.checkout().await.expect("a live connection");
        assert_eq!(select_one(&lease).await, 1);
    }
    let stats = pool.stats();
    assert_eq!(stats.broken, 4, "{stats:?}");
    assert_eq!(backends(&admin, app, 4).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_randomly_cancelled_checkouts_leave_exactly_the_pools_connections() {
    let Some(url) = url() else { return };
    let app = "perfkit-cancel";
    let pool = AsyncResourcePool::builder(Pg(config(&url, app)))
        .max_size(8)
        .build();
    // Warm: eight connections made (a SCRAM login takes milliseconds), so that the cancels
    // below land in the queue, in `is_valid`, in the query, and, for some, in a `create`.
    drop(futures::future::join_all((0..8).map(|_| pool.checkout())).await);
    let done = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..50u64)
        .map(|t| {
            let (pool, done) = (pool.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                let mut seed = (t + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                for _ in 0..200 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Give up after 0-3 ms: in the queue, in `is_valid`, in `create` (a
                    // connect and login), in the query, or not at all.
                    let budget = if seed % 5 == 0 {
                        Duration::from_millis(200)
                    } else {
                        Duration::from_micros(seed % 3000)
                    };
                    let _ = tokio::time::timeout(budget, async {
                        let mut lease = pool.checkout().await?;
                        lease.begin_request();
                        let one = select_one(&lease).await;
                        lease.end_request();
                        assert_eq!(one, 1);
                        done.fetch_add(1, Ordering::Relaxed);
                        Ok::<_, CheckoutError<tokio_postgres::Error>>(())
                    })
                    .await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = pool.stats();
    assert!(stats.cancelled > 0, "{stats:?}");
    // Every fifth try has 200 ms, enough for a checkout and a query (a fresh login included).
    let done = done.load(Ordering::Relaxed);
    assert!(done > 0, "no checkout finished its query: {stats:?}");
    assert_eq!(
        (stats.in_use, stats.pending, stats.creating),
        (0, 0, 0),
        "{stats:?}"
    );
    let admin = admin(&url).await;
    let idle = i64::try_from(stats.idle).unwrap();
    assert_eq!(backends(&admin, app, idle).await, idle, "{stats:?}");
    // Every pooled connection is clean: none is left mid-query.
    let leases = futures::future::join_all((0..8).map(|_| pool.checkout())).await;
    for lease in &leases {
        assert_eq!(select_one(lease.as_ref().unwrap()).await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_an_authentication_error_at_once() {
    let Some(url) = url() else { return };
    let mut wrong = config(&url, "perfkit-auth");
    wrong.password("not the password");
    let pool = AsyncResourcePool::builder(Pg(wrong))
        .timeout(Duration::from_secs(30))
        .build();
    let start = Instant::now();
    let err = pool.checkout().await.unwrap_err();
    let CheckoutError::Create(e) = &err else {
        panic!("a create error, not {err}")
    };
    assert_eq!(
        e.code(),
        Some(&tokio_postgres::error::SqlState::INVALID_PASSWORD),
        "{e}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversubscribed_pool_serves_every_task_in_turn() {
    let Some(url) = url() else { return };
    let pool = AsyncResourcePool::builder(Pg(config(&url, "perfkit-fifo")))
        .max_size(4)
        .build();
    let waits = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (pool, waits) = (pool.clone(), Arc::clone(&waits));
            tokio::spawn(async move {
                let mut longest = Duration::ZERO;
                for _ in 0..50 {
                    let start = Instant::now();
                    let lease = pool.checkout().await.expect("a connection");
                    longest = longest.max(start.elapsed());
                    select_one(&lease).await;
                }
                waits.lock().unwrap().push(longest);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let waits = waits.lock().unwrap();
    assert_eq!(waits.len(), 16, "every task finished its 50 checkouts");
    let longest = waits.iter().max().unwrap();
    // Served in turn: no task waits more than a few rounds of the others' queries.
    assert!(*longest < Duration::from_secs(2), "{waits:?}");
    assert!(pool.stats().created <= 4);
}

/// The sync connector: the `postgres` crate.
struct PgSync(postgres::Config);

impl Manage for PgSync {
    type Resource = postgres::Client;
    type Error = postgres::Error;

    fn create(&self) -> Result<postgres::Client, postgres::Error> {
        self.0.connect(postgres::NoTls)
    }

    fn is_valid(&self, client: &mut postgres::Client) -> bool {
        client.is_valid(Duration::from_secs(2)).is_ok()
    }

    fn recycle(&self, client: &mut postgres::Client) -> bool {
        !client.is_closed()
    }
}

#[test]
fn the_sync_pool_heals_after_terminated_backends_too() {
    let Some(url) = url() else { return };
    let app = "perfkit-sync";
    let mut config: postgres::Config = url.parse().unwrap();
    config
        .application_name(app)
        .connect_timeout(Duration::from_secs(5));
    let pool = ResourcePool::builder(PgSync(config.clone()))
        .max_size(3)
        .build();
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let mut client = pool.checkout().expect("a connection");
                    let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
                    assert_eq!(one, 1);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut admin = config
        .application_name("perfkit-admin")
        .connect(postgres::NoTls)
        .unwrap();
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .get(0);
    assert!(killed >= 1);
    // Three at once reach every pooled connection; each dead one is replaced.
    let mut clients: Vec<_> = (0..3)
        .map(|_| pool.checkout().expect("a live connection"))
        .collect();
    for client in &mut clients {
        let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
        assert_eq!(one, 1);
    }
    drop(clients);
    assert_eq!(pool.stats().broken, u64::try_from(killed).unwrap());
}
