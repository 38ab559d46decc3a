//! The transport under the facade: octocrab underneath (authentication as a
//! token or a GitHub App installation, base URL), with psrt's network
//! manners on top: retries with backoff on 5xx and network errors, GitHub's
//! primary and secondary rate limits honoured, a deadline on every request,
//! bounded read concurrency, writes paced as GitHub asks for bulk writes,
//! and pagination that reads every page or fails.
//!
//! Only `github/` sends requests: the path-taking methods here are
//! `pub(super)`, so a feature can reach GitHub only through the facade's
//! named methods (see the module list in [`super`]). Each of those says
//! whether GitHub's error text for it may carry embargoed details
//! ([`Sensitivity`]); the transport withholds that text when it may.
//!
//! Conditional requests go through [`GitHub::read`], the one place every
//! GET goes through, paged or not: given the validators of an earlier run
//! ([`GitHub::use_validators`]), a facade method that can act on "nothing
//! changed" asks with `If-None-Match`, and GitHub answers `304 Not
//! Modified` (no body, no rate-limit point). Every `ETag` GitHub gives is
//! kept ([`GitHub::seen_validators`]); the feature decides which to keep
//! for the next run (those of the answers it finished acting upon).
//!
//! A write that must not be repeated blindly (a comment: a second POST is a
//! second comment, and a notification) is sent once ([`GitHub::write_once`]):
//! after a timeout or a 5xx the caller looks whether it landed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, OnceCell, Semaphore};
use tokio::time::Instant;

use super::scope::{Permissions, Scope};
use crate::config::{GitHubAuth, GitHubEnv};
use crate::ids::RepoName;
use crate::net::{Answer, Failure, Gate, RetryPolicy, with_retries};
use crate::validators::{Validator, Validators};

/// One page of a list: its items and its `next` and `last` links.
type Page<T> = (Vec<T>, Option<String>, Option<String>);

/// Whether GitHub's error text for a request may carry embargoed details
/// (an advisory's summary in a validation message, say). Declared by each
/// facade method, for what it reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sensitivity {
    /// GitHub's own words are shown (`422 Validation Failed (…)`).
    Public,
    /// The status is shown, GitHub's words are withheld.
    Embargoed,
}

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub: {method} {path}: {status} {message}")]
    Status {
        method: Method,
        path: String,
        status: u16,
        message: String,
    },
    #[error("GitHub: {method} {path}: {message}")]
    Transport {
        method: Method,
        path: String,
        message: String,
    },
    #[error("GitHub: {method} {path}: rate limited for {}s, longer than psrt waits", wait.as_secs())]
    RateLimited {
        method: Method,
        path: String,
        wait: Duration,
    },
    #[error("GitHub: {method} {path}: unexpected response: {message}")]
    Decode {
        method: Method,
        path: String,
        message: String,
    },
    #[error("GitHub: refusing to follow a pagination link to another host ({origin})")]
    Origin { origin: String },
    /// Under a GitHub App: the request is outside the command's scope, or
    /// no token could be had for it (the App is not installed there).
    #[error("GitHub: {path}: {message}")]
    Scope { path: String, message: String },
}

