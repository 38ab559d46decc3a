//! What psrt has already done for each report, so that each message goes out
//! once and a reserved CVE id is never lost.
//!
//! A JSON file (default `.psrt/ledger.json`, never committed; the workflows
//! carry it between runs in an Actions cache, which any pull request of a
//! public repository can restore). So it holds **no person**: no login, name
//! or address, nor a hash of one (a hash of a login is reversed by hashing
//! the roster). Per report (GHSA id) it keeps:
//!
//! - `sent`: message key → when it was sent. Keys are a kind and, for
//!   warnings and overdue notices, a threshold: `warn-30`, `overdue-7`,
//!   `unassigned`, `reassign`;
//! - `cve_reserved`: a CVE id reserved from the CNA for the report, kept
//!   until the advisory carries it (PRODUCT.md allows exactly this);
//! - `cve_pending`: when a reservation was asked for whose answer never
//!   arrived, until the next run finds the id in CVE Services (or finds that
//!   none was reserved).
//!
//! ```json
//! {
//!   "version": 2,
//!   "reports": {
//!     "GHSA-xxxx-xxxx-xxxx": {
//!       "sent": { "warn-30": "2026-11-01T03:17:00Z" },
//!       "cve_reserved": { "id": "CVE-2026-12345", "at": "2026-11-02T10:00:00Z" }
//!     }
//!   }
//! }
//! ```
//!
//! Version 1 (`{"version":1,"sent":{GHSA:{key:time}}}`) is read and
//! upgraded: its `reassign-<login>` keys become `reassign`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const DEFAULT_PATH: &str = ".psrt/ledger.json";
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub version: u32,
    /// GHSA id → what was done for it.
    #[serde(default)]
    pub reports: BTreeMap<String, ReportRecord>,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            version: VERSION,
            reports: BTreeMap::new(),
        }
    }
}

/// What psrt did for one report. Never who it concerns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRecord {
    /// Message key (kind and threshold) → when it was sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sent: BTreeMap<String, DateTime<Utc>>,
    /// A CVE id reserved for the report and not yet on the advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve_reserved: Option<CveReservation>,
    /// A reservation asked for at this time whose answer never arrived (a
    /// timeout, a cut connection): CVE Services may have reserved an id. The
    /// next run looks for it there before it reserves any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve_pending: Option<DateTime<Utc>>,
}

impl ReportRecord {
    fn is_empty(&self) -> bool {
        self.sent.is_empty() && self.cve_reserved.is_none() && self.cve_pending.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CveReservation {
    pub id: String,
    pub at: DateTime<Utc>,
}

/// The first format, read only to upgrade it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1 {
    #[allow(dead_code)]
    version: u32,
    #[serde(default)]
    sent: BTreeMap<String, BTreeMap<String, DateTime<Utc>>>,
}

/// Why a ledger file cannot be used. Each names the file and the way out.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot read the ledger {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the ledger {path} is corrupt or truncated ({reason}); nothing was sent. Restore it (the previous Actions cache), or start afresh with --reset-ledger: each open report then gets its current message once more, and a CVE id reserved but not yet on its advisory is forgotten"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "the ledger {path} has version {version}, newer than this psrt reads ({VERSION}); nothing was sent. Run a newer psrt, or start afresh with --reset-ledger"
    )]
    Newer { path: PathBuf, version: u32 },
}

