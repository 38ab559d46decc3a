//! GitHub, behind one facade: [`GitHub`] has a named method for every read
//! and write psrt makes, taking typed arguments ([`RepoName`],
//! [`GhsaId`]…) and returning typed values. No path or URL of GitHub's API
//! is spelled outside this module (`tests/it/layers.rs` checks it), the same
//! read exists once, and each method declares whether GitHub's error text
//! for it may carry embargoed details.
//!
//! The endpoint groups, one file each:
//!
//! - [`teams`]: the organisation's teams, memberships and invitations;
//! - [`users`]: accounts by login and by id, psrt's own identity;
//! - [`repos`]: repositories, files, branches and commits of files;
//! - [`pulls`]: pull requests, reviews, commits, statuses, comments;
//! - [`advisories`]: repository security advisories (the lifecycle's view,
//!   the typed update, private forks and their pull requests);
//! - [`comments`]: the advisories' discussion (list, get, add, edit);
//! - [`published`]: a published advisory for its announcement, and GitHub's
//!   advisory database;
//! - [`actions`]: workflows, their runs and jobs, enabling a workflow;
//! - [`rulesets`]: rulesets, the rules of a branch, CODEOWNERS errors.
//!
//! [`pull_request`] composes `repos` and `pulls` into one idempotent pull
//! request. Underneath, [`transport`] (octocrab, authentication per scope,
//! retries, rate limits, pagination) sends the requests; [`scope`] says what
//! each command may do, checked before anything is sent. A new endpoint
//! group is a new file of `impl GitHub` methods.
//!
//! Conditional requests: a method named `…_if_changed` asks with the
//! validators of an earlier run ([`GitHub::use_validators`]) and answers
//! [`Fresh::Unchanged`] when GitHub says `304 Not Modified`.
//!
//! [`RepoName`]: crate::ids::RepoName
//! [`GhsaId`]: crate::ids::GhsaId

pub mod actions;
pub mod advisories;
pub mod comments;
pub mod model;
pub mod published;
pub mod pull_request;
pub mod pulls;
pub mod repos;
pub mod rulesets;
pub mod scope;
pub mod teams;
mod transport;
pub mod users;

pub use scope::{Level, Permission, Permissions, Scope};
pub use transport::{Fresh, GitHub, GitHubError, Tuning};