impl GitHubError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
    /// Whether the request may have been applied although no answer said
    /// so: a timeout, a connection that broke, a 5xx. A write sent once is
    /// then looked for before it is sent again.
    pub fn maybe_applied(&self) -> bool {
        match self {
            GitHubError::Transport { .. } => true,
            GitHubError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// GitHub's own words for a failed write (without embargoed details).
    pub fn reason(&self) -> String {
        match self {
            GitHubError::Status {
                status, message, ..
            } => format!("{status} {message}"),
            other => other.to_string(),
        }
    }
}

/// An answer from GitHub.
pub type Resp = Answer;

/// Decodes an answer's JSON, naming the request when it does not fit.
pub(super) fn decode<T: DeserializeOwned>(
    resp: &Resp,
    method: &Method,
    path: &str,
) -> Result<T, GitHubError> {
    resp.json().map_err(|e| GitHubError::Decode {
        method: method.clone(),
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// A typed request body as JSON (psrt's own structs always serialise; the
/// error names the request all the same).
pub(super) fn json_body<T: serde::Serialize>(
    method: &Method,
    path: &str,
    body: &T,
) -> Result<serde_json::Value, GitHubError> {
    serde_json::to_value(body).map_err(|e| GitHubError::Decode {
        method: method.clone(),
        path: path.to_owned(),
        message: format!("the request body: {e}"),
    })
}

/// Tuning that tests and the demo change.
#[derive(Debug, Clone)]
pub struct Tuning {
    pub retry: RetryPolicy,
    /// Pause between writes (GitHub: "at least one second" for bulk writes).
    pub write_interval: Duration,
    /// Reads in flight at once.
    pub read_concurrency: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            write_interval: Duration::from_secs(1),
            read_concurrency: 4,
        }
    }
}

impl Tuning {
    /// For local fakes: fast retries, no write pacing.
    pub fn local() -> Self {
        Self {
            retry: RetryPolicy::fast(),
            write_interval: Duration::ZERO,
            read_concurrency: 4,
        }
    }
}

/// The GitHub client. Under a GitHub App it holds one scoped installation
/// token per organisation, repository and set of private forks, minted on
/// first use; with a token, that token for everything. Requests are routed by
/// their path (`/orgs/{org}/…`, `/repos/{owner}/{repo}/…`); a request outside
/// the command's [`Scope`] is refused before it is sent.
pub struct GitHub {
    auth: Auth,
    /// `scheme://host[:port]` of the API, for the same-origin check on links.
    origin: String,
    tuning: Tuning,
    reads: Semaphore,
    gate: Gate,
    last_write: Mutex<Option<Instant>>,
    read_count: AtomicU64,
    write_count: AtomicU64,
    auth_count: AtomicU64,
    not_modified: AtomicU64,
    validators: std::sync::Mutex<Held>,
}

/// Validators: those of an earlier run (asked with), and those GitHub gave
/// or confirmed in this one.
#[derive(Default)]
struct Held {
    prior: Validators,
    seen: Validators,
}

/// What a conditional read of a list found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fresh<T> {
    /// The list, read (every page).
    Changed(T),
    /// Every page answered `304 Not Modified`: the same as when psrt last
    /// acted upon it.
    Unchanged,
}

impl<T> Fresh<T> {
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Fresh::Unchanged)
    }
    pub fn changed(self) -> Option<T> {
        match self {
            Fresh::Changed(t) => Some(t),
            Fresh::Unchanged => None,
        }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fresh<U> {
        match self {
            Fresh::Changed(t) => Fresh::Changed(f(t)),
            Fresh::Unchanged => Fresh::Unchanged,
        }
    }
}

/// The key of a URL among the validators: its path and query, whatever
/// host it was read from.
fn validator_key(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]).to_owned(),
        None => url.to_owned(),
    }
}

enum Auth {
    /// One token for every request (a personal access token).
    Token(Octocrab),
    /// A GitHub App: scoped installation tokens, minted on first use.
    App(Box<AppAuth>),
}

struct AppAuth {
    /// Authenticated as the App itself (a JWT): installations and tokens only.
    app: Octocrab,
    api_url: String,
    scope: Scope,
    /// Installation id per account (lower case), learnt from the lookups.
    installations: std::sync::Mutex<HashMap<String, u64>>,
    /// Route → its client, minted once.
    conns: std::sync::Mutex<HashMap<Route, Conn>>,
}

/// A route's client, minted once (or why it could not be).
type Conn = Arc<OnceCell<Result<Arc<Octocrab>, String>>>;

/// Which token a request needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Route {
    /// `/orgs/{org}/…` of the scope's organisation.
    Org,
    /// Requests that need a token but no permission (`/users/{login}`).
    Public,
    /// `/repos/{owner}/{repo}/…`, lower case.
    Repo(String),
    /// `/repos/{org}/{any}/…` outside the scope's own repositories, when
    /// the scope reads every repository of its organisation
    /// ([`Scope::org_repos`]): one token for the organisation's
    /// installation, no repository list.
    OrgRepos,
}

/// An installation token as GitHub returns it.
#[derive(serde::Deserialize)]
struct MintedToken {
    token: String,
}

#[derive(serde::Deserialize)]
struct Installation {
    id: u64,
}

impl GitHub {
    /// Connects for a command that may do what `scope` says: as the token
    /// (which the scope cannot narrow), or as the GitHub App, whose
    /// installation tokens are minted per organisation and repository,
    /// limited to the scope's repositories and permissions.
    pub async fn connect(env: &GitHubEnv, scope: Scope, tuning: Tuning) -> anyhow::Result<Self> {
        let t = tuning.retry.timeout;
        let auth = match &env.auth {
            GitHubAuth::Token(token) => Auth::Token(
                builder(&env.api_url, t)?
                    .personal_token(token.expose().to_owned())
                    .build()?,
            ),
            GitHubAuth::App {
                app_id,
                private_key,
            } => {
                let app = builder(&env.api_url, t)?
                    .app_from_rsa_pem(
                        octocrab::models::AppId(*app_id),
                        private_key.expose().as_bytes(),
                    )
                    .map_err(|_| {
                        anyhow::anyhow!("PSRT_GITHUB_APP_KEY is not an RSA private key in PEM form")
                    })?
                    .build()?;
                Auth::App(Box::new(AppAuth {
                    app,
                    api_url: env.api_url.clone(),
                    scope,
                    installations: std::sync::Mutex::new(HashMap::new()),
                    conns: std::sync::Mutex::new(HashMap::new()),
                }))
            }
        };
        let url = url::Url::parse(&env.api_url)
            .map_err(|_| anyhow::anyhow!("GITHUB_API_URL is not a URL"))?;
        Ok(Self {
            auth,
            origin: url.origin().ascii_serialization(),
            reads: Semaphore::new(tuning.read_concurrency.max(1)),
            tuning,
            gate: Gate::default(),
            last_write: Mutex::new(None),
            read_count: AtomicU64::new(0),
            write_count: AtomicU64::new(0),
            auth_count: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            validators: std::sync::Mutex::new(Held::default()),
        })
    }

