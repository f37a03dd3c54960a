//! The standalone server: Go's endpoints on a background thread, over `tiny_http` (a small,
//! synchronous HTTP/1.1 server with no async runtime: the right weight for a debug port).

use crate::handler::{self, Response};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

/// Requests served at once; more get 503 (a CPU profile holds its request for its duration).
const MAX_IN_FLIGHT: usize = 8;

/// A running profiling server; dropping it stops it (requests in flight finish on their own
/// threads).
pub struct Server {
    http: Arc<tiny_http::Server>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

/// Serve Go's `/debug/pprof/` endpoints and `/debug/vars` on `addr`, from a background
/// thread. Bind to loopback (`127.0.0.1:6060`): these endpoints show the program's code,
/// memory and command line, and a CPU profile costs CPU; they must never face the internet.
///
/// ```no_run
/// let server = perfkit_profile::serve("127.0.0.1:6060")?;
/// println!("go tool pprof http://{}/debug/pprof/heap", server.local_addr());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// When `addr` resolves to nothing or cannot be bound.
pub fn serve(addr: impl ToSocketAddrs) -> io::Result<Server> {
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind"))?;
    let http = tiny_http::Server::http(addr).map_err(io::Error::other)?;
    let addr = http
        .server_addr()
        .to_ip()
        .ok_or_else(|| io::Error::other("not an IP listener"))?;
    let http = Arc::new(http);
    let server = Arc::clone(&http);
    let accept = std::thread::Builder::new()
        .name("perfkit-pprof".into())
        .spawn(move || accept_loop(&server))?;
    Ok(Server {
        http,
        addr,
        accept: Some(accept),
    })
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// The bound address (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.http.unblock();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(server: &tiny_http::Server) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    for request in server.incoming_requests() {
        if in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_IN_FLIGHT {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            let _ = request.respond(
                tiny_http::Response::from_string("too many profiling requests at once\n")
                    .with_status_code(503),
            );
            continue;
        }
        let count = Arc::clone(&in_flight);
        let spawned = std::thread::Builder::new()
            .name("perfkit-pprof-request".into())
            .spawn(move || {
                struct Done(Arc<AtomicUsize>);
                impl Drop for Done {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::AcqRel);
                    }
                }
                let _done = Done(count);
                respond(request);
            });
        if spawned.is_err() {
            in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Bodies beyond this are refused (a symbol request is a few KiB of addresses).
const MAX_BODY: u64 = 1 << 20;

fn respond(mut request: tiny_http::Request) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let mut body = Vec::new();
    if let Some(len) = request.body_length()
        && len as u64 > MAX_BODY
    {
        let _ = request.respond(
            tiny_http::Response::from_string("request body too large\n").with_status_code(413),
        );
        return;
    }
    {
        use std::io::Read as _;
        let _ = request.as_reader().take(MAX_BODY).read_to_end(&mut body);
    }
    let r: Response = handler::handle(path, query, &body);
    let mut response = tiny_http::Response::from_data(r.body).with_status_code(r.status);
    if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", r.content_type) {
        response.add_header(h);
    }
    if let Some(d) = r.content_disposition
        && let Ok(h) = tiny_http::Header::from_bytes("Content-Disposition", d)
    {
        response.add_header(h);
    }
    let _ = request.respond(response);
}
