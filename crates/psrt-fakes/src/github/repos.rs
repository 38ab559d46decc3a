//! Repositories: git refs and commits holding files, contents, pull
//! requests, requested reviewers and reviews. Enough of Git for the policy
//! repository (the inactivity pull request, approvals) and for the pull
//! requests in advisories' temporary private forks.
//!
//! A name is resolved the way `git rev-parse` does (tags before branches;
//! GitHub does not document its own order, so the fake takes the one that
//! is worst for a reader that names a branch bare), a push that is not a
//! fast-forward leaves a `head_ref_force_pushed` event on the timeline of
//! each open pull request from that branch, and a pull request's files are
//! the difference between its merge base and its head.

use std::collections::BTreeMap;

use axum::response::Response;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use http::Method;
use serde_json::{Value, json};

use super::teams::simple_user;
use super::{GitHubFake, GitHubState, Req, error, paginate, skeleton, validation_failed};
use crate::{empty, json as json_response};

#[derive(Debug, Clone)]
pub struct FakeCommit {
    pub parent: Option<String>,
    pub files: BTreeMap<String, String>,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct FakePull {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// Head branch.
    pub head: String,
    pub base: String,
    pub state: String,
    pub user: String,
    pub created_at: DateTime<Utc>,
    pub requested_users: Vec<String>,
    pub requested_teams: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FakeReview {
    pub id: u64,
    pub pull: u64,
    pub user: String,
    /// APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    pub state: String,
    pub commit_id: String,
    pub submitted_at: DateTime<Utc>,
}

/// An event on a pull request's timeline (only those the fake records).
#[derive(Debug, Clone)]
pub struct FakeEvent {
    pub id: u64,
    pub pull: u64,
    /// `head_ref_force_pushed`
    pub event: String,
    pub actor: String,
    /// The head after the event.
    pub commit_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct FakeRepo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    /// branch → commit sha
    pub branches: BTreeMap<String, String>,
    /// tag → commit sha
    pub tags: BTreeMap<String, String>,
    pub commits: BTreeMap<String, FakeCommit>,
    pub pulls: Vec<FakePull>,
    pub reviews: Vec<FakeReview>,
    /// Timeline events of the pull requests, oldest first.
    pub events: Vec<FakeEvent>,
    /// What `psrt audit` reads: workflows and runs, rulesets, private
    /// vulnerability reporting, CODEOWNERS errors, archived, private.
    pub audit: super::audit::FakeAuditState,
}

impl FakeRepo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
    /// A commit sha, or a ref name as `git rev-parse` reads it: a full
    /// `refs/…` name, then `refs/<r>` (so `heads/main` is the branch), then
    /// the tag `<r>`, then the branch `<r>`.
    pub fn resolve(&self, r: &str) -> Option<String> {
        if r.len() == 40 && self.commits.contains_key(r) {
            return Some(r.to_owned());
        }
        let full = |name: &str| {
            if let Some(b) = name.strip_prefix("refs/heads/") {
                self.branches.get(b).cloned()
            } else if let Some(t) = name.strip_prefix("refs/tags/") {
                self.tags.get(t).cloned()
            } else {
                None
            }
        };
        full(r)
            .or_else(|| full(&format!("refs/{r}")))
            .or_else(|| self.tags.get(r).cloned())
            .or_else(|| self.branches.get(r).cloned())
            .or_else(|| self.commits.contains_key(r).then(|| r.to_owned()))
    }
    pub fn file(&self, r: &str, path: &str) -> Option<&String> {
        self.commits.get(&self.resolve(r)?)?.files.get(path)
    }
    /// `sha` and its ancestors (first parents: the fake's commits have one).
    fn ancestry(&self, sha: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = Some(sha.to_owned());
        while let Some(s) = cur {
            if out.contains(&s) {
                break;
            }
            cur = self.commits.get(&s).and_then(|c| c.parent.clone());
            out.push(s);
        }
        out
    }
    /// Whether moving a branch from `from` to `to` is a fast-forward.
    pub fn fast_forward(&self, from: &str, to: &str) -> bool {
        self.ancestry(to).iter().any(|s| s == from)
    }
    /// The files pull request `number` changes: its head against the merge
    /// base with its base branch, as (path, status), sorted by path.
    pub fn pull_files(&self, number: u64) -> Option<Vec<(String, &'static str)>> {
        let pull = self.pulls.iter().find(|p| p.number == number)?;
        let head = self.branches.get(&pull.head)?;
        let on_base = self.ancestry(self.branches.get(&pull.base)?);
        let merge_base = self
            .ancestry(head)
            .into_iter()
            .find(|s| on_base.contains(s));
        let empty = BTreeMap::new();
        let before = merge_base
            .as_ref()
            .and_then(|m| self.commits.get(m))
            .map_or(&empty, |c| &c.files);
        let after = &self.commits.get(head)?.files;
        let mut out = Vec::new();
        for (path, text) in after {
            match before.get(path) {
                None => out.push((path.clone(), "added")),
                Some(old) if old != text => out.push((path.clone(), "modified")),
                Some(_) => {}
            }
        }
        for path in before.keys().filter(|p| !after.contains_key(*p)) {
            out.push((path.clone(), "removed"));
        }
        out.sort();
        Some(out)
    }
}

/// A blob's identity: a hash of its bytes (not Git's, but stable).
pub(crate) fn blob_sha(content: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut h);
    format!("{:016x}{:024x}", h.finish(), content.len())
}

