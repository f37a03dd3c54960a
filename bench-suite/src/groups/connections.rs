//! Area `pool`, group `connections`: one small request per op to an in-process TCP echo server,
//! over a new connection per request (baseline) or a pooled one.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use perfkit_pool::ResourcePool;

use crate::echo::{self, EchoConnector, EchoServer};
use crate::measure;
use crate::registry::{Case, Group, Role, Throughput};

/// The server every case talks to, started once for the process.
fn server() -> SocketAddr {
    static SERVER: OnceLock<EchoServer> = OnceLock::new();
    SERVER
        .get_or_init(|| EchoServer::start().expect("bind an echo server on 127.0.0.1"))
        .addr()
}

/// r2d2's view of the same connector.
#[derive(Debug)]
struct R2d2Echo(SocketAddr);

impl r2d2::ManageConnection for R2d2Echo {
    type Connection = TcpStream;
    type Error = io::Error;

    fn connect(&self) -> io::Result<TcpStream> {
        echo::connect(self.0)
    }

    fn is_valid(&self, stream: &mut TcpStream) -> io::Result<()> {
        use perfkit_pool::Manage;
        if EchoConnector(self.0).is_valid(stream) {
            Ok(())
        } else {
            Err(io::ErrorKind::ConnectionReset.into())
        }
    }

    fn has_broken(&self, _: &mut TcpStream) -> bool {
        false
    }
}

/// `threads` clients doing `iters` requests in all with `op`; the answer is the bytes echoed.
fn case<S: Send + Sync + 'static>(
    name: &str,
    role: Role,
    threads: usize,
    state: S,
    op: fn(&S) -> u64,
) -> Case {
    let state = Arc::new(state);
    Case::new(name, role, threads, move |iters| {
        measure::threads(threads, iters, |_, n| (0..n).map(|_| op(&state)).sum())
    })
}

fn client_cases(threads: usize) -> Vec<Case> {
    let addr = server();
    let max_size = threads.max(2);
    vec![
        case(
            "connect per request",
            Role::Baseline,
            threads,
            addr,
            |&addr| {
                let mut stream = echo::connect(addr).expect("connect");
                echo::request(&mut stream).expect("echo")
            },
        ),
        case(
            "perfkit_pool::ResourcePool",
            Role::Pattern,
            threads,
            ResourcePool::builder(EchoConnector(addr))
                .max_size(max_size)
                .build(),
            |pool| {
                let mut lease = pool.checkout().expect("a connection");
                echo::request(&mut lease).expect("echo")
            },
        ),
        case(
            "r2d2::Pool",
            Role::Peer,
            threads,
            r2d2::Pool::builder()
                .max_size(u32::try_from(max_size).unwrap_or(u32::MAX))
                .connection_timeout(Duration::from_secs(5))
                .build_unchecked(R2d2Echo(addr)),
            |pool| {
                let mut conn = pool.get().expect("a connection");
                echo::request(&mut conn).expect("echo")
            },
        ),
    ]
}

pub(super) fn groups() -> Vec<Group> {
    let mut cases = client_cases(1);
    cases.extend(client_cases(4));
    vec![Group {
        name: "connections",
        area: "pool",
        about: "one 32-byte request/echo over TCP to 127.0.0.1; time/op is aggregate over client threads",
        throughput: Some(Throughput::Elements(1)),
        notes: "The server is in-process, thread-per-connection (a new connection costs an accept \
                and a thread spawn, as on a simple blocking server). Pools hold up to \
                max(threads, 2) connections, checked with a non-blocking peek before reuse (r2d2 \
                runs the same check). 4 client threads on this 2-core machine are \
                oversubscribed, with the server's threads besides.",
        check_iters: 64,
        cases,
    }]
}
