//! Pooled arenas (feature `bumpalo`): a `Pool<bumpalo::Bump>` hands each request an arena and
//! takes it back reset, every allocation freed at once and the arena's largest chunk kept, so
//! a warm request allocates from memory the previous one already grew. See the crate docs for
//! when that beats a fresh `Bump` per request.

use crate::object::Reset;

impl Reset for bumpalo::Bump {
    /// Frees every allocation at once and keeps the arena's largest chunk for the next user.
    fn reset(&mut self) {
        bumpalo::Bump::reset(self);
    }
}
