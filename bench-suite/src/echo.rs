//! An in-process TCP echo server on 127.0.0.1, and a connector for it: the "remote service"
//! behind the connection-pool bench (group `connections`) and its tests, which kill the server
//! mid-run.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use perfkit_pool::Manage;

/// A request: 32 bytes, echoed back whole.
pub const REQUEST: &[u8; 32] = b"GET /health HTTP/1.1 id=00000042";

/// A thread-per-connection echo server (the simple blocking server a connect-per-request
/// client meets: every connection costs an accept and a thread).
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// Open connections by number, so `kill` can shut them; each handler removes its own.
    connections: Arc<Mutex<HashMap<u64, TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// A server on a free port of 127.0.0.1.
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start() -> io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// A server on `addr` (to restart one where a killed one was).
    ///
    /// # Errors
    /// When `addr` cannot be bound.
    pub fn start_on(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(HashMap::new()));
        let acceptor = {
            let (stop, connections) = (Arc::clone(&stop), Arc::clone(&connections));
            std::thread::Builder::new()
                .name("echo-accept".into())
                .spawn(move || {
                    for (id, stream) in (0u64..).zip(listener.incoming()) {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let Ok(stream) = stream else { continue };
                        let _ = stream.set_nodelay(true);
                        let Ok(clone) = stream.try_clone() else {
                            continue;
                        };
                        connections
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(id, clone);
                        let connections = Arc::clone(&connections);
                        let _ =
                            std::thread::Builder::new()
                                .name("echo-conn".into())
                                .spawn(move || {
                                    echo(stream);
                                    connections
                                        .lock()
                                        .unwrap_or_else(PoisonError::into_inner)
                                        .remove(&id);
                                });
                    }
                })?
        };
        Ok(Self {
            addr,
            stop,
            connections,
            acceptor: Some(acceptor),
        })
    }

    /// Where the server listens.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections open right now.
    #[must_use]
    pub fn open_connections(&self) -> usize {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Stops accepting and shuts down every open connection, as a crashed server would.
    pub fn kill(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // Wake the blocking accept so that it sees the flag; the listener closes with it.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            let _ = acceptor.join();
        }
        for (_, stream) in self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
        {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn echo(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// Opens a client connection to `addr`, as a pooled connection would be opened.
///
/// # Errors
/// When the connection fails.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    Ok(stream)
}

/// One request over `stream`: send [`REQUEST`], read the echo; returns the bytes echoed.
///
/// # Errors
/// When the connection fails or the echo differs.
pub fn request(stream: &mut TcpStream) -> io::Result<u64> {
    stream.write_all(REQUEST)?;
    let mut reply = [0u8; REQUEST.len()];
    stream.read_exact(&mut reply)?;
    if &reply != REQUEST {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the echo differs",
        ));
    }
    Ok(reply.len() as u64)
}

/// A [`Manage`] for connections to an echo server: connects with a timeout and checks a
/// connection before reuse by peeking for a closed peer.
#[derive(Debug)]
pub struct EchoConnector(pub SocketAddr);

impl Manage for EchoConnector {
    type Resource = TcpStream;
    type Error = io::Error;

    fn create(&self) -> io::Result<TcpStream> {
        connect(self.0)
    }

    fn is_valid(&self, stream: &mut TcpStream) -> bool {
        // An idle connection has nothing to read; a closed one reads as end of stream.
        if stream.set_nonblocking(true).is_err() {
            return false;
        }
        let idle =
            matches!(stream.peek(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        stream.set_nonblocking(false).is_ok() && idle
    }
}
