//! The published advisory an announcement is drafted from: read through the
//! GitHub facade, embargo first ([`crate::github::published`]).

pub use crate::github::published::{Credit, Cwe, Published, ReadError, Vulnerability};
