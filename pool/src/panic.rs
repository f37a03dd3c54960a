//! Helpers for running user code that may panic: dropping a payload whose own `Drop` panics,
//! and aborting where unwinding further would be unsound (rayon's `AbortIfPanic`).

use std::any::Any;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Drops a panic payload without letting its `Drop` unwind into the caller. A payload whose
/// drop panics again has that second payload leaked: dropping it could panic once more, and a
/// leaked box is the bounded cost (std's thread runtime makes the same choice).
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// Aborts the process if dropped while armed: put one on the stack before a region that must
/// not be left by unwinding, and [`disarm`](Self::disarm) it after.
pub(crate) struct AbortOnUnwind(pub(crate) &'static str);

impl AbortOnUnwind {
    pub(crate) fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        // `writeln!` to a locked stderr, not `eprintln!`, which panics when stderr is closed.
        let _ = writeln!(
            std::io::stderr().lock(),
            "perfkit-pool: {}; aborting, since unwinding further would free data that jobs \
             still borrow",
            self.0
        );
        std::process::abort();
    }
}
