//! Network manners shared by every client: when to retry, how long to wait,
//! and how to read the rate-limit headers of GitHub and Discord.

pub mod rest;

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// An HTTP answer, whatever client fetched it.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
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

/// Why a request got no usable answer.
#[derive(Debug)]
pub enum Failure {
    /// No answer: network trouble or the deadline, described without the URL.
    Transport(String),
    /// Rate limited for longer than the policy waits.
    RateLimited(Duration),
}

/// When a client may send again: set when a rate-limit budget is spent.
#[derive(Debug)]
pub struct Gate(Mutex<Instant>);

impl Default for Gate {
    fn default() -> Self {
        Self(Mutex::new(Instant::now()))
    }
}

impl Gate {
    async fn wait(&self) {
        let until = *self.0.lock().await;
        if until > Instant::now() {
            tokio::time::sleep_until(until).await;
        }
    }
    async fn close_for(&self, wait: Duration) {
        *self.0.lock().await = Instant::now() + wait;
    }
}

/// Sends one request under the policy, whichever client makes it: waits at
/// the gate, gives each try a deadline, retries network errors and 5xx with
/// backoff, waits out `Retry-After` and rate limits, and closes the gate when
/// the budget is spent. `try_once` makes one try and describes a transport
/// failure without the URL (which could carry credentials).
pub async fn with_retries<F, Fut>(
    policy: &RetryPolicy,
    gate: &Gate,
    service: &str,
    method: &Method,
    path: &str,
    mut try_once: F,
) -> Result<Answer, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Answer, String>>,
{
    let mut attempt = 0;
    loop {
        gate.wait().await;
        let outcome = match tokio::time::timeout(policy.timeout, try_once()).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {}s", policy.timeout.as_secs())),
        };
        let answer = match outcome {
            Ok(a) => a,
            Err(why) if attempt + 1 < policy.attempts => {
                tracing::debug!(service, %method, path, error = %why, "retrying after a network error");
                tokio::time::sleep(policy.backoff(attempt)).await;
                attempt += 1;
                continue;
            }
            Err(why) => return Err(Failure::Transport(why)),
        };
        if let Some(wait) = exhausted_wait(&answer.headers) {
            tracing::info!(
                service,
                wait_s = wait.as_secs(),
                "rate limit spent; pausing until it resets"
            );
            gate.close_for(wait.min(policy.max_wait)).await;
        }
        match classify(
            answer.status.as_u16(),
            &answer.headers,
            &answer.body,
            attempt,
            policy,
        ) {
            Verdict::Done => return Ok(answer),
            Verdict::RetryAfter(wait) => {
                tracing::info!(service, %method, path, status = answer.status.as_u16(), wait_ms = wait.as_millis() as u64, "waiting before retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Verdict::RateLimited(wait) => return Err(Failure::RateLimited(wait)),
        }
    }
}

/// How hard to try.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// First backoff after a 5xx or a network error; doubles each time.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest psrt waits for a rate limit to reset before giving up.
    pub max_wait: Duration,
    /// Every request's deadline.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Quick retries for tests and the demo.
    pub fn fast() -> Self {
        Self {
            base_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_wait: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            ..Self::default()
        }
    }

    /// The backoff before attempt `attempt + 1` (0-based), with jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_backoff.saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.max_backoff);
        // Up to +25% jitter so that concurrent clients do not retry in step.
        let jitter_ms = (capped.as_millis() as u64 / 4).max(1);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64);
        capped + Duration::from_millis(nanos % jitter_ms)
    }
}

/// What to do with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Use it (success, or an error to report).
    Done,
    /// Try again after this long.
    RetryAfter(Duration),
    /// Rate limited for longer than the policy allows.
    RateLimited(Duration),
}

/// Decides whether a response should be retried. `attempt` is 0-based.
pub fn classify(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    attempt: u32,
    policy: &RetryPolicy,
) -> Verdict {
    let last = attempt + 1 >= policy.attempts;
    let rate_wait = rate_limit_wait(status, headers, body);
    if let Some(wait) = rate_wait {
        if wait > policy.max_wait {
            return Verdict::RateLimited(wait);
        }
        return if last {
            Verdict::RateLimited(wait)
        } else {
            Verdict::RetryAfter(wait)
        };
    }
    if (500..600).contains(&status) && status != 501 && !last {
        return Verdict::RetryAfter(policy.backoff(attempt));
    }
    Verdict::Done
}