    /// The validators of an earlier run: the facade's conditional reads ask
    /// with them from now on.
    pub fn use_validators(&self, prior: Validators) {
        lock(&self.validators).prior = prior;
    }

    /// Every validator GitHub gave (a `200` with an `ETag`) or confirmed (a
    /// `304`) in this run, by URL.
    pub fn seen_validators(&self) -> Validators {
        lock(&self.validators).seen.clone()
    }

    /// Reads answered `304 Not Modified` so far.
    pub fn not_modified(&self) -> u64 {
        self.not_modified.load(Ordering::Relaxed)
    }

    /// GET `path` as the App itself (signed with its JWT, e.g. `GET /app`);
    /// `None` when psrt runs with a token rather than as a GitHub App.
    pub(super) async fn app_get<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, GitHubError> {
        let Auth::App(app) = &self.auth else {
            return Ok(None);
        };
        self.auth_count.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .send_with(&app.app, Method::GET, path, None, None)
            .await?;
        ok(&Method::GET, path, &resp, Sensitivity::Public)?;
        decode(&resp, &Method::GET, path).map(Some)
    }

    /// Prepares one token per owner for these repositories (the private
    /// forks a command is about to read), instead of one per repository on
    /// first use. Repositories outside the scope are ignored; when GitHub
    /// refuses the combined token, each repository gets its own on first use.
    pub async fn reach(&self, repos: &[RepoName]) {
        let Auth::App(app) = &self.auth else {
            return;
        };
        let mut by_owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in repos {
            let key = r.key();
            if app.scope.for_repo(&key).is_none()
                || app.cell(&Route::Repo(key.clone())).initialized()
            {
                continue;
            }
            let (owner, name) = (
                r.owner().to_ascii_lowercase(),
                r.name().to_ascii_lowercase(),
            );
            let names = by_owner.entry(owner).or_default();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        for (owner, names) in by_owner {
            let Some(first) = names.first() else { continue };
            let mut permissions = Permissions::default();
            for n in &names {
                if let Some(g) = app.scope.for_repo(&format!("{owner}/{n}")) {
                    permissions.add(&g.permissions().iter().collect::<Vec<_>>());
                }
            }
            let Ok(id) = self.installation(app, &owner, Some(first)).await else {
                continue;
            };
            if let Ok(client) = self.mint(app, id, Some(&names), &permissions).await {
                let client = Arc::new(client);
                for n in &names {
                    let _ = app
                        .cell(&Route::Repo(format!("{owner}/{n}")))
                        .set(Ok(Arc::clone(&client)));
                }
            }
        }
    }

    /// The client for a request, minting its token on first use.
    async fn octo_for(&self, path: &str) -> Result<Arc<Octocrab>, GitHubError> {
        let app = match &self.auth {
            Auth::Token(octo) => return Ok(Arc::new(octo.clone())),
            Auth::App(app) => app,
        };
        let route = app.route(path).map_err(|message| GitHubError::Scope {
            path: path.to_owned(),
            message,
        })?;
        let cell = app.cell(&route);
        let result = cell
            .get_or_init(|| async {
                let (owner, repo, permissions) = match &route {
                    Route::Org => (
                        app.scope.org.to_ascii_lowercase(),
                        None,
                        app.scope.org_permissions.clone(),
                    ),
                    Route::Public => (
                        app.scope.org.to_ascii_lowercase(),
                        None,
                        Permissions::of(super::scope::METADATA_ONLY),
                    ),
                    Route::OrgRepos => (
                        app.scope.org.to_ascii_lowercase(),
                        None,
                        app.scope.org_repos.clone().unwrap_or_default(),
                    ),
                    Route::Repo(full) => {
                        let (o, n) = full.split_once('/').unwrap_or((full, ""));
                        let permissions = app
                            .scope
                            .for_repo(full)
                            .map(|g| g.permissions().clone())
                            .unwrap_or_default();
                        (o.to_owned(), Some(n.to_owned()), permissions)
                    }
                };
                let id = self.installation(app, &owner, repo.as_deref()).await?;
                let repos = repo.map(|r| vec![r]);
                self.mint(app, id, repos.as_deref(), &permissions)
                    .await
                    .map(Arc::new)
            })
            .await;
        result.clone().map_err(|message| GitHubError::Scope {
            path: path.to_owned(),
            message,
        })
    }

    /// The App's installation for `owner` (an organisation, or the owner of
    /// `repo`): `GET /repos/{owner}/{repo}/installation` for a repository,
    /// `GET /orgs/{org}/installation` otherwise; an account's installation
    /// is looked up once per run for forks.
    async fn installation(
        &self,
        app: &AppAuth,
        owner: &str,
        repo: Option<&str>,
    ) -> Result<u64, String> {
        let is_fork = repo.is_some_and(|r| {
            matches!(
                app.scope.for_repo(&format!("{owner}/{r}")),
                Some(super::scope::RepoGrant::Fork(_))
            )
        });
        if repo.is_none() || is_fork {
            if let Some(id) = lock(&app.installations).get(owner).copied() {
                return Ok(id);
            }
        }
        let (path, what) = match repo {
            Some(r) => (
                format!("/repos/{}/{}/installation", enc(owner), enc(r)),
                format!("{owner}/{r}"),
            ),
            None => (
                format!("/orgs/{}/installation", enc(owner)),
                owner.to_owned(),
            ),
        };
        self.auth_count.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .send_with(&app.app, Method::GET, &path, None, None)
            .await
            .map_err(|e| format!("finding the GitHub App's installation for {what}: {e}"))?;
        if resp.status == StatusCode::NOT_FOUND {
            return Err(format!(
                "the GitHub App is not installed on {what} (GET {path}: 404); install it there (docs/operations.md, \"GitHub: a GitHub App\")"
            ));
        }
        ok(&Method::GET, &path, &resp, Sensitivity::Public)
            .map_err(|e| format!("finding the GitHub App's installation for {what}: {e}"))?;
        let inst: Installation = decode(&resp, &Method::GET, &path).map_err(|e| e.to_string())?;
        lock(&app.installations).insert(owner.to_owned(), inst.id);
        Ok(inst.id)
    }

    /// Mints an installation token limited to `repos` (names in the
    /// installation's account; `None`: no repository list, for organisation
    /// permissions) and `permissions`.
    async fn mint(
        &self,
        app: &AppAuth,
        installation: u64,
        repos: Option<&[String]>,
        permissions: &Permissions,
    ) -> Result<Octocrab, String> {
        let path = format!("/app/installations/{installation}/access_tokens");
        let mut body = serde_json::json!({ "permissions": permissions.to_json() });
        if let Some(repos) = repos {
            body["repositories"] = serde_json::json!(repos);
        }
        self.auth_count.fetch_add(1, Ordering::Relaxed);
        let what = match repos {
            Some(r) => r.join(", "),
            None => "the organisation".to_owned(),
        };
        let resp = self
            .send_with(&app.app, Method::POST, &path, Some(&body), None)
            .await
            .map_err(|e| {
                format!("minting an installation token for {what} ({permissions}): {e}")
            })?;
        ok(&Method::POST, &path, &resp, Sensitivity::Public).map_err(|e| {
            format!(
                "minting an installation token for {what} ({permissions}): {}",
                e.reason()
            )
        })?;
        let minted: MintedToken = decode(&resp, &Method::POST, &path).map_err(|e| e.to_string())?;
        builder(&app.api_url, self.tuning.retry.timeout)
            .map_err(|e| e.to_string())?
            .personal_token(minted.token)
            .build()
            .map_err(|e| short(&e))
    }

    /// Under a GitHub App, mints every token the command's scope needs (the
    /// organisation's, each repository's, the organisation-wide read) and
    /// says, for each, what it is for and whether GitHub granted it: a
    /// refused permission or a missing installation shows here, before any
    /// command needs it. With a personal token there is nothing to mint:
    /// `None`.
    pub async fn mint_all(&self) -> Option<Vec<(String, Result<(), String>)>> {
        let Auth::App(app) = &self.auth else {
            return None;
        };
        let scope = &app.scope;
        let mut wanted: Vec<(String, String)> = Vec::new();
        if !scope.org_permissions.is_empty() {
            wanted.push((
                format!("the organisation {} ({})", scope.org, scope.org_permissions),
                format!("/orgs/{}/installation-check", enc(&scope.org)),
            ));
        }
        for (repo, permissions) in &scope.repos {
            let (o, n) = repo.split_once('/').unwrap_or((repo, ""));
            wanted.push((
                format!("{repo} ({permissions})"),
                format!("/repos/{}/{}", enc(o), enc(n)),
            ));
        }
        if let Some(p) = &scope.org_repos {
            wanted.push((
                format!("every repository of {} ({p})", scope.org),
                format!("/orgs/{}/repos", enc(&scope.org)),
            ));
        }
        let mut out = Vec::new();
        for (what, path) in wanted {
            let result = self.octo_for(&path).await.map(|_| ()).map_err(|e| match e {
                GitHubError::Scope { message, .. } => message,
                other => other.to_string(),
            });
            out.push((what, result));
        }
        Some(out)
    }

    /// (reads, writes) sent so far, retries included.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.read_count.load(Ordering::Relaxed),
            self.write_count.load(Ordering::Relaxed),
        )
    }

    /// Installation lookups and token mints so far (GitHub App only).
    pub fn auth_requests(&self) -> u64 {
        self.auth_count.load(Ordering::Relaxed)
    }

    /// GET `path`, decoded; any status but 2xx is an error.
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        sensitivity: Sensitivity,
    ) -> Result<T, GitHubError> {
        let resp = self.read(path).await?;
        ok(&Method::GET, path, &resp, sensitivity)?;
        decode(&resp, &Method::GET, path)
    }

    /// GET `path`; `None` when GitHub says 404.
    pub(super) async fn get_opt<T: DeserializeOwned>(
        &self,
        path: &str,
        sensitivity: Sensitivity,
    ) -> Result<Option<T>, GitHubError> {
        let resp = self.read(path).await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        ok(&Method::GET, path, &resp, sensitivity)?;
        decode(&resp, &Method::GET, path).map(Some)
    }

    /// Every item of a paginated list (`per_page=100`, following `Link:
    /// rel="next"`, page numbers or cursors alike). When the first page's
    /// links number the pages (`rel="last"`), the rest are fetched
    /// concurrently, within the read limit. A failure on any page fails the
    /// whole read: psrt never plans from part of a list.
    pub(super) async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        sensitivity: Sensitivity,
    ) -> Result<Vec<T>, GitHubError> {
        let first = first_page(path);
        let first_page = self.page::<T>(&first, sensitivity).await?;
        self.rest_of_list(first_page, sensitivity).await
    }

    /// A list read only if it changed: each page psrt holds a validator for
    /// (the first, then the `next` each one recorded) is asked for with
    /// `If-None-Match`; when every one answers `304`, the list is
    /// [`Fresh::Unchanged`]. Otherwise it is read whole: from the first page
    /// when that one changed, or again without validators when a later one
    /// did (the pages may have shifted). Without a validator for the first
    /// page, this is [`Self::list`].
    pub(super) async fn list_if_changed<T: DeserializeOwned>(
        &self,
        path: &str,
        sensitivity: Sensitivity,
    ) -> Result<Fresh<Vec<T>>, GitHubError> {
        let first = first_page(path);
        let mut url = Some(first.clone());
        let mut asked = 0;
        while let Some(u) = url.take() {
            let Some(prior) = self.prior(&u) else { break };
            // A chain longer than GitHub could page means a loop.
            asked += 1;
            if asked > 10_000 {
                break;
            }
            let resp = self.read_if_none_match(&u, &prior).await?;
            if resp.status == StatusCode::NOT_MODIFIED {
                self.confirm(&u, &prior);
                url = prior.next.clone();
                if url.is_none() {
                    return Ok(Fresh::Unchanged);
                }
                continue;
            }
            if u == first {
                let page = self.parse_page::<T>(&u, resp, sensitivity)?;
                return self
                    .rest_of_list(page, sensitivity)
                    .await
                    .map(Fresh::Changed);
            }
            // A later page changed: the whole list, afresh.
            break;
        }
        self.list(path, sensitivity).await.map(Fresh::Changed)
    }

    /// The pages after the first.
    async fn rest_of_list<T: DeserializeOwned>(
        &self,
        first: Page<T>,
        sensitivity: Sensitivity,
    ) -> Result<Vec<T>, GitHubError> {
        let (mut items, mut next, last) = first;
        if let Some(urls) = next
            .as_deref()
            .zip(last.as_deref())
            .and_then(|(n, l)| numbered_pages(n, l))
        {
            let pages =
                futures::future::try_join_all(urls.iter().map(|u| self.page::<T>(u, sensitivity)))
                    .await?;
            for (page, _, _) in pages {
                items.extend(page);
            }
            return Ok(items);
        }
        while let Some(url) = next.take() {
            let (page, n, _) = self.page::<T>(&url, sensitivity).await?;
            items.extend(page);
            next = n;
        }
        Ok(items)
    }

    /// Every item of a paginated list GitHub wraps in an object (`{"total_count":
    /// …, "workflows": […]}`): the array under `field`, every page, or an error.
    pub(super) async fn list_in<T: DeserializeOwned>(
        &self,
        path: &str,
        field: &str,
        sensitivity: Sensitivity,
    ) -> Result<Vec<T>, GitHubError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{path}{sep}per_page=100"));
        let mut items = Vec::new();
        while let Some(url) = next.take() {
            let resp = self.read(&url).await?;
            ok(&Method::GET, &url, &resp, sensitivity)?;
            let mut page: serde_json::Map<String, serde_json::Value> =
                decode(&resp, &Method::GET, &url)?;
            let list = page
                .remove(field)
                .unwrap_or(serde_json::Value::Array(vec![]));
            let got: Vec<T> = serde_json::from_value(list).map_err(|e| GitHubError::Decode {
                method: Method::GET,
                path: url.clone(),
                message: e.to_string(),
            })?;
            items.extend(got);
            next = link(&resp.headers, "next")
                .map(|l| self.same_origin(l))
                .transpose()?;
        }
        Ok(items)
    }

    /// The first page of a list GitHub wraps in an object, at most `per_page`
    /// items (the newest first, where GitHub sorts so): for reads that need
    /// only the latest few.
    pub(super) async fn first_in<T: DeserializeOwned>(
        &self,
        path: &str,
        field: &str,
        per_page: u32,
        sensitivity: Sensitivity,
    ) -> Result<Vec<T>, GitHubError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{path}{sep}per_page={per_page}");
        let resp = self.read(&url).await?;
        ok(&Method::GET, &url, &resp, sensitivity)?;
        let mut page: serde_json::Map<String, serde_json::Value> =
            decode(&resp, &Method::GET, &url)?;
        let list = page
            .remove(field)
            .unwrap_or(serde_json::Value::Array(vec![]));
        serde_json::from_value(list).map_err(|e| GitHubError::Decode {
            method: Method::GET,
            path: url,
            message: e.to_string(),
        })
    }

    /// One page: its items and its `next` and `last` links (same origin only).
    async fn page<T: DeserializeOwned>(
        &self,
        url: &str,
        sensitivity: Sensitivity,
    ) -> Result<Page<T>, GitHubError> {
        let resp = self.read(url).await?;
        self.parse_page(url, resp, sensitivity)
    }

    /// A page's items and links; its validator is kept, with the next
    /// page's URL.
    fn parse_page<T: DeserializeOwned>(
        &self,
        url: &str,
        resp: Resp,
        sensitivity: Sensitivity,
    ) -> Result<Page<T>, GitHubError> {
        ok(&Method::GET, url, &resp, sensitivity)?;
        let page: Vec<T> = decode(&resp, &Method::GET, url)?;
        let next = link(&resp.headers, "next")
            .map(|l| self.same_origin(l))
            .transpose()?;
        let last = link(&resp.headers, "last")
            .map(|l| self.same_origin(l))
            .transpose()?;
        self.remember(url, &resp, next.as_deref());
        Ok((page, next, last))
    }

    /// The validator of an earlier run for `url`.
    fn prior(&self, url: &str) -> Option<Validator> {
        lock(&self.validators)
            .prior
            .get(&validator_key(url))
            .cloned()
    }

    /// GitHub gave this answer's `ETag`: kept, with the next page's URL.
    fn remember(&self, url: &str, resp: &Resp, next: Option<&str>) {
        let Some(etag) = resp
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        lock(&self.validators).seen.0.insert(
            validator_key(url),
            Validator {
                etag: etag.to_owned(),
                next: next.map(validator_key),
                at: chrono::Utc::now(),
            },
        );
    }

    /// GitHub confirmed an earlier validator (`304`).
    fn confirm(&self, url: &str, prior: &Validator) {
        self.not_modified.fetch_add(1, Ordering::Relaxed);
        lock(&self.validators).seen.0.insert(
            validator_key(url),
            Validator {
                at: chrono::Utc::now(),
                ..prior.clone()
            },
        );
    }

    /// A conditional GET: `304 Not Modified` is an answer, not an error.
    async fn read_if_none_match(&self, url: &str, prior: &Validator) -> Result<Resp, GitHubError> {
        let mut headers = HeaderMap::new();
        let value = http::HeaderValue::from_str(&prior.etag).map_err(|_| GitHubError::Decode {
            method: Method::GET,
            path: url.to_owned(),
            message: "a validator in the ledger is not a header value".into(),
        })?;
        headers.insert(http::header::IF_NONE_MATCH, value);
        self.read_with(url, Some(headers)).await
    }

    fn same_origin(&self, link: String) -> Result<String, GitHubError> {
        let target = url::Url::parse(&link).map_err(|_| GitHubError::Origin {
            origin: link.clone(),
        })?;
        if target.origin().ascii_serialization() != self.origin {
            return Err(GitHubError::Origin {
                origin: target.origin().ascii_serialization(),
            });
        }
        Ok(link)
    }

    async fn read(&self, path: &str) -> Result<Resp, GitHubError> {
        self.read_with(path, None).await
    }

    async fn read_with(&self, path: &str, headers: Option<HeaderMap>) -> Result<Resp, GitHubError> {
        let _permit = self
            .reads
            .acquire()
            .await
            .map_err(|_| GitHubError::Transport {
                method: Method::GET,
                path: path.to_owned(),
                message: "client closed".into(),
            })?;
        let octo = Box::pin(self.octo_for(path)).await?;
        self.send_with(&octo, Method::GET, path, None, headers)
            .await
    }

    /// A write (PUT, POST, PATCH, DELETE), paced. Returns any response that
    /// is not retried; a non-2xx status is an error.
    pub(super) async fn write(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        sensitivity: Sensitivity,
    ) -> Result<Resp, GitHubError> {
        {
            let mut last = self.last_write.lock().await;
            if let Some(at) = *last {
                let due = at + self.tuning.write_interval;
                if due > Instant::now() {
                    tokio::time::sleep_until(due).await;
                }
            }
            *last = Some(Instant::now());
        }
        let resp = self.send(method.clone(), path, body).await?;
        ok(&method, path, &resp, sensitivity)?;
        Ok(resp)
    }

    /// A write sent once, never repeated: no retry after a timeout, a broken
    /// connection or a 5xx, whose request may have landed (see
    /// [`GitHubError::maybe_applied`]: the caller looks before it sends
    /// again). Paced like every write.
    pub(super) async fn write_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        sensitivity: Sensitivity,
    ) -> Result<Resp, GitHubError> {
        {
            let mut last = self.last_write.lock().await;
            if let Some(at) = *last {
                let due = at + self.tuning.write_interval;
                if due > Instant::now() {
                    tokio::time::sleep_until(due).await;
                }
            }
            *last = Some(Instant::now());
        }
        let octo = self.octo_for(path).await?;
        let once = RetryPolicy {
            attempts: 1,
            ..self.tuning.retry.clone()
        };
        let resp =
            Box::pin(self.send_under(&once, &octo, method.clone(), path, body, None)).await?;
        ok(&method, path, &resp, sensitivity)?;
        Ok(resp)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Resp, GitHubError> {
        let octo = Box::pin(self.octo_for(path)).await?;
        self.send_with(&octo, method, path, body, None).await
    }

    /// One request with `octo`'s credentials, under the retry policy.
    async fn send_with(
        &self,
        octo: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: Option<HeaderMap>,
    ) -> Result<Resp, GitHubError> {
        // Boxed: the request's future (octocrab, hyper, the retries) is
        // large in a debug build, and every method of the facade awaits it:
        // on the heap, callers' futures stay small (a deep chain of them
        // overflowed a test thread's stack).
        Box::pin(self.send_under(&self.tuning.retry, octo, method, path, body, headers)).await
    }

    /// One request under `policy`; `headers` only for a GET.
    async fn send_under(
        &self,
        policy: &RetryPolicy,
        octo: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: Option<HeaderMap>,
    ) -> Result<Resp, GitHubError> {
        let try_once = || {
            if method == Method::GET {
                self.read_count.fetch_add(1, Ordering::Relaxed);
            } else {
                self.write_count.fetch_add(1, Ordering::Relaxed);
            }
            let method = method.clone();
            let headers = headers.clone();
            async move {
                let call = async {
                    let resp = match method {
                        Method::GET => octo._get_with_headers(path, headers).await,
                        Method::POST => octo._post(path, body).await,
                        Method::PUT => octo._put(path, body).await,
                        Method::PATCH => octo._patch(path, body).await,
                        _ => octo._delete(path, body).await,
                    }?;
                    let (parts, body) = resp.into_parts();
                    let bytes = body.collect().await?.to_bytes();
                    Ok::<_, octocrab::Error>(Answer {
                        status: parts.status,
                        headers: parts.headers,
                        body: bytes,
                    })
                };
                call.await.map_err(|e| short(&e))
            }
        };
        with_retries(policy, &self.gate, "GitHub", &method, path, try_once)
            .await
            .map_err(|f| match f {
                Failure::Transport(message) => GitHubError::Transport {
                    method: method.clone(),
                    path: path.to_owned(),
                    message,
                },
                Failure::RateLimited(wait) => GitHubError::RateLimited {
                    method: method.clone(),
                    path: path.to_owned(),
                    wait,
                },
            })
    }
}

