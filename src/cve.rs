//! CVE Services, the CNA's side of the CVE Program: psrt reserves one CVE id
//! at a time for a draft advisory (`POST /cve-id?amount=1&batch_type=nonsequential&cve_year=YYYY&short_name=ORG`,
//! authenticated by the `CVE-API-ORG`, `CVE-API-USER` and `CVE-API-KEY`
//! headers). The org is `cve.org` in the roster; the account is
//! `PSRT_CVE_API_USER` and `PSRT_CVE_API_KEY` (a [`Secret`]).
//!
//! A reservation is never retried within a run: a 500 or a timeout after
//! CVE Services reserved would reserve a second id for the same report. The
//! caller records each reserved id in the ledger before using it, so that an
//! id is reserved once per report whatever fails afterwards.
//!
//! An answer can be lost after CVE Services reserved (a timeout, a
//! connection cut, a body cut short: [`CveError::answer_lost`]). The caller
//! marks the reservation as pending in the ledger before asking, and the
//! next run asks [`CveServices::reserved_since`] (`GET /cve-id`, the org's
//! ids in state `RESERVED`, reserved by psrt's account since then) for the
//! id instead of reserving another.

use http::Method;
use serde::Deserialize;

use crate::config::CveEnv;
use crate::net::RetryPolicy;
use crate::net::rest::{Auth, Rest, RestError};

#[derive(Debug, thiserror::Error)]
pub enum CveError {
    #[error(
        "CVE Services refused the credentials ({status} {reason}): check PSRT_CVE_API_USER, PSRT_CVE_API_KEY and cve.org"
    )]
    Unauthorized { status: u16, reason: String },
    #[error("CVE Services refused the reservation: {status} {reason}")]
    Refused { status: u16, reason: String },
    #[error(
        "CVE Services answered {status} {reason}; no id was reserved (psrt does not retry a reservation; the next run tries again)"
    )]
    Unavailable { status: u16, reason: String },
    #[error("{0}")]
    Network(#[from] RestError),
    #[error("CVE Services: unexpected answer to a reservation: {0}")]
    Decode(String),
}

pub struct CveServices {
    rest: Rest,
    org: String,
    user: String,
}

#[derive(Deserialize)]
struct Listed {
    #[serde(default)]
    cve_ids: Vec<ListedId>,
    #[serde(default, rename = "nextPage")]
    next_page: Option<u32>,
}

#[derive(Deserialize)]
struct ListedId {
    cve_id: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    requested_by: Option<RequestedBy>,
}

#[derive(Deserialize)]
struct RequestedBy {
    #[serde(default)]
    user: Option<String>,
}

/// Pages `reserved_since` reads at most (CVE Services gives 500 ids a page).
const MAX_PAGES: u32 = 20;

#[derive(Deserialize)]
struct Reserved {
    cve_ids: Vec<ReservedId>,
}

#[derive(Deserialize)]
struct ReservedId {
    cve_id: String,
    #[serde(default)]
    state: Option<String>,
}

/// `Ok` for a 200; otherwise the error its status means.
fn answered_ok(resp: &crate::net::rest::Response) -> Result<(), CveError> {
    let status = resp.status.as_u16();
    let reason = || resp.reason();
    match status {
        200 => Ok(()),
        401 | 403 => Err(CveError::Unauthorized {
            status,
            reason: reason(),
        }),
        500..=599 => Err(CveError::Unavailable {
            status,
            reason: reason(),
        }),
        _ => Err(CveError::Refused {
            status,
            reason: reason(),
        }),
    }
}

impl CveServices {
    /// A client for the CNA `org` (its short name, e.g. `PSF`).
    pub fn new(env: &CveEnv, org: &str, retry: &RetryPolicy) -> anyhow::Result<Self> {
        let policy = RetryPolicy {
            attempts: 1,
            ..retry.clone()
        };
        let auth = Auth::Headers(vec![
            ("CVE-API-ORG", crate::secret::Secret::new(org)),
            ("CVE-API-USER", crate::secret::Secret::new(env.user.clone())),
            ("CVE-API-KEY", env.key.clone()),
        ]);
        Ok(Self {
            rest: Rest::new("CVE Services", &env.api_url, auth, policy)?,
            org: org.to_owned(),
            user: env.user.clone(),
        })
    }

