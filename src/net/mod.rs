//! Network manners shared by every client: when to retry, how long to wait,
//! and how to read the rate-limit headers of GitHub and Discord.

pub mod rest;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// The body as `T`, or an error that says whose answer to what did not
    /// fit: `Discord: reading the guild's members: unexpected answer (…)`.
    pub fn decoded<T: serde::de::DeserializeOwned>(
        &self,
        service: &str,
        what: &str,
    ) -> anyhow::Result<T> {
        self.json()
            .map_err(|e| anyhow::anyhow!("{service}: {what}: unexpected answer ({e})"))
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
            Err(_) => Err(format!(
                "no answer within {}s",
                policy.timeout.as_secs_f64()
            )),
        };
        let answer = match outcome {
            Ok(a) => a,
            Err(why) if attempt + 1 < policy.attempts => {
                // A path may name an unpublished report (a public log): its id is taken out.
                tracing::debug!(service, %method, path = %crate::ids::redact_ghsa_ids(path), error = %why, "retrying after a network error");
                policy.count_retry();
                tokio::time::sleep(policy.scaled(policy.backoff(attempt))).await;
                attempt += 1;
                continue;
            }
            Err(why) => return Err(Failure::Transport(why)),
        };
        if let Some(wait) = exhausted_wait(&answer.headers) {
            // Longer than psrt waits: the next request meets the limit and
            // fails at once, rather than every request hanging at the gate.
            if wait <= policy.max_wait {
                tracing::info!(
                    service,
                    wait_s = wait.as_secs(),
                    "rate limit spent; pausing until it resets"
                );
                gate.close_for(policy.scaled(wait)).await;
            }
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
                tracing::info!(service, %method, path = %crate::ids::redact_ghsa_ids(path), status = answer.status.as_u16(), wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "waiting before retrying");
                policy.count_retry();
                tokio::time::sleep(policy.scaled(wait)).await;
                attempt += 1;
            }
            Verdict::RateLimited(wait) => return Err(Failure::RateLimited(wait)),
        }
    }
}

/// The longest wait any header can ask psrt for: a million seconds (11.6
/// days). Anything longer, or nonsense (`x-ratelimit-reset: -9223372036854775808`,
/// `Retry-After: 1000000000000`), is clamped to it, and then, being longer
/// than [`RetryPolicy::max_wait`], ends the request with a clear error.
pub const LONGEST_WAIT: Duration = Duration::from_secs(1_000_000);

/// What the retry loop did, for the soak's figures: shared by every client
/// built from one policy.
#[derive(Debug, Default)]
pub struct RetryStats {
    /// Tries after the first: after a network error, a 5xx or a rate limit.
    pub retries: AtomicU64,
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
    /// Multiplies every wait psrt sleeps (backoffs, `Retry-After`, rate-limit
    /// resets): 1 in production. The soak runs sixty nights of real-sized
    /// rate limits in seconds with a small one; decisions (wait, or give up
    /// when longer than `max_wait`) always use the unscaled wait.
    pub time_scale: f64,
    /// Where to count retries, when someone is counting.
    pub stats: Option<Arc<RetryStats>>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(30),
            time_scale: 1.0,
            stats: None,
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

    /// How long to actually sleep for a wait of `wait`.
    pub fn scaled(&self, wait: Duration) -> Duration {
        if self.time_scale >= 1.0 || !self.time_scale.is_finite() || self.time_scale < 0.0 {
            return wait;
        }
        Duration::try_from_secs_f64(wait.as_secs_f64() * self.time_scale).unwrap_or(wait)
    }

