//! The parts of GitHub's responses psrt uses. Unknown fields are ignored;
//! missing ones fail to decode with the path named, never panic.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct User {
    pub login: String,
    pub id: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TeamMembership {
    pub role: String,
    pub state: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Invitation {
    pub id: u64,
    pub login: Option<String>,
    #[serde(default)]
    pub failed_at: Option<String>,
    #[serde(default)]
    pub failed_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Team {
    pub id: u64,
    pub slug: String,
}