impl AppAuth {
    fn cell(&self, route: &Route) -> Conn {
        Arc::clone(lock(&self.conns).entry(route.clone()).or_default())
    }

    /// Which token `path` (or an absolute URL) needs, or why it is outside
    /// the scope.
    fn route(&self, path: &str) -> Result<Route, String> {
        let path = path
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or(path);
        let path = path.split('?').next().unwrap_or(path);
        let segs: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            })
            .collect();
        match segs.as_slice() {
            [first, owner, name, ..] if first == "repos" => {
                let full = format!("{owner}/{name}").to_ascii_lowercase();
                match self.scope.for_repo(&full) {
                    Some(_) => Ok(Route::Repo(full)),
                    None if self.scope.org_repos.is_some() && self.scope.is_org(owner) => {
                        Ok(Route::OrgRepos)
                    }
                    None => Err(format!(
                        "{owner}/{name} is outside this command's GitHub scope"
                    )),
                }
            }
            [first, org, second, ..]
                if first == "orgs"
                    && second == "repos"
                    && self.scope.org_repos.is_some()
                    && self.scope.is_org(org) =>
            {
                Ok(Route::OrgRepos)
            }
            [first, org, ..] if first == "orgs" => {
                if !self.scope.is_org(org) {
                    Err(format!(
                        "the organisation {org} is outside this command's GitHub scope"
                    ))
                } else if self.scope.org_permissions.is_empty() {
                    Err(format!(
                        "this command asks for no permission on the organisation {org}"
                    ))
                } else {
                    Ok(Route::Org)
                }
            }
            _ => Ok(if self.scope.org_permissions.is_empty() {
                Route::Public
            } else {
                Route::Org
            }),
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An octocrab builder for the API at `api_url`, with timeouts.
fn builder(
    api_url: &str,
    timeout: Duration,
) -> anyhow::Result<
    octocrab::OctocrabBuilder<
        octocrab::NoSvc,
        octocrab::DefaultOctocrabBuilderConfig,
        octocrab::NoAuth,
        octocrab::NotLayerReady,
    >,
> {
    Ok(Octocrab::builder()
        .base_uri(api_url)
        .map_err(|_| anyhow::anyhow!("GITHUB_API_URL is not a URL"))?
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(timeout))
        .set_write_timeout(Some(timeout)))
}