    fn count_retry(&self) {
        if let Some(stats) = &self.stats {
            stats.retries.fetch_add(1, Ordering::Relaxed);
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

/// Seconds from a header, clamped to `0..=LONGEST_WAIT`; `None` for
/// anything that is not a number (NaN, text).
fn clamped_secs(secs: f64) -> Option<Duration> {
    if secs.is_nan() {
        return None;
    }
    let secs = secs.clamp(0.0, LONGEST_WAIT.as_secs_f64());
    Some(Duration::try_from_secs_f64(secs).unwrap_or(LONGEST_WAIT))
}

/// Seconds until an epoch time, clamped to `0..=LONGEST_WAIT`, whatever
/// the header holds (`i64::MIN` included).
fn until_epoch(epoch: i64, slack: u64) -> Duration {
    let delta = epoch.saturating_sub(chrono::Utc::now().timestamp());
    let secs = u64::try_from(delta.max(0))
        .unwrap_or(0)
        .saturating_add(slack);
    Duration::from_secs(secs.min(LONGEST_WAIT.as_secs()))
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = header(headers, "retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return clamped_secs(secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(until_epoch(when.timestamp(), 0))
}

/// GitHub's `x-ratelimit-reset` (epoch seconds) or Discord's
/// `X-RateLimit-Reset-After` (seconds, fractional).
fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(after) =
        header(headers, "x-ratelimit-reset-after").and_then(|v| v.parse::<f64>().ok())
    {
        return clamped_secs(after);
    }
    let reset: i64 = header(headers, "x-ratelimit-reset")?.parse().ok()?;
    // One second of slack: the reset is rounded down.
    Some(until_epoch(reset, 1))
}

fn discord_body_retry_after(body: &[u8]) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    clamped_secs(v.get("retry_after")?.as_f64()?)
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

    #[test]
    fn extreme_rate_limit_headers_are_clamped_never_a_panic() {
        let p = RetryPolicy::fast();
        let min = i64::MIN.to_string();
        let max = i64::MAX.to_string();
        // A reset in the distant past: only the second of slack.
        let past = h(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &min)]);
        assert_eq!(
            rate_limit_wait(403, &past, b""),
            Some(Duration::from_secs(1))
        );
        assert_eq!(exhausted_wait(&past), Some(Duration::from_secs(1)));
        // In the distant future, or absurd: clamped, then too long to wait.
        let future = h(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &max)]);
        assert_eq!(rate_limit_wait(403, &future, b""), Some(LONGEST_WAIT));
        assert_eq!(
            classify(403, &future, b"", 0, &p),
            Verdict::RateLimited(LONGEST_WAIT)
        );
        for (ra, want) in [
            ("1000000000000", Some(LONGEST_WAIT)),
            ("1e400", Some(LONGEST_WAIT)),
            ("inf", Some(LONGEST_WAIT)),
            ("-5", Some(Duration::ZERO)),
            ("-inf", Some(Duration::ZERO)),
            ("NaN", None),
            ("Fri, 31 Dec 9999 23:59:59 GMT", Some(LONGEST_WAIT)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(Duration::ZERO)),
        ] {
            assert_eq!(retry_after(&h(&[("retry-after", ra)])), want, "{ra}");
        }
        assert_eq!(
            classify(429, &h(&[("retry-after", "1000000000000")]), b"", 0, &p),
            Verdict::RateLimited(LONGEST_WAIT)
        );
        assert_eq!(
            discord_body_retry_after(br#"{"retry_after": 1e300}"#),
            Some(LONGEST_WAIT)
        );
        assert_eq!(
            exhausted_wait(&h(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset-after", "1e30")
            ])),
            Some(LONGEST_WAIT)
        );
    }

    #[test]
    fn waits_are_scaled_for_the_soak_and_retries_counted() {
        let stats = Arc::new(RetryStats::default());
        let p = RetryPolicy {
            time_scale: 0.01,
            stats: Some(Arc::clone(&stats)),
            ..RetryPolicy::fast()
        };
        assert_eq!(
            p.scaled(Duration::from_secs(60)),
            Duration::from_millis(600)
        );
        assert_eq!(
            RetryPolicy::default().scaled(Duration::from_secs(60)),
            Duration::from_secs(60)
        );
        p.count_retry();
        assert_eq!(stats.retries.load(Ordering::Relaxed), 1);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Header values psrt may meet: numbers of every size and sign,
        /// dates, and printable junk.
        fn header_value() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<u64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|f| f.to_string()),
                (-1e15f64..1e15).prop_map(|f| format!("{f:e}")),
                Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
                Just("Mon, 01 Jan 0001 00:00:00 GMT".to_owned()),
                "[ -~]{0,40}",
            ]
        }

        fn opt_header() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(header_value())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn any_rate_limit_headers_give_a_bounded_verdict(
                status in prop::sample::select(vec![200u16, 201, 204, 400, 403, 404, 429, 500, 501, 502, 503, 504]),
                retry in opt_header(),
                remaining in prop_oneof![Just(Some("0".to_owned())), opt_header()],
                reset in opt_header(),
                reset_after in opt_header(),
                body_retry in proptest::option::of(prop_oneof![any::<f64>().prop_map(|f| f.to_string()), header_value()]),
                secondary in any::<bool>(),
                attempt in 0u32..8,
            ) {
                let mut m = HeaderMap::new();
                for (k, v) in [("retry-after", &retry), ("x-ratelimit-remaining", &remaining), ("x-ratelimit-reset", &reset), ("x-ratelimit-reset-after", &reset_after)] {
                    if let Some(v) = v.as_deref().and_then(|v| http::HeaderValue::from_str(v).ok()) {
                        m.insert(k, v);
                    }
                }
                let body = match (&body_retry, secondary) {
                    (Some(r), _) => format!(r#"{{"retry_after": {r}}}"#),
                    (None, true) => r#"{"message":"You have exceeded a secondary rate limit"}"#.to_owned(),
                    (None, false) => String::new(),
                };
                let p = RetryPolicy::default();
                let in_bounds = |d: Duration| d <= LONGEST_WAIT + Duration::from_secs(1);
                if let Some(w) = rate_limit_wait(status, &m, body.as_bytes()) {
                    prop_assert!(in_bounds(w), "{w:?}");
                }
                if let Some(w) = exhausted_wait(&m) {
                    prop_assert!(in_bounds(w), "{w:?}");
                }
                match classify(status, &m, body.as_bytes(), attempt, &p) {
                    Verdict::RetryAfter(w) => prop_assert!(w <= p.max_wait.max(p.max_backoff * 2), "{w:?}"),
                    Verdict::RateLimited(w) => prop_assert!(in_bounds(w)),
                    Verdict::Done => {}
                }
            }
        }
    }
}
