//! `psrt approvals --all`: every open pull request to the default branch
//! that changes `roster.yaml`, judged (and with `publish`, published) one
//! after the other. The hourly workflow runs it from the default branch, so
//! a verdict never outlives a review, a dismissal, a push or the end of a
//! vote window by more than an hour, whatever a pull request does to the
//! workflow that reports its reviews (`review.yml` runs the pull request's
//! own definition).
//!
//! What it reads: one list of the open pull requests (100 a page), then per
//! pull request to the default branch its files (100 a page, at most 30
//! pages: GitHub lists 3000), and only for those that change `roster.yaml`
//! what `--pr` reads. A pull request to another branch costs nothing more;
//! one that leaves `roster.yaml` alone costs its file list. GitHub's REST
//! API has no cheaper signal: neither the list nor the search API says
//! which files a pull request touches.
//!
//! After publishing, it reads the pull request's head and reviews again:
//! when a review or a push arrived while it judged (and `approvals.yml`
//! may have published the newer state before this run's older one landed),
//! it judges once more, so the sweep never leaves an older verdict standing.

use std::collections::BTreeSet;

use serde::Serialize;

use super::rule::Verdict;
use super::{Cache, Options, Published, Repo, read, run_on};
use crate::github::GitHub;
use crate::github::pulls::{MAX_PULL_FILES, Pull, PullFile};

/// What became of one pull request the sweep judged.
#[derive(Debug)]
pub struct Judged {
    pub number: u64,
    pub html_url: String,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub enum Outcome {
    /// A verdict (and, with `publish`, what was written).
    Verdict {
        verdict: Box<Verdict>,
        published: Box<Published>,
        /// A review or push arrived while psrt judged: judged again.
        judged_again: bool,
        /// Why psrt judged it without knowing it changes `roster.yaml`.
        note: Option<String>,
    },
    /// psrt could not judge it (with `publish`, the status says `error`).
    Error(String),
}

impl Judged {
    pub fn failed(&self) -> bool {
        match &self.outcome {
            Outcome::Error(_) => true,
            Outcome::Verdict { published, .. } => {
                published.as_ref().as_ref().is_some_and(|(_, a)| a.failed())
            }
        }
    }
}

/// The sweep: what was judged, what was left alone and why, what it cost.
#[derive(Debug, Default)]
pub struct Sweep {
    pub default_branch: String,
    /// Open pull requests, to any branch.
    pub open: usize,
    /// To another branch: not judged (psrt judges the default branch's).
    pub other_base: Vec<u64>,
    /// To the default branch, `roster.yaml` untouched: not judged.
    pub unchanged: Vec<u64>,
    pub judged: Vec<Judged>,
    /// GitHub requests (reads, writes) the sweep sent, retries included.
    pub requests: (u64, u64),
}

impl Sweep {
    /// Whether psrt failed to judge or publish any pull request (a verdict
    /// that does not hold is not a failure of the sweep).
    pub fn failed(&self) -> bool {
        self.judged.iter().any(Judged::failed)
    }
}

/// Whether a pull request's files include `roster.yaml` (added, changed,
/// removed, or renamed from or to it). `None` when GitHub's list stopped at
/// its limit and may have left it out.
pub fn changes_roster(files: &[PullFile]) -> Option<bool> {
    let roster = crate::roster::FILE;
    let touched = files
        .iter()
        .any(|f| f.filename == roster || f.previous_filename.as_deref() == Some(roster));
    if touched {
        Some(true)
    } else if files.len() >= MAX_PULL_FILES {
        None
    } else {
        Some(false)
    }
}

/// Judges every open pull request to the default branch that changes
/// `roster.yaml`. An error is returned only when the open pull requests
/// cannot be listed; a pull request psrt cannot judge is an
/// [`Outcome::Error`] and the others are still judged.
pub async fn all(gh: &GitHub, repo: &Repo, opts: Options) -> anyhow::Result<Sweep> {
    let (reads, writes) = gh.counts();
    let open = gh.open_pulls(repo).await?;
    let mut sweep = Sweep {
        open: open.len(),
        ..Sweep::default()
    };
    // Every pull request names its repository's default branch; ask the
    // repository only when none does (or they disagree).
    let named: BTreeSet<&str> = open
        .iter()
        .filter_map(|p| p.default_branch.as_deref())
        .collect();
    sweep.default_branch = match named.into_iter().collect::<Vec<_>>().as_slice() {
        [one] if open.iter().all(|p| p.default_branch.is_some()) => (*one).to_owned(),
        [] if open.is_empty() => String::new(),
        _ => gh.repository(repo).await?.default_branch,
    };
    let (to_default, other): (Vec<Pull>, Vec<Pull>) = open
        .into_iter()
        .partition(|p| p.base_ref == sweep.default_branch);
    sweep.other_base = other.iter().map(|p| p.number).collect();
    // The file lists, concurrently (the client bounds reads in flight).
    let files =
        futures::future::join_all(to_default.iter().map(|p| gh.pull_files(repo, p.number))).await;
    let cache = Cache::default();
    for (pull, files) in to_default.into_iter().zip(files) {
        let note = match files.as_deref().map(changes_roster) {
            Ok(Some(true)) => None,
            Ok(Some(false)) => {
                sweep.unchanged.push(pull.number);
                continue;
            }
            Ok(None) => Some(format!(
                "GitHub lists only the first {MAX_PULL_FILES} files of a pull request: psrt judges it in case roster.yaml is among the rest"
            )),
            Err(e) => Some(format!(
                "psrt could not list its files ({}): judged in case it changes roster.yaml",
                e.reason()
            )),
        };
        sweep
            .judged
            .push(judge_one(gh, repo, pull, opts, &cache, note).await);
    }
    sweep.judged.sort_by_key(|j| j.number);
    let (r, w) = gh.counts();
    sweep.requests = (r - reads, w - writes);
    Ok(sweep)
}

async fn judge_one(
    gh: &GitHub,
    repo: &Repo,
    listed: Pull,
    opts: Options,
    cache: &Cache,
    note: Option<String>,
) -> Judged {
    let number = listed.number;
    let html_url = listed.html_url.clone();
    let error = |e: anyhow::Error| Judged {
        number,
        html_url: html_url.clone(),
        outcome: Outcome::Error(format!("{e:#}")),
    };
    let mut pull = match read::checked(listed) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let mut judged_again = false;
    loop {
        let (judgement, published) = match run_on(gh, repo, &pull, opts, cache).await {
            Ok(x) => x,
            Err(e) => return error(e),
        };
        // Published: did a review or a push arrive meanwhile? Once only.
        if opts.publish && !judged_again {
            let (now, reviews) =
                futures::join!(read::pull(gh, repo, number), gh.reviews(repo, number));
            match (now, reviews) {
                (Ok(now), Ok(reviews)) => {
                    let mut seen: Vec<_> = reviews.iter().map(|r| (r.id, r.state)).collect();
                    seen.sort_by_key(|(id, _)| *id);
                    let moved = now.head_sha != pull.head_sha
                        || now.state != "open"
                        || judgement.reviews_seen.as_ref().is_some_and(|s| *s != seen);
                    if moved && now.state == "open" {
                        pull = now;
                        judged_again = true;
                        continue;
                    }
                }
                (Err(e), _) => return error(e),
                (_, Err(e)) => return error(e.into()),
            }
        }
        return Judged {
            number,
            html_url,
            outcome: Outcome::Verdict {
                verdict: Box::new(judgement.verdict),
                published: Box::new(published),
                judged_again,
                note,
            },
        };
    }
}

/// The sweep as JSON: per pull request its verdict or error, and what was
/// left alone.
#[derive(Serialize)]
pub struct SweepJson<'a> {
    pub default_branch: &'a str,
    pub open: usize,
    pub pull_requests: Vec<PullJson<'a>>,
    pub unchanged: &'a [u64],
    pub other_base: &'a [u64],
    pub requests: Requests,
}

