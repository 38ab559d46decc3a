//! Random faults on a share of a fake's requests, from a seed: the weather
//! the soak test puts psrt through. Each fault is one a real service or the
//! network between gives: server errors, rate limits in each of GitHub's and
//! Discord's dialects, a connection that closes before the answer, an answer
//! that never comes before the client's deadline, a body cut short.
//!
//! Whether a request is hit, and how, depends only on the seed, the request
//! (method, path and query) and how many times that same request came
//! before: not on the order in which concurrent requests arrive. The same
//! seed gives the same faults to the same requests, so a failing soak can be
//! replayed.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// `500 Internal Server Error`; the request is not applied.
    Status500,
    /// `502 Bad Gateway`; not applied.
    Status502,
    /// `503 Service Unavailable`; not applied.
    Status503,
    /// `429` with `Retry-After: N`.
    TooManyRequestsRetryAfter,
    /// `429` without `Retry-After` (the reset time in `x-ratelimit-reset`).
    TooManyRequestsReset,
    /// GitHub's primary limit: `403`, `x-ratelimit-remaining: 0` and the reset time.
    PrimaryRateLimit,
    /// GitHub's secondary limit: `403` with `Retry-After: N`.
    SecondaryRateLimitRetryAfter,
    /// GitHub's secondary limit without `Retry-After` (psrt waits a minute).
    SecondaryRateLimit,
    /// The connection closes before a complete answer; not applied.
    Reset,
    /// No answer before the client's deadline; the request is applied late,
    /// after the client gave up on it (as a slow server does).
    Stall,
    /// The request is applied, but the answer's body is cut short.
    Truncated,
}

impl FaultKind {
    pub const ALL: [FaultKind; 11] = [
        FaultKind::Status500,
        FaultKind::Status502,
        FaultKind::Status503,
        FaultKind::TooManyRequestsRetryAfter,
        FaultKind::TooManyRequestsReset,
        FaultKind::PrimaryRateLimit,
        FaultKind::SecondaryRateLimitRetryAfter,
        FaultKind::SecondaryRateLimit,
        FaultKind::Reset,
        FaultKind::Stall,
        FaultKind::Truncated,
    ];

    /// The faults a service without GitHub's rate-limit dialect gives (CVE
    /// Services: server errors, `429`s, the network's faults).
    pub const PLAIN: [FaultKind; 8] = [
        FaultKind::Status500,
        FaultKind::Status502,
        FaultKind::Status503,
        FaultKind::TooManyRequestsRetryAfter,
        FaultKind::TooManyRequestsReset,
        FaultKind::Reset,
        FaultKind::Stall,
        FaultKind::Truncated,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            FaultKind::Status500 => "500",
            FaultKind::Status502 => "502",
            FaultKind::Status503 => "503",
            FaultKind::TooManyRequestsRetryAfter => "429 with Retry-After",
            FaultKind::TooManyRequestsReset => "429 without Retry-After",
            FaultKind::PrimaryRateLimit => "403 primary rate limit",
            FaultKind::SecondaryRateLimitRetryAfter => "403 secondary limit with Retry-After",
            FaultKind::SecondaryRateLimit => "403 secondary limit without Retry-After",
            FaultKind::Reset => "connection reset",
            FaultKind::Stall => "stall past the timeout",
            FaultKind::Truncated => "truncated body",
        }
    }
}

/// What the middleware does with one request.
#[derive(Debug, Clone)]
pub enum Weather {
    /// Answer with this instead of running the handler.
    Refuse {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection without an answer.
    Reset,
    /// Wait this long, then run the handler.
    Stall(Duration),
    /// Run the handler, then cut its body short.
    Truncate,
}

/// Faults on a share of requests, seeded.
#[derive(Debug, Clone)]
pub struct Chaos {
    /// The share of requests hit, 0 to 1.
    pub rate: f64,
    /// The kinds to choose from (uniformly).
    pub kinds: Vec<FaultKind>,
    /// How long a stall lasts: longer than the client's timeout.
    pub stall: Duration,
    /// The longest `Retry-After` or reset the rate limits announce, seconds.
    pub max_wait_secs: u64,
    /// Off while a referee reads the state.
    pub enabled: bool,
    seed: u64,
    /// How many times each request has been seen.
    seen: BTreeMap<String, u64>,
    /// Faults injected so far, by kind.
    pub injected: BTreeMap<FaultKind, u64>,
}

/// FNV-1a: a hash that stays the same across Rust versions and runs.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Chaos {
    pub fn new(seed: u64, rate: f64) -> Self {
        Self {
            rate,
            kinds: FaultKind::ALL.to_vec(),
            stall: Duration::from_millis(500),
            max_wait_secs: 30,
            enabled: true,
            seed,
            seen: BTreeMap::new(),
            injected: BTreeMap::new(),
        }
    }

