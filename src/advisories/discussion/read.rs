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
//! Reports that are not open (closed, and the ended ones: published,
//! withdrawn) are watched the same way, for one purpose: a `/psrt` command
//! there gets its one refusal. Their discussion is read only when its count
//! moved, never by the daily full read: psrt writes nothing there but that
//! refusal (no status, no deadline comment), so a miscount can only delay
//! a refusal until the next comment, and hundreds of published reports
//! would make the daily read cost hundreds of requests for nothing.
//!
//! A repository whose advisories carry no `comments` count, or whose
//! comments endpoint answers 404 on an open report, does not have the
//! preview: it is said once, and the run goes on without its discussions.
//! A 404 on a report that is not open is that one discussion's failure
//! (counted, the run fails, its count not recorded so the next run asks
//! again): the repository's open reports keep their comments.

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
    /// Discussions that could not be read (each a failure of the run).
    pub failures: usize,
}

/// A report whose discussion psrt watches.
pub struct Watched<'a> {
    pub repo: &'a RepoName,
    pub ghsa_id: &'a GhsaId,
    /// Its `comments` count (`None`: no preview there).
    pub count: Option<u64>,
    /// Triage or draft: its discussion is also read daily, and psrt writes
    /// its status there. Else (closed, published, withdrawn) only a command
    /// moves psrt to write, to refuse it.
    pub open: bool,
}

/// Every report whose discussion psrt watches: every report read, open or
/// not.
pub fn watched(state: &State) -> Vec<Watched<'_>> {
    state
        .advisories
        .iter()
        .chain(&state.ended)
        .map(|a| Watched {
            repo: &a.advisory.repo,
            ghsa_id: &a.advisory.ghsa_id,
            count: a.comments,
            open: a.advisory.state.is_open(),
        })
        .collect()
}

/// Repositories whose open advisories carry no `comments` count.
pub fn without_counts(state: &State) -> BTreeSet<RepoName> {
    watched(state)
        .into_iter()
        .filter(|w| w.open && w.count.is_none())
        .map(|w| w.repo.clone())
        .collect()
}

/// Reads the discussions due: those whose count changed, or, with `full`,
/// every watched open one by conditional requests.
pub async fn read(gh: &GitHub, state: &State, ledger: &Ledger, full: bool) -> Threads {
    let mut out = Threads {
        unavailable: without_counts(state),
        ..Threads::default()
    };
    // (report, whether its count moved since psrt last read it, whether
    // it is read by a conditional request, whether it is open)
    let due: Vec<(&RepoName, &GhsaId, bool, bool, bool)> = watched(state)
        .into_iter()
        .filter(|w| !out.unavailable.contains(w.repo))
        .filter_map(|w| {
            let held = ledger.discussion().get(w.ghsa_id)?;
            let moved = held.count != w.count?;
            let daily = full && w.open;
            (daily || moved).then_some((w.repo, w.ghsa_id, moved, daily, w.open))
        })
        .collect();
    out.asked = due.len();
    let results = futures::future::join_all(due.iter().map(
        |(repo, ghsa, moved, daily, open)| async move {
            let read = if *daily {
                gh.advisory_comments_if_changed::<CommentText>(repo, ghsa)
                    .await
            } else {
                gh.advisory_comments::<CommentText>(repo, ghsa, None)
                    .await
                    .map(Fresh::Changed)
            };
            (*repo, *ghsa, *moved, *open, read)
        },
    ))
    .await;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for (repo, ghsa, moved, open, read) in results {
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
            // On an open report, the repository has no preview. On one
            // that is not open (closed, published, withdrawn: perhaps
            // deleted or moved since it was listed), it says nothing
            // about the others: that one discussion failed, its count is
            // not recorded, so the next run asks again (a command there
            // is never taken as seen unread).
            Err(CommentsError::Unavailable { repo }) if open => {
                out.unavailable.insert(repo);
            }
            Err(CommentsError::Unavailable { repo }) => {
                *errors
                    .entry(format!(
                        "{repo}: 404 Not Found on a report that is not open"
                    ))
                    .or_default() += 1;
            }
            Err(e) => *errors.entry(format!("{repo}: {}", e.reason())).or_default() += 1,
        }
    }
    // Counts only: which report's discussion failed is nobody's business in
    // a public log.
    out.failures = errors.values().sum();
    out.failed = errors
        .into_iter()
        .map(|(why, n)| format!("the discussion of {n} report(s) could not be read ({why})"))
        .collect();
    out
}
