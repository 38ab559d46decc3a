//! What `psrt audit` reads and writes, statefully: a repository's workflows
//! (enabled again by `PUT …/enable`), their runs and each run's jobs, its
//! rulesets and the rules of its default branch (active rulesets only, as
//! GitHub answers), CODEOWNERS errors, private vulnerability reporting,
//! and the organisation's repositories. A ruleset's bypass list is shown
//! only to a token that may edit it (a personal token here, or an
//! installation token with `administration: write`), as GitHub does.

use axum::response::Response;
use chrono::{DateTime, Utc};
use http::Method;
use serde_json::{Value, json};

use super::{GitHubFake, Req, error, paginate, skeleton};
use crate::{empty, json as json_response};

/// A workflow of a repository (its file lives in the repository's commits).
#[derive(Debug, Clone)]
pub struct FakeWorkflow {
    pub id: u64,
    pub name: String,
    /// `.github/workflows/nightly.yml`
    pub path: String,
    /// `active`, `disabled_inactivity`, `disabled_manually`...
    pub state: String,
    pub created_at: DateTime<Utc>,
    /// How many times `PUT …/enable` was called (keepalive included).
    pub enabled_calls: u32,
}

/// A run of a workflow, with its jobs (name, conclusion).
#[derive(Debug, Clone)]
pub struct FakeRun {
    pub id: u64,
    pub workflow_id: u64,
    pub event: String,
    pub head_branch: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub created_at: DateTime<Utc>,
    pub jobs: Vec<(String, String)>,
}

/// A ruleset on the default branch, with its rules (`type`, `parameters`).
#[derive(Debug, Clone)]
pub struct FakeRuleset {
    pub id: u64,
    pub name: String,
    /// `active`, `evaluate`, `disabled`.
    pub enforcement: String,
    /// Actor types (`Team`, `Integration`, `OrganizationAdmin`...).
    pub bypass_actors: Vec<String>,
    pub rules: Vec<Value>,
}

impl FakeRuleset {
    /// psrt's ruleset as the operations guide asks for it: a pull request
    /// with code owners' review and approval of the latest push, and
    /// `psrt/approvals` from the approvals App `app_id`.
    pub fn psrt(id: u64, app_id: Option<u64>) -> Self {
        let mut check = json!({ "context": "psrt/approvals" });
        if let Some(a) = app_id {
            check["integration_id"] = json!(a);
        }
        Self {
            id,
            name: "main".to_owned(),
            enforcement: "active".to_owned(),
            bypass_actors: vec![],
            rules: vec![
                json!({ "type": "deletion" }),
                json!({ "type": "pull_request", "parameters": {
                    "dismiss_stale_reviews_on_push": true,
                    "require_code_owner_review": true,
                    "require_last_push_approval": true,
                    "required_approving_review_count": 1,
                    "required_review_thread_resolution": false,
                    "allowed_merge_methods": ["merge", "squash", "rebase"],
                }}),
                json!({ "type": "required_status_checks", "parameters": {
                    "strict_required_status_checks_policy": true,
                    "required_status_checks": [check],
                }}),
            ],
        }
    }
}

