//! What `psrt approvals` reads and writes besides the roster: a pull
//! request's commits (with the accounts GitHub links to their author and
//! committer), commit statuses, issue comments, and who each credential is
//! (`GET /user`; `GET /app` is answered with the App's JWT in `teams.rs`).
//!
//! Writes are attributed to the caller: a token registered with
//! [`GitHubFake::token_user`] writes as that user, an installation token as
//! the App's bot (`{slug}[bot]`, with `performed_via_github_app` on comments),
//! and any other token as `github-actions[bot]`, the way a workflow's own
//! token does (which also cannot ask `GET /user`).

use std::collections::{BTreeMap, BTreeSet};

use axum::response::Response;
use chrono::{DateTime, Utc};
use http::Method;
use serde_json::{Value, json};

use super::{GitHubFake, GitHubState, Req, error, paginate, skeleton, validation_failed};
use crate::json as json_response;

/// The fake App's slug: its bot is `psrt[bot]`.
pub const APP_SLUG: &str = "psrt";
/// The account id of the App's bot (`GET /users/psrt[bot]`), the author of
/// what an installation token writes.
pub const APP_BOT_ID: u64 = 9_000_001;
const ACTIONS_BOT: &str = "github-actions[bot]";

#[derive(Debug, Clone)]
pub struct FakeStatus {
    pub id: u64,
    pub repo: String,
    pub sha: String,
    pub state: String,
    pub context: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
    pub creator: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct FakeComment {
    pub id: u64,
    pub repo: String,
    pub issue: u64,
    pub user: String,
    /// Written through the App (its id).
    pub app_id: Option<u64>,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who authored and committed a commit, and when (as git records it).
#[derive(Debug, Clone)]
pub struct FakeCommitMeta {
    pub author: Option<String>,
    pub committer: Option<String>,
    pub date: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct StatusState {
    pub statuses: Vec<FakeStatus>,
    pub comments: Vec<FakeComment>,
    /// commit sha → its author and committer
    pub commit_meta: BTreeMap<String, FakeCommitMeta>,
    /// token → the login it acts as
    pub token_users: BTreeMap<String, String>,
}

/// Who a credential acts as: (login, App id).
pub(crate) fn caller(s: &GitHubState, credential: &str) -> (String, Option<u64>) {
    if let Some(login) = s.statuses.token_users.get(credential) {
        return (login.clone(), None);
    }
    if credential.starts_with("ghs_fake_installation_") {
        if let Some(app) = &s.app {
            return (format!("{APP_SLUG}[bot]"), Some(app.app_id));
        }
    }
    (ACTIONS_BOT.to_owned(), None)
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A user object for any login, bots included.
pub(crate) fn user_json(s: &GitHubState, login: &str, base: &str) -> Value {
    let mut v = skeleton("simple-user");
    let (id, kind) = match s.user_by_login(login) {
        Some(u) => (u.id, "User"),
        None if login == ACTIONS_BOT => (41_898_282, "Bot"),
        None if login.ends_with("[bot]") => (APP_BOT_ID, "Bot"),
        None => (0, "User"),
    };
    v["login"] = json!(login);
    v["id"] = json!(id);
    v["node_id"] = json!(format!("U_{id}"));
    v["type"] = json!(kind);
    v["url"] = json!(format!("{base}/users/{login}"));
    v["html_url"] = json!(format!("https://github.com/{login}"));
    v
}

/// The App, as `GET /app` and `performed_via_github_app` describe it.
pub(crate) fn app_json(app_id: u64, org: &str, base: &str) -> Value {
    let mut v = skeleton("integration");
    v["id"] = json!(app_id);
    v["slug"] = json!(APP_SLUG);
    v["name"] = json!("psrt");
    v["node_id"] = json!(format!("A_{app_id}"));
    v["html_url"] = json!(format!("https://github.com/apps/{APP_SLUG}"));
    v["external_url"] = json!("https://github.com/python/psrt");
    v["permissions"] = json!({ "contents": "read", "pull_requests": "read", "issues": "write", "statuses": "write", "members": "read" });
    v["events"] = json!([]);
    if let Some(owner) = v.get_mut("owner") {
        owner["login"] = json!(org);
        owner["type"] = json!("Organization");
        owner["url"] = json!(format!("{base}/users/{org}"));
    }
    v
}

fn status_json(s: &GitHubState, st: &FakeStatus, base: &str) -> Value {
    let mut v = skeleton("status");
    v["id"] = json!(st.id);
    v["node_id"] = json!(format!("SC_{}", st.id));
    v["url"] = json!(format!("{base}/repos/{}/statuses/{}", st.repo, st.sha));
    v["avatar_url"] = Value::Null;
    v["state"] = json!(st.state);
    v["context"] = json!(st.context);
    v["description"] = json!(st.description);
    v["target_url"] = json!(st.target_url);
    v["created_at"] = json!(time(st.created_at));
    v["updated_at"] = json!(time(st.created_at));
    v["creator"] = user_json(s, &st.creator, base);
    v
}

fn comment_json(s: &GitHubState, c: &FakeComment, base: &str) -> Value {
    let mut v = skeleton("issue-comment");
    v["id"] = json!(c.id);
    v["node_id"] = json!(format!("IC_{}", c.id));
    v["url"] = json!(format!("{base}/repos/{}/issues/comments/{}", c.repo, c.id));
    v["html_url"] = json!(format!(
        "https://github.com/{}/pull/{}#issuecomment-{}",
        c.repo, c.issue, c.id
    ));
    v["issue_url"] = json!(format!("{base}/repos/{}/issues/{}", c.repo, c.issue));
    v["body"] = json!(c.body);
    v["user"] = user_json(s, &c.user, base);
    v["created_at"] = json!(time(c.created_at));
    v["updated_at"] = json!(time(c.updated_at));
    v["author_association"] = json!(if c.user.ends_with("[bot]") {
        "NONE"
    } else {
        "MEMBER"
    });
    v["performed_via_github_app"] = match c.app_id {
        Some(id) => app_json(id, &s.org, base),
        None => Value::Null,
    };
    v
}

fn commit_json(
    s: &GitHubState,
    repo: &str,
    sha: &str,
    parent: Option<&str>,
    message: &str,
    base: &str,
) -> Value {
    let meta = s.statuses.commit_meta.get(sha);
    let date = time(meta.map_or_else(Utc::now, |m| m.date));
    let git_user = |login: Option<&String>| {
        let name = login.map_or("Someone", |l| l.as_str());
        json!({ "name": name, "email": format!("{name}@users.noreply.github.com"), "date": date })
    };
    let account = |login: Option<&String>| login.map_or(Value::Null, |l| user_json(s, l, base));
    let (author, committer) = (
        meta.and_then(|m| m.author.as_ref()),
        meta.and_then(|m| m.committer.as_ref()),
    );
    let mut v = skeleton("commit");
    v["sha"] = json!(sha);
    v["node_id"] = json!(format!("C_{sha}"));
    v["url"] = json!(format!("{base}/repos/{repo}/commits/{sha}"));
    v["html_url"] = json!(format!("https://github.com/{repo}/commit/{sha}"));
    v["comments_url"] = json!(format!("{base}/repos/{repo}/commits/{sha}/comments"));
    v["commit"] = json!({
        "url": format!("{base}/repos/{repo}/git/commits/{sha}"),
        "author": git_user(author),
        "committer": git_user(committer),
        "message": message,
        "comment_count": 0,
        "tree": { "sha": format!("{:0>40}", "7"), "url": format!("{base}/repos/{repo}/git/trees/7") },
    });
    v["author"] = account(author);
    v["committer"] = account(committer);
    v["parents"] = json!(parent.map_or_else(Vec::new, |p| vec![json!({
        "sha": p,
        "url": format!("{base}/repos/{repo}/commits/{p}"),
        "html_url": format!("https://github.com/{repo}/commit/{p}"),
    })]));
    v
}

/// The commits of a pull request: reachable from the head, not from the base,
/// oldest first (at most 250, as GitHub lists them).
fn pull_commits(
    s: &GitHubState,
    owner: &str,
    name: &str,
    number: u64,
    base: &str,
) -> Option<Vec<Value>> {
    let repo = s.repo(owner, name)?;
    let pull = repo.pulls.iter().find(|p| p.number == number)?;
    let mut on_base = BTreeSet::new();
    let mut cur = repo.branches.get(&pull.base).cloned();
    while let Some(sha) = cur {
        if !on_base.insert(sha.clone()) {
            break;
        }
        cur = repo.commits.get(&sha).and_then(|c| c.parent.clone());
    }
    let mut list = Vec::new();
    let mut cur = repo.branches.get(&pull.head).cloned();
    while let Some(sha) = cur {
        if on_base.contains(&sha) || list.iter().any(|(s, _): &(String, _)| *s == sha) {
            break;
        }
        let c = repo.commits.get(&sha)?;
        list.push((sha.clone(), c));
        cur = c.parent.clone();
    }
    list.reverse();
    let full = repo.full_name();
    Some(
        list.into_iter()
            .take(250)
            .map(|(sha, c)| commit_json(s, &full, &sha, c.parent.as_deref(), &c.message, base))
            .collect(),
    )
}

/// Statuses, comments, pull request commits and `GET /user`; `None` for any
/// other path.
pub(crate) fn handle(fake: &GitHubFake, req: &Req, credential: &str) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let base = req.base.as_str();
    fake.with(|s| -> Option<Response> {
        let (me, app_id) = caller(s, credential);
        Some(match (&req.method, segs.as_slice()) {
            (&Method::GET, ["user"]) => {
                if me == ACTIONS_BOT || app_id.is_some() {
                    return Some(error(403, "Resource not accessible by integration"));
                }
                let mut v = skeleton("public-user");
                if let Value::Object(user) = user_json(s, &me, base) {
                    for (k, x) in user {
                        v[k.as_str()] = x;
                    }
                }
                v["user_view_type"] = json!("public");
                json_response(200, v)
            }
            (&Method::GET, ["repos", owner, name, "pulls", number, "commits"]) => {
                let Some(items) = number
                    .parse()
                    .ok()
                    .and_then(|n| pull_commits(s, owner, name, n, base))
                else {
                    return Some(error(404, "Not Found"));
                };
                paginate(req, items)
            }
            (&Method::POST, ["repos", owner, name, "statuses", sha]) => {
                let Some(repo) = s.repo(owner, name) else {
                    return Some(error(404, "Not Found"));
                };
                if !repo.commits.contains_key(*sha) {
                    return Some(validation_failed("No commit found for SHA"));
                }
                let full = repo.full_name();
                let get = |k: &str| req.body.get(k).and_then(Value::as_str).map(str::to_owned);
                let state = get("state").unwrap_or_default();
                if !["error", "failure", "pending", "success"].contains(&state.as_str()) {
                    return Some(validation_failed("state is not included in the list"));
                }
                if get("description").is_some_and(|d| d.chars().count() > 140) {
                    return Some(validation_failed(
                        "description is too long (maximum is 140 characters)",
                    ));
                }
                let context = get("context").unwrap_or_else(|| "default".into());
                // GitHub: "a limit of 1000 statuses per sha and context".
                let set = s
                    .statuses
                    .statuses
                    .iter()
                    .filter(|st| st.repo == full && st.sha == *sha && st.context == context)
                    .count();
                if set >= 1000 {
                    return Some(validation_failed(
                        "This SHA and context has reached the maximum number of statuses.",
                    ));
                }
                let id = s.next_id();
                let st = FakeStatus {
                    id,
                    repo: full,
                    sha: (*sha).to_owned(),
                    state,
                    context,
                    description: get("description"),
                    target_url: get("target_url"),
                    creator: me,
                    created_at: Utc::now(),
                };
                s.statuses.statuses.push(st.clone());
                json_response(201, status_json(s, &st, base))
            }
            (&Method::GET, ["repos", owner, name, "commits", r, "statuses"]) => {
                let Some(repo) = s.repo(owner, name) else {
                    return Some(error(404, "Not Found"));
                };
                let Some(sha) = repo.resolve(r) else {
                    return Some(error(404, "No commit found for SHA"));
                };
                let full = repo.full_name();
                let mut list: Vec<&FakeStatus> = s
                    .statuses
                    .statuses
                    .iter()
                    .filter(|st| st.repo == full && st.sha == sha)
                    .collect();
                // Newest first, as GitHub lists them.
                list.sort_by_key(|st| std::cmp::Reverse((st.created_at, st.id)));
                let items = list
                    .into_iter()
                    .map(|st| status_json(s, st, base))
                    .collect();
                paginate(req, items)
            }
            (&Method::GET, ["repos", owner, name, "issues", number, "comments"]) => {
                let Some(repo) = s.repo(owner, name) else {
                    return Some(error(404, "Not Found"));
                };
                let full = repo.full_name();
                let n: u64 = number.parse().unwrap_or(0);
                if !repo.pulls.iter().any(|p| p.number == n) {
                    return Some(error(404, "Not Found"));
                }
                let items = s
                    .statuses
                    .comments
                    .iter()
                    .filter(|c| c.repo == full && c.issue == n)
                    .map(|c| comment_json(s, c, base))
                    .collect();
                paginate(req, items)
            }
            (&Method::POST, ["repos", owner, name, "issues", number, "comments"]) => {
                let Some(repo) = s.repo(owner, name) else {
                    return Some(error(404, "Not Found"));
                };
                let full = repo.full_name();
                let n: u64 = number.parse().unwrap_or(0);
                if !repo.pulls.iter().any(|p| p.number == n) {
                    return Some(error(404, "Not Found"));
                }
                let Some(body) = req.body.get("body").and_then(Value::as_str) else {
                    return Some(validation_failed("body is missing"));
                };
                let id = s.next_id();
                let c = FakeComment {
                    id,
                    repo: full,
                    issue: n,
                    user: me,
                    app_id,
                    body: body.to_owned(),
                    created_at: Utc::now(),
                    updated_at: Utc::now(),
                };
                s.statuses.comments.push(c.clone());
                json_response(201, comment_json(s, &c, base))
            }
            (&Method::PATCH, ["repos", owner, name, "issues", "comments", id]) => {
                let Some(full) = s.repo(owner, name).map(|r| r.full_name()) else {
                    return Some(error(404, "Not Found"));
                };
                let Some(body) = req.body.get("body").and_then(Value::as_str) else {
                    return Some(validation_failed("body is missing"));
                };
                let id: u64 = id.parse().unwrap_or(0);
                let Some(c) = s
                    .statuses
                    .comments
                    .iter_mut()
                    .find(|c| c.id == id && c.repo == full)
                else {
                    return Some(error(404, "Not Found"));
                };
                c.body = body.to_owned();
                c.updated_at = Utc::now();
                let c = c.clone();
                json_response(200, comment_json(s, &c, base))
            }
            _ => return None,
        })
    })
}

impl GitHubFake {
    /// A token that acts as `login` (accepted from now on).
    pub fn token_user(&self, token: &str, login: &str) {
        self.user(login);
        self.with(|s| {
            if !s.tokens.iter().any(|t| t == token) {
                s.tokens.push(token.to_owned());
            }
            s.statuses
                .token_users
                .insert(token.to_owned(), login.to_owned());
        });
    }

    /// Commits as `author` (also the committer unless `committer` is given),
    /// dated `date` as git records it; returns the sha.
    #[allow(clippy::too_many_arguments)]
    pub fn commit_by(
        &self,
        full_name: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
        author: &str,
        committer: Option<&str>,
        date: DateTime<Utc>,
    ) -> String {
        let sha = self.commit(full_name, branch, files, message);
        self.user(author);
        if let Some(c) = committer {
            self.user(c);
        }
        self.with(|s| {
            s.statuses.commit_meta.insert(
                sha.clone(),
                FakeCommitMeta {
                    author: Some(author.to_owned()),
                    committer: Some(committer.unwrap_or(author).to_owned()),
                    date,
                },
            );
        });
        sha
    }

    /// A status as if `creator` had set it at `at` (to seed history).
    pub fn seed_status(
        &self,
        full_name: &str,
        sha: &str,
        context: &str,
        state: &str,
        creator: &str,
        at: DateTime<Utc>,
    ) {
        self.with(|s| {
            let id = s.next_id();
            let repo = s
                .repo_by_full_name(full_name)
                .map(|r| r.full_name())
                .unwrap_or_else(|| full_name.to_owned());
            s.statuses.statuses.push(FakeStatus {
                id,
                repo,
                sha: sha.to_owned(),
                state: state.to_owned(),
                context: context.to_owned(),
                description: None,
                target_url: None,
                creator: creator.to_owned(),
                created_at: at,
            });
        });
    }

    /// A verdict status as psrt sets it on pull request `pull`'s head
    /// `sha` at `at`: `context`, `failure`, linked to the pull request.
    pub fn seed_verdict(
        &self,
        full_name: &str,
        pull: u64,
        sha: &str,
        context: &str,
        creator: &str,
        at: DateTime<Utc>,
    ) {
        self.seed_status(full_name, sha, context, "failure", creator, at);
        self.with(|s| {
            if let Some(st) = s.statuses.statuses.last_mut() {
                st.target_url = Some(format!("https://github.com/{}/pull/{pull}", st.repo));
            }
        });
    }

    /// A comment written by `user` (e.g. one that forges psrt's marker).
    pub fn add_comment(&self, full_name: &str, issue: u64, user: &str, body: &str) -> u64 {
        self.user(user);
        self.with(|s| {
            let id = s.next_id();
            let repo = s
                .repo_by_full_name(full_name)
                .map(|r| r.full_name())
                .unwrap_or_else(|| full_name.to_owned());
            s.statuses.comments.push(FakeComment {
                id,
                repo,
                issue,
                user: user.to_owned(),
                app_id: None,
                body: body.to_owned(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
            });
            id
        })
    }

    /// The statuses set on `sha`, oldest first.
    pub fn statuses(&self, full_name: &str, sha: &str) -> Vec<FakeStatus> {
        self.with(|s| {
            s.statuses
                .statuses
                .iter()
                .filter(|st| st.repo.eq_ignore_ascii_case(full_name) && st.sha == sha)
                .cloned()
                .collect()
        })
    }

    /// The comments on issue or pull request `issue`, oldest first.
    pub fn comments(&self, full_name: &str, issue: u64) -> Vec<FakeComment> {
        self.with(|s| {
            s.statuses
                .comments
                .iter()
                .filter(|c| c.repo.eq_ignore_ascii_case(full_name) && c.issue == issue)
                .cloned()
                .collect()
        })
    }
}

impl GitHubState {
    fn repo_by_full_name(&self, full_name: &str) -> Option<&super::FakeRepo> {
        let (owner, name) = full_name.split_once('/')?;
        self.repo(owner, name)
    }
}
