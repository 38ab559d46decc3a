//! The typed values the facade returns (and the bodies it sends) that more
//! than one endpoint group shares. Unknown fields are ignored; missing ones
//! fail to decode with the request named, never panic.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A list GitHub may send as `null`: read as empty.
pub(super) fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A GitHub account as GitHub lists it: its login (a name anyone may take
/// once its owner renames) and its numeric id (which never changes).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct User {
    pub login: String,
    pub id: u64,
}

/// An account with its kind, where psrt must tell bots apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub login: String,
    pub id: u64,
    pub is_bot: bool,
}

/// The wire shape of an account with its `type`.
#[derive(Deserialize)]
pub(super) struct AccountWire {
    login: String,
    id: u64,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

impl From<AccountWire> for Account {
    fn from(u: AccountWire) -> Self {
        Self {
            is_bot: u.kind.as_deref() == Some("Bot") || u.login.ends_with("[bot]"),
            login: u.login,
            id: u.id,
        }
    }
}

/// A role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TeamRole {
    Member,
    Maintainer,
}

impl TeamRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Member => "member",
            TeamRole::Maintainer => "maintainer",
        }
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An organisation invitation (pending or failed).
#[derive(Debug, Clone, Deserialize)]
pub struct Invitation {
    pub id: u64,
    pub login: Option<String>,
    #[serde(default)]
    pub failed_at: Option<String>,
    #[serde(default)]
    pub failed_reason: Option<String>,
}

/// A team, as a list of teams names it.
#[derive(Debug, Clone, Deserialize)]
pub struct Team {
    pub id: u64,
    pub slug: String,
}

/// Where a team membership stands after it was set: `active`, or `pending`
/// (an invitation to the organisation awaits the person).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipState {
    Active,
    Pending,
}
