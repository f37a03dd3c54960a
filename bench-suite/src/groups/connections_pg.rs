//! Area `pool`, groups `connections-pg*`: connection pools against a real PostgreSQL server
//! on loopback (see [`crate::pg`]): N tasks (or threads) share the operations, each a checkout
//! and `SELECT 1` (or the checkout alone), through a new connection per request (baseline),
//! perfkit's pools, deadpool, bb8 and r2d2.

use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use perfkit_pool::{AsyncResourcePool, Manage, ManageAsync, ResourcePool};
use tokio_postgres::NoTls;

use crate::alloc::Tally;
use crate::fixture::Fixture;
use crate::measure::{self, Sample};
use crate::registry::{Case, Group, Role, Throughput};
use crate::waits::Waits;

/// Tasks (or threads) per case.
const TASKS: [usize; 4] = [1, 4, 16, 64];
/// Every pool's `max_size`.
const POOL_SIZE: usize = 8;

/// The runtime the async cases run on: tokio's multi-thread scheduler with 2 workers.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

fn async_config() -> tokio_postgres::Config {
    let mut config: tokio_postgres::Config = crate::pg::url().parse().expect("a PostgreSQL URL");
    config
        .application_name("perfkit-bench")
        .connect_timeout(Duration::from_secs(10));
    config
}

fn sync_config() -> postgres::Config {
    let mut config: postgres::Config = crate::pg::url().parse().expect("a PostgreSQL URL");
    config
        .application_name("perfkit-bench")
        .connect_timeout(Duration::from_secs(10));
    config
}

/// `tasks` tasks on the runtime share `iters` runs of `op`, which returns its answer and how
/// long it waited for its connection; the answer is the sum of theirs, the waits are kept.
fn run_tasks<F, Fut>(tasks: usize, iters: u64, op: F) -> Sample
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = (u64, Duration)> + Send + 'static,
{
    let start = Instant::now();
    let (answer, waits) = runtime().block_on(async move {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let share = iters / tasks as u64 + u64::from((t as u64) < iters % tasks as u64);
                let op = op.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    let mut waits = Waits::default();
                    let mut sum = 0;
                    for _ in 0..share {
                        let (answer, wait) = op().await;
                        sum += answer;
                        waits.record(wait);
                    }
                    (sum, waits, started.elapsed())
                })
            })
            .collect();
        let mut total = 0;
        let mut waits = Waits::default();
        let mut task_times = Vec::with_capacity(tasks);
        for handle in handles {
            let (sum, task_waits, took) = handle.await.expect("a benchmark task panicked");
            total += sum;
            if task_waits.count() > 0 {
                task_times.push(took);
            }
            waits.merge(&task_waits);
        }
        waits.record_spread(&task_times);
        (total, waits)
    });
    Sample {
        elapsed: start.elapsed(),
        // The work runs on the runtime's workers, whose allocations this does not see.
        alloc: Tally::default(),
        answer,
        waits: Some(Box::new(waits)),
    }
}

/// `threads` threads share `iters` runs of `op` (answer, wait), as [`run_tasks`].
fn run_threads(threads: usize, iters: u64, op: impl Fn() -> (u64, Duration) + Sync) -> Sample {
    let all = Mutex::new((Waits::default(), Vec::with_capacity(threads)));
    let mut sample = measure::threads(threads, iters, |_, share| {
        let started = Instant::now();
        let mut waits = Waits::default();
        let sum = (0..share)
            .map(|_| {
                let (answer, wait) = op();
                waits.record(wait);
                answer
            })
            .sum();
        let mut all = all.lock().expect("not poisoned");
        if waits.count() > 0 {
            all.1.push(started.elapsed());
        }
        all.0.merge(&waits);
        sum
    });
    let (mut waits, times) = all.into_inner().expect("not poisoned");
    waits.record_spread(&times);
    sample.waits = Some(Box::new(waits));
    sample
}

async fn select_one(client: &tokio_postgres::Client) -> u64 {
    let one: i32 = client
        .query_one("SELECT 1", &[])
        .await
        .expect("SELECT 1")
        .get(0);
    u64::try_from(one).expect("1")
}

/// perfkit's async connector: tokio-postgres, the connection task on the runtime; a checkout
/// checks the connection is not closed (no round trip, as the peers are configured).
struct PgAsync(tokio_postgres::Config);

impl ManageAsync for PgAsync {
    type Resource = tokio_postgres::Client;
    type Error = tokio_postgres::Error;

    async fn create(&self) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = self.0.connect(NoTls).await?;
        tokio::spawn(connection);
        Ok(client)
    }

    async fn is_valid(&self, client: &mut tokio_postgres::Client) -> bool {
        !client.is_closed()
    }
}

