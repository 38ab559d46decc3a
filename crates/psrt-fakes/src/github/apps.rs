//! A GitHub App and its installations: the installation of an organisation
//! or of a repository (`GET /orgs/{org}/installation`, `GET
//! /repos/{owner}/{repo}/installation`), installation tokens limited by
//! `repositories` and `permissions`, and the check GitHub makes on every
//! request made with one: a token reaches only its installation's account,
//! only the repositories it was minted for, and only with the permissions it
//! was granted (403 "Resource not accessible by integration" otherwise).

use std::collections::BTreeMap;

use axum::response::Response;
use http::Method;
use serde_json::{Value, json};

use super::{GitHubFake, Req, error, skeleton, validation_failed};
use crate::json as json_response;

/// A GitHub App the fake recognises: JWTs signed by its key are the App.
#[derive(Debug, Clone)]
pub struct FakeApp {
    pub app_id: u64,
    pub public_key_pem: String,
    pub installations: Vec<FakeInstallation>,
}

/// Where the App is installed, and what it was granted there.
#[derive(Debug, Clone)]
pub struct FakeInstallation {
    pub id: u64,
    /// The organisation (or user) it is installed on.
    pub account: String,
    /// The repositories it was given; `None`: all of the account's.
    pub repos: Option<Vec<String>>,
    /// Permission name → `read` | `write`.
    pub permissions: BTreeMap<String, String>,
}

/// Every permission psrt's commands ask for, at `write`.
pub const ALL_PSRT_PERMISSIONS: &[&str] = &[
    "members",
    "repository_advisories",
    "contents",
    "pull_requests",
    "issues",
    "statuses",
    "checks",
    "metadata",
];

impl FakeApp {
    pub fn new(app_id: u64, public_key_pem: &str) -> Self {
        Self {
            app_id,
            public_key_pem: public_key_pem.to_owned(),
            installations: Vec::new(),
        }
    }
    /// Installs the App on `account` (every repository) with every
    /// permission psrt uses.
    pub fn install(mut self, id: u64, account: &str) -> Self {
        self.installations.push(FakeInstallation {
            id,
            account: account.to_owned(),
            repos: None,
            permissions: ALL_PSRT_PERMISSIONS
                .iter()
                .map(|p| ((*p).to_owned(), "write".to_owned()))
                .collect(),
        });
        self
    }
}

/// What a minted installation token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub installation: u64,
    pub account: String,
    /// The repositories it reaches; `None`: every repository the installation has.
    pub repos: Option<Vec<String>>,
    pub permissions: BTreeMap<String, String>,
}

impl std::fmt::Display for Grant {
    /// `python (installation 77): repositories cpython; repository_advisories: write`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let repos = match &self.repos {
            Some(r) => format!("repositories {}", r.join(", ")),
            None => "no repository list".to_owned(),
        };
        let perms: Vec<String> = self
            .permissions
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        write!(
            f,
            "{} (installation {}): {repos}; {}",
            self.account,
            self.installation,
            perms.join(", ")
        )
    }
}

fn level(v: &str) -> u8 {
    match v {
        "write" | "admin" => 2,
        "read" => 1,
        _ => 0,
    }
}

/// What a request needs from an installation token.
enum Need {
    /// Nothing beyond a valid token (users, rate limit).
    Nothing,
    Org {
        org: String,
        permission: &'static str,
        write: bool,
    },
    Repo {
        owner: String,
        name: String,
        permission: &'static str,
        write: bool,
    },
}

