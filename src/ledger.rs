//! What psrt has already sent, so that each message goes out once.
//!
//! A JSON file (default `.psrt/ledger.json`, never committed; the nightly
//! workflow carries it between runs in the Actions cache). It holds GHSA ids
//! and message keys, nothing about a report's content. Each send is recorded
//! and written at once (atomically), so a crash never forgets a sent message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const DEFAULT_PATH: &str = ".psrt/ledger.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub version: u32,
    /// GHSA id → message key → when it was sent.
    pub sent: BTreeMap<String, BTreeMap<String, DateTime<Utc>>>,
}

impl Ledger {
    /// Reads the ledger; a missing file is an empty ledger. A file that is
    /// not a ledger is an error: guessing could send every message again.
    pub fn load(path: &Path) -> anyhow::Result<Ledger> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Ledger {
                    version: 1,
                    ..Default::default()
                });
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the ledger {}", path.display()));
            }
        };
        let ledger: Ledger = serde_json::from_str(&text)
            .with_context(|| format!("the ledger {} is not a psrt ledger; fix it, or delete it (then each open report gets its current message once more)", path.display()))?;
        Ok(ledger)
    }

    pub fn has(&self, ghsa_id: &str, key: &str) -> bool {
        self.sent.get(ghsa_id).is_some_and(|m| m.contains_key(key))
    }

    pub fn record(&mut self, ghsa_id: &str, key: &str, at: DateTime<Utc>) {
        self.sent
            .entry(ghsa_id.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_insert(at);
    }

    /// Writes the ledger atomically (a temporary file, then a rename).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let tmp: PathBuf = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&Ledger {
            version: 1,
            sent: self.sent.clone(),
        })?;
        std::fs::write(&tmp, text + "\n").with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
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
        l.save(&path).unwrap();
        let back = Ledger::load(&path).unwrap();
        assert!(back.has("GHSA-1", "warn-30"));
        std::fs::write(&path, "not json").unwrap();
        let e = Ledger::load(&path).unwrap_err();
        assert!(format!("{e:#}").contains("is not a psrt ledger"), "{e:#}");
    }
}
