//! Writing in a report's discussion: its deadline comment and its status
//! comment ([`DiscussionPlan`]), after the report's update (if any) landed.
//! Only the hourly run writes comments.
//!
//! **Never twice.** A comment notifies everyone on the report, and a POST
//! that timed out may have landed. So psrt lists the report's comments
//! before it posts (its own deadline comment for that threshold, found by
//! marker and author, is recorded instead of posted again: a run killed
//! after a post and before its ledger was saved posts nothing the next
//! time), sends each POST once, and after a timeout or a 5xx lists the
//! comments again to see whether it landed: found, it counts as posted;
//! not found, it is reported and the next run tries again (listing first).
//!
//! **Edited in place.** The status comment is edited only when its text
//! differs from the wanted one (an edit notifies no one); psrt edits only
//! what its current account wrote. A status a former account wrote is
//! followed while it is current; when the content changes, the current
//! account writes a new one.
//!
//! The ledger records the count psrt read up to (the count read before
//! listing, plus psrt's own confirmed posts), the advisory's `updated_at`
//! and what the status shows (a hash), once the discussion is up to date; a
//! threshold as soon as its comment is posted or found.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::advisories::discussion::CommentText;
use crate::advisories::discussion::own::Own;
use crate::advisories::discussion::status;
use crate::advisories::discussion::thread::Thread;
use crate::advisories::model::{DiscussionPlan, Effect, Threshold, ThresholdPlan};
use crate::github::GitHub;
use crate::github::comments::CommentsError;
use crate::ids::{GhsaId, RepoName};
use crate::ledger::Ledger;
use crate::roster::Roster;

/// What became of one report's discussion work. Public output sums these
/// across reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub status: Option<StatusOutcome>,
    pub deadline: Option<DeadlineOutcome>,
    /// Comments carrying psrt's marker that psrt did not write.
    pub copies: usize,
    /// Lists of comments asked for.
    pub listed: usize,
    /// What failed (no report named: the caller counts them).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    Created,
    Edited,
    /// Already as wanted: nothing written.
    Current,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineOutcome {
    Posted,
    /// Its POST got no answer, and listing again found it: posted once.
    PostedAnswerLost,
    /// Already there (a killed run posted it, or a former App): recorded.
    Found,
}

/// Writes the discussions' comments.
pub struct Talker<'a> {
    pub gh: &'a GitHub,
    pub roster: &'a Roster,
    /// Saved after each change to it.
    pub ledger: &'a mut Ledger,
    /// Discussions already read this run (a changed count, the daily read).
    pub threads: BTreeMap<GhsaId, Thread>,
    /// Repositories without the comments API (found so far).
    pub unavailable: BTreeSet<RepoName>,
    pub now: DateTime<Utc>,
    own: Option<Result<Own, String>>,
    /// Reports with a `/psrt` command not answered yet: their count is not
    /// recorded, so the next run reads their discussion again.
    pub hold: BTreeSet<GhsaId>,
    /// psrt's own replies to commands this run, by report (the count read
    /// up to grows by them).
    pub extra: BTreeMap<GhsaId, u64>,
}

