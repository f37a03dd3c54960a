use std::fmt;
use std::time::Duration;

/// Why [`ResourcePool::checkout`](crate::ResourcePool::checkout) failed.
///
/// `Display` says what failed; the cause of a failed `create` is [`source`]
/// (std::error::Error::source), not repeated in the message, so that error reporters
/// (anyhow, eyre) that print the chain print it once.
///
/// [`source`]: std::error::Error::source
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckoutError<E> {
    /// Every resource stayed leased (and the pool at `max_size`) for the whole timeout.
    Timeout(Duration),
    /// Making a new resource failed; its slot was freed for the next attempt.
    Create(E),
    /// The pool was closed ([`ResourcePool::close`](crate::ResourcePool::close)).
    Closed,
}

impl<E> CheckoutError<E> {
    /// Whether this is a timeout.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }
}

impl<E: fmt::Display> fmt::Display for CheckoutError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(after) => write!(
                f,
                "no resource became free within {after:?}: every one is leased and the pool is at max_size"
            ),
            Self::Create(_) => f.write_str("creating a resource failed"),
            Self::Closed => f.write_str("the resource pool is closed"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for CheckoutError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Timeout(_) | Self::Closed => None,
            Self::Create(e) => Some(e),
        }
    }
}