/// How long a rate-limited response asks us to wait, if it is one.
///
/// - `429`: `Retry-After`, or Discord's `retry_after` in the body, or the reset headers.
/// - `403` with `x-ratelimit-remaining: 0`: GitHub's primary limit, until `x-ratelimit-reset`.
/// - `403` with `Retry-After`, or a "secondary rate limit" message: GitHub's
///   secondary limit (at least a minute when it does not say).
pub fn rate_limit_wait(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Duration> {
    match status {
        429 => Some(
            retry_after(headers)
                .or_else(|| discord_body_retry_after(body))
                .or_else(|| reset_wait(headers))
                .unwrap_or(Duration::from_secs(1)),
        ),
        403 => {
            if header(headers, "x-ratelimit-remaining") == Some("0") {
                Some(reset_wait(headers).unwrap_or(Duration::from_secs(60)))
            } else if let Some(wait) = retry_after(headers) {
                Some(wait)
            } else if String::from_utf8_lossy(body)
                .to_ascii_lowercase()
                .contains("secondary rate limit")
            {
                Some(Duration::from_secs(60))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// After a successful response: wait this long before the next request,
/// because the budget is spent (`x-ratelimit-remaining: 0`).
pub fn exhausted_wait(headers: &HeaderMap) -> Option<Duration> {
    let spent = header(headers, "x-ratelimit-remaining") == Some("0");
    spent.then(|| reset_wait(headers).unwrap_or(Duration::from_secs(1)))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = header(headers, "retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e6)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(delta.max(0) as u64))
}

/// GitHub's `x-ratelimit-reset` (epoch seconds) or Discord's
/// `X-RateLimit-Reset-After` (seconds, fractional).
fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(after) =
        header(headers, "x-ratelimit-reset-after").and_then(|v| v.parse::<f64>().ok())
    {
        return (after.is_finite() && after >= 0.0)
            .then(|| Duration::from_secs_f64(after.min(1e6)));
    }
    let reset: i64 = header(headers, "x-ratelimit-reset")?.parse().ok()?;
    let now = chrono::Utc::now().timestamp();
    // One second of slack: the reset is rounded down.
    Some(Duration::from_secs((reset - now).max(0) as u64 + 1))
}

fn discord_body_retry_after(body: &[u8]) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let secs = v.get("retry_after")?.as_f64()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e6)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn server_errors_back_off_then_stop() {
        let p = RetryPolicy::fast();
        assert!(matches!(
            classify(502, &h(&[]), b"", 0, &p),
            Verdict::RetryAfter(_)
        ));
        assert!(matches!(
            classify(500, &h(&[]), b"", 2, &p),
            Verdict::RetryAfter(_)
        ));
        assert_eq!(classify(500, &h(&[]), b"", 3, &p), Verdict::Done);
        assert_eq!(classify(404, &h(&[]), b"", 0, &p), Verdict::Done);
        assert_eq!(classify(200, &h(&[]), b"", 0, &p), Verdict::Done);
    }

    #[test]
    fn retry_after_is_honoured() {
        let p = RetryPolicy::fast();
        assert_eq!(
            classify(429, &h(&[("retry-after", "2")]), b"", 0, &p),
            Verdict::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            classify(403, &h(&[("retry-after", "3")]), b"", 0, &p),
            Verdict::RetryAfter(Duration::from_secs(3))
        );
        // longer than the policy allows: give up with the wait named
        assert_eq!(
            classify(429, &h(&[("retry-after", "60")]), b"", 0, &p),
            Verdict::RateLimited(Duration::from_secs(60))
        );
    }

    #[test]
    fn github_primary_and_secondary_limits() {
        let p = RetryPolicy {
            max_wait: Duration::from_secs(120),
            ..RetryPolicy::fast()
        };
        let reset = (chrono::Utc::now().timestamp() + 10).to_string();
        let v = classify(
            403,
            &h(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset),
            ]),
            b"",
            0,
            &p,
        );
        assert!(
            matches!(v, Verdict::RetryAfter(d) if d >= Duration::from_secs(9) && d <= Duration::from_secs(12)),
            "{v:?}"
        );
        let v = classify(
            403,
            &h(&[]),
            br#"{"message":"You have exceeded a secondary rate limit."}"#,
            0,
            &p,
        );
        assert_eq!(v, Verdict::RetryAfter(Duration::from_secs(60)));
        // a plain 403 is a permission problem, not a limit
        assert_eq!(
            classify(
                403,
                &h(&[]),
                br#"{"message":"Must have admin rights"}"#,
                0,
                &p
            ),
            Verdict::Done
        );
    }

    #[test]
    fn discord_limits() {
        let p = RetryPolicy::fast();
        let v = classify(
            429,
            &h(&[]),
            br#"{"message":"You are being rate limited.","retry_after":0.25,"global":false}"#,
            0,
            &p,
        );
        assert_eq!(v, Verdict::RetryAfter(Duration::from_millis(250)));
        assert_eq!(
            exhausted_wait(&h(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset-after", "1.5")
            ])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(exhausted_wait(&h(&[("x-ratelimit-remaining", "3")])), None);
    }
}