impl<'a> Talker<'a> {
    pub fn new(
        gh: &'a GitHub,
        roster: &'a Roster,
        ledger: &'a mut Ledger,
        threads: BTreeMap<GhsaId, Thread>,
        unavailable: BTreeSet<RepoName>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            gh,
            roster,
            ledger,
            threads,
            unavailable,
            now,
            own: None,
            hold: BTreeSet::new(),
            extra: BTreeMap::new(),
        }
    }

    /// psrt's accounts, when the run learnt them already.
    pub fn set_own(&mut self, own: Own) {
        self.own = Some(Ok(own));
    }

    /// psrt's accounts, learnt once per run (only when a comment is read
    /// or written).
    async fn own(&mut self) -> Result<Own, String> {
        if self.own.is_none() {
            self.own = Some(Own::learn(self.gh, self.roster).await);
        }
        self.own.clone().unwrap_or_else(|| Err("unknown".into()))
    }

    async fn list(&mut self, repo: &RepoName, ghsa: &GhsaId) -> Result<Thread, CommentsError> {
        let list = self
            .gh
            .advisory_comments::<CommentText>(repo, ghsa, None)
            .await?;
        Ok(Thread::from_wire(list))
    }

    /// One report's discussion work.
    pub async fn apply(&mut self, d: &DiscussionPlan) -> Said {
        let mut said = Said::default();
        if self.unavailable.contains(&d.repo) {
            return said;
        }
        if d.records_only() {
            self.record(d, d.count, &mut said);
            return said;
        }
        let own = match self.own().await {
            Ok(o) => o,
            Err(e) => {
                said.error = Some(e);
                return said;
            }
        };
        let mut thread = match self.threads.remove(&d.ghsa_id) {
            Some(t) => t,
            None => {
                said.listed += 1;
                match self.list(&d.repo, &d.ghsa_id).await {
                    Ok(t) => t,
                    Err(CommentsError::Unavailable { repo }) => {
                        self.unavailable.insert(repo);
                        return said;
                    }
                    Err(e) => {
                        said.error =
                            Some(format!("the discussion could not be read: {}", e.reason()));
                        return said;
                    }
                }
            }
        };
        said.copies = thread.copies(&own);
        let mut posted = 0u64;
        for effect in d.effects() {
            let step = match effect {
                Effect::DeadlineComment(_) => match &d.threshold {
                    Some(t) => self.deadline(d, t, &own, &mut thread, &mut said).await,
                    None => Ok(false),
                },
                Effect::StatusComment => match &d.status {
                    Some(f) => {
                        let wanted = status::status(f);
                        self.status(d, &wanted, &own, &mut thread, &mut said).await
                    }
                    None => Ok(false),
                },
                _ => Ok(false),
            };
            match step {
                Ok(true) => posted += 1,
                Ok(false) => {}
                Err(e) => {
                    said.error = Some(e);
                    // The next run reads again (its count moved) and retries.
                    return said;
                }
            }
        }
        self.record(d, d.count.saturating_add(posted), &mut said);
        said
    }

    /// The discussions of reports not open, and of those this run closed
    /// (`closed_now`), that no [`DiscussionPlan`] covered (`planned`): an
    /// open report left without one keeps its count, so that its status is
    /// checked again next run. The count read up to is
    /// recorded when psrt never watched the report (recorded first, not
    /// read: at go-live no old report gets a reply because psrt started),
    /// or when its thread was read this run (`read`) and no command there
    /// waits ([`Self::hold`]); psrt's own replies count. Reports whose
    /// update did not land (`skip`) wait for the next run.
    pub fn record_unplanned(
        &mut self,
        state: &crate::advisories::State,
        read: &BTreeSet<GhsaId>,
        planned: &BTreeSet<&GhsaId>,
        closed_now: &BTreeSet<&GhsaId>,
        skip: &BTreeSet<&GhsaId>,
    ) -> Result<(), String> {
        let counts: Vec<(GhsaId, u64)> = crate::advisories::discussion::read::watched(state)
            .into_iter()
            .filter(|w| !w.open || closed_now.contains(w.ghsa_id))
            .filter(|w| !planned.contains(w.ghsa_id) && !skip.contains(w.ghsa_id))
            .filter(|w| !self.unavailable.contains(w.repo) && !self.hold.contains(w.ghsa_id))
            .filter_map(|w| {
                let count = w.count?;
                let first = self.ledger.discussion().get(w.ghsa_id).is_none();
                (first || read.contains(w.ghsa_id)).then(|| {
                    let mine = self.extra.get(w.ghsa_id).copied().unwrap_or(0);
                    (w.ghsa_id.clone(), count.saturating_add(mine))
                })
            })
            .collect();
        self.ledger
            .discussion_counts(&counts, self.now)
            .map_err(|e| format!("the ledger could not be saved: {e:#}"))
    }

    /// Records what the discussion is now: the count read up to, the
    /// advisory's `updated_at`, the format; thresholds passed unposted.
    fn record(&mut self, d: &DiscussionPlan, count: u64, said: &mut Said) {
        let held = self.hold.contains(&d.ghsa_id);
        let count = count.saturating_add(self.extra.get(&d.ghsa_id).copied().unwrap_or(0));
        let saved = self
            .ledger
            .thresholds_done(&d.ghsa_id, &d.passed, self.now)
            .and_then(|()| {
                if held {
                    return Ok(());
                }
                self.ledger
                    .discussion_read(&d.ghsa_id, count, d.seen, d.shown.as_deref())
            });
        if let Err(e) = saved {
            said.error = Some(format!("the ledger could not be saved: {e:#}"));
        }
    }

    /// The threshold's comment: found (recorded) or posted once. `Ok(true)`:
    /// psrt's post landed (the count grows by one).
    async fn deadline(
        &mut self,
        d: &DiscussionPlan,
        t: &ThresholdPlan,
        own: &Own,
        thread: &mut Thread,
        said: &mut Said,
    ) -> Result<bool, String> {
        let mut keys = vec![t.threshold.key()];
        keys.extend(t.also.iter().cloned());
        let done = |ledger: &mut Ledger, now| {
            ledger
                .thresholds_done(&d.ghsa_id, &keys, now)
                .map_err(|e| format!("the ledger could not be saved: {e:#}"))
        };
        if thread.has_deadline_comment(own, t.threshold) {
            said.deadline = Some(DeadlineOutcome::Found);
            done(self.ledger, self.now)?;
            return Ok(false);
        }
        let body = status::deadline(t);
        match self
            .gh
            .add_advisory_comment(&d.repo, &d.ghsa_id, &body)
            .await
        {
            Ok(_) => {
                said.deadline = Some(DeadlineOutcome::Posted);
                done(self.ledger, self.now)?;
                Ok(true)
            }
            Err(e) if e.maybe_applied() => {
                // No answer: did it land? Look, never post again blindly.
                said.listed += 1;
                *thread = self
                    .list(&d.repo, &d.ghsa_id)
                    .await
                    .map_err(|e2| lost(t.threshold, &e, Some(&e2)))?;
                if thread.has_deadline_comment(own, t.threshold) {
                    said.deadline = Some(DeadlineOutcome::PostedAnswerLost);
                    done(self.ledger, self.now)?;
                    Ok(true)
                } else {
                    Err(lost(t.threshold, &e, None))
                }
            }
            Err(e) => Err(format!(
                "the {} comment was not posted: {}",
                describe(t.threshold),
                e.reason()
            )),
        }
    }

    /// The status comment: left alone when current, edited when psrt's
    /// current account wrote it, else created (posted once, looked for
    /// after a lost answer). `Ok(true)`: a new comment landed.
    async fn status(
        &mut self,
        d: &DiscussionPlan,
        wanted: &str,
        own: &Own,
        thread: &mut Thread,
        said: &mut Said,
    ) -> Result<bool, String> {
        match thread.status(own, wanted) {
            Some(found) if found.current => {
                said.status = Some(StatusOutcome::Current);
                return Ok(false);
            }
            Some(found) if found.editable => {
                return match self
                    .gh
                    .edit_advisory_comment(&d.repo, &d.ghsa_id, found.id, wanted)
                    .await
                {
                    Ok(()) => {
                        said.status = Some(StatusOutcome::Edited);
                        Ok(false)
                    }
                    Err(e) => Err(format!("the status comment was not edited: {}", e.reason())),
                };
            }
            _ => {}
        }
        match self
            .gh
            .add_advisory_comment(&d.repo, &d.ghsa_id, wanted)
            .await
        {
            Ok(_) => {
                said.status = Some(StatusOutcome::Created);
                Ok(true)
            }
            Err(e) if e.maybe_applied() => {
                said.listed += 1;
                *thread = self.list(&d.repo, &d.ghsa_id).await.map_err(|e2| {
                    format!(
                        "the status comment got no answer ({}) and the discussion could not be read again ({}): the next run looks again",
                        e.reason(),
                        e2.reason()
                    )
                })?;
                match thread.status(own, wanted) {
                    Some(f) if f.current && f.editable => {
                        said.status = Some(StatusOutcome::Created);
                        Ok(true)
                    }
                    _ => Err(format!(
                        "the status comment got no answer ({}) and is not there: the next run tries again",
                        e.reason()
                    )),
                }
            }
            Err(e) => Err(format!(
                "the status comment was not created: {}",
                e.reason()
            )),
        }
    }
}

fn describe(t: Threshold) -> String {
    match t {
        Threshold::Warning { days } => format!("deadline ({days} days left)"),
        Threshold::Overdue => "deadline (overdue)".to_owned(),
    }
}

fn lost(t: Threshold, e: &CommentsError, relist: Option<&CommentsError>) -> String {
    match relist {
        Some(e2) => format!(
            "the {} comment got no answer ({}) and the discussion could not be read again ({}): the next run looks again before it posts",
            describe(t),
            e.reason(),
            e2.reason()
        ),
        None => format!(
            "the {} comment got no answer ({}) and is not there: the next run tries again",
            describe(t),
            e.reason()
        ),
    }
}
