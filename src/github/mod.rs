//! GitHub: the client, and the API's shapes psrt reads.

pub mod advisories;
pub mod client;
pub mod model;
pub mod pull_request;

pub use client::{GitHub, GitHubError, Tuning, enc};