    pub fn total(&self) -> u64 {
        self.injected.values().sum()
    }

    /// The weather for this request (`GET /path?query`), if it is hit.
    pub fn weather(&mut self, request: &str) -> Option<(FaultKind, Weather)> {
        if !self.enabled || self.kinds.is_empty() {
            return None;
        }
        let seen = self.seen.entry(request.to_owned()).or_insert(0);
        *seen += 1;
        let mut rng = ChaCha8Rng::seed_from_u64(fnv1a(&[
            &self.seed.to_le_bytes(),
            request.as_bytes(),
            &seen.to_le_bytes(),
        ]));
        if !rng.gen_bool(self.rate.clamp(0.0, 1.0)) {
            return None;
        }
        let kind = self.kinds[rng.gen_range(0..self.kinds.len())];
        let wait = rng.gen_range(1..=self.max_wait_secs.max(1));
        let reset_at = (chrono::Utc::now().timestamp() + wait as i64).to_string();
        let refuse = |status: u16, headers: Vec<(&str, String)>, body: &str| Weather::Refuse {
            status,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            body: body.to_owned(),
        };
        let weather = match kind {
            FaultKind::Status500 => refuse(500, vec![], r#"{"message":"Server Error"}"#),
            FaultKind::Status502 => refuse(502, vec![], "<html>Bad Gateway</html>"),
            FaultKind::Status503 => refuse(503, vec![], r#"{"message":"Service Unavailable"}"#),
            FaultKind::TooManyRequestsRetryAfter => refuse(
                429,
                vec![("retry-after", wait.to_string())],
                r#"{"message":"Too Many Requests"}"#,
            ),
            FaultKind::TooManyRequestsReset => refuse(
                429,
                vec![
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", reset_at),
                ],
                r#"{"message":"Too Many Requests"}"#,
            ),
            FaultKind::PrimaryRateLimit => refuse(
                403,
                vec![
                    ("x-ratelimit-limit", "5000".into()),
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", reset_at),
                ],
                r#"{"message":"API rate limit exceeded for installation."}"#,
            ),
            FaultKind::SecondaryRateLimitRetryAfter => refuse(
                403,
                vec![("retry-after", wait.to_string())],
                r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#,
            ),
            FaultKind::SecondaryRateLimit => refuse(
                403,
                vec![],
                r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#,
            ),
            FaultKind::Reset => Weather::Reset,
            FaultKind::Stall => Weather::Stall(self.stall),
            FaultKind::Truncated => Weather::Truncate,
        };
        *self.injected.entry(kind).or_default() += 1;
        Some((kind, weather))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_weather() {
        let run = |seed| {
            let mut c = Chaos::new(seed, 0.15);
            (0..2000)
                .map(|i| c.weather(&format!("GET /x?page={}", i % 7)).map(|(k, _)| k))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().flatten().count();
        assert!((200..400).contains(&hits), "{hits} of 2000 at 15%");
        let kinds: std::collections::BTreeSet<_> = run(7).into_iter().flatten().collect();
        assert_eq!(kinds.len(), FaultKind::ALL.len(), "every kind occurs");
        // The order of other requests does not matter.
        let mut a = Chaos::new(3, 0.5);
        let mut b = Chaos::new(3, 0.5);
        let _ = b.weather("GET /other");
        let pick = |c: &mut Chaos| c.weather("GET /x").map(|(k, _)| k);
        assert_eq!(pick(&mut a), pick(&mut b));
    }
}
