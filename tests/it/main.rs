//! Integration tests: one binary, one module per area.

mod advisories;
mod agreement;
mod announce;
pub mod approvals;
mod check_online;
mod common;
mod contacts;
mod contract_discord;
mod contract_github;
mod deadlines;
mod demo;
pub mod embargo_people;
pub mod inactivity;
mod layers;
mod ledger;
mod prism;
mod publish_devguide;
mod robustness;
mod roster_cli;
mod roster_props;
mod scopes;
mod soak;
mod sync_cli;
pub mod sync_discord;
mod sync_github;
mod sync_mailman;
mod workflows;