fn ok(
    method: &Method,
    path: &str,
    resp: &Resp,
    sensitivity: Sensitivity,
) -> Result<(), GitHubError> {
    if resp.status.is_success() {
        return Ok(());
    }
    let message = if sensitivity == Sensitivity::Embargoed {
        "(details withheld: the report may be embargoed)".to_owned()
    } else {
        let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        let short = |s: &str| s.chars().take(200).collect::<String>();
        // GitHub says `message` (and `errors`); a proxy or gateway may answer
        // with RFC 7807 problem details (`title`, `detail`, `validation`).
        let mut m = v
            .get("message")
            .or_else(|| v.get("detail"))
            .or_else(|| v.get("title"))
            .and_then(|m| m.as_str())
            .map(short)
            .unwrap_or_default();
        let details: Vec<String> = ["errors", "validation"]
            .iter()
            .filter_map(|k| v.get(*k).and_then(|e| e.as_array()))
            .flatten()
            .filter_map(|e| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .or_else(|| e.as_str())
            })
            .map(short)
            .collect();
        if !details.is_empty() {
            m = format!("{m} ({})", details.join("; "));
        }
        m
    };
    Err(GitHubError::Status {
        method: method.clone(),
        path: path.to_owned(),
        status: resp.status.as_u16(),
        message,
    })
}

