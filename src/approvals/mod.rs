//! Governance on pull requests: does pull request N meet the approval rule of
//! the BASE branch's roster?
//!
//! - Every change to the roster's meaning needs `policy.approvals.membership`
//!   of the base ([`changes`]): members, emeritus, roles, identity and contact
//!   fields, the Steering Council, service settings and policy. Only comments,
//!   formatting and display names are free. A member who leaves `members`
//!   without an `emeritus` entry is never allowed.
//! - Reviews follow GitHub's semantics ([`rule`]); the author and whoever
//!   pushed a commit cannot approve; `min_open_days` counts from the latest
//!   push that changed the roster ([`read::window`]).
//! - A head roster that fails `psrt check` gets "head roster is invalid",
//!   echoing nothing from it.
//! - `--publish` sets the commit status `psrt/approvals` on the head commit
//!   and keeps one comment up to date ([`publish`]); the comment shows, per
//!   service, who gains or loses access if it merges ([`access`]).
//! - `--all` judges every open pull request to the default branch that
//!   changes `roster.yaml` ([`sweep`]): the hourly workflow runs it, so no
//!   verdict outlives a review or a push by more than an hour, whatever a
//!   pull request does to the workflow that reports its reviews.
//!
//! The verdict is only as trustworthy as the code and workflow that compute
//! it: `.github/workflows/approvals.yml` runs this from the base branch and
//! never runs the pull request's code (docs/operations.md).

pub mod access;
pub mod changes;
pub mod publish;
pub mod read;
pub mod render;
pub mod rule;
pub mod sweep;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, OnceCell};

pub use publish::MARKER;
pub use read::{CONTEXT, Identity, Pull, Repo};
pub use render::{comment, text};
pub use rule::{Review, Verdict};

use crate::github::{GitHub, Level, Permission, Scope};
use crate::roster::Login;

/// Judging: the pull request, its reviews and commits, `roster.yaml` at the
/// base and the head, and psrt's own statuses (the vote window).
pub const POLICY_REPO_READ: &[Permission] = &[
    ("contents", Level::Read),
    ("pull_requests", Level::Read),
    ("statuses", Level::Read),
];
/// `--publish` also writes one commit status and one comment (a pull
/// request's comments are issue comments).
pub const POLICY_REPO_PUBLISH: &[Permission] = &[
    ("contents", Level::Read),
    ("pull_requests", Level::Read),
    ("statuses", Level::Write),
    ("issues", Level::Write),
];
/// The eligibility teams.
pub const ORG_PERMISSIONS: &[Permission] = &[("members", Level::Read)];

/// The scoped installation token `psrt approvals` asks for: the policy
/// repository, and the organisation's teams.
pub fn github_scope(org: &str, policy_repo: &str, publish: bool) -> Scope {
    let repo = if publish {
        POLICY_REPO_PUBLISH
    } else {
        POLICY_REPO_READ
    };
    Scope::org(org, ORG_PERMISSIONS).repos(&[policy_repo], repo)
}

/// How a run goes.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub now: DateTime<Utc>,
    /// Under GitHub Actions (a workflow token writes as `github-actions[bot]`).
    pub in_actions: bool,
    /// Whether psrt's identity is needed to publish.
    pub publish: bool,
}

/// A verdict and what publishing it needs.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub verdict: Verdict,
    /// psrt's own account, when it was needed and GitHub said.
    pub identity: Option<Identity>,
    /// The reviews the verdict counted (id and state), when it read them:
    /// a sweep compares them after publishing.
    pub reviews_seen: Option<Vec<(u64, rule::ReviewState)>>,
}

/// What one run reads once, however many pull requests it judges: psrt's
/// own identity, and the base branch's `roster.yaml`.
#[derive(Default)]
pub struct Cache {
    identity: OnceCell<Option<Identity>>,
    bases: Mutex<BTreeMap<String, Option<Vec<u8>>>>,
}

impl Cache {
    async fn identity(&self, gh: &GitHub, in_actions: bool) -> anyhow::Result<Option<Identity>> {
        self.identity
            .get_or_try_init(|| read::identity(gh, in_actions))
            .await
            .cloned()
    }

    async fn base(
        &self,
        gh: &GitHub,
        repo: &Repo,
        branch: &str,
    ) -> anyhow::Result<Option<Vec<u8>>> {
        let mut bases = self.bases.lock().await;
        if let Some(b) = bases.get(branch) {
            return Ok(b.clone());
        }
        let bytes = read::roster_at(gh, repo, read::Rev::Branch(branch)).await?;
        bases.insert(branch.to_owned(), bytes.clone());
        Ok(bytes)
    }
}

/// Reads pull request `pull` and decides. An error means psrt could not
/// judge (it never guesses): a base roster that is missing or invalid, or a
/// read that failed.
pub async fn judge(
    gh: &GitHub,
    repo: &Repo,
    pull: &Pull,
    opts: Options,
) -> anyhow::Result<Judgement> {
    judge_with(gh, repo, pull, opts, &Cache::default()).await
}