/// perfkit's sync connector: the `postgres` crate.
struct PgSync(postgres::Config);

impl Manage for PgSync {
    type Resource = postgres::Client;
    type Error = postgres::Error;

    fn create(&self) -> Result<postgres::Client, postgres::Error> {
        self.0.connect(postgres::NoTls)
    }

    fn is_valid(&self, client: &mut postgres::Client) -> bool {
        !client.is_closed()
    }
}

type Bb8 = bb8::Pool<bb8_postgres::PostgresConnectionManager<NoTls>>;

/// The pools, built on first use (building the registry connects to nothing).
struct Pools {
    ours: Fixture<AsyncResourcePool<PgAsync>>,
    deadpool: Fixture<deadpool_postgres::Pool>,
    bb8: Fixture<Bb8>,
    naive: Fixture<Naive>,
}

impl Pools {
    fn new() -> Self {
        Self {
            ours: Fixture::new(|| {
                AsyncResourcePool::builder(PgAsync(async_config()))
                    .max_size(POOL_SIZE)
                    .build()
            }),
            deadpool: Fixture::new(|| {
                let manager = deadpool_postgres::Manager::from_config(
                    async_config(),
                    NoTls,
                    deadpool_postgres::ManagerConfig {
                        recycling_method: deadpool_postgres::RecyclingMethod::Fast,
                    },
                );
                deadpool_postgres::Pool::builder(manager)
                    .max_size(POOL_SIZE)
                    .build()
                    .expect("a deadpool")
            }),
            bb8: Fixture::new(|| {
                runtime().block_on(async {
                    bb8::Pool::builder()
                        .max_size(u32::try_from(POOL_SIZE).expect("small"))
                        .test_on_check_out(false)
                        .build(bb8_postgres::PostgresConnectionManager::new(
                            async_config(),
                            NoTls,
                        ))
                        .await
                        .expect("a bb8 pool")
                })
            }),
            naive: Fixture::new(Naive::new),
        }
    }
}

/// The pool people write first: a semaphore of `POOL_SIZE` permits and a mutex-guarded
/// stack of clients, connecting when the stack is empty.
struct Naive {
    permits: tokio::sync::Semaphore,
    clients: Mutex<Vec<tokio_postgres::Client>>,
    config: tokio_postgres::Config,
}

impl Naive {
    fn new() -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(POOL_SIZE),
            clients: Mutex::new(Vec::new()),
            config: async_config(),
        }
    }

    async fn with<R>(&self, f: impl AsyncFnOnce(&tokio_postgres::Client) -> R) -> R {
        let _permit = self.permits.acquire().await.expect("never closed");
        let pooled = self.clients.lock().expect("not poisoned").pop();
        let client = match pooled {
            Some(client) if !client.is_closed() => client,
            _ => {
                let (client, connection) = self.config.connect(NoTls).await.expect("connect");
                tokio::spawn(connection);
                client
            }
        };
        let result = f(&client).await;
        self.clients.lock().expect("not poisoned").push(client);
        result
    }
}

fn async_cases(pools: &Pools, query: bool) -> Vec<Case> {
    let mut cases = Vec::new();
    for tasks in TASKS {
        let (ours, deadpool, bb8, naive) = (pools.ours, pools.deadpool, pools.bb8, pools.naive);
        if query {
            cases.push(Case::new(
                "connect per request",
                Role::Baseline,
                tasks,
                move |n| {
                    run_tasks(tasks, n, || async {
                        let asked = Instant::now();
                        let (client, connection) =
                            async_config().connect(NoTls).await.expect("connect");
                        let wait = asked.elapsed();
                        let task = tokio::spawn(connection);
                        let one = select_one(&client).await;
                        drop(client);
                        let _ = task.await;
                        (one, wait)
                    })
                },
            ));
        } else {
            cases.push(Case::new(
                "Semaphore + Mutex<Vec<Client>>",
                Role::Baseline,
                tasks,
                move |n| {
                    // Built here, on the calling thread, not inside the runtime.
                    let naive = naive.get();
                    run_tasks(tasks, n, move || async move {
                        let asked = Instant::now();
                        naive.with(async |_| (1, asked.elapsed())).await
                    })
                },
            ));
        }
        cases.push(Case::new(
            "perfkit_pool::AsyncResourcePool",
            Role::Pattern,
            tasks,
            move |n| {
                let ours = ours.get();
                run_tasks(tasks, n, move || async move {
                    let asked = Instant::now();
                    let client = ours.checkout().await.expect("a connection");
                    let wait = asked.elapsed();
                    (if query { select_one(&client).await } else { 1 }, wait)
                })
            },
        ));
        cases.push(Case::new(
            "deadpool_postgres::Pool",
            Role::Peer,
            tasks,
            move |n| {
                let deadpool = deadpool.get();
                run_tasks(tasks, n, move || async move {
                    let asked = Instant::now();
                    let client = deadpool.get().await.expect("a connection");
                    let wait = asked.elapsed();
                    (if query { select_one(&client).await } else { 1 }, wait)
                })
            },
        ));
        cases.push(Case::new("bb8::Pool", Role::Peer, tasks, move |n| {
            // Built here: bb8's builder is async and runs on the runtime with `block_on`.
            let bb8 = bb8.get();
            run_tasks(tasks, n, move || async move {
                let asked = Instant::now();
                let client = bb8.get().await.expect("a connection");
                let wait = asked.elapsed();
                (if query { select_one(&client).await } else { 1 }, wait)
            })
        }));
    }
    cases
}

