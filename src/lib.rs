//! psrt: membership and disclosure automation for the Python Security
//! Response Team. `roster.yaml` is the source of truth; the modules below
//! read it, check it, and make the services match it.

pub mod advisories;
pub mod announce;
pub mod approvals;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cve;
pub mod deadlines;
#[cfg(feature = "demo")]
pub mod demo;
pub mod desired;
pub mod devguide;
pub mod diag;
pub mod github;
pub mod ids;
pub mod inactivity;
pub mod ledger;
pub mod logging;
pub mod net;
pub mod notify;
pub mod online;
pub mod overrides;
pub mod publish;
pub mod roster;
pub mod secret;
pub mod sync;
pub mod validators;