/// The target of a `Link` header's `rel` (`next`, `last`...).
fn link(headers: &HeaderMap, rel: &str) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    let want = format!("rel=\"{rel}\"");
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == want)
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

/// Every page URL from `next` to `last` when the two differ only in their
/// `page` number; `None` for cursors or anything unexpected.
fn numbered_pages(next: &str, last: &str) -> Option<Vec<String>> {
    let page_of = |u: &url::Url| {
        u.query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse::<u32>().ok())
    };
    let without_page = |u: &url::Url| {
        let mut v: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        v.sort();
        (u.origin().ascii_serialization(), u.path().to_owned(), v)
    };
    let n = url::Url::parse(next).ok()?;
    let l = url::Url::parse(last).ok()?;
    let (from, to) = (page_of(&n)?, page_of(&l)?);
    if without_page(&n) != without_page(&l) || from > to || to - from > 10_000 {
        return None;
    }
    Some(
        (from..=to)
            .map(|p| {
                let mut u = n.clone();
                let pairs: Vec<(String, String)> = n
                    .query_pairs()
                    .map(|(k, v)| (k == "page", k.into_owned(), v.into_owned()))
                    .map(|(is_page, k, v)| (k, if is_page { p.to_string() } else { v }))
                    .collect();
                u.query_pairs_mut().clear().extend_pairs(pairs);
                u.to_string()
            })
            .collect(),
    )
}