/// The audit's part of a repository.
#[derive(Debug, Clone, Default)]
pub struct FakeAuditState {
    pub workflows: Vec<FakeWorkflow>,
    pub runs: Vec<FakeRun>,
    pub rulesets: Vec<FakeRuleset>,
    pub private_reporting: bool,
    pub archived: bool,
    pub private: bool,
    /// (path, line, kind) of each error GitHub finds in CODEOWNERS.
    pub codeowners_errors: Vec<(String, u64, String)>,
    pub pushed_at: Option<DateTime<Utc>>,
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl GitHubFake {
    /// A workflow of `repo` (its file committed at `path` on the default
    /// branch with `yaml`); returns its id.
    pub fn workflow(&self, repo: &str, path: &str, yaml: &str, state: &str) -> u64 {
        self.commit(repo, "main", &[(path, yaml)], "a workflow");
        let (owner, name) = repo.split_once('/').unwrap_or(("", repo));
        self.with(|s| {
            let id = s.next_id();
            if let Some(r) = s.repo_mut(owner, name) {
                r.audit.workflows.push(FakeWorkflow {
                    id,
                    name: path
                        .rsplit('/')
                        .next()
                        .unwrap_or(path)
                        .trim_end_matches(".yml")
                        .to_owned(),
                    path: path.to_owned(),
                    state: state.to_owned(),
                    created_at: Utc::now() - chrono::Duration::days(400),
                    enabled_calls: 0,
                });
            }
            id
        })
    }

    /// A completed run of a workflow; `jobs` as (name, conclusion).
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        repo: &str,
        workflow_id: u64,
        event: &str,
        branch: &str,
        created_at: DateTime<Utc>,
        jobs: &[(&str, &str)],
    ) -> u64 {
        let (owner, name) = repo.split_once('/').unwrap_or(("", repo));
        self.with(|s| {
            let id = s.next_id();
            let conclusion = if jobs.iter().any(|(_, c)| *c == "failure") {
                "failure"
            } else if jobs.iter().any(|(_, c)| *c == "cancelled") {
                "cancelled"
            } else {
                "success"
            };
            if let Some(r) = s.repo_mut(owner, name) {
                r.audit.runs.push(FakeRun {
                    id,
                    workflow_id,
                    event: event.to_owned(),
                    head_branch: branch.to_owned(),
                    status: "completed".to_owned(),
                    conclusion: Some(conclusion.to_owned()),
                    created_at,
                    jobs: jobs
                        .iter()
                        .map(|(n, c)| ((*n).to_owned(), (*c).to_owned()))
                        .collect(),
                });
            }
            id
        })
    }

    /// Changes the audit's part of a repository.
    pub fn audit_state(&self, repo: &str, f: impl FnOnce(&mut FakeAuditState)) {
        self.update_repo(repo, |r| f(&mut r.audit));
    }

    /// A workflow's state and how often it was enabled.
    pub fn workflow_state(&self, repo: &str, path: &str) -> Option<(String, u32)> {
        let (owner, name) = repo.split_once('/').unwrap_or(("", repo));
        self.with(|s| {
            s.repo(owner, name)?
                .audit
                .workflows
                .iter()
                .find(|w| w.path == path)
                .map(|w| (w.state.clone(), w.enabled_calls))
        })
    }
}

fn workflow_json(repo: &str, w: &FakeWorkflow, base: &str) -> Value {
    let mut v = skeleton("workflow");
    v["id"] = json!(w.id);
    v["node_id"] = json!(format!("W_{}", w.id));
    v["name"] = json!(w.name);
    v["path"] = json!(w.path);
    v["state"] = json!(w.state);
    v["created_at"] = json!(time(w.created_at));
    v["updated_at"] = json!(time(w.created_at));
    v["url"] = json!(format!("{base}/repos/{repo}/actions/workflows/{}", w.id));
    v["html_url"] = json!(format!("https://github.com/{repo}/blob/main/{}", w.path));
    v["badge_url"] = json!(format!(
        "https://github.com/{repo}/workflows/{}/badge.svg",
        w.name
    ));
    v
}

fn run_json(repo: &str, r: &FakeRun, base: &str) -> Value {
    let mut v = skeleton("workflow-run");
    v["id"] = json!(r.id);
    v["workflow_id"] = json!(r.workflow_id);
    v["event"] = json!(r.event);
    v["head_branch"] = json!(r.head_branch);
    v["status"] = json!(r.status);
    v["conclusion"] = json!(r.conclusion);
    v["created_at"] = json!(time(r.created_at));
    v["updated_at"] = json!(time(r.created_at));
    v["run_started_at"] = json!(time(r.created_at));
    v["html_url"] = json!(format!("https://github.com/{repo}/actions/runs/{}", r.id));
    v["url"] = json!(format!("{base}/repos/{repo}/actions/runs/{}", r.id));
    v
}

fn job_json(
    repo: &str,
    run: &FakeRun,
    i: usize,
    name: &str,
    conclusion: &str,
    base: &str,
) -> Value {
    let mut v = skeleton("job");
    let id = run.id * 100 + i as u64;
    v["id"] = json!(id);
    v["run_id"] = json!(run.id);
    v["name"] = json!(name);
    v["workflow_name"] = json!(name);
    v["head_branch"] = json!(run.head_branch);
    v["status"] = json!("completed");
    v["conclusion"] = json!(conclusion);
    v["started_at"] = json!(time(run.created_at));
    v["completed_at"] = json!(time(run.created_at));
    v["created_at"] = json!(time(run.created_at));
    v["url"] = json!(format!("{base}/repos/{repo}/actions/jobs/{id}"));
    v["run_url"] = json!(format!("{base}/repos/{repo}/actions/runs/{}", run.id));
    v
}

