//! A stateful stand-in for CVE Services' id reservation (`POST /cve-id`),
//! checked against CVE Services' own OpenAPI description through Prism. It
//! enforces what the real service does for a CNA: the three `CVE-API-*`
//! headers (401 otherwise), the org they name (a CNA reserves for itself
//! only: 403), the required query parameters (400), and the org's quota
//! (403 once spent); it hands out random (non-sequential) ids in state
//! `RESERVED`, and remembers each one.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Datelike, Utc};
use http::{HeaderMap, Method, Uri};
use serde_json::json;

use super::{Fake, Running, json, query_pairs};

/// One reserved id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeCveId {
    pub cve_id: String,
    pub year: i32,
    pub state: String,
    pub reserved: DateTime<Utc>,
    pub user: String,
}

#[derive(Debug, Default)]
pub struct CveState {
    /// The CNA's short name, its user and API key.
    pub org: String,
    pub user: String,
    pub key: String,
    /// Ids the org may still reserve.
    pub quota: u64,
    pub ids: Vec<FakeCveId>,
    next: u64,
}

pub type CveFake = Fake<CveState>;

impl Fake<CveState> {
    pub fn new(org: &str, user: &str, key: &str) -> Self {
        Fake::from_state(CveState {
            org: org.to_owned(),
            user: user.to_owned(),
            key: key.to_owned(),
            quota: 1000,
            ids: Vec::new(),
            next: 0,
        })
    }

    pub async fn start(&self) -> std::io::Result<Running> {
        self.serve_with(handle).await
    }

    /// Every id reserved so far, in order.
    pub fn reserved(&self) -> Vec<String> {
        self.with(|s| s.ids.iter().map(|i| i.cve_id.clone()).collect())
    }
}

fn error(status: u16, name: &str, message: &str) -> Response {
    json(status, json!({ "error": name, "message": message }))
}

async fn handle(
    State(fake): State<CveFake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    // The real API lives under `/api`; the tests' base URL may or may not carry it.
    if method != Method::POST || !uri.path().ends_with("/cve-id") {
        return error(404, "NOT_FOUND", "Not found");
    }
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (org, user, key) = (
        header("CVE-API-ORG"),
        header("CVE-API-USER"),
        header("CVE-API-KEY"),
    );
    let query = query_pairs(uri.query());
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    fake.with(|s| {
        if org.is_empty() || user.is_empty() || key.is_empty() {
            return error(401, "UNAUTHORIZED", "Unauthorized");
        }
        if !org.eq_ignore_ascii_case(&s.org) || user != s.user || key != s.key {
            return error(401, "UNAUTHORIZED", "Unauthorized");
        }
        let (Some(amount), Some(year), Some(short_name)) =
            (q("amount"), q("cve_year"), q("short_name"))
        else {
            return error(
                400,
                "BAD_INPUT",
                "amount, cve_year and short_name are required",
            );
        };
        let Ok(amount) = amount.parse::<u64>() else {
            return error(400, "BAD_INPUT", "amount must be a number");
        };
        let this_year = Utc::now().year();
        let Some(year) = year
            .parse::<i32>()
            .ok()
            .filter(|y| (1999..=this_year + 1).contains(y))
        else {
            return error(
                400,
                "BAD_INPUT",
                "cve_year must be between 1999 and next year",
            );
        };
        if amount == 0 || (amount > 1 && q("batch_type").is_none()) {
            return error(
                400,
                "BAD_INPUT",
                "batch_type is required when amount is greater than one",
            );
        }
        if !short_name.eq_ignore_ascii_case(&s.org) {
            return error(
                403,
                "SECRETARIAT_ONLY",
                "a CNA reserves ids for itself only",
            );
        }
        if amount > s.quota {
            return error(
                403,
                "EXCEEDED_ID_QUOTA",
                "The amount of CVE IDs requested exceed the remaining quota",
            );
        }
        let now = Utc::now();
        let mut out = Vec::new();
        for _ in 0..amount {
            s.next += 1;
            // Non-sequential: a spread of numbers, never repeated.
            let number = 10_000 + (s.next * 7919) % 90_000;
            let id = FakeCveId {
                cve_id: format!("CVE-{year}-{number}"),
                year,
                state: "RESERVED".to_owned(),
                reserved: now,
                user: user.to_owned(),
            };
            out.push(json!({
                "cve_id": id.cve_id,
                "cve_year": year.to_string(),
                "owning_cna": s.org,
                "state": id.state,
                "requested_by": { "cna": s.org, "user": user },
                "reserved": now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            }));
            s.ids.push(id);
            s.quota -= 1;
        }
        json(
            200,
            json!({ "cve_ids": out, "meta": { "remaining_quota": s.quota } }),
        )
    })
}