impl Ledger {
    /// Reads the ledger; a missing file is an empty ledger. A file that is
    /// not a ledger is an error: guessing could send every message again.
    pub fn load(path: &Path) -> Result<Ledger, LedgerError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(LedgerError::Corrupt {
                    path: path.to_owned(),
                    reason: "not UTF-8".into(),
                });
            }
            Err(source) => {
                return Err(LedgerError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Self::parse(&text).map_err(|e| match e {
            ParseError::Newer(version) => LedgerError::Newer {
                path: path.to_owned(),
                version,
            },
            ParseError::Bad(reason) => LedgerError::Corrupt {
                path: path.to_owned(),
                reason,
            },
        })
    }

    /// The ledger a command starts from: the file's, or, with `reset`
    /// (`--reset-ledger`), an empty one, whatever the file holds (it is
    /// replaced at the first save). Resetting is explicit and said on
    /// stderr: each open report then gets its current message once more.
    pub fn open(path: &Path, reset: bool) -> Result<Ledger, LedgerError> {
        if !reset {
            return Self::load(path);
        }
        eprintln!(
            "note: --reset-ledger: starting a new ledger at {}; each open report gets its current message once more",
            path.display()
        );
        Ok(Ledger::default())
    }

    fn parse(text: &str) -> Result<Ledger, ParseError> {
        #[derive(Deserialize)]
        struct Probe {
            version: u32,
        }
        let probe: Probe =
            serde_json::from_str(text).map_err(|e| ParseError::Bad(e.to_string()))?;
        match probe.version {
            1 => {
                let v1: V1 =
                    serde_json::from_str(text).map_err(|e| ParseError::Bad(e.to_string()))?;
                let mut ledger = Ledger::default();
                for (ghsa, keys) in v1.sent {
                    for (key, at) in keys {
                        // `reassign-<login>` named a person: keep the kind only.
                        let key = if key.starts_with("reassign-") {
                            "reassign".to_owned()
                        } else {
                            key
                        };
                        ledger.record(&ghsa, &key, at);
                    }
                }
                Ok(ledger)
            }
            VERSION => serde_json::from_str(text).map_err(|e| ParseError::Bad(e.to_string())),
            v if v > VERSION => Err(ParseError::Newer(v)),
            v => Err(ParseError::Bad(format!("unknown version {v}"))),
        }
    }

    pub fn has(&self, ghsa_id: &str, key: &str) -> bool {
        self.reports
            .get(ghsa_id)
            .is_some_and(|r| r.sent.contains_key(key))
    }

    /// Messages sent for a report: key → when.
    pub fn sent(&self, ghsa_id: &str) -> impl Iterator<Item = (&str, DateTime<Utc>)> {
        self.reports
            .get(ghsa_id)
            .into_iter()
            .flat_map(|r| r.sent.iter().map(|(k, at)| (k.as_str(), *at)))
    }

    /// Records a message as sent (the first time counts).
    pub fn record(&mut self, ghsa_id: &str, key: &str, at: DateTime<Utc>) {
        self.reports
            .entry(ghsa_id.to_owned())
            .or_default()
            .sent
            .entry(key.to_owned())
            .or_insert(at);
    }

    /// The CVE id reserved for a report and not yet on its advisory.
    pub fn cve_reserved(&self, ghsa_id: &str) -> Option<&str> {
        self.reports
            .get(ghsa_id)
            .and_then(|r| r.cve_reserved.as_ref())
            .map(|c| c.id.as_str())
    }

    /// Records a CVE id reserved for a report (before it is written to the
    /// advisory, so that a failed write never loses it).
    pub fn record_cve(&mut self, ghsa_id: &str, cve_id: &str, at: DateTime<Utc>) {
        self.reports
            .entry(ghsa_id.to_owned())
            .or_default()
            .cve_reserved = Some(CveReservation {
            id: cve_id.to_owned(),
            at,
        });
        self.clear_cve_pending(ghsa_id);
    }

    /// When a reservation for the report whose answer was lost was asked for.
    pub fn cve_pending(&self, ghsa_id: &str) -> Option<DateTime<Utc>> {
        self.reports.get(ghsa_id).and_then(|r| r.cve_pending)
    }

    /// Records that a reservation for the report is about to be asked for
    /// (saved before the request: if its answer is lost, the next run knows
    /// to look for the id in CVE Services instead of reserving another).
    pub fn mark_cve_pending(&mut self, ghsa_id: &str, since: DateTime<Utc>) {
        self.reports
            .entry(ghsa_id.to_owned())
            .or_default()
            .cve_pending = Some(since);
    }

    /// The reservation was answered (or definitely refused).
    pub fn clear_cve_pending(&mut self, ghsa_id: &str) {
        if let Some(r) = self.reports.get_mut(ghsa_id) {
            r.cve_pending = None;
            if r.is_empty() {
                self.reports.remove(ghsa_id);
            }
        }
    }

    /// Forgets a reservation once the advisory carries the id.
    pub fn clear_cve(&mut self, ghsa_id: &str) {
        if let Some(r) = self.reports.get_mut(ghsa_id) {
            r.cve_reserved = None;
            r.cve_pending = None;
            if r.is_empty() {
                self.reports.remove(ghsa_id);
            }
        }
    }

    /// Writes the ledger atomically and durably: a temporary file in the same
    /// directory, fsync, rename over the old one, fsync the directory. A kill
    /// at any point leaves the old ledger or the new one, never a mix.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let text = serde_json::to_string_pretty(&Ledger {
            version: VERSION,
            reports: self.reports.clone(),
        })? + "\n";
        let tmp = tmp_path(path);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, path)?;
            // The rename is durable once the directory is.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        write().with_context(|| format!("writing the ledger {}", path.display()))?;
        Ok(())
    }
}

enum ParseError {
    Newer(u32),
    Bad(String),
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "ledger.json".into());
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/ledger.json");
        let mut l = Ledger::load(&path).unwrap();
        assert!(!l.has("GHSA-1", "warn-30"));
        l.record("GHSA-1", "warn-30", Utc::now());
        l.record_cve("GHSA-2", "CVE-2026-0001", Utc::now());
        l.save(&path).unwrap();
        let back = Ledger::load(&path).unwrap();
        assert!(back.has("GHSA-1", "warn-30"));
        assert_eq!(back.cve_reserved("GHSA-2"), Some("CVE-2026-0001"));
        assert_eq!(back, l);
        for bad in [
            "not json",
            "{\"version\": 2, \"reports\": {\"G\": {\"sent\": {\"k\": 3}}}}",
            "{\"version\":2,\"rep",
        ] {
            std::fs::write(&path, bad).unwrap();
            let e = Ledger::load(&path).unwrap_err().to_string();
            assert!(
                e.contains("is corrupt or truncated") && e.contains("--reset-ledger"),
                "{e}"
            );
            assert!(e.contains(&path.display().to_string()), "{e}");
        }
        std::fs::write(&path, "{\"version\": 9}").unwrap();
        let e = Ledger::load(&path).unwrap_err().to_string();
        assert!(e.contains("newer than this psrt reads"), "{e}");
    }

    #[test]
    fn a_version_1_ledger_is_upgraded_without_the_logins_it_held() {
        let v1 = r#"{"version":1,"sent":{"GHSA-a":{"warn-30":"2026-01-01T00:00:00Z","reassign-dennis":"2026-01-02T00:00:00Z"}}}"#;
        let l = Ledger::parse(v1).ok().unwrap();
        assert!(l.has("GHSA-a", "warn-30"));
        assert!(l.has("GHSA-a", "reassign"));
        let text = serde_json::to_string(&l).unwrap();
        assert!(!text.contains("dennis"), "{text}");
        assert_eq!(l.version, VERSION);
    }

    #[test]
    fn a_reservation_is_cleared_once_used() {
        let mut l = Ledger::default();
        l.record_cve("GHSA-a", "CVE-2026-1", Utc::now());
        l.clear_cve("GHSA-a");
        assert_eq!(l, Ledger::default());
    }
}
