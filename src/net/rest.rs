//! A small JSON-over-HTTP client for Mailman and Discord (GitHub goes through
//! octocrab): one place for timeouts, retries, rate limits and credentials.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::{HeaderValue, Method};

use super::{Answer, Failure, Gate, RetryPolicy, with_retries};
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub enum Auth {
    /// HTTP basic (Mailman's REST admin).
    Basic { user: String, password: Secret },
    /// `Authorization: Bot TOKEN` (Discord).
    Bot(Secret),
    /// Credentials in headers of their own (CVE Services: `CVE-API-ORG`,
    /// `CVE-API-USER`, `CVE-API-KEY`), each marked sensitive.
    Headers(Vec<(&'static str, Secret)>),
}

/// The answer to a request.
pub type Response = Answer;

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
    gate: Gate,
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
            gate: Gate::default(),
            requests: AtomicU64::new(0),
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends a request to `path` (relative to the base URL) under the retry
    /// policy. Any status that is not retried is returned for the caller to
    /// judge.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&'static str, String)],
    ) -> Result<Response, RestError> {
        let url = format!("{}{}", self.base, path);
        // What errors and logs may say of the request: its path with the
        // addresses and Discord ids it carries hidden.
        let path = &super::redact(path);
        let mut own_headers: Vec<(&'static str, HeaderValue)> = Vec::new();
        if let Auth::Headers(list) = &self.auth {
            for (name, value) in list {
                let mut v = HeaderValue::from_str(value.expose()).map_err(|_| {
                    self.transport(&method, path, format!("{name} is not a valid header value"))
                })?;
                v.set_sensitive(true);
                own_headers.push((name, v));
            }
        }
        let authorization = match &self.auth {
            Auth::Basic { .. } | Auth::Headers(_) => None,
            Auth::Bot(token) => {
                let mut v =
                    HeaderValue::from_str(&format!("Bot {}", token.expose())).map_err(|_| {
                        self.transport(
                            &method,
                            path,
                            "the token is not a valid header value".into(),
                        )
                    })?;
                v.set_sensitive(true);
                Some(v)
            }
        };
        let try_once = || {
            let mut req = self.client.request(method.clone(), &url);
            req = match (&self.auth, &authorization) {
                (Auth::Basic { user, password }, _) => {
                    req.basic_auth(user, Some(password.expose()))
                }
                (Auth::Bot(_), Some(v)) => req.header(http::header::AUTHORIZATION, v.clone()),
                (Auth::Bot(_), None) | (Auth::Headers(_), _) => req,
            };
            for (k, v) in &own_headers {
                req = req.header(*k, v.clone());
            }
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            async move {
                let resp = req.send().await.map_err(|e| describe(&e))?;
                let status = resp.status();
                let headers = resp.headers().clone();
                let body = resp.bytes().await.map_err(|e| describe(&e))?;
                Ok(Answer {
                    status,
                    headers,
                    body,
                })
            }
        };
        with_retries(
            &self.policy,
            &self.gate,
            self.service,
            &method,
            path,
            try_once,
        )
        .await
        .map_err(|f| match f {
            Failure::Transport(message) => self.transport(&method, path, message),
            Failure::RateLimited(wait) => RestError::RateLimited {
                service: self.service,
                method: method.clone(),
                path: path.to_owned(),
                wait,
            },
        })
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