fn ruleset_json(repo: &str, r: &FakeRuleset, full: bool, show_bypass: bool, base: &str) -> Value {
    let mut v = skeleton("repository-ruleset");
    v["id"] = json!(r.id);
    v["name"] = json!(r.name);
    v["target"] = json!("branch");
    v["source_type"] = json!("Repository");
    v["source"] = json!(repo);
    v["enforcement"] = json!(r.enforcement);
    v["node_id"] = json!(format!("RRS_{}", r.id));
    v["_links"] = json!({ "self": { "href": format!("{base}/repos/{repo}/rulesets/{}", r.id) } });
    if let Some(o) = v.as_object_mut() {
        o.remove("bypass_actors");
        o.remove("rules");
        o.remove("conditions");
    }
    if full {
        v["conditions"] = json!({ "ref_name": { "include": ["~DEFAULT_BRANCH"], "exclude": [] } });
        v["rules"] = json!(r.rules);
        v["current_user_can_bypass"] = json!("never");
        if show_bypass {
            v["bypass_actors"] = json!(
                r.bypass_actors
                    .iter()
                    .map(|t| json!({ "actor_id": 1, "actor_type": t, "bypass_mode": "always" }))
                    .collect::<Vec<_>>()
            );
        }
    }
    v
}

fn minimal_repo_json(r: &super::FakeRepo, base: &str) -> Value {
    let mut v = skeleton("minimal-repository");
    v["id"] = json!(r.id);
    v["node_id"] = json!(format!("R_{}", r.id));
    v["name"] = json!(r.name);
    v["full_name"] = json!(r.full_name());
    v["private"] = json!(r.audit.private);
    v["archived"] = json!(r.audit.archived);
    v["visibility"] = json!(if r.audit.private { "private" } else { "public" });
    v["url"] = json!(format!("{base}/repos/{}", r.full_name()));
    if let Some(owner) = v.get_mut("owner").filter(|o| o.is_object()) {
        owner["login"] = json!(r.owner);
        owner["type"] = json!("Organization");
    }
    v
}

