//! The answer check, beside the registry that both front ends (criterion and the report) run
//! groups from: every case must do the same work as its group's baseline.

use crate::registry::{Group, Role};

/// A case did different work from its group's baseline.
#[derive(Debug)]
pub struct WrongAnswer {
    /// Group name.
    pub group: String,
    /// Case name.
    pub case: String,
    /// What the case answered.
    pub got: u64,
    /// What the baseline answered.
    pub expected: u64,
}

impl std::fmt::Display for WrongAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "group {}: case {} answered {} but the baseline answered {}; it does not do the same work",
            self.group, self.case, self.got, self.expected
        )
    }
}

impl std::error::Error for WrongAnswer {}

/// Checks that every case of `group` gives the same answer as the group's first baseline with
/// the same thread count (threads split the work, so answers may differ between counts).
///
/// # Errors
/// The first case whose answer differs.
pub fn check(group: &Group) -> Result<(), WrongAnswer> {
    let mut expected: Vec<(usize, u64)> = Vec::new();
    for case in group.cases.iter().filter(|c| c.role == Role::Baseline) {
        if !expected.iter().any(|(threads, _)| *threads == case.threads) {
            expected.push((case.threads, (case.run)(group.check_iters).answer));
        }
    }
    for case in &group.cases {
        let Some(&(_, expected)) = expected.iter().find(|(t, _)| *t == case.threads) else {
            continue;
        };
        let got = (case.run)(group.check_iters).answer;
        if got != expected {
            return Err(WrongAnswer {
                group: group.name.to_owned(),
                case: case.name.clone(),
                got,
                expected,
            });
        }
    }
    Ok(())
}
