//! The user's side of a resource pool: how to make, check and recycle a resource.

/// The user's connector: makes resources, checks them, cleans them for reuse.
///
/// # Examples
/// ```
/// use std::net::{SocketAddr, TcpStream};
/// use std::time::Duration;
/// use perfkit_pool::Manage;
///
/// struct Tcp(SocketAddr);
///
/// impl Manage for Tcp {
///     type Resource = TcpStream;
///     type Error = std::io::Error;
///
///     fn create(&self) -> std::io::Result<TcpStream> {
///         // Bound the connect: a checkout cannot end before the connector returns.
///         let stream = TcpStream::connect_timeout(&self.0, Duration::from_secs(1))?;
///         stream.set_nodelay(true)?;
///         Ok(stream)
///     }
///
///     fn is_valid(&self, stream: &mut TcpStream) -> bool {
///         // A closed peer shows as a readable end of stream.
///         stream.set_nonblocking(true).is_ok()
///             && matches!(stream.peek(&mut [0]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
///             && stream.set_nonblocking(false).is_ok()
///     }
/// }
/// ```
pub trait Manage: Send + Sync + 'static {
    /// What the pool holds: a connection, a session, a handle.
    type Resource: Send + 'static;
    /// What `create` fails with.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Makes a new resource. Called without the pool's lock held; bound its duration (a
    /// connect timeout), since a checkout cannot end before it returns.
    ///
    /// # Errors
    /// When the resource cannot be made; the checkout returns it as
    /// [`CheckoutError::Create`](super::CheckoutError::Create) and the slot is freed for another attempt.
    fn create(&self) -> Result<Self::Resource, Self::Error>;

    /// Health check before an idle resource is handed out; `false` drops it (counted as
    /// broken) and the checkout tries the next one or makes a new one.
    fn is_valid(&self, resource: &mut Self::Resource) -> bool;

    /// Called when a lease returns a resource; `false` drops it instead of keeping it (e.g. a
    /// connection left mid-transaction). Keeps everything by default.
    fn recycle(&self, resource: &mut Self::Resource) -> bool {
        let _ = resource;
        true
    }
}
