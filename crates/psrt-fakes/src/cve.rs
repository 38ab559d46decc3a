//! A stateful stand-in for CVE Services' id reservation (`POST /cve-id`),
//! checked against CVE Services' own OpenAPI description through Prism. It
//! enforces what the real service does for a CNA: the three `CVE-API-*`
//! headers (401 otherwise), the org they name (a CNA reserves for itself
//! only: 403), the required query parameters (400), and the org's quota
//! (403 once spent); it hands out random (non-sequential) ids in state
//! `RESERVED`, and remembers each one. `GET /cve-id` lists the org's ids
//! (filtered by state and reservation time, paged).

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
    /// Ids per page of `GET /cve-id` (CVE Services: 500).
    pub page_size: usize,
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
            page_size: 500,
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
    if !uri.path().ends_with("/cve-id") || !(method == Method::POST || method == Method::GET) {
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
        if method == Method::GET {
            return list(s, &query);
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
            let mut v = id_json(&s.org, &id);
            if let Some(o) = v.as_object_mut() {
                o.remove("time"); // not in a reservation's answer
            }
            out.push(v);
            s.ids.push(id);
            s.quota -= 1;
        }
        json(
            200,
            json!({ "cve_ids": out, "meta": { "remaining_quota": s.quota } }),
        )
    })
}

fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn id_json(org: &str, id: &FakeCveId) -> serde_json::Value {
    json!({
        "cve_id": id.cve_id,
        "cve_year": id.year.to_string(),
        "owning_cna": org,
        "state": id.state,
        "requested_by": { "cna": org, "user": id.user },
        "reserved": ts(&id.reserved),
        "time": { "created": ts(&id.reserved), "modified": ts(&id.reserved) },
    })
}

/// `GET /cve-id`: the org's ids, filtered by `state`, `cve_id_year` and
/// `time_reserved.gt`/`.lt`, `page_size` a page.
fn list(s: &CveState, query: &[(String, String)]) -> Response {
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let time = |k: &str| -> Result<Option<DateTime<Utc>>, String> {
        match q(k) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| format!("{k} must be a date-time")),
        }
    };
    let (gt, lt) = match (time("time_reserved.gt"), time("time_reserved.lt")) {
        (Ok(gt), Ok(lt)) => (gt, lt),
        (Err(e), _) | (_, Err(e)) => return error(400, "BAD_INPUT", &e),
    };
    let Some(page) = q("page").map_or(Some(1), |p| p.parse::<usize>().ok().filter(|p| *p >= 1))
    else {
        return error(400, "BAD_INPUT", "page must be a positive number");
    };
    let matching: Vec<&FakeCveId> = s
        .ids
        .iter()
        .filter(|i| q("state").is_none_or(|st| st == i.state))
        .filter(|i| q("cve_id_year").is_none_or(|y| y == i.year.to_string()))
        .filter(|i| gt.is_none_or(|t| i.reserved > t))
        .filter(|i| lt.is_none_or(|t| i.reserved < t))
        .collect();
    let size = s.page_size.max(1);
    let pages = matching.len().div_ceil(size).max(1);
    let items: Vec<serde_json::Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|i| id_json(&s.org, i))
        .collect();
    let mut body = json!({
        "totalCount": matching.len(),
        "itemsPerPage": size,
        "pageCount": pages,
        "currentPage": page,
        "cve_ids": items,
    });
    if page > 1 {
        body["prevPage"] = json!(page - 1);
    }
    if page < pages {
        body["nextPage"] = json!(page + 1);
    }
    json(200, body)
}