/// A transport error, briefly (octocrab's messages do not carry the token).
fn short(e: &octocrab::Error) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or(&s).chars().take(200).collect()
}

/// The first page of a list: 100 items a page.
fn first_page(path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}per_page=100")
}

/// Percent-encodes a path segment.
pub(super) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_pages_only_for_page_numbers() {
        let pages = numbered_pages(
            "https://x/a?role=member&per_page=100&page=2",
            "https://x/a?role=member&per_page=100&page=4",
        )
        .unwrap();
        assert_eq!(
            pages,
            [
                "https://x/a?role=member&per_page=100&page=2",
                "https://x/a?role=member&per_page=100&page=3",
                "https://x/a?role=member&per_page=100&page=4"
            ]
        );
        assert!(numbered_pages("https://x/a?after=abc", "https://x/a?after=def").is_none());
        assert!(numbered_pages("https://x/a?page=2&role=x", "https://x/a?page=3&role=y").is_none());
    }

    #[test]
    fn finds_the_next_link() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next", <https://api.github.com/x?page=9>; rel="last""#
                .parse()
                .unwrap(),
        );
        assert_eq!(
            link(&h, "next").as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        assert_eq!(
            link(&h, "last").as_deref(),
            Some("https://api.github.com/x?page=9")
        );
        assert_eq!(link(&HeaderMap::new(), "next"), None);
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(enc("AA-Turner"), "AA-Turner");
        assert_eq!(enc("a/b c"), "a%2Fb%20c");
    }
}
