//! Helpers the pool's test files share.

/// `base` times `PERFKIT_STRESS`, a factor (default 1; CI runs the stress tests again at 4):
/// the size of a stress test.
pub(crate) fn stress(base: usize) -> usize {
    let factor: usize = std::env::var("PERFKIT_STRESS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    base * factor
}
