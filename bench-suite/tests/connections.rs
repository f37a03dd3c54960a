//! `ResourcePool` against a real TCP server that dies mid-run: broken connections are
//! detected and replaced, the pool never opens more than `max_size` connections, and no
//! checkout outlives its timeout.

use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use perfkit_bench::echo::{self, EchoConnector, EchoServer};
use perfkit_pool::{CheckoutError, Lease, ResourcePool};

/// One request through the pool; on an I/O error the connection is marked broken.
fn request(lease: &mut Lease<EchoConnector>) -> std::io::Result<u64> {
    let result = echo::request(&mut *lease);
    if result.is_err() {
        lease.mark_broken();
    }
    result
}

#[test]
fn a_killed_server_is_detected_and_its_connections_replaced() {
    let mut server = EchoServer::start().unwrap();
    let addr = server.addr();
    let pool = ResourcePool::builder(EchoConnector(addr))
        .max_size(4)
        .timeout(Duration::from_millis(500))
        .build();
    // Warm: four connections, all returned.
    let leases: Vec<_> = (0..4).map(|_| pool.checkout().unwrap()).collect();
    drop(leases);
    assert_eq!(pool.stats().idle, 4);
    for _ in 0..20 {
        assert_eq!(request(&mut pool.checkout().unwrap()).unwrap(), 32);
    }
    assert_eq!(pool.stats().created, 4, "warm requests reuse connections");

    server.kill();
    // Every idle connection is now dead: the health check drops each, and a new connection
    // is refused, as a typed error, promptly.
    let start = Instant::now();
    match pool.checkout() {
        Err(CheckoutError::Create(e)) => {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused)
        }
        Err(other) => panic!("expected a refused connection, got {other}"),
        Ok(mut lease) => panic!(
            "a dead connection passed the health check: {:?}",
            request(&mut lease)
        ),
    }
    assert!(start.elapsed() < Duration::from_secs(2));
    let stats = pool.stats();
    assert_eq!(stats.broken, 4, "{stats:?}");
    assert_eq!(
        (stats.idle, stats.in_use),
        (0, 0),
        "no slot leaked: {stats:?}"
    );

    // The server comes back on the same port: the pool reconnects.
    let server = EchoServer::start_on(addr).unwrap();
    for _ in 0..10 {
        assert_eq!(request(&mut pool.checkout().unwrap()).unwrap(), 32);
    }
    assert!(pool.stats().created >= 5);
    drop(server);
}

#[test]
fn a_connection_that_dies_while_leased_is_marked_broken_and_not_reused() {
    let mut server = EchoServer::start().unwrap();
    let pool = ResourcePool::builder(EchoConnector(server.addr()))
        .max_size(2)
        .build();
    let mut lease = pool.checkout().unwrap();
    assert_eq!(request(&mut lease).unwrap(), 32);
    server.kill();
    assert!(
        request(&mut lease).is_err(),
        "a request on a killed server fails"
    );
    assert!(lease.is_broken());
    drop(lease);
    assert_eq!(pool.stats().idle, 0, "a broken connection is not kept");
}

#[test]
fn many_clients_never_exceed_max_size_and_every_checkout_ends_by_its_timeout() {
    let mut server = EchoServer::start().unwrap();
    let pool = ResourcePool::builder(EchoConnector(server.addr()))
        .max_size(3)
        .timeout(Duration::from_millis(300))
        .build();
    let served = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let slowest = std::sync::Mutex::new(Duration::ZERO);
    std::thread::scope(|s| {
        for client in 0..8 {
            let (pool, served, failed, slowest) = (&pool, &served, &failed, &slowest);
            s.spawn(move || {
                for i in 0..60 {
                    let start = Instant::now();
                    let checkout = pool.checkout();
                    let took = start.elapsed();
                    {
                        let mut slowest = slowest.lock().unwrap();
                        *slowest = (*slowest).max(took);
                    }
                    match checkout {
                        Ok(mut lease) => match request(&mut lease) {
                            Ok(_) => {
                                served.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        },
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if client == 0 && i == 30 {
                        // Some clients are mid-request when the server dies.
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    let stats = pool.stats();
                    assert!(stats.idle + stats.in_use <= 3, "over max_size: {stats:?}");
                }
            });
        }
        std::thread::sleep(Duration::from_millis(30));
        server.kill();
    });
    let slowest = *slowest.lock().unwrap();
    // 300 ms timeout, a 2 s connect timeout in the connector bounds `create`; generous slack
    // for this shared machine.
    assert!(
        slowest < Duration::from_secs(3),
        "a checkout took {slowest:?}"
    );
    assert_eq!(
        served.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed),
        8 * 60
    );
    assert!(served.load(Ordering::Relaxed) > 0);
    let stats = pool.stats();
    assert_eq!(stats.in_use, 0, "{stats:?}");
}

#[test]
fn the_echo_server_forgets_closed_connections() {
    let server = EchoServer::start().unwrap();
    for _ in 0..50 {
        let mut stream: TcpStream = echo::connect(server.addr()).unwrap();
        echo::request(&mut stream).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.open_connections() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} connections still tracked",
            server.open_connections()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