/// The audit's endpoints; `None` for any other request.
pub(crate) fn handle(fake: &GitHubFake, req: &Req, may_edit_rulesets: bool) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let base = req.base.as_str();
    if let (&Method::GET, ["orgs", org, "repos"]) = (&req.method, segs.as_slice()) {
        let public_only = req.q("type") == Some("public");
        let items: Vec<Value> = fake.with(|s| {
            let mut repos: Vec<&super::FakeRepo> = s
                .repos
                .iter()
                .filter(|r| r.owner.eq_ignore_ascii_case(org))
                .filter(|r| !public_only || !r.audit.private)
                .collect();
            repos.sort_by_key(|r| r.id);
            repos.iter().map(|r| minimal_repo_json(r, base)).collect()
        });
        return Some(paginate(req, items));
    }
    let ["repos", owner, name, rest @ ..] = segs.as_slice() else {
        return None;
    };
    let mine = matches!(
        rest,
        ["actions", ..]
            | ["rulesets", ..]
            | ["rules", "branches", ..]
            | ["codeowners", "errors"]
            | ["private-vulnerability-reporting"]
    );
    if !mine {
        return None;
    }
    Some(fake.with(|s| {
        let Some(repo) = s.repo_mut(owner, name) else {
            return error(404, "Not Found");
        };
        let full = repo.full_name();
        let default_branch = repo.default_branch.clone();
        let has_codeowners = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
            .iter()
            .any(|p| repo.file(&default_branch, p).is_some());
        let a = &mut repo.audit;
        match (&req.method, rest) {
            (&Method::GET, ["actions", "workflows"]) => {
                let list: Vec<Value> = a
                    .workflows
                    .iter()
                    .map(|w| workflow_json(&full, w, base))
                    .collect();
                json_response(200, json!({ "total_count": list.len(), "workflows": list }))
            }
            (&Method::PUT, ["actions", "workflows", id, "enable"]) => {
                match a
                    .workflows
                    .iter_mut()
                    .find(|w| w.id.to_string() == *id || w.path.ends_with(&format!("/{id}")))
                {
                    Some(w) => {
                        w.state = "active".to_owned();
                        w.enabled_calls += 1;
                        empty(204)
                    }
                    None => error(404, "Not Found"),
                }
            }
            (&Method::GET, ["actions", "workflows", id, "runs"]) => {
                // By id or by file name, as GitHub takes either.
                let Some(wid) = a
                    .workflows
                    .iter()
                    .find(|w| w.id.to_string() == *id || w.path.ends_with(&format!("/{id}")))
                    .map(|w| w.id)
                else {
                    return error(404, "Not Found");
                };
                let mut runs: Vec<&FakeRun> = a
                    .runs
                    .iter()
                    .filter(|r| r.workflow_id == wid)
                    .filter(|r| req.q("event").is_none_or(|e| r.event == e))
                    .filter(|r| req.q("branch").is_none_or(|b| r.head_branch == b))
                    .filter(|r| {
                        req.q("status")
                            .is_none_or(|st| r.status == st || r.conclusion.as_deref() == Some(st))
                    })
                    .collect();
                runs.sort_by(|x, y| y.created_at.cmp(&x.created_at).then(y.id.cmp(&x.id)));
                let total = runs.len();
                let per_page = req
                    .q("per_page")
                    .and_then(|p| p.parse::<usize>().ok())
                    .unwrap_or(30)
                    .clamp(1, 100);
                let page: Vec<Value> = runs
                    .iter()
                    .take(per_page)
                    .map(|r| run_json(&full, r, base))
                    .collect();
                json_response(200, json!({ "total_count": total, "workflow_runs": page }))
            }
            (&Method::GET, ["actions", "runs", id, "jobs"]) => {
                match a.runs.iter().find(|r| r.id.to_string() == *id) {
                    Some(run) => {
                        let jobs: Vec<Value> = run
                            .jobs
                            .iter()
                            .enumerate()
                            .map(|(i, (n, c))| job_json(&full, run, i, n, c, base))
                            .collect();
                        json_response(200, json!({ "total_count": jobs.len(), "jobs": jobs }))
                    }
                    None => error(404, "Not Found"),
                }
            }
            (&Method::GET, ["rulesets"]) => {
                let items: Vec<Value> = a
                    .rulesets
                    .iter()
                    .map(|r| ruleset_json(&full, r, false, false, base))
                    .collect();
                paginate(req, items)
            }
            (&Method::GET, ["rulesets", id]) => {
                match a.rulesets.iter().find(|r| r.id.to_string() == *id) {
                    Some(r) => {
                        json_response(200, ruleset_json(&full, r, true, may_edit_rulesets, base))
                    }
                    None => error(404, "Not Found"),
                }
            }
            (&Method::GET, ["rules", "branches", branch @ ..]) => {
                let branch = branch.join("/");
                let items: Vec<Value> = if branch == default_branch {
                    a.rulesets
                        .iter()
                        .filter(|r| r.enforcement == "active")
                        .flat_map(|r| {
                            let full = &full;
                            r.rules.iter().map(move |rule| {
                                let mut v = rule.clone();
                                v["ruleset_source_type"] = json!("Repository");
                                v["ruleset_source"] = json!(full.clone());
                                v["ruleset_id"] = json!(r.id);
                                v
                            })
                        })
                        .collect()
                } else {
                    vec![]
                };
                paginate(req, items)
            }
            (&Method::GET, ["codeowners", "errors"]) => {
                if !has_codeowners {
                    return error(404, "Not Found");
                }
                let mut e = skeleton("codeowners-errors");
                e["errors"] = json!(
                    a.codeowners_errors
                        .iter()
                        .map(|(path, line, kind)| json!({
                            "line": line, "column": 1, "kind": kind, "path": path,
                            "source": "", "suggestion": null,
                            "message": format!("{kind} on line {line}"),
                        }))
                        .collect::<Vec<_>>()
                );
                json_response(200, e)
            }
            (&Method::GET, ["private-vulnerability-reporting"]) => {
                json_response(200, json!({ "enabled": a.private_reporting }))
            }
            _ => error(404, "Not Found"),
        }
    }))
}
