//! A small JSON-over-HTTP client for Mailman and Discord (GitHub goes through
//! octocrab): one place for timeouts, retries, rate limits and credentials.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{RetryPolicy, Verdict, classify, exhausted_wait};
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub enum Auth {
    /// HTTP basic (Mailman's REST admin).
    Basic { user: String, password: Secret },
    /// `Authorization: Bot TOKEN` (Discord).
    Bot(Secret),
}

#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
    /// The service's own explanation, when it gives one (`message`,
    /// `description`, `title`), cut short; never the request.
    pub fn reason(&self) -> String {
        let v: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        let text = ["message", "description", "title"]
            .iter()
            .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| self.status.canonical_reason().unwrap_or("").to_owned());
        text.chars().take(200).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("{service}: {method} {path}: {message}")]
    Transport {
        service: &'static str,
        method: Method,
        path: String,
        message: String,
    },
    #[error("{service}: {method} {path}: rate limited for {}s, longer than psrt waits", wait.as_secs())]
    RateLimited {
        service: &'static str,
        method: Method,
        path: String,
        wait: Duration,
    },
}

pub struct Rest {
    service: &'static str,
    client: reqwest::Client,
    base: String,
    auth: Auth,
    policy: RetryPolicy,
    /// Earliest time the next request may go (rate-limit budget spent).
    gate: Mutex<Instant>,
    requests: AtomicU64,
}

impl Rest {
    pub fn new(
        service: &'static str,
        base: &str,
        auth: Auth,
        policy: RetryPolicy,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("psrt/", env!("CARGO_PKG_VERSION")))
            .timeout(policy.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            service,
            client,
            base: base.trim_end_matches('/').to_owned(),
            auth,
            policy,
            gate: Mutex::new(Instant::now()),
            requests: AtomicU64::new(0),
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends a request to `path` (relative to the base URL), retrying 5xx and
    /// network errors with backoff and waiting out rate limits. Any status
    /// that is not retried is returned for the caller to judge.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&'static str, String)],
    ) -> Result<Response, RestError> {
        let url = format!("{}{}", self.base, path);
        let mut attempt = 0;
        loop {
            self.wait_for_gate().await;
            let mut req = self.client.request(method.clone(), &url);
            req = match &self.auth {
                Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
                Auth::Bot(token) => {
                    let mut v = HeaderValue::from_str(&format!("Bot {}", token.expose())).map_err(
                        |_| {
                            self.transport(
                                &method,
                                path,
                                "the token is not a valid header value".into(),
                            )
                        },
                    )?;
                    v.set_sensitive(true);
                    req.header(http::header::AUTHORIZATION, v)
                }
            };
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = req.send().await;
            let resp = match outcome {
                Ok(r) => r,
                Err(e) if attempt + 1 < self.policy.attempts => {
                    tracing::debug!(service = self.service, %method, path, error = %e.without_url(), "retrying after a network error");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(self.transport(&method, path, describe(&e))),
            };
            let status = resp.status();
            let resp_headers = resp.headers().clone();
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(e) if attempt + 1 < self.policy.attempts => {
                    tracing::debug!(service = self.service, %method, path, error = %e.without_url(), "retrying after a broken body");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(self.transport(&method, path, describe(&e))),
            };
            if let Some(wait) = exhausted_wait(&resp_headers) {
                *self.gate.lock().await = Instant::now() + wait.min(self.policy.max_wait);
            }
            match classify(status.as_u16(), &resp_headers, &body, attempt, &self.policy) {
                Verdict::Done => {
                    return Ok(Response {
                        status,
                        headers: resp_headers,
                        body,
                    });
                }
                Verdict::RetryAfter(wait) => {
                    tracing::info!(service = self.service, %method, path, status = status.as_u16(), wait_ms = wait.as_millis() as u64, "waiting before retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Verdict::RateLimited(wait) => {
                    return Err(RestError::RateLimited {
                        service: self.service,
                        method,
                        path: path.to_owned(),
                        wait,
                    });
                }
            }
        }
    }

    async fn wait_for_gate(&self) {
        let until = *self.gate.lock().await;
        if until > Instant::now() {
            tokio::time::sleep_until(until).await;
        }
    }

    fn transport(&self, method: &Method, path: &str, message: String) -> RestError {
        RestError::Transport {
            service: self.service,
            method: method.clone(),
            path: path.to_owned(),
            message,
        }
    }
}

/// A network error without its URL (which could carry credentials).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken response"
    } else {
        "request failed"
    };
    let mut msg = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !text.contains("://") {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}