fn sync_cases() -> Vec<Case> {
    let ours = Fixture::new(|| {
        ResourcePool::builder(PgSync(sync_config()))
            .max_size(POOL_SIZE)
            .build()
    });
    let r2d2 = Fixture::new(|| {
        r2d2::Pool::builder()
            .max_size(u32::try_from(POOL_SIZE).expect("small"))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build_unchecked(r2d2_postgres::PostgresConnectionManager::new(
                sync_config(),
                postgres::NoTls,
            ))
    });
    let one = |client: &mut postgres::Client| -> u64 {
        let one: i32 = client.query_one("SELECT 1", &[]).expect("SELECT 1").get(0);
        u64::try_from(one).expect("1")
    };
    let mut cases = Vec::new();
    for threads in TASKS {
        cases.push(Case::new(
            "connect per request",
            Role::Baseline,
            threads,
            move |n| {
                run_threads(threads, n, || {
                    let asked = Instant::now();
                    let mut client = sync_config().connect(postgres::NoTls).expect("connect");
                    let wait = asked.elapsed();
                    (one(&mut client), wait)
                })
            },
        ));
        cases.push(Case::new(
            "perfkit_pool::ResourcePool",
            Role::Pattern,
            threads,
            move |n| {
                let ours = ours.get();
                run_threads(threads, n, || {
                    let asked = Instant::now();
                    let mut client = ours.checkout().expect("a connection");
                    let wait = asked.elapsed();
                    (one(&mut client), wait)
                })
            },
        ));
        cases.push(Case::new("r2d2_postgres", Role::Peer, threads, move |n| {
            let r2d2 = r2d2.get();
            run_threads(threads, n, || {
                let asked = Instant::now();
                let mut client = r2d2.get().expect("a connection");
                let wait = asked.elapsed();
                (one(&mut client), wait)
            })
        }));
    }
    cases
}

pub(super) fn groups() -> Vec<Group> {
    if !crate::pg::available() {
        eprintln!(
            "skipping the connections-pg groups: no PERFKIT_PG_URL and no PostgreSQL binaries \
             (PG_BIN)"
        );
        return Vec::new();
    }
    let pools = Pools::new();
    let common = "A PostgreSQL 15 server on 127.0.0.1 (fsync off; a throwaway cluster). Every \
                  pool holds at most 8 connections and checks a connection only for being \
                  closed (no round trip: deadpool's Fast recycling, bb8 and r2d2 with \
                  test_on_check_out off); N tasks share the operations on tokio's multi-thread \
                  runtime with 2 workers (threads for the sync group). time/op is aggregate; \
                  allocs/op count only the calling thread, not the runtime's workers.";
    vec![
        Group {
            name: "connections-pg",
            area: "pool",
            about: "one checkout and SELECT 1 (tokio-postgres) per op, N async tasks",
            throughput: Some(Throughput::Elements(1)),
            notes: common,
            check_iters: 64,
            cases: async_cases(&pools, true),
        },
        Group {
            name: "connections-pg-checkout",
            area: "pool",
            about: "one checkout and return per op, no query: the pool's own cost, N async tasks",
            throughput: Some(Throughput::Elements(1)),
            notes: common,
            check_iters: 64,
            cases: async_cases(&pools, false),
        },
        Group {
            name: "connections-pg-sync",
            area: "pool",
            about: "one checkout and SELECT 1 (postgres) per op, N threads",
            throughput: Some(Throughput::Elements(1)),
            notes: common,
            check_iters: 64,
            cases: sync_cases(),
        },
    ]
}