#[derive(Serialize)]
pub struct PullJson<'a> {
    pub number: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'a Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub judged_again: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub publish_failed: bool,
}

#[derive(Serialize)]
pub struct Requests {
    pub reads: u64,
    pub writes: u64,
}

impl Sweep {
    pub fn to_json(&self) -> SweepJson<'_> {
        SweepJson {
            default_branch: &self.default_branch,
            open: self.open,
            pull_requests: self
                .judged
                .iter()
                .map(|j| match &j.outcome {
                    Outcome::Verdict {
                        verdict,
                        judged_again,
                        ..
                    } => PullJson {
                        number: j.number,
                        verdict: Some(verdict),
                        error: None,
                        judged_again: *judged_again,
                        publish_failed: j.failed(),
                    },
                    Outcome::Error(e) => PullJson {
                        number: j.number,
                        verdict: None,
                        error: Some(e),
                        judged_again: false,
                        publish_failed: false,
                    },
                })
                .collect(),
            unchanged: &self.unchanged,
            other_base: &self.other_base,
            requests: Requests {
                reads: self.requests.0,
                writes: self.requests.1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, previous: Option<&str>) -> PullFile {
        PullFile {
            filename: name.to_owned(),
            previous_filename: previous.map(str::to_owned),
            status: if previous.is_some() {
                "renamed"
            } else {
                "modified"
            }
            .to_owned(),
        }
    }

    #[test]
    fn a_pull_request_changes_the_roster_when_its_files_name_it() {
        assert_eq!(changes_roster(&[]), Some(false));
        assert_eq!(
            changes_roster(&[file("docs/x.md", None), file("roster.yaml", None)]),
            Some(true)
        );
        // Renamed away, or into place.
        assert_eq!(
            changes_roster(&[file("old.yaml", Some("roster.yaml"))]),
            Some(true)
        );
        assert_eq!(
            changes_roster(&[file("roster.yaml", Some("draft.yaml"))]),
            Some(true)
        );
        // Not a path ending in it, nor a file of that name elsewhere.
        assert_eq!(
            changes_roster(&[file("docs/roster.yaml", None), file("xroster.yaml", None)]),
            Some(false)
        );
        // GitHub's list stopped at its limit: psrt cannot tell.
        let many: Vec<PullFile> = (0..MAX_PULL_FILES)
            .map(|i| file(&format!("f{i}"), None))
            .collect();
        assert_eq!(changes_roster(&many), None);
    }
}
