//! `roster.yaml`: the model, reading it, checking it, and editing it in place.

pub mod contacts;
pub mod edit;
pub mod import;
pub mod load;
pub mod model;
pub mod rekey;
pub mod schema;
pub mod source;
pub mod validate;

/// Where the roster lives in the policy repository (PRODUCT.md: at its root).
pub const FILE: &str = "roster.yaml";

pub use load::{LoadError, Loaded, load, parse};
pub use model::*;
