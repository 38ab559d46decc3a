//! GitHub: the client, and the API's shapes psrt reads.

pub mod advisories;
pub mod client;
pub mod model;
pub mod pull_request;
pub mod scope;

pub use client::{GitHub, GitHubError, Tuning, enc};
pub use scope::{Access, Permission, Permissions, Scope};
