//! Repository security advisories: listed with a state filter and cursor
//! pagination, read one by one, updated (collaborators, credits, state, CVE
//! id), and given a temporary private fork.
//! They hold the embargoed fields psrt must never print (summary,
//! description, reporter), so tests can plant markers in them.

use axum::response::Response;
use chrono::{DateTime, Utc};
use http::Method;
use serde_json::{Value, json};

use super::teams::simple_user;
use super::{GitHubFake, GitHubState, Req, error, skeleton, validation_failed};
use crate::json as json_response;

#[derive(Debug, Clone)]
pub struct FakeAdvisory {
    pub repo: String,
    pub ghsa_id: String,
    /// triage | draft | published | closed | withdrawn
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub summary: String,
    pub description: String,
    /// The reporter.
    pub author: Option<String>,
    /// (login, type)
    pub credits: Vec<(String, String)>,
    pub collaborating_users: Vec<String>,
    pub collaborating_teams: Vec<String>,
    /// The temporary private fork, `owner/name`.
    pub private_fork: Option<String>,
    pub cve_id: Option<String>,
}

impl FakeAdvisory {
    pub fn new(repo: &str, ghsa_id: &str, state: &str, created_at: DateTime<Utc>) -> Self {
        Self {
            repo: repo.to_owned(),
            ghsa_id: ghsa_id.to_owned(),
            state: state.to_owned(),
            created_at,
            updated_at: created_at,
            closed_at: None,
            published_at: None,
            summary: "A vulnerability".to_owned(),
            description: "Details".to_owned(),
            author: None,
            credits: Vec::new(),
            collaborating_users: Vec::new(),
            collaborating_teams: Vec::new(),
            private_fork: None,
            cve_id: None,
        }
    }
    pub fn coordinator(mut self, login: &str) -> Self {
        self.credits
            .push((login.to_owned(), "coordinator".to_owned()));
        self
    }
}

fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn advisory_json(s: &GitHubState, a: &FakeAdvisory, base: &str) -> Value {
    let user = |login: &str| s.user_by_login(login).map(|u| simple_user(u, base));
    let mut v = skeleton("repository-advisory");
    v["ghsa_id"] = json!(a.ghsa_id);
    v["url"] = json!(format!(
        "{base}/repos/{}/security-advisories/{}",
        a.repo, a.ghsa_id
    ));
    v["html_url"] = json!(format!(
        "https://github.com/{}/security/advisories/{}",
        a.repo, a.ghsa_id
    ));
    v["summary"] = json!(a.summary);
    v["description"] = json!(a.description);
    v["state"] = json!(a.state);
    v["severity"] = json!("high");
    v["created_at"] = json!(ts(&a.created_at));
    v["updated_at"] = json!(ts(&a.updated_at));
    v["closed_at"] = json!(a.closed_at.as_ref().map(ts));
    v["published_at"] = json!(a.published_at.as_ref().map(ts));
    v["cve_id"] = json!(a.cve_id);
    let mut identifiers = vec![json!({ "type": "GHSA", "value": a.ghsa_id })];
    if let Some(cve) = &a.cve_id {
        identifiers.push(json!({ "type": "CVE", "value": cve }));
    }
    v["identifiers"] = json!(identifiers);
    v["author"] = a.author.as_deref().and_then(user).unwrap_or(Value::Null);
    v["publisher"] = Value::Null;
    v["submission"] = json!({ "accepted": true });
    v["credits"] = json!(
        a.credits
            .iter()
            .map(|(l, t)| json!({ "login": l, "type": t }))
            .collect::<Vec<_>>()
    );
    v["credits_detailed"] = json!(
        a.credits
            .iter()
            .filter_map(|(l, t)| Some(json!({ "user": user(l)?, "type": t, "state": "accepted" })))
            .collect::<Vec<_>>()
    );
    v["collaborating_users"] = json!(
        a.collaborating_users
            .iter()
            .filter_map(|l| user(l))
            .collect::<Vec<_>>()
    );
    let owner = a.repo.split('/').next().unwrap_or_default();
    v["collaborating_teams"] = json!(
        a.collaborating_teams
            .iter()
            .filter_map(|slug| {
                let t = s.team_of(owner, slug)?;
                let mut tv = skeleton("team");
                tv["id"] = json!(t.id);
                tv["slug"] = json!(t.slug);
                tv["name"] = json!(t.slug);
                tv["node_id"] = json!(format!("T_{}", t.id));
                Some(tv)
            })
            .collect::<Vec<_>>()
    );
    v["private_fork"] = match &a.private_fork {
        Some(full) => {
            let mut r = skeleton("simple-repository");
            r["full_name"] = json!(full);
            r["name"] = json!(full.split('/').nth(1).unwrap_or(full));
            r["private"] = json!(true);
            r
        }
        None => Value::Null,
    };
    // The comments API's preview adds the count of non-confidential
    // comments; where it is not enabled, the field is absent.
    if !s
        .comments_unavailable
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&a.repo))
    {
        v["comments"] = json!(s.comment_count(&a.repo, &a.ghsa_id));
    }
    if let Some(d) = s.details.get(&a.ghsa_id) {
        super::published::fill(&mut v, d);
    }
    v
}

