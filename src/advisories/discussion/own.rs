//! psrt's own accounts. A status or deadline comment is psrt's when it
//! carries psrt's marker **and** one of these accounts wrote it: anyone can
//! paste a marker into a comment of their own, and such a comment is never
//! edited, trusted or counted.
//!
//! The Apps may change (a key rotated into a new App, another bot account):
//! the account psrt writes as now is learnt from GitHub each run that needs
//! it (running as the App, its bot user `{slug}[bot]`; with a token, the
//! token's user), and the accounts it wrote as before are listed in the
//! roster (`github.former_psrt_accounts`, by account id, governed like every
//! roster change), so that their comments stay psrt's: a deadline comment
//! a former App posted is never posted again, and its status comment is
//! followed (a new one is written only when the content changes, since no
//! account can edit another's comment).

use std::collections::BTreeSet;

use crate::github::GitHub;
use crate::roster::Roster;

/// The accounts whose marked comments are psrt's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Own {
    /// The account psrt writes as now.
    pub current: u64,
    /// Accounts psrt wrote as before (the roster's list).
    pub former: BTreeSet<u64>,
}

impl Own {
    /// From the current account's id and the roster's former ones.
    pub fn new(current: u64, roster: &Roster) -> Self {
        Self {
            current,
            former: roster
                .github
                .former_psrt_accounts
                .iter()
                .copied()
                .filter(|id| *id != current)
                .collect(),
        }
    }

    /// Learns the current account from GitHub (`GET /app` and `GET
    /// /users/{slug}[bot]`, or `GET /user`).
    pub async fn learn(gh: &GitHub, roster: &Roster) -> Result<Self, String> {
        let me = gh.own_account().await.map_err(|e| {
            format!(
                "cannot tell which account psrt writes as ({}), so its own comments cannot be told from copies",
                e.reason()
            )
        })?;
        Ok(Self::new(me.id, roster))
    }

    /// Is this account one of psrt's?
    pub fn is_own(&self, author_id: Option<u64>) -> bool {
        author_id.is_some_and(|id| id == self.current || self.former.contains(&id))
    }

    /// Can psrt edit a comment this account wrote (its current account only)?
    pub fn can_edit(&self, author_id: Option<u64>) -> bool {
        author_id == Some(self.current)
    }
}
