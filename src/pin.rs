//! `psrt pin-ids`: record each member's and emeritus entry's `github_id`,
//! so that access follows the account and not the login (a name anyone may
//! take once its owner renames).
//!
//! psrt vouches for an id only when that account already holds the team or
//! an eligibility team: a login that belongs to nobody there may have
//! passed to a stranger since the roster was written, and recording the
//! stranger's id would grant them what the member had. Those entries are
//! named, with what to check; an admin records their ids by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use futures::future::join_all;
use serde::Serialize;

use crate::github::{GitHub, Level, Permission, Scope};
use crate::roster::Loaded;
use crate::roster::edit::{EditError, EntryAt, insert_github_ids};

/// Reading the team, the eligibility teams and each login.
pub const ORG_PERMISSIONS: &[Permission] = &[("members", Level::Read)];

/// The GitHub scope of `psrt pin-ids`: read only (it edits a local file).
pub fn github_scope(roster: &crate::roster::Roster) -> Scope {
    Scope::org(&roster.github.org, ORG_PERMISSIONS)
}

/// What psrt found for one entry without `github_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "found", rename_all = "snake_case")]
pub enum Finding {
    /// The account holding the login is in `team` (the PSRT team or an
    /// eligibility team): its id is recorded.
    Pinned { id: u64, team: String },
    /// The account holding the login is in none of those teams: it may be
    /// a stranger's (a long-renamed member's login). Not recorded.
    NotVouched { id: u64 },
    /// No GitHub account has this login.
    NoAccount,
    /// The lookup failed (the next run tries again). Not recorded.
    Unread { reason: String },
}

/// One entry without `github_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// `members` or `emeritus`.
    pub section: &'static str,
    pub index: usize,
    pub login: String,
    #[serde(flatten)]
    pub finding: Finding,
}

/// The plan: each entry without an id, and how many already have one.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub entries: Vec<Entry>,
    pub already: usize,
    /// Emeritus entries without a login: nothing to look up.
    pub no_login: usize,
}

impl Plan {
    pub fn pinned(&self) -> Vec<(EntryAt, u64)> {
        self.entries
            .iter()
            .filter_map(|e| match e.finding {
                Finding::Pinned { id, .. } => Some(((e.section, e.index), id)),
                _ => None,
            })
            .collect()
    }

    /// Entries psrt could not vouch for (an admin's work).
    pub fn unvouched(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| !matches!(e.finding, Finding::Pinned { .. }))
            .count()
    }

    pub fn text(&self, file: &str, apply: bool) -> String {
        let mut out = String::new();
        let pinned = self.pinned().len();
        let _ = writeln!(
            out,
            "{file}: {} entr{} without `github_id`; {} already recorded{}",
            self.entries.len(),
            if self.entries.len() == 1 { "y" } else { "ies" },
            self.already,
            if self.no_login > 0 {
                format!("; {} emeritus entr(ies) without a login", self.no_login)
            } else {
                String::new()
            }
        );
        for e in &self.entries {
            let at = format!("{}[{}]", e.section, e.index);
            let line = match &e.finding {
                Finding::Pinned { id, team } => {
                    format!(
                        "  + {at:<13} {:<20} github_id: {id}  (holds {team})",
                        e.login
                    )
                }
                Finding::NotVouched { id } => format!(
                    "  ? {at:<13} {:<20} NOT recorded: account {id} holds this login but neither the team nor an eligibility team; \
                     it may be a stranger's since a rename: check it is theirs and add `github_id` by hand",
                    e.login
                ),
                Finding::NoAccount => format!(
                    "  ? {at:<13} {:<20} NOT recorded: no GitHub account has this login (renamed?): find theirs and fix `github` and `github_id` by hand",
                    e.login
                ),
                Finding::Unread { reason } => format!(
                    "  ? {at:<13} {:<20} NOT recorded: could not look it up ({reason}); run again",
                    e.login
                ),
            };
            let _ = writeln!(out, "{line}");
        }
        let unvouched = self.unvouched();
        let _ = match (pinned, apply) {
            (0, _) => writeln!(out, "nothing to record"),
            (n, true) => writeln!(
                out,
                "recorded {n} github_id(s) in {file}; every other byte is unchanged"
            ),
            (n, false) => writeln!(
                out,
                "dry run: {n} github_id(s) to record; nothing written (--apply edits {file} in place)"
            ),
        };
        if unvouched > 0 {
            let _ = writeln!(
                out,
                "{unvouched} login(s) psrt cannot vouch for (above): until they have `github_id`, psrt grants them nothing new"
            );
        }
        out
    }
}

/// Looks up every entry without `github_id`: its login's account, and
/// whether that account holds the team or an eligibility team.
pub async fn plan(gh: &GitHub, loaded: &Loaded) -> anyhow::Result<Plan> {
    let roster = &loaded.roster;
    let g = &roster.github;
    // Who holds each team, by account id. A team that cannot be read
    // stops the command: vouching for fewer ids is safe, but an admin
    // would not know why.
    let mut teams: Vec<&String> = vec![&g.team];
    teams.extend(g.eligibility_teams.iter().filter(|t| **t != g.team));
    let reads = join_all(teams.iter().map(|t| gh.team_members(&g.org, t))).await;
    let mut holder: BTreeMap<u64, String> = BTreeMap::new();
    for (t, r) in teams.iter().zip(reads) {
        let users = r.map_err(|e| {
            anyhow::anyhow!(
                "cannot read team {}/{t}: {}; nothing was changed",
                g.org,
                e.reason()
            )
        })?;
        for u in users {
            holder
                .entry(u.id)
                .or_insert_with(|| format!("{}/{t}", g.org));
        }
    }
    let mut todo: Vec<(&'static str, usize, String)> = Vec::new();
    let mut already = 0;
    let mut no_login = 0;
    for (i, m) in roster.members.iter().enumerate() {
        match m.github_id {
            Some(_) => already += 1,
            None => todo.push(("members", i, m.github.as_str().to_owned())),
        }
    }
    for (i, e) in roster.emeritus.iter().enumerate() {
        match (&e.github, e.github_id) {
            (_, Some(_)) => already += 1,
            (None, None) => no_login += 1,
            (Some(l), None) => todo.push(("emeritus", i, l.as_str().to_owned())),
        }
    }
    let found = join_all(todo.iter().map(|(_, _, l)| gh.user(l))).await;
    let entries = todo
        .into_iter()
        .zip(found)
        .map(|((section, index, login), r)| {
            let finding = match r {
                Err(e) => Finding::Unread { reason: e.reason() },
                Ok(None) => Finding::NoAccount,
                Ok(Some(u)) => match holder.get(&u.id) {
                    Some(team) => Finding::Pinned {
                        id: u.id,
                        team: team.clone(),
                    },
                    None => Finding::NotVouched { id: u.id },
                },
            };
            Entry {
                section,
                index,
                login,
                finding,
            }
        })
        .collect();
    Ok(Plan {
        entries,
        already,
        no_login,
    })
}

/// The roster text with the plan's ids recorded (nothing written here).
pub fn edit(loaded: &Loaded, plan: &Plan, today: NaiveDate) -> Result<String, EditError> {
    insert_github_ids(loaded, &plan.pinned(), today)
}