pub(crate) fn handle(fake: &GitHubFake, req: &Req) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let base = req.base.as_str();
    match (&req.method, segs.as_slice()) {
        (&Method::GET, ["repos", owner, name, "security-advisories"]) => Some(fake.with(|s| {
            let repo = format!("{owner}/{name}");
            if s.repo(owner, name).is_none() {
                return error(404, "Not Found");
            }
            let per_page = req
                .q("per_page")
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(30);
            if !(1..=100).contains(&per_page) {
                return error(400, "per_page must be between 1 and 100");
            }
            let mut list: Vec<&FakeAdvisory> = s
                .advisories
                .iter()
                .filter(|a| a.repo.eq_ignore_ascii_case(&repo))
                .filter(|a| req.q("state").is_none_or(|st| a.state == st))
                .collect();
            list.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then(a.ghsa_id.cmp(&b.ghsa_id))
            });
            let start = req
                .q("after")
                .and_then(|c| c.strip_prefix('c'))
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(0);
            let page: Vec<Value> = list
                .iter()
                .skip(start)
                .take(per_page)
                .map(|a| advisory_json(s, a, base))
                .collect();
            let mut resp = json_response(200, Value::Array(page));
            if start + per_page < list.len() {
                let mut pairs: Vec<(String, String)> = req
                    .query
                    .iter()
                    .filter(|(k, _)| k != "after")
                    .cloned()
                    .collect();
                pairs.push(("after".into(), format!("c{}", start + per_page)));
                let q: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish();
                if let Ok(v) = format!("<{base}{}?{q}>; rel=\"next\"", req.path).parse() {
                    resp.headers_mut().insert(http::header::LINK, v);
                }
            }
            resp
        })),
        (&Method::GET, ["repos", owner, name, "security-advisories", ghsa]) => {
            Some(fake.with(|s| {
                let repo = format!("{owner}/{name}");
                match s
                    .advisories
                    .iter()
                    .find(|a| a.repo.eq_ignore_ascii_case(&repo) && a.ghsa_id == *ghsa)
                {
                    Some(a) => json_response(200, advisory_json(s, a, base)),
                    None => error(404, "Not Found"),
                }
            }))
        }
        (&Method::PATCH, ["repos", owner, name, "security-advisories", ghsa]) => {
            Some(fake.with(|s| {
                let repo = format!("{owner}/{name}");
                let Some(idx) = s
                    .advisories
                    .iter()
                    .position(|a| a.repo.eq_ignore_ascii_case(&repo) && a.ghsa_id == *ghsa)
                else {
                    return error(404, "Not Found");
                };
                let body = &req.body;
                let strings = |key: &str| -> Option<Vec<String>> {
                    body.get(key).and_then(Value::as_array).map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                };
                if let Some(users) = strings("collaborating_users") {
                    if let Some(bad) = users.iter().find(|u| s.user_by_login(u).is_none()) {
                        return validation_failed(&format!("{bad} is not a user"));
                    }
                }
                // Team slugs belong to one organisation: only the
                // repository owner's own teams can collaborate, and GitHub
                // refuses the whole update otherwise (pip is `pypa/pip`).
                if let Some(teams) = strings("collaborating_teams") {
                    if let Some(bad) = teams.iter().find(|t| s.team_of(owner, t).is_none()) {
                        return validation_failed(&format!(
                            "{bad} is not a team of the organization {owner}"
                        ));
                    }
                }
                let credits: Option<Vec<(String, String)>> =
                    body.get("credits").and_then(Value::as_array).map(|a| {
                        a.iter()
                            .filter_map(|c| {
                                Some((
                                    c.get("login")?.as_str()?.to_owned(),
                                    c.get("type")?.as_str()?.to_owned(),
                                ))
                            })
                            .collect()
                    });
                if let Some(c) = &credits {
                    if let Some((bad, _)) = c.iter().find(|(l, _)| s.user_by_login(l).is_none()) {
                        return validation_failed(&format!("{bad} is not a user"));
                    }
                }
                let cve_id = match body.get("cve_id") {
                    Some(Value::String(c)) => {
                        let ok = c
                            .strip_prefix("CVE-")
                            .and_then(|r| r.split_once('-'))
                            .is_some_and(|(y, n)| {
                                y.len() == 4
                                    && n.len() >= 4
                                    && (y.to_owned() + n).bytes().all(|b| b.is_ascii_digit())
                            });
                        if !ok {
                            return validation_failed(&format!("{c} is not a CVE id"));
                        }
                        Some(Some(c.clone()))
                    }
                    Some(Value::Null) => Some(None),
                    _ => None,
                };
                if let Some(state) = body.get("state").and_then(Value::as_str) {
                    let from = s.advisories[idx].state.as_str();
                    let allowed = match state {
                        "draft" => matches!(from, "triage" | "draft"),
                        "closed" => matches!(from, "triage" | "draft" | "closed"),
                        "published" => matches!(from, "draft" | "published"),
                        _ => false,
                    };
                    if !allowed {
                        return validation_failed(&format!(
                            "an advisory cannot move from {from} to {state}"
                        ));
                    }
                }
                let now = Utc::now();
                let a = &mut s.advisories[idx];
                if let Some(c) = cve_id {
                    a.cve_id = c;
                }
                if let Some(users) = strings("collaborating_users") {
                    a.collaborating_users = users;
                }
                if let Some(teams) = strings("collaborating_teams") {
                    a.collaborating_teams = teams;
                }
                if let Some(c) = credits {
                    a.credits = c;
                }
                if let Some(state) = body.get("state").and_then(Value::as_str) {
                    a.state = state.to_owned();
                    match state {
                        "closed" => a.closed_at = Some(now),
                        "published" => a.published_at = Some(now),
                        _ => {}
                    }
                }
                a.updated_at = now;
                let a = s.advisories[idx].clone();
                json_response(200, advisory_json(s, &a, base))
            }))
        }
        (&Method::POST, ["repos", owner, name, "security-advisories", ghsa, "forks"]) => {
            Some(fake.with(|s| create_fork(s, owner, name, ghsa, base)))
        }
        _ => None,
    }
}

