//! The comparison report: the runner ([`measure`], with its [`Plan`]) and the result schema
//! ([`Report`], [`GroupResult`], [`CaseResult`]). The answer check it runs first lives beside
//! the registry ([`crate::check`]), since the criterion front end runs it too.

mod runner;
mod schema;

pub use runner::{Plan, measure};
pub use schema::{CaseResult, GroupResult, Report};
