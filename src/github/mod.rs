//! GitHub: the client, and the API's shapes psrt reads.

pub mod advisories;
pub mod client;
pub mod model;

pub use client::{GitHub, GitHubError, Tuning, enc};
