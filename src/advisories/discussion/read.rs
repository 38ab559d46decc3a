//! Which discussions an hourly run reads, and reading them. A report's
//! comments are listed only when its `comments` count differs from the one
//! the ledger kept, so a run with nothing new makes no request to any
//! comments endpoint; once a day every open report's discussion is read by
//! conditional requests (a `304` costs nothing), so that no miscount (a
//! comment turned confidential, a run killed between two steps) hides a
//! comment for long. A report psrt has never watched is not read: it is
//! recorded, and its discussion is read when it next changes (at go-live,
//! no report gets a comment only because psrt started).
//!
//! A repository whose advisories carry no `comments` count, or whose
//! comments endpoint answers 404, does not have the preview: it is said
//! once, and the run goes on without its discussions.

use std::collections::{BTreeMap, BTreeSet};

use super::CommentText;
use super::thread::Thread;
use crate::advisories::model::State;
use crate::github::comments::CommentsError;
use crate::github::{Fresh, GitHub};
use crate::ids::{GhsaId, RepoName};
use crate::ledger::Ledger;

/// What a run read of the discussions.
#[derive(Default)]
pub struct Threads {
    /// The threads read, by report.
    pub threads: BTreeMap<GhsaId, Thread>,
    /// Reports whose discussion changed since psrt last read it.
    pub changed: BTreeSet<GhsaId>,
    /// Repositories without the comments API.
    pub unavailable: BTreeSet<RepoName>,
    /// Discussions read (lists asked for), and those that could not be.
    pub asked: usize,
    pub failed: Vec<String>,
}

/// The open reports whose discussion psrt watches, with their count.
fn watched(state: &State) -> Vec<(&RepoName, &GhsaId, Option<u64>)> {
    state
        .advisories
        .iter()
        .filter(|a| a.advisory.state.is_open())
        .map(|a| (&a.advisory.repo, &a.advisory.ghsa_id, a.comments))
        .collect()
}

/// Repositories whose open advisories carry no `comments` count.
pub fn without_counts(state: &State) -> BTreeSet<RepoName> {
    watched(state)
        .into_iter()
        .filter(|(_, _, n)| n.is_none())
        .map(|(r, _, _)| r.clone())
        .collect()
}

/// Reads the discussions due: those whose count changed, or, with `full`,
/// every watched one by conditional requests.
pub async fn read(gh: &GitHub, state: &State, ledger: &Ledger, full: bool) -> Threads {
    let mut out = Threads {
        unavailable: without_counts(state),
        ..Threads::default()
    };
    // (report, whether its count moved since psrt last read it)
    let due: Vec<(&RepoName, &GhsaId, bool)> = watched(state)
        .into_iter()
        .filter(|(r, _, _)| !out.unavailable.contains(*r))
        .filter_map(|(r, g, n)| {
            let held = ledger.discussion().get(g)?;
            let moved = held.count != n?;
            (full || moved).then_some((r, g, moved))
        })
        .collect();
    out.asked = due.len();
    let results = futures::future::join_all(due.iter().map(|(repo, ghsa, moved)| async move {
        let read = if full {
            gh.advisory_comments_if_changed::<CommentText>(repo, ghsa)
                .await
        } else {
            gh.advisory_comments::<CommentText>(repo, ghsa, None)
                .await
                .map(Fresh::Changed)
        };
        (*repo, *ghsa, *moved, read)
    }))
    .await;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for (repo, ghsa, moved, read) in results {
        match read {
            Ok(Fresh::Changed(list)) => {
                out.threads.insert(ghsa.clone(), Thread::from_wire(list));
                // The daily read of a discussion whose count did not move
                // (its first, or a comment edited): not a change of the
                // report, so no status comment for that alone (after
                // go-live, every report's first daily read would write
                // one, notifying every collaborator at once).
                if moved {
                    out.changed.insert(ghsa.clone());
                }
            }
            Ok(Fresh::Unchanged) => {}
            Err(CommentsError::Unavailable { repo }) => {
                out.unavailable.insert(repo);
            }
            Err(e) => *errors.entry(format!("{repo}: {}", e.reason())).or_default() += 1,
        }
    }
    // Counts only: which report's discussion failed is nobody's business in
    // a public log.
    out.failed = errors
        .into_iter()
        .map(|(why, n)| format!("the discussion of {n} report(s) could not be read ({why})"))
        .collect();
    out
}
