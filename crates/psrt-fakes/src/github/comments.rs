//! Comments on repository security advisories (GitHub's public preview of
//! 2026-10-02): list (paged, `since` by update time), get, add, and edit by
//! the comment's author only; there is no delete. Each advisory carries
//! `comments`, the count of its non-confidential comments.
//!
//! A comment's author is the caller (a token registered with
//! [`GitHubFake::token_user`], the App's bot for an installation token, or
//! `github-actions[bot]`), as for issue comments. A repository listed in
//! [`GitHubState::comments_unavailable`] answers 404 on every comments
//! endpoint: the preview is not enabled there.

use axum::response::Response;
use chrono::{DateTime, Utc};
use http::Method;
use serde_json::{Value, json};

use super::statuses::{caller, user_json};
use super::{GitHubFake, GitHubState, Req, error, paginate, skeleton};
use crate::json as json_response;

#[derive(Debug, Clone)]
pub struct FakeAdvisoryComment {
    pub id: u64,
    /// The advisory's repository, `owner/name`.
    pub repo: String,
    pub ghsa_id: String,
    /// The author's login.
    pub user: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Not counted in the advisory's `comments` (GitHub's changelog: the
    /// count is of non-confidential comments); still listed.
    pub confidential: bool,
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn comment_json(s: &GitHubState, c: &FakeAdvisoryComment, base: &str) -> Value {
    let mut v = skeleton("repository-advisory-comment");
    v["id"] = json!(c.id);
    v["node_id"] = json!(format!("RAC_{}", c.id));
    v["url"] = json!(format!(
        "{base}/repos/{}/security-advisories/{}/comments/{}",
        c.repo, c.ghsa_id, c.id
    ));
    v["html_url"] = json!(format!(
        "https://github.com/{}/security/advisories/{}#advisory-comment-{}",
        c.repo, c.ghsa_id, c.id
    ));
    v["body"] = json!(c.body);
    v["user"] = user_json(s, &c.user, base);
    v["created_at"] = json!(time(c.created_at));
    v["updated_at"] = json!(time(c.updated_at));
    v["author_association"] = json!(if c.user.ends_with("[bot]") {
        "NONE"
    } else {
        "COLLABORATOR"
    });
    v
}

impl GitHubState {
    /// The count an advisory carries: its non-confidential comments.
    pub fn comment_count(&self, repo: &str, ghsa_id: &str) -> usize {
        self.advisory_comments
            .iter()
            .filter(|c| c.repo.eq_ignore_ascii_case(repo) && c.ghsa_id == ghsa_id)
            .filter(|c| !c.confidential)
            .count()
    }