/// `POST …/security-advisories/{ghsa_id}/forks`: a private repository
/// `{owner}/{name}-ghsa-…` with the advisory's repository's default branch,
/// recorded as the advisory's `private_fork` (202, as GitHub answers: the
/// copy is made asynchronously).
fn create_fork(s: &mut GitHubState, owner: &str, name: &str, ghsa: &str, base: &str) -> Response {
    let repo = format!("{owner}/{name}");
    let Some(idx) = s
        .advisories
        .iter()
        .position(|a| a.repo.eq_ignore_ascii_case(&repo) && a.ghsa_id == ghsa)
    else {
        return error(404, "Not Found");
    };
    if !matches!(s.advisories[idx].state.as_str(), "triage" | "draft") {
        return validation_failed("a temporary private fork needs a triage or draft advisory");
    }
    let fork_name = format!("{name}-{}", ghsa.to_ascii_lowercase());
    if s.repo(owner, &fork_name).is_none() {
        let id = s.next_id();
        let default_branch = s
            .repo(owner, name)
            .map_or_else(|| "main".to_owned(), |r| r.default_branch.clone());
        s.repos.push(super::FakeRepo {
            id,
            owner: owner.to_owned(),
            name: fork_name.clone(),
            default_branch: default_branch.clone(),
            ..Default::default()
        });
        s.commit(owner, &fork_name, &default_branch, &[], "fork");
    }
    s.advisories[idx].private_fork = Some(format!("{owner}/{fork_name}"));
    match s.repo(owner, &fork_name) {
        Some(r) => {
            let mut v = super::repos::repo_json(r, base);
            v["private"] = json!(true);
            v["visibility"] = json!("private");
            v["fork"] = json!(true);
            json_response(202, v)
        }
        None => error(500, "fork vanished"),
    }
}

impl GitHubFake {
    /// A pull request by `author` in `repo` (an advisory's private fork),
    /// with `reviews` as (reviewer, state) in order; returns its number.
    pub fn pull_with_reviews(&self, repo: &str, author: &str, reviews: &[(&str, &str)]) -> u64 {
        self.user(author);
        for (r, _) in reviews {
            self.user(r);
        }
        let (owner, name) = repo.split_once('/').unwrap_or(("", repo));
        self.with(|s| {
            let review_ids: Vec<u64> = reviews.iter().map(|_| s.next_id()).collect();
            let Some(r) = s.repo_mut(owner, name) else {
                return 0;
            };
            let number = r.pulls.iter().map(|p| p.number).max().unwrap_or(0) + 1;
            let head = format!("fix-{number}");
            r.pulls.push(super::FakePull {
                number,
                title: "Fix".into(),
                body: String::new(),
                head,
                base: r.default_branch.clone(),
                state: "open".into(),
                user: author.to_owned(),
                created_at: Utc::now(),
                requested_users: vec![],
                requested_teams: vec![],
            });
            for ((reviewer, state), id) in reviews.iter().zip(review_ids) {
                r.reviews.push(super::FakeReview {
                    id,
                    pull: number,
                    user: (*reviewer).to_owned(),
                    state: (*state).to_owned(),
                    commit_id: String::new(),
                    submitted_at: Utc::now(),
                });
            }
            number
        })
    }
}