fn need(method: &Method, segs: &[&str]) -> Need {
    let write = *method != Method::GET && *method != Method::HEAD;
    match segs {
        ["orgs", org, rest @ ..] => Need::Org {
            org: (*org).to_owned(),
            permission: match rest.first().copied() {
                Some("security-advisories") => "repository_advisories",
                // Listing the organisation's repositories.
                Some("repos") => "metadata",
                _ => "members",
            },
            write,
        },
        ["repos", owner, name, rest @ ..] => Need::Repo {
            owner: (*owner).to_owned(),
            name: (*name).to_owned(),
            permission: match rest {
                // A commit's statuses need the statuses permission, not contents.
                ["commits", _, "status" | "statuses"] => "statuses",
                ["commits", _, "check-runs"] => "checks",
                _ => match rest.first().copied() {
                    None => "metadata",
                    Some("security-advisories") => "repository_advisories",
                    Some("pulls") => "pull_requests",
                    Some("contents" | "git" | "commits") => "contents",
                    Some("issues") => "issues",
                    Some("statuses") => "statuses",
                    Some("check-runs" | "check-suites") => "checks",
                    Some("actions") => "actions",
                    Some("codeowners") => "contents",
                    Some("private-vulnerability-reporting") => "administration",
                    Some(_) => "metadata",
                },
            },
            write,
        },
        _ => Need::Nothing,
    }
}

/// GitHub's answer to a token that cannot do this: 403, or 404 for a
/// repository it does not reach (GitHub hides what a token cannot see).
pub(crate) fn check(grant: &Grant, method: &Method, segs: &[&str]) -> Result<(), Box<Response>> {
    let denied = || Box::new(error(403, "Resource not accessible by integration"));
    let allows = |permission: &str, write: bool| {
        let want = if write { 2 } else { 1 };
        let has = |p: &str| grant.permissions.get(p).map_or(0, |v| level(v)) >= want;
        has(permission)
            || permission == "metadata" && !write
            // Comments on pull requests go through the issues API.
            || permission == "issues" && has("pull_requests")
    };
    match need(method, segs) {
        Need::Nothing => Ok(()),
        Need::Org {
            org,
            permission,
            write,
        } => {
            if !grant.account.eq_ignore_ascii_case(&org) || !allows(permission, write) {
                return Err(denied());
            }
            Ok(())
        }
        Need::Repo {
            owner,
            name,
            permission,
            write,
        } => {
            let reaches = grant.account.eq_ignore_ascii_case(&owner)
                && grant
                    .repos
                    .as_ref()
                    .is_none_or(|r| r.iter().any(|x| x.eq_ignore_ascii_case(&name)));
            if !reaches {
                return Err(Box::new(error(404, "Not Found")));
            }
            if !allows(permission, write) {
                return Err(denied());
            }
            Ok(())
        }
    }
}

fn installation_json(app: &FakeApp, inst: &FakeInstallation, base: &str) -> Value {
    let mut v = skeleton("installation");
    v["id"] = json!(inst.id);
    v["app_id"] = json!(app.app_id);
    v["target_type"] = json!("Organization");
    v["repository_selection"] = json!(if inst.repos.is_some() {
        "selected"
    } else {
        "all"
    });
    v["permissions"] = json!(inst.permissions);
    if let Some(account) = v.get_mut("account").filter(|a| a.is_object()) {
        account["login"] = json!(inst.account);
    }
    v["access_tokens_url"] = json!(format!(
        "{base}/app/installations/{}/access_tokens",
        inst.id
    ));
    v
}

/// Is this request the App's own (JWT-authenticated)?
pub(crate) fn is_app_call(segs: &[String]) -> bool {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    matches!(
        s.as_slice(),
        ["app", ..] | ["orgs", _, "installation"] | ["repos", _, _, "installation"]
    )
}

