//! The GitHub client: octocrab underneath (authentication as a token or a
//! GitHub App installation, transport, base URL), with psrt's network manners
//! on top: retries with backoff on 5xx and network errors, GitHub's primary
//! and secondary rate limits honoured, a deadline on every request, bounded
//! read concurrency, writes paced as GitHub asks for bulk writes, and
//! pagination that reads every page or fails.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use crate::config::{GitHubAuth, GitHubEnv};
use crate::net::{Answer, Failure, Gate, RetryPolicy, with_retries};

/// Requests that may carry embargoed details in GitHub's error messages.
fn is_sensitive(path: &str) -> bool {
    path.contains("/security-advisories")
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
}

impl GitHubError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Status { status, .. } => Some(*status),
            _ => None,
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
pub fn decode<T: DeserializeOwned>(
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

pub struct GitHub {
    octo: Octocrab,
    /// `scheme://host[:port]` of the API, for the same-origin check on links.
    origin: String,
    tuning: Tuning,
    reads: Semaphore,
    gate: Gate,
    last_write: Mutex<Option<Instant>>,
    read_count: AtomicU64,
    write_count: AtomicU64,
    /// The App itself (its JWT), when connected as an App installation.
    app: Option<Box<GitHub>>,
}

impl GitHub {
    /// Connects as the token, or as the GitHub App's installation for `org`.
    pub async fn connect(env: &GitHubEnv, org: &str, tuning: Tuning) -> anyhow::Result<Self> {
        let t = &tuning.retry.timeout;
        let builder = || -> anyhow::Result<_> {
            Ok(Octocrab::builder()
                .base_uri(env.api_url.as_str())
                .map_err(|_| anyhow::anyhow!("GITHUB_API_URL is not a URL"))?
                .set_connect_timeout(Some(Duration::from_secs(10)))
                .set_read_timeout(Some(*t))
                .set_write_timeout(Some(*t)))
        };
        let octo = match &env.auth {
            GitHubAuth::Token(token) => builder()?
                .personal_token(token.expose().to_owned())
                .build()?,
            GitHubAuth::App {
                app_id,
                private_key,
            } => {
                let app = builder()?
                    .app_from_rsa_pem(
                        octocrab::models::AppId(*app_id),
                        private_key.expose().as_bytes(),
                    )
                    .map_err(|_| {
                        anyhow::anyhow!("PSRT_GITHUB_APP_KEY is not an RSA private key in PEM form")
                    })?
                    .build()?;
                let as_app = Self::wrap(app.clone(), &env.api_url, tuning.clone())?;
                #[derive(serde::Deserialize)]
                struct Installation {
                    id: u64,
                }
                let inst: Installation = as_app
                    .get(&format!("/orgs/{}/installation", enc(org)))
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("finding the GitHub App's installation for {org}: {e}")
                    })?;
                let mut me = Self::wrap(
                    app.installation(octocrab::models::InstallationId(inst.id))?,
                    &env.api_url,
                    tuning,
                )?;
                me.app = Some(Box::new(as_app));
                return Ok(me);
            }
        };
        Self::wrap(octo, &env.api_url, tuning)
    }

    /// The App itself (requests signed with its JWT, e.g. `GET /app`), when
    /// psrt runs as a GitHub App installation.
    pub fn as_app(&self) -> Option<&GitHub> {
        self.app.as_deref()
    }

    fn wrap(octo: Octocrab, api_url: &str, tuning: Tuning) -> anyhow::Result<Self> {
        let url =
            url::Url::parse(api_url).map_err(|_| anyhow::anyhow!("GITHUB_API_URL is not a URL"))?;
        Ok(Self {
            octo,
            origin: url.origin().ascii_serialization(),
            reads: Semaphore::new(tuning.read_concurrency.max(1)),
            tuning,
            gate: Gate::default(),
            last_write: Mutex::new(None),
            read_count: AtomicU64::new(0),
            write_count: AtomicU64::new(0),
            app: None,
        })
    }

    /// (reads, writes) sent so far, retries included.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.read_count.load(Ordering::Relaxed),
            self.write_count.load(Ordering::Relaxed),
        )
    }

    /// GET `path`, decoded; any status but 2xx is an error.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, GitHubError> {
        let resp = self.read(path).await?;
        ok(&Method::GET, path, &resp)?;
        decode(&resp, &Method::GET, path)
    }

    /// GET `path`; `None` when GitHub says 404.
    pub async fn get_opt<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, GitHubError> {
        let resp = self.read(path).await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        ok(&Method::GET, path, &resp)?;
        decode(&resp, &Method::GET, path).map(Some)
    }

    /// Every item of a paginated list (`per_page=100`, following `Link:
    /// rel="next"`, page numbers or cursors alike). When the first page's
    /// links number the pages (`rel="last"`), the rest are fetched
    /// concurrently, within the read limit. A failure on any page fails the
    /// whole read: psrt never plans from part of a list.
    pub async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, GitHubError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let first = format!("{path}{sep}per_page=100");
        let (mut items, mut next, last) = self.page::<T>(&first).await?;
        if let Some(urls) = next
            .as_deref()
            .zip(last.as_deref())
            .and_then(|(n, l)| numbered_pages(n, l))
        {
            let pages =
                futures::future::try_join_all(urls.iter().map(|u| self.page::<T>(u))).await?;
            for (page, _, _) in pages {
                items.extend(page);
            }
            return Ok(items);
        }
        while let Some(url) = next.take() {
            let (page, n, _) = self.page::<T>(&url).await?;
            items.extend(page);
            next = n;
        }
        Ok(items)
    }

    /// One page: its items and its `next` and `last` links (same origin only).
    async fn page<T: DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<(Vec<T>, Option<String>, Option<String>), GitHubError> {
        let resp = self.read(url).await?;
        ok(&Method::GET, url, &resp)?;
        let page: Vec<T> = decode(&resp, &Method::GET, url)?;
        let next = link(&resp.headers, "next")
            .map(|l| self.same_origin(l))
            .transpose()?;
        let last = link(&resp.headers, "last")
            .map(|l| self.same_origin(l))
            .transpose()?;
        Ok((page, next, last))
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
        let _permit = self
            .reads
            .acquire()
            .await
            .map_err(|_| GitHubError::Transport {
                method: Method::GET,
                path: path.to_owned(),
                message: "client closed".into(),
            })?;
        self.send(Method::GET, path, None).await
    }

    /// A write (PUT, POST, PATCH, DELETE), paced. Returns any response that
    /// is not retried; a non-2xx status is an error.
    pub async fn write(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
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
        ok(&method, path, &resp)?;
        Ok(resp)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Resp, GitHubError> {
        let try_once = || {
            if method == Method::GET {
                self.read_count.fetch_add(1, Ordering::Relaxed);
            } else {
                self.write_count.fetch_add(1, Ordering::Relaxed);
            }
            let method = method.clone();
            async move {
                let call = async {
                    let resp = match method {
                        Method::GET => self.octo._get(path).await,
                        Method::POST => self.octo._post(path, body).await,
                        Method::PUT => self.octo._put(path, body).await,
                        Method::PATCH => self.octo._patch(path, body).await,
                        _ => self.octo._delete(path, body).await,
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
        with_retries(
            &self.tuning.retry,
            &self.gate,
            "GitHub",
            &method,
            path,
            try_once,
        )
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

fn ok(method: &Method, path: &str, resp: &Resp) -> Result<(), GitHubError> {
    if resp.status.is_success() {
        return Ok(());
    }
    let message = if is_sensitive(path) {
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
pub fn link(headers: &HeaderMap, rel: &str) -> Option<String> {
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

/// Percent-encodes a path segment.
pub fn enc(s: &str) -> String {
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