    fn advisory_exists(&self, repo: &str, ghsa_id: &str) -> bool {
        self.advisories
            .iter()
            .any(|a| a.repo.eq_ignore_ascii_case(repo) && a.ghsa_id == ghsa_id)
    }
}

/// The body of a new or edited comment: a non-empty string (else
/// [`missing_body`]).
fn body_of(req: &Req) -> Option<String> {
    req.body
        .get("body")
        .and_then(Value::as_str)
        .filter(|b| !b.trim().is_empty())
        .map(str::to_owned)
}

/// GitHub's 422 for a comment without a body.
fn missing_body() -> Response {
    let mut e = skeleton("validation-error");
    e["message"] = json!("Validation Failed");
    e["documentation_url"] = json!("https://docs.github.com/rest");
    e["errors"] = json!([{ "resource": "RepositoryAdvisoryComment", "code": "missing_field", "field": "body" }]);
    json_response(422, e)
}

pub(crate) fn handle(fake: &GitHubFake, req: &Req, credential: &str) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let base = req.base.as_str();
    let (owner, name, ghsa, rest) = match segs.as_slice() {
        [
            "repos",
            owner,
            name,
            "security-advisories",
            ghsa,
            "comments",
            rest @ ..,
        ] => (*owner, *name, *ghsa, rest),
        _ => return None,
    };
    let repo = format!("{owner}/{name}");
    Some(fake.with(|s| {
        if s.comments_unavailable
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&repo))
            || !s.advisory_exists(&repo, ghsa)
        {
            return error(404, "Not Found");
        }
        let (me, _) = caller(s, credential);
        match (&req.method, rest) {
            (&Method::GET, []) => {
                let since = match req.q("since") {
                    None => None,
                    Some(t) => match DateTime::parse_from_rfc3339(t) {
                        Ok(t) => Some(t.with_timezone(&Utc)),
                        Err(_) => return error(400, "since is not an ISO 8601 time"),
                    },
                };
                let mut list: Vec<&FakeAdvisoryComment> = s
                    .advisory_comments
                    .iter()
                    .filter(|c| c.repo.eq_ignore_ascii_case(&repo) && c.ghsa_id == ghsa)
                    .filter(|c| since.is_none_or(|t| c.updated_at >= t))
                    .collect();
                list.sort_by_key(|c| c.id);
                let items = list.iter().map(|c| comment_json(s, c, base)).collect();
                paginate(req, items)
            }
            (&Method::POST, []) => {
                let Some(body) = body_of(req) else {
                    return missing_body();
                };
                let id = s.next_id();
                let now = Utc::now();
                let c = FakeAdvisoryComment {
                    id,
                    repo: repo.clone(),
                    ghsa_id: (*ghsa).to_owned(),
                    user: me,
                    body,
                    created_at: now,
                    updated_at: now,
                    confidential: false,
                };
                let v = comment_json(s, &c, base);
                s.advisory_comments.push(c);
                let mut resp = json_response(201, v.clone());
                if let Some(url) = v["url"].as_str().and_then(|u| u.parse().ok()) {
                    resp.headers_mut().insert(http::header::LOCATION, url);
                }
                resp
            }
            (m, [id]) if m == Method::GET || m == Method::PATCH => {
                let Some(idx) = s.advisory_comments.iter().position(|c| {
                    c.id.to_string() == *id
                        && c.repo.eq_ignore_ascii_case(&repo)
                        && c.ghsa_id == ghsa
                }) else {
                    return error(404, "Not Found");
                };
                if m == Method::PATCH {
                    // GitHub lets an author edit their comment; psrt's
                    // stand-in lets no one else (the preview does not say).
                    if !s.advisory_comments[idx].user.eq_ignore_ascii_case(&me) {
                        return error(403, "Only the author can edit this comment");
                    }
                    let Some(body) = body_of(req) else {
                        return missing_body();
                    };
                    let c = &mut s.advisory_comments[idx];
                    c.body = body;
                    c.updated_at = Utc::now();
                }
                let c = s.advisory_comments[idx].clone();
                json_response(200, comment_json(s, &c, base))
            }
            _ => error(404, "Not Found"),
        }
    }))
}

impl GitHubFake {
    /// A comment by `login` on an advisory, at `at` (created and last
    /// updated then); returns its id.
    pub fn advisory_comment(
        &self,
        ghsa_id: &str,
        login: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> u64 {
        self.user(login);
        self.with(|s| {
            let repo = s
                .advisories
                .iter()
                .find(|a| a.ghsa_id == ghsa_id)
                .map(|a| a.repo.clone())
                .unwrap_or_default();
            let id = s.next_id();
            s.advisory_comments.push(FakeAdvisoryComment {
                id,
                repo,
                ghsa_id: ghsa_id.to_owned(),
                user: login.to_owned(),
                body: body.to_owned(),
                created_at: at,
                updated_at: at,
                confidential: false,
            });
            id
        })
    }

    /// The comments of an advisory, oldest first.
    pub fn advisory_comments(&self, ghsa_id: &str) -> Vec<FakeAdvisoryComment> {
        self.with(|s| {
            let mut v: Vec<FakeAdvisoryComment> = s
                .advisory_comments
                .iter()
                .filter(|c| c.ghsa_id == ghsa_id)
                .cloned()
                .collect();
            v.sort_by_key(|c| c.id);
            v
        })
    }

    /// Changes a comment in place (an edit by someone, a confidential flag).
    pub fn update_advisory_comment(&self, id: u64, f: impl FnOnce(&mut FakeAdvisoryComment)) {
        self.with(|s| {
            if let Some(c) = s.advisory_comments.iter_mut().find(|c| c.id == id) {
                f(c);
            }
        });
    }

    /// A comment deleted in GitHub's web UI (by an admin): the API has no
    /// delete endpoint, so only this knob removes one.
    pub fn delete_advisory_comment_in_ui(&self, id: u64) {
        self.with(|s| s.advisory_comments.retain(|c| c.id != id));
    }

    /// The comments API answers 404 on this repository (preview not enabled).
    pub fn comments_unavailable(&self, repo: &str) {
        self.with(|s| s.comments_unavailable.push(repo.to_owned()));
    }
}