impl GitHubState {
    /// Moves `branch` to `sha`, as a push by `actor` at `at`: when it is not
    /// a fast-forward, each open pull request from the branch gets a
    /// `head_ref_force_pushed` event on its timeline.
    pub fn move_branch(
        &mut self,
        owner: &str,
        name: &str,
        branch: &str,
        sha: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) {
        let id = self.next_id();
        let Some(repo) = self.repo_mut(owner, name) else {
            return;
        };
        let forced = repo
            .branches
            .get(branch)
            .is_some_and(|old| !repo.fast_forward(old, sha));
        repo.branches.insert(branch.to_owned(), sha.to_owned());
        if !forced {
            return;
        }
        let open: Vec<u64> = repo
            .pulls
            .iter()
            .filter(|p| p.head == branch && p.state == "open")
            .map(|p| p.number)
            .collect();
        for (i, pull) in open.into_iter().enumerate() {
            repo.events.push(FakeEvent {
                id: id * 100 + i as u64,
                pull,
                event: "head_ref_force_pushed".into(),
                actor: actor.to_owned(),
                commit_id: sha.to_owned(),
                created_at: at,
            });
        }
    }

    /// A commit id: unique, stable from run to run, and unlike its
    /// neighbours in the first seven digits (as `git` abbreviates).
    fn new_sha(&mut self) -> String {
        let id = self.next_id();
        format!("{:016x}{id:024x}", id.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// Commits `files` on top of `branch` (created from the default branch
    /// when missing); returns the new sha.
    pub fn commit(
        &mut self,
        owner: &str,
        name: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
    ) -> Option<String> {
        let sha = self.new_sha();
        let repo = self.repo_mut(owner, name)?;
        let parent = repo
            .branches
            .get(branch)
            .or_else(|| repo.branches.get(&repo.default_branch))
            .cloned();
        let mut all = parent
            .as_ref()
            .and_then(|p| repo.commits.get(p))
            .map(|c| c.files.clone())
            .unwrap_or_default();
        for (p, c) in files {
            all.insert((*p).to_owned(), (*c).to_owned());
        }
        repo.commits.insert(
            sha.clone(),
            FakeCommit {
                parent,
                files: all,
                message: message.to_owned(),
            },
        );
        repo.branches.insert(branch.to_owned(), sha.clone());
        Some(sha)
    }
}

fn git_ref_json(repo: &FakeRepo, branch: &str, sha: &str, base: &str) -> Value {
    let mut v = skeleton("git-ref");
    v["ref"] = json!(format!("refs/heads/{branch}"));
    v["node_id"] = json!(format!("REF_{sha}"));
    v["url"] = json!(format!(
        "{base}/repos/{}/git/refs/heads/{branch}",
        repo.full_name()
    ));
    v["object"] = json!({ "type": "commit", "sha": sha, "url": format!("{base}/repos/{}/git/commits/{sha}", repo.full_name()) });
    v
}

fn content_json(repo: &FakeRepo, path: &str, content: &str, base: &str) -> Value {
    let mut v = skeleton("content-file");
    let sha = blob_sha(content);
    v["type"] = json!("file");
    v["encoding"] = json!("base64");
    v["content"] = json!(base64::engine::general_purpose::STANDARD.encode(content));
    v["name"] = json!(path.rsplit('/').next().unwrap_or(path));
    v["path"] = json!(path);
    v["sha"] = json!(sha);
    v["size"] = json!(content.len());
    let url = format!("{base}/repos/{}/contents/{path}", repo.full_name());
    v["url"] = json!(url);
    v["git_url"] = json!(format!("{base}/repos/{}/git/blobs/{sha}", repo.full_name()));
    v["html_url"] = json!(format!(
        "https://github.com/{}/blob/main/{path}",
        repo.full_name()
    ));
    let git = format!("{base}/repos/{}/git/blobs/{sha}", repo.full_name());
    let html = format!("https://github.com/{}/blob/main/{path}", repo.full_name());
    v["download_url"] = json!(format!(
        "https://raw.githubusercontent.com/{}/main/{path}",
        repo.full_name()
    ));
    v["_links"] = json!({ "self": url, "git": git, "html": html });
    v
}

fn pull_json(s: &GitHubState, repo: &FakeRepo, p: &FakePull, base: &str, full: bool) -> Value {
    let mut v = skeleton(if full {
        "pull-request"
    } else {
        "pull-request-simple"
    });
    let user = |login: &str| {
        s.user_by_login(login)
            .map(|u| simple_user(u, base))
            .unwrap_or(Value::Null)
    };
    v["number"] = json!(p.number);
    v["id"] = json!(p.number + 900_000);
    v["node_id"] = json!(format!("PR_{}", p.number));
    v["title"] = json!(p.title);
    v["body"] = json!(p.body);
    // The fake's "merged" is GitHub's closed-and-merged.
    v["state"] = json!(if p.state == "merged" {
        "closed"
    } else {
        p.state.as_str()
    });
    v["user"] = user(&p.user);
    v["created_at"] = json!(p.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    v["updated_at"] = v["created_at"].clone();
    v["url"] = json!(format!(
        "{base}/repos/{}/pulls/{}",
        repo.full_name(),
        p.number
    ));
    v["html_url"] = json!(format!(
        "https://github.com/{}/pull/{}",
        repo.full_name(),
        p.number
    ));
    v["author_association"] = json!("MEMBER");
    for (side, branch) in [("head", &p.head), ("base", &p.base)] {
        if let Some(obj) = v.get_mut(side) {
            obj["ref"] = json!(branch);
            obj["sha"] = json!(repo.branches.get(branch).cloned().unwrap_or_default());
            obj["label"] = json!(format!("{}:{branch}", repo.owner));
            obj["user"] = user(&p.user);
            if let Some(r) = obj.get_mut("repo") {
                r["name"] = json!(repo.name);
                r["full_name"] = json!(repo.full_name());
                r["default_branch"] = json!(repo.default_branch);
            }
        }
    }
    if p.state == "merged" {
        // Merged as its head commit (a rebase-style merge).
        v["merge_commit_sha"] = json!(repo.branches.get(&p.head).cloned());
        v["merged_at"] = v["created_at"].clone();
        v["closed_at"] = v["created_at"].clone();
    }
    if full {
        v["merged"] = json!(p.state == "merged");
        v["mergeable"] = Value::Null;
        v["requested_reviewers"] = json!(
            p.requested_users
                .iter()
                .map(|l| user(l))
                .collect::<Vec<_>>()
        );
    }
    v
}

fn review_json(s: &GitHubState, repo: &FakeRepo, r: &FakeReview, base: &str) -> Value {
    let mut v = skeleton("pull-request-review");
    v["id"] = json!(r.id);
    v["node_id"] = json!(format!("PRR_{}", r.id));
    v["user"] = s
        .user_by_login(&r.user)
        .map(|u| simple_user(u, base))
        .unwrap_or(Value::Null);
    v["body"] = json!("");
    v["state"] = json!(r.state);
    v["commit_id"] = json!(r.commit_id);
    v["submitted_at"] = json!(r.submitted_at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    v["html_url"] = json!(format!(
        "https://github.com/{}/pull/{}#review-{}",
        repo.full_name(),
        r.pull,
        r.id
    ));
    v["pull_request_url"] = json!(format!(
        "{base}/repos/{}/pulls/{}",
        repo.full_name(),
        r.pull
    ));
    v["author_association"] = json!("MEMBER");
    v
}

fn diff_entry_json(repo: &FakeRepo, path: &str, status: &str, base: &str) -> Value {
    let mut v = skeleton("diff-entry");
    let head = format!("https://github.com/{}", repo.full_name());
    v["filename"] = json!(path);
    v["status"] = json!(status);
    v["sha"] = json!(blob_sha(path));
    v["blob_url"] = json!(format!("{head}/blob/HEAD/{path}"));
    v["raw_url"] = json!(format!("{head}/raw/HEAD/{path}"));
    v["contents_url"] = json!(format!("{base}/repos/{}/contents/{path}", repo.full_name()));
    v
}

fn event_json(s: &GitHubState, repo: &FakeRepo, e: &FakeEvent, base: &str) -> Value {
    let mut v = skeleton("state-change-issue-event");
    v["id"] = json!(e.id);
    v["node_id"] = json!(format!("HRFPE_{}", e.id));
    v["url"] = json!(format!(
        "{base}/repos/{}/issues/events/{}",
        repo.full_name(),
        e.id
    ));
    v["actor"] = super::statuses::user_json(s, &e.actor, base);
    v["event"] = json!(e.event);
    v["commit_id"] = json!(e.commit_id);
    v["commit_url"] = json!(format!(
        "{base}/repos/{}/commits/{}",
        repo.full_name(),
        e.commit_id
    ));
    v["created_at"] = json!(e.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    v
}

pub(crate) fn repo_json(r: &FakeRepo, base: &str) -> Value {
    let mut v = skeleton("full-repository");
    v["id"] = json!(r.id);
    v["name"] = json!(r.name);
    v["full_name"] = json!(r.full_name());
    v["default_branch"] = json!(r.default_branch);
    v["private"] = json!(false);
    v["visibility"] = json!("public");
    v["node_id"] = json!(format!("R_{}", r.id));
    v["url"] = json!(format!("{base}/repos/{}", r.full_name()));
    if let Some(owner) = v.get_mut("owner") {
        owner["login"] = json!(r.owner);
        owner["type"] = json!("Organization");
    }
    if let Some(t) = r.audit.pushed_at {
        v["pushed_at"] = json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    v["archived"] = json!(r.audit.archived);
    v
}

pub(crate) fn handle(fake: &GitHubFake, req: &Req) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let base = req.base.as_str();
    let ["repos", owner, name, rest @ ..] = segs.as_slice() else {
        return None;
    };
    let (owner, name) = (*owner, *name);
    Some(fake.with(|s| {
        let Some(repo) = s.repo(owner, name).cloned() else {
            return error(404, "Not Found");
        };
        match (&req.method, rest) {
            (&Method::GET, []) => json_response(200, repo_json(&repo, base)),
            (&Method::GET, ["git", "ref", "heads", branch @ ..]) => {
                let branch = branch.join("/");
                match repo.branches.get(&branch) {
                    Some(sha) => json_response(200, git_ref_json(&repo, &branch, sha, base)),
                    None => error(404, "Not Found"),
                }
            }
            (&Method::POST, ["git", "refs"]) => {
                let r = req.body.get("ref").and_then(Value::as_str).unwrap_or("");
                let sha = req
                    .body
                    .get("sha")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let Some(branch) = r.strip_prefix("refs/heads/") else {
                    return validation_failed("ref must start with refs/heads/");
                };
                if repo.branches.contains_key(branch) {
                    return validation_failed("Reference already exists");
                }
                if !repo.commits.contains_key(&sha) {
                    return validation_failed("Object does not exist");
                }
                let branch = branch.to_owned();
                if let Some(r) = s.repo_mut(owner, name) {
                    r.branches.insert(branch.clone(), sha.clone());
                }
                json_response(201, git_ref_json(&repo, &branch, &sha, base))
            }
            (&Method::PATCH, ["git", "refs", "heads", branch @ ..]) => {
                let branch = branch.join("/");
                let sha = req
                    .body
                    .get("sha")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if !repo.branches.contains_key(&branch) {
                    return validation_failed("Reference does not exist");
                }
                if !repo.commits.contains_key(&sha) {
                    return validation_failed("Object does not exist");
                }
                let force = req.body.get("force").and_then(Value::as_bool) == Some(true);
                let ff = repo
                    .branches
                    .get(&branch)
                    .is_none_or(|old| repo.fast_forward(old, &sha));
                if !force && !ff {
                    return validation_failed("Update is not a fast forward");
                }
                s.move_branch(owner, name, &branch, &sha, "psrt-bot", Utc::now());
                json_response(200, git_ref_json(&repo, &branch, &sha, base))
            }
            (&Method::DELETE, ["git", "refs", "heads", branch @ ..]) => {
                let branch = branch.join("/");
                if let Some(r) = s.repo_mut(owner, name) {
                    if r.branches.remove(&branch).is_none() {
                        return validation_failed("Reference does not exist");
                    }
                }
                empty(204)
            }
            (&Method::GET, ["contents", path @ ..]) => {
                let path = path.join("/");
                let r = req.q("ref").unwrap_or(&repo.default_branch).to_owned();
                match repo.file(&r, &path) {
                    Some(content) => json_response(200, content_json(&repo, &path, content, base)),
                    None => error(404, "Not Found"),
                }
            }
            (&Method::PUT, ["contents", path @ ..]) => {
                let path = path.join("/");
                let branch = req
                    .body
                    .get("branch")
                    .and_then(Value::as_str)
                    .unwrap_or(&repo.default_branch)
                    .to_owned();
                let message = req
                    .body
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let Some(content) = req
                    .body
                    .get("content")
                    .and_then(Value::as_str)
                    .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
                    .and_then(|b| String::from_utf8(b).ok())
                else {
                    return validation_failed("content is not valid Base64");
                };
                if !repo.branches.contains_key(&branch) {
                    return error(404, "Branch not found");
                }
                let existing = repo.file(&branch, &path).map(|c| blob_sha(c));
                let given = req.body.get("sha").and_then(Value::as_str);
                if existing.is_some() && existing.as_deref() != given {
                    return error(
                        409,
                        &format!("{path} does not match {}", given.unwrap_or("(no sha)")),
                    );
                }
                let Some(sha) = s.commit(owner, name, &branch, &[(&path, &content)], &message)
                else {
                    return error(404, "Not Found");
                };
                let Some(repo) = s.repo(owner, name).cloned() else {
                    return error(404, "Not Found");
                };
                let mut v = skeleton("file-commit");
                v["content"] = content_json(&repo, &path, &content, base);
                if let Some(c) = v.get_mut("commit") {
                    c["sha"] = json!(sha);
                    c["message"] = json!(message);
                }
                json_response(if existing.is_some() { 200 } else { 201 }, v)
            }
            (&Method::GET, ["pulls"]) => {
                let state = req.q("state").unwrap_or("open");
                let head = req
                    .q("head")
                    .map(|h| h.split_once(':').map_or(h, |(_, b)| b).to_owned());
                let items = repo
                    .pulls
                    .iter()
                    .filter(|p| {
                        state == "all"
                            || p.state == state
                            || (state == "closed" && p.state == "merged")
                    })
                    .filter(|p| head.as_ref().is_none_or(|h| *h == p.head))
                    .filter(|p| req.q("base").is_none_or(|b| b == p.base))
                    .map(|p| pull_json(s, &repo, p, base, false))
                    .collect();
                paginate(req, items)
            }
            (&Method::POST, ["pulls"]) => {
                let get = |k: &str| {
                    req.body
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                let (head, base_branch) = (get("head"), get("base"));
                let head = head
                    .split_once(':')
                    .map_or(head.clone(), |(_, b)| b.to_owned());
                if !repo.branches.contains_key(&head) || !repo.branches.contains_key(&base_branch) {
                    return validation_failed("head or base does not exist");
                }
                if repo
                    .pulls
                    .iter()
                    .any(|p| p.head == head && p.state == "open")
                {
                    return validation_failed(&format!(
                        "A pull request already exists for {owner}:{head}."
                    ));
                }
                let number = repo.pulls.iter().map(|p| p.number).max().unwrap_or(0) + 1;
                let pull = FakePull {
                    number,
                    title: get("title"),
                    body: get("body"),
                    head,
                    base: base_branch,
                    state: "open".into(),
                    user: "psrt-bot".into(),
                    created_at: Utc::now(),
                    requested_users: vec![],
                    requested_teams: vec![],
                };
                if let Some(r) = s.repo_mut(owner, name) {
                    r.pulls.push(pull.clone());
                }
                let Some(repo) = s.repo(owner, name).cloned() else {
                    return error(404, "Not Found");
                };
                json_response(201, pull_json(s, &repo, &pull, base, true))
            }
            (&Method::GET, ["issues", number, "timeline"]) => {
                let Some(n) = number
                    .parse::<u64>()
                    .ok()
                    .filter(|n| repo.pulls.iter().any(|p| p.number == *n))
                else {
                    return error(404, "Not Found");
                };
                let items = repo
                    .events
                    .iter()
                    .filter(|e| e.pull == n)
                    .map(|e| event_json(s, &repo, e, base))
                    .collect();
                paginate(req, items)
            }
            (m, ["pulls", number, tail @ ..]) => {
                let Some(idx) = number
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| repo.pulls.iter().position(|p| p.number == n))
                else {
                    return error(404, "Not Found");
                };
                let pull = repo.pulls[idx].clone();
                match (m, tail) {
                    (&Method::GET, []) => {
                        json_response(200, pull_json(s, &repo, &pull, base, true))
                    }
                    (&Method::PATCH, []) => {
                        let mut p = pull;
                        if let Some(t) = req.body.get("title").and_then(Value::as_str) {
                            p.title = t.to_owned();
                        }
                        if let Some(b) = req.body.get("body").and_then(Value::as_str) {
                            p.body = b.to_owned();
                        }
                        if let Some(st) = req.body.get("state").and_then(Value::as_str) {
                            p.state = st.to_owned();
                        }
                        if let Some(r) = s.repo_mut(owner, name) {
                            r.pulls[idx] = p.clone();
                        }
                        json_response(200, pull_json(s, &repo, &p, base, true))
                    }
                    (&Method::GET, ["requested_reviewers"]) => {
                        let users: Vec<Value> = pull
                            .requested_users
                            .iter()
                            .filter_map(|l| s.user_by_login(l))
                            .map(|u| simple_user(u, base))
                            .collect();
                        let teams: Vec<Value> = pull
                            .requested_teams
                            .iter()
                            .filter_map(|t| s.teams.get(t))
                            .map(|t| {
                                let mut tv = skeleton("team");
                                tv["id"] = json!(t.id);
                                tv["slug"] = json!(t.slug);
                                tv["name"] = json!(t.slug);
                                tv
                            })
                            .collect();
                        json_response(200, json!({ "users": users, "teams": teams }))
                    }
                    (&Method::POST, ["requested_reviewers"]) => {
                        let list = |k: &str| -> Vec<String> {
                            req.body
                                .get(k)
                                .and_then(Value::as_array)
                                .map(|a| {
                                    a.iter()
                                        .filter_map(|x| x.as_str().map(str::to_owned))
                                        .collect()
                                })
                                .unwrap_or_default()
                        };
                        let (users, teams) = (list("reviewers"), list("team_reviewers"));
                        if let Some(bad) = users.iter().find(|u| s.user_by_login(u).is_none()) {
                            return validation_failed(&format!(
                                "Reviews may only be requested from collaborators: {bad}"
                            ));
                        }
                        if let Some(bad) = teams.iter().find(|t| !s.teams.contains_key(t.as_str()))
                        {
                            return validation_failed(&format!(
                                "Could not resolve to a team: {bad}"
                            ));
                        }
                        let mut p = pull;
                        for u in users {
                            if !p.requested_users.iter().any(|x| x.eq_ignore_ascii_case(&u)) {
                                p.requested_users.push(u);
                            }
                        }
                        for t in teams {
                            if !p.requested_teams.contains(&t) {
                                p.requested_teams.push(t);
                            }
                        }
                        if let Some(r) = s.repo_mut(owner, name) {
                            r.pulls[idx] = p.clone();
                        }
                        json_response(201, pull_json(s, &repo, &p, base, false))
                    }
                    (&Method::GET, ["files"]) => {
                        let items = repo
                            .pull_files(pull.number)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(path, status)| diff_entry_json(&repo, &path, status, base))
                            .collect();
                        paginate(req, items)
                    }
                    (&Method::GET, ["reviews"]) => {
                        let items = repo
                            .reviews
                            .iter()
                            .filter(|r| r.pull == pull.number)
                            .map(|r| review_json(s, &repo, r, base))
                            .collect();
                        paginate(req, items)
                    }
                    _ => error(404, "Not Found"),
                }
            }
            _ => error(404, "Not Found"),
        }
    }))
}