/// The installation lookups and `/app/installations/{id}/access_tokens`,
/// authenticated by a JWT signed with the App's key.
pub(crate) fn app_auth(fake: &GitHubFake, req: &Req, jwt: &str) -> Response {
    let apps: Vec<FakeApp> = fake.with(|s| s.app.iter().chain(&s.other_apps).cloned().collect());
    if apps.is_empty() {
        return error(404, "Not Found");
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    // GitHub (and octocrab) send `iss` as a number, which the library's own
    // check rejects: it is compared below instead.
    validation.set_required_spec_claims(&["exp", "iat"]);
    validation.validate_aud = false;
    #[derive(serde::Deserialize)]
    struct Claims {
        iss: Value,
    }
    // The App whose key signed the JWT and whose id it names.
    let mut last_error = None;
    let mut signed_by = None;
    for app in apps {
        let Ok(key) = jsonwebtoken::DecodingKey::from_rsa_pem(app.public_key_pem.as_bytes()) else {
            return error(500, "bad fake key");
        };
        match jsonwebtoken::decode::<Claims>(jwt, &key, &validation) {
            Ok(c) => {
                let iss = c.claims.iss;
                if iss.as_u64() == Some(app.app_id) || iss.as_str() == Some(&app.app_id.to_string())
                {
                    signed_by = Some(app);
                    break;
                }
            }
            Err(e) => last_error = Some(e),
        }
    }
    let Some(app) = signed_by else {
        return match last_error {
            Some(e) => error(401, &format!("A JSON web token could not be decoded: {e}")),
            None => error(401, "Integration not found"),
        };
    };
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let find = |account: &str, repo: Option<&str>| {
        app.installations
            .iter()
            .find(|i| {
                i.account.eq_ignore_ascii_case(account)
                    && repo.is_none_or(|r| {
                        i.repos
                            .as_ref()
                            .is_none_or(|list| list.iter().any(|x| x.eq_ignore_ascii_case(r)))
                    })
            })
            .cloned()
    };
    match (&req.method, segs.as_slice()) {
        (&Method::GET, ["orgs", org, "installation"]) => match find(org, None) {
            Some(inst) => json_response(200, installation_json(&app, &inst, &req.base)),
            None => error(404, "Not Found"),
        },
        (&Method::GET, ["repos", owner, name, "installation"]) => {
            let exists = fake.with(|s| s.repo(owner, name).is_some());
            match find(owner, Some(name)).filter(|_| exists) {
                Some(inst) => json_response(200, installation_json(&app, &inst, &req.base)),
                None => error(404, "Not Found"),
            }
        }
        (&Method::GET, ["app"]) => json_response(
            200,
            super::statuses::app_json(app.app_id, &fake.with(|s| s.org.clone()), &req.base),
        ),
        (&Method::POST, ["app", "installations", id, "access_tokens"]) => {
            let Some(inst) = app
                .installations
                .iter()
                .find(|i| i.id.to_string() == *id)
                .cloned()
            else {
                return error(404, "Not Found");
            };
            mint(fake, &inst, &req.body)
        }
        _ => error(404, "Not Found"),
    }
}

/// `POST /app/installations/{id}/access_tokens`: a token limited to the
/// requested repositories and permissions, each of which the installation
/// must have (422 otherwise, as GitHub answers).
fn mint(fake: &GitHubFake, inst: &FakeInstallation, body: &Value) -> Response {
    let repos: Option<Vec<String>> = body.get("repositories").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect()
    });
    if let Some(list) = &repos {
        let reachable = |name: &str| {
            fake.with(|s| s.repo(&inst.account, name).is_some())
                && inst
                    .repos
                    .as_ref()
                    .is_none_or(|r| r.iter().any(|x| x.eq_ignore_ascii_case(name)))
        };
        if list.iter().any(|n| !reachable(n)) {
            return validation_failed(
                "There is at least one repository that does not exist or is not accessible to the parent installation.",
            );
        }
    }
    let permissions: BTreeMap<String, String> = match body.get("permissions") {
        Some(Value::Object(m)) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                let v = v.as_str().unwrap_or("");
                let granted = inst.permissions.get(k).map_or(0, |g| level(g));
                if level(v) == 0 || level(v) > granted {
                    return validation_failed(
                        "The permissions requested are not granted to this installation.",
                    );
                }
                out.insert(k.clone(), v.to_owned());
            }
            out
        }
        // No `permissions`: everything the installation has.
        _ => inst.permissions.clone(),
    };
    let grant = Grant {
        installation: inst.id,
        account: inst.account.clone(),
        repos: repos.clone(),
        permissions: permissions.clone(),
    };
    let token = format!("ghs_fake_installation_{}", fake.with(|s| s.next_id()));
    fake.with(|s| {
        s.installation_tokens.insert(token.clone(), grant.clone());
        s.minted.push(grant);
    });
    let mut v = skeleton("installation-token");
    v["token"] = json!(token);
    v["expires_at"] = json!(
        (chrono::Utc::now() + chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    );
    v["permissions"] = json!(permissions);
    v["repository_selection"] = json!(if repos.is_some() { "selected" } else { "all" });
    json_response(201, v)
}