    /// The org's ids in state `RESERVED` that psrt's account reserved after
    /// `since` (`GET /cve-id?state=RESERVED&time_reserved.gt=…`, every page).
    pub async fn reserved_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, CveError> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("state", "RESERVED")
                .append_pair(
                    "time_reserved.gt",
                    &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
                .append_pair("page", &page.to_string())
                .finish();
            let resp = self
                .rest
                .send(Method::GET, &format!("/cve-id?{query}"), None, &[])
                .await?;
            answered_ok(&resp)?;
            let listed: Listed = resp.json().map_err(|e| CveError::Decode(e.to_string()))?;
            out.extend(
                listed
                    .cve_ids
                    .into_iter()
                    .filter(|i| is_cve_id(&i.cve_id))
                    .filter(|i| i.state.as_deref().is_none_or(|s| s == "RESERVED"))
                    .filter(|i| {
                        i.requested_by
                            .as_ref()
                            .and_then(|r| r.user.as_deref())
                            .is_some_and(|u| u.eq_ignore_ascii_case(&self.user))
                    })
                    .map(|i| i.cve_id),
            );
            match listed.next_page {
                Some(next) if next > page && next <= MAX_PAGES => page = next,
                Some(_) => {
                    return Err(CveError::Decode(format!(
                        "more than {MAX_PAGES} pages of reserved ids"
                    )));
                }
                None => return Ok(out),
            }
        }
    }

    /// The org's quota (`GET /org/{short_name}/id_quota`): how many ids it
    /// may still reserve, of how many. A read: what `psrt audit
    /// --credentials` verifies.
    pub async fn quota(&self) -> Result<(u64, u64), CveError> {
        #[derive(Deserialize)]
        struct Quota {
            id_quota: u64,
            #[serde(default)]
            available: Option<u64>,
            #[serde(default)]
            total_reserved: Option<u64>,
        }
        let path = format!(
            "/org/{}/id_quota",
            url::form_urlencoded::byte_serialize(self.org.as_bytes()).collect::<String>()
        );
        let resp = self.rest.send(Method::GET, &path, None, &[]).await?;
        answered_ok(&resp)?;
        let q: Quota = resp.json().map_err(|e| CveError::Decode(e.to_string()))?;
        let available = q
            .available
            .unwrap_or_else(|| q.id_quota.saturating_sub(q.total_reserved.unwrap_or(0)));
        Ok((available, q.id_quota))
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.rest.requests()
    }

    /// Reserves one CVE id of `year` for the org; returns it (`CVE-YYYY-NNNN`).
    pub async fn reserve(&self, year: i32) -> Result<String, CveError> {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("amount", "1")
            .append_pair("batch_type", "nonsequential")
            .append_pair("cve_year", &year.to_string())
            .append_pair("short_name", &self.org)
            .finish();
        let path = format!("/cve-id?{query}");
        let resp = self.rest.send(Method::POST, &path, None, &[]).await?;
        answered_ok(&resp)?;
        let reserved: Reserved = resp.json().map_err(|e| CveError::Decode(e.to_string()))?;
        match reserved.cve_ids.as_slice() {
            [one] if is_cve_id(&one.cve_id) => {
                if one.state.as_deref().is_some_and(|s| s != "RESERVED") {
                    return Err(CveError::Decode(format!(
                        "the id is in state {}, not RESERVED",
                        one.state.as_deref().unwrap_or("")
                    )));
                }
                Ok(one.cve_id.clone())
            }
            other => Err(CveError::Decode(format!(
                "{} ids where one was asked for",
                other.len()
            ))),
        }
    }
}

impl CveError {
    /// No answer arrived (a timeout, a reset, a body cut short or
    /// unreadable): CVE Services may have acted on the request.
    pub fn answer_lost(&self) -> bool {
        matches!(
            self,
            CveError::Network(RestError::Transport { .. }) | CveError::Decode(_)
        )
    }
}

/// `CVE-YYYY-NNNN…`
pub fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && number.len() >= 4
        && year
            .bytes()
            .chain(number.bytes())
            .all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids() {
        assert!(is_cve_id("CVE-2026-12345"));
        assert!(is_cve_id("CVE-2026-0001"));
        for bad in [
            "CVE-26-0001",
            "CVE-2026-001",
            "cve-2026-0001",
            "CVE-2026-00a1",
            "",
        ] {
            assert!(!is_cve_id(bad), "{bad}");
        }
    }
}