/// [`judge`], reading psrt's identity and the base roster through `cache`.
pub async fn judge_with(
    gh: &GitHub,
    repo: &Repo,
    pull: &Pull,
    opts: Options,
    cache: &Cache,
) -> anyhow::Result<Judgement> {
    let today = opts.now.date_naive();
    let base_bytes = cache.base(gh, repo, &pull.base_ref).await?.ok_or_else(|| {
        anyhow::anyhow!(
            "the base branch `{}` has no roster.yaml: nothing to judge against",
            pull.base_ref
        )
    })?;
    let base = match read::parse_checked(&base_bytes, today) {
        read::Parsed::Valid(r) => r,
        read::Parsed::Invalid(problems) => anyhow::bail!(
            "the base branch's roster.yaml fails `psrt check` ({} error(s)): psrt judges nothing against it; fix the default branch first",
            problems.len()
        ),
    };
    let mut identity = None;
    if opts.publish {
        identity = cache.identity(gh, opts.in_actions).await?;
    }
    let head = match read::roster_at(gh, repo, read::Rev::Commit(&pull.head_sha)).await? {
        None => {
            return Ok(Judgement {
                verdict: Verdict::invalid_head(
                    pull.head_sha.clone(),
                    "`roster.yaml` is missing at the head: the policy cannot be deleted",
                ),
                identity,
                reviews_seen: None,
            });
        }
        Some(bytes) => match read::parse_checked(&bytes, today) {
            read::Parsed::Valid(r) => r,
            read::Parsed::Invalid(problems) => {
                return Ok(Judgement {
                    verdict: Verdict::invalid_head(
                        pull.head_sha.clone(),
                        &rule::problems(&problems),
                    ),
                    identity,
                    reviews_seen: None,
                });
            }
        },
    };
    let changes = changes::between(&base, &head);
    let access = access::between(&base, &head);
    let base_is_default = pull
        .default_branch
        .as_deref()
        .is_some_and(|d| d == pull.base_ref);
    let mut facts = rule::Facts {
        base: &base,
        changes: &changes,
        access,
        head_sha: pull.head_sha.clone(),
        base_is_default,
        author: pull.author_login(),
        pushers: Default::default(),
        commits_complete: true,
        reviews: vec![],
        eligible: Ok(Default::default()),
        window: None,
        now: opts.now,
    };
    let mut reviews_seen = None;
    if changes.needs_approval() {
        let newcomers = !changes.newcomers.is_empty();
        let teams = &base.github.eligibility_teams;
        let (reviews, commits, eligible) = futures::join!(
            read::reviews(gh, repo, pull.number),
            read::commits(gh, repo, pull.number),
            async {
                if !newcomers {
                    Ok(Default::default())
                } else if teams.is_empty() {
                    Err("`github.eligibility_teams` is not configured".to_owned())
                } else {
                    gh.logins_in_teams(&base.github.org, teams)
                        .await
                        .map(|s| s.into_iter().collect())
                }
            }
        );
        let commits = commits?;
        facts.reviews = reviews?;
        let mut seen: Vec<(u64, rule::ReviewState)> =
            facts.reviews.iter().map(|r| (r.id, r.state)).collect();
        seen.sort_by_key(|(id, _)| *id);
        reviews_seen = Some(seen);
        facts.pushers = read::pushers(&commits);
        facts.commits_complete = commits.len() < read::MAX_PULL_COMMITS;
        facts.eligible = eligible;
        if base.policy.approvals.membership.min_open_days.is_some() {
            if identity.is_none() {
                identity = cache.identity(gh, opts.in_actions).await?;
            }
            facts.window = Some(
                read::window(gh, repo, pull, &head, &commits, identity.as_ref(), opts.now).await?,
            );
        }
    }
    Ok(Judgement {
        verdict: rule::decide(facts),
        identity,
        reviews_seen,
    })
}

/// What `--publish` planned and how each write went.
pub type Published = Option<(publish::Plan, publish::Applied)>;

/// `psrt approvals` in one call: read, judge, and (with `publish`) write the
/// status and the comment. Returns the verdict and what was written.
pub async fn run(
    gh: &GitHub,
    repo: &Repo,
    number: u64,
    opts: Options,
) -> anyhow::Result<(Pull, Judgement, Published)> {
    let pull = read::pull(gh, repo, number).await?;
    let (judgement, published) = run_on(gh, repo, &pull, opts, &Cache::default()).await?;
    Ok((pull, judgement, published))
}

/// Judges `pull` as read, and (with `publish`) writes the status and the
/// comment. When psrt cannot judge it, an `error` status replaces any
/// earlier verdict before the error is returned.
pub async fn run_on(
    gh: &GitHub,
    repo: &Repo,
    pull: &Pull,
    opts: Options,
    cache: &Cache,
) -> anyhow::Result<(Judgement, Published)> {
    let pull = pull.clone();
    let judged = judge_with(gh, repo, &pull, opts, cache).await;
    let judgement = match judged {
        Ok(j) => j,
        Err(e) => {
            if opts.publish {
                // Never leave an earlier green standing for a state psrt
                // could not read.
                let plan = publish::error_plan(&pull);
                let _ = publish::apply(gh, repo, &pull, &plan).await;
            }
            return Err(e);
        }
    };
    if !opts.publish {
        return Ok((judgement, None));
    }
    let me = judgement.identity.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "psrt cannot tell which account it writes as, so it cannot find its own comment: run it as the GitHub App (PSRT_GITHUB_APP_ID and PSRT_GITHUB_APP_KEY), or with a token whose `GET /user` answers; nothing was written"
        )
    })?;
    let body = render::comment(&judgement.verdict);
    let plan = publish::plan(gh, repo, &pull, &me, &judgement.verdict, &body).await?;
    let applied = publish::apply(gh, repo, &pull, &plan).await;
    Ok((judgement, Some((plan, applied))))
}

/// A login shown only when it has a login's syntax.
pub(crate) fn shown(l: &str) -> String {
    if Login::from(l).is_valid() {
        l.to_owned()
    } else {
        "(an account)".to_owned()
    }
}
