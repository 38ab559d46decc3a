//! What psrt has already done, so that each message goes out once and a
//! reserved CVE id is never lost: a store with a section per feature, which
//! owns its file (read once, saved atomically after each change that must
//! survive a killed run) and the sequences the features follow, so callers
//! never handle paths.
//!
//! Sections: [`messages`] (which message went out for which report),
//! [`cve`] (CVE ids reserved, and reservations whose answer was lost),
//! [`seen`] (when psrt first saw each report, and the title tag it carried
//! then), [`audit`] (`psrt audit`'s open problems and when it last emailed,
//! kept the workflows alive and swept the organisation: a top-level `audit`
//! key), [`discussion`] (per report read: the comment count read up to,
//! when its status comment was last brought up to date, the deadline
//! thresholds whose comment is posted), [`validators`](crate::validators)
//! (the `ETag` of each GitHub answer psrt acted upon, by URL) and
//! [`steady`] (what the last complete hourly run left, to tell an unchanged
//! world from conditional requests alone). Each new kind of memory is a
//! section of its own, beside these: answered commands per report (the
//! `/psrt` commands), and `commands_since`, when this ledger's memory of
//! them began (a top-level key). A section per report is stored in the report's record
//! below; one that is not (validators, steady, audit problems) becomes a
//! top-level key of the file. A section only says what it holds: how the
//! file is kept ([`sealed`]) is the store's, for every section alike.
//!
//! The file is JSON (default `.psrt/ledger.json`, never committed; the workflows
//! carry it between runs in an Actions cache, which any pull request of a
//! public repository can restore). So it holds **no person**: no login, name
//! or address, nor a hash of one (a hash of a login is reversed by hashing
//! the roster). And in a workflow it is written encrypted ([`Keeping`]): the
//! cache names no unpublished report either. Per report (GHSA id) it keeps:
//!
//! - `sent`: message key → when it was sent. Keys are a kind and, for
//!   warnings and overdue notices, a threshold: `warn-30`, `overdue-7`,
//!   `unassigned`, `reassign`;
//! - `cve_reserved`: a CVE id reserved from the CNA for the report, kept
//!   until the advisory carries it (PRODUCT.md allows exactly this);
//! - `cve_pending`: when a reservation was asked for whose answer never
//!   arrived, until the next run finds the id in CVE Services (or finds that
//!   none was reserved);
//! - `discussion`: `count`, `seen` and `thresholds` (see [`discussion`]);
//! - `seen`: when psrt first read the report, and the kind of title tag
//!   (`accept`, `close`) it carried then while that tag stays.
//!
//! ```json
//! {
//!   "version": 3,
//!   "reports": {
//!     "GHSA-xxxx-xxxx-xxxx": {
//!       "sent": { "warn-30": "2026-11-01T03:17:00Z" },
//!       "cve_reserved": { "id": "CVE-2026-12345", "at": "2026-11-02T10:00:00Z" },
//!       "discussion": { "count": 4, "seen": "2026-11-02T10:00:02Z", "thresholds": { "warn-30": "2026-11-01T03:41:00Z" } },
//!       "seen": { "first": "2026-10-30T10:41:00Z", "ignored_tag": "accept" }
//!     }
//!   },
//!   "validators": {
//!     "/repos/python/cpython/security-advisories?state=triage&per_page=100": { "etag": "W/\"…\"", "at": "2026-11-02T10:00:00Z" }
//!   },
//!   "discussion_full_read": "2026-11-02T03:41:00Z",
//!   "commands_since": "2026-10-30T10:41:00Z",
//!   "steady": { "fingerprint": "…", "until": "…", "reports": { "python/cpython": 12 } }
//! }
//! ```
//!
//! `commands_since` is when the ledger's memory of answered `/psrt`
//! commands began: the `now` of the first applying `advisories` run on a
//! ledger started afresh (no file, `--reset-ledger`); a command written
//! before it that psrt never replied to is not run
//! ([`crate::advisories::apply::commands`]). It needs no new version: an
//! older psrt of version 3 ignores the key (and judges commands as it
//! always did), where a version bump would make it refuse the file and
//! need a reset, which is what loses memory. (A discussion entry's
//! `watched_since`, kept since the same change, is another matter: the
//! older psrt's discussion section denies unknown fields, so it refuses
//! such a file as unreadable, loudly, and going back to it needs
//! `--reset-ledger`.) A file without the key (from
//! before it was kept) takes the earliest `seen.first`: psrt wrote each
//! with a run's `now`, so the ledger existed then; one with no `seen` (it
//! has read no report) begins at its next applying `advisories` run.
//!
//! Version 2 (the same without `discussion`, `validators`, `steady` and
//! `commands_since`) is read as it is; version 1 (`{"version":1,"sent":{GHSA:{key:time}}}`) is
//! read and upgraded: its `reassign-<login>` keys become `reassign`. A
//! version-3 file stops a psrt that reads only version 2 with "newer than
//! this psrt reads", never a guess.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod audit;
pub mod cve;
pub mod discussion;
pub mod messages;
pub mod sealed;
pub mod seen;
pub mod steady;

pub use crate::validators::{Validator, Validators};
pub use audit::{AuditMemory, OpenProblem};
pub use cve::{CveIds, CveReservation};
pub use discussion::{Discussion, Discussions};
pub use messages::Messages;
pub use sealed::Keeping;
pub use seen::{Seen, Sighting, TagKind};
pub use steady::Steady;

use crate::ids::GhsaId;

pub const DEFAULT_PATH: &str = ".psrt/ledger.json";
pub const VERSION: u32 = 3;

/// The store: its sections, and the file they are kept in. Two ledgers are
/// equal when they hold the same, wherever and however they are kept.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// `None`: kept in memory only (the demo, tests).
    file: Option<PathBuf>,
    /// In clear or encrypted, and the key.
    keeping: Keeping,
    /// The file was found encrypted (it is written back encrypted).
    found_encrypted: bool,
    origin: Origin,
    messages: Messages,
    cve: CveIds,
    discussion: Discussions,
    discussion_full_read: Option<DateTime<Utc>>,
    /// When this ledger's memory of answered `/psrt` commands begins.
    commands_since: Option<DateTime<Utc>>,
    validators: Validators,
    steady: Option<Steady>,
    seen: Seen,
    audit: AuditMemory,
}

/// Where the ledger's content came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// Its file.
    #[default]
    File,
    /// There was no file: a first run, or a lost or missed cache restore.
    Missing,
    /// `--reset-ledger`: started afresh on purpose.
    Reset,
}

impl PartialEq for Ledger {
    fn eq(&self, other: &Self) -> bool {
        self.messages == other.messages
            && self.cve == other.cve
            && self.discussion == other.discussion
            && self.discussion_full_read == other.discussion_full_read
            && self.commands_since == other.commands_since
            && self.validators == other.validators
            && self.steady == other.steady
            && self.seen == other.seen
            && self.audit == other.audit
    }
}

/// The file's shape (version 3; version 2 is the same without the
/// discussion, validators and steady): per report, every section's part,
/// then the sections that are not per report.
#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    /// GHSA id → what was done for it.
    #[serde(default)]
    reports: BTreeMap<String, ReportRecord>,
    /// When every open report's discussion was last read in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discussion_full_read: Option<DateTime<Utc>>,
    /// When the ledger's memory of answered `/psrt` commands begins: a
    /// command written before it and not answered on GitHub is not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commands_since: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Validators::is_empty")]
    validators: Validators,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    steady: Option<Steady>,
    /// `psrt audit`'s problems and times (no report, no person).
    #[serde(default, skip_serializing_if = "AuditMemory::is_empty")]
    audit: AuditMemory,
}

/// What psrt did for one report. Never who it concerns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRecord {
    /// Message key (kind and threshold) → when it was sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sent: BTreeMap<String, DateTime<Utc>>,
    /// A CVE id reserved for the report and not yet on the advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cve_reserved: Option<CveReservation>,
    /// A reservation asked for at this time whose answer never arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cve_pending: Option<DateTime<Utc>>,
    /// The report's discussion: counts, times, thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discussion: Option<Discussion>,
    /// When psrt first saw the report, and the tag it carried then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seen: Option<Sighting>,
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
    /// Encrypted, and it cannot be opened: handled like a corrupt ledger.
    #[error(
        "the ledger {path} is encrypted and cannot be opened ({reason}); nothing was sent. Give PSRT_CONTACT_KEY the key it was written with, restore an earlier one, or start afresh with --reset-ledger: each open report then gets its current message once more"
    )]
    Sealed { path: PathBuf, reason: String },
    /// `deadlines --send` needs what was sent: a missing file is what an
    /// Actions cache restore that missed leaves behind, and starting afresh
    /// would send every open report its current message again.
    #[error(
        "there is no ledger at {path}; nothing was sent. A missing ledger is what a lost or missed Actions cache restore leaves, and sending without it would give every open report its current message again. Restore it, or, on a first run or when it is truly lost, run once with --reset-ledger (in a workflow: dispatch it by hand as an admin with reset_ledger)"
    )]
    Missing { path: PathBuf },
}

impl Ledger {
    /// An empty ledger kept in memory (the demo, tests): saving does nothing.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// An empty ledger kept in memory that stands for a lost one (the
    /// demo): it started empty, as a missing file does.
    pub fn in_memory_lost() -> Self {
        Self {
            origin: Origin::Missing,
            ..Self::default()
        }
    }

    /// Reads the ledger kept in clear in `path` (a local run, tests); a
    /// missing file is an empty ledger. See [`Self::load_kept`].
    pub fn load(path: &Path) -> Result<Ledger, LedgerError> {
        Self::load_kept(path, &Keeping::in_clear())
    }

    /// Reads the ledger kept in `path` as `keeping` says; a missing file is
    /// an empty ledger ([`Origin::Missing`]). A file that is not a ledger,
    /// or that cannot be decrypted, is an error: guessing could send every
    /// message again.
    pub fn load_kept(path: &Path, keeping: &Keeping) -> Result<Ledger, LedgerError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::empty_at(path, keeping, Origin::Missing));
            }
            Err(source) => {
                return Err(LedgerError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let (plain, found_encrypted) = keeping.open(&bytes).map_err(|e| LedgerError::Sealed {
            path: path.to_owned(),
            reason: match e {
                sealed::OpenError::NoKey => "PSRT_CONTACT_KEY is not set".to_owned(),
                sealed::OpenError::Undecryptable(why) => why,
            },
        })?;
        let Ok(text) = String::from_utf8(plain) else {
            return Err(LedgerError::Corrupt {
                path: path.to_owned(),
                reason: "not UTF-8".into(),
            });
        };
        let mut ledger = Self::parse(&text).map_err(|e| match e {
            ParseError::Newer(version) => LedgerError::Newer {
                path: path.to_owned(),
                version,
            },
            ParseError::Bad(reason) => LedgerError::Corrupt {
                path: path.to_owned(),
                reason,
            },
        })?;
        ledger.file = Some(path.to_owned());
        ledger.keeping = keeping.clone();
        ledger.found_encrypted = found_encrypted;
        Ok(ledger)
    }

    /// The ledger a command starts from: the file's, or, with `reset`
    /// (`--reset-ledger`), an empty one, whatever the file holds (it is
    /// replaced at the first save). Resetting is explicit and said on
    /// stderr: each open report then gets its current message once more.
    pub fn open(path: &Path, reset: bool, keeping: &Keeping) -> Result<Ledger, LedgerError> {
        if !reset {
            return Self::load_kept(path, keeping);
        }
        eprintln!(
            "note: --reset-ledger: starting a new ledger at {}; each open report gets its current message once more",
            path.display()
        );
        Ok(Self::empty_at(path, keeping, Origin::Reset))
    }

    /// Like [`Self::open`], for a command that must not start from nothing:
    /// a missing file is an error too (only `reset` says a new ledger is
    /// meant).
    pub fn open_existing(
        path: &Path,
        reset: bool,
        keeping: &Keeping,
    ) -> Result<Ledger, LedgerError> {
        if !reset && !path.exists() {
            return Err(LedgerError::Missing {
                path: path.to_owned(),
            });
        }
        Self::open(path, reset, keeping)
    }

    fn empty_at(path: &Path, keeping: &Keeping, origin: Origin) -> Self {
        Self {
            file: Some(path.to_owned()),
            keeping: keeping.clone(),
            origin,
            ..Self::default()
        }
    }

    /// Where the content came from: its file, or nothing (a missing file, a
    /// reset). A ledger kept in memory counts as its file's.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Did it start empty because there was no ledger, or on purpose?
    pub fn started_empty(&self) -> bool {
        matches!(self.origin, Origin::Missing | Origin::Reset)
    }

    /// Is the file written encrypted?
    pub fn is_encrypted(&self) -> bool {
        self.keeping.always_encrypts() || self.found_encrypted
    }

    /// The same content, kept in memory from now on (a dry run, a preview).
    pub fn detached(&self) -> Self {
        Self {
            file: None,
            ..self.clone()
        }
    }

    /// Where the ledger is kept; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_deref()
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
                        ledger.messages.record(&ghsa, &key, at);
                    }
                }
                Ok(ledger)
            }
            2 | VERSION => {
                let file: File =
                    serde_json::from_str(text).map_err(|e| ParseError::Bad(e.to_string()))?;
                if probe.version == 2
                    && (!file.validators.is_empty()
                        || file.steady.is_some()
                        || file.discussion_full_read.is_some()
                        || file.commands_since.is_some()
                        || file.reports.values().any(|r| r.discussion.is_some()))
                {
                    return Err(ParseError::Bad(
                        "version 2 with sections of version 3".into(),
                    ));
                }
                Ok(Self::from_file(file))
            }
            v if v > VERSION => Err(ParseError::Newer(v)),
            v => Err(ParseError::Bad(format!("unknown version {v}"))),
        }
    }

    /// The sections, from the file's per-report records.
    fn from_file(file: File) -> Self {
        let mut ledger = Ledger {
            validators: file.validators,
            steady: file.steady,
            discussion_full_read: file.discussion_full_read,
            commands_since: file.commands_since,
            audit: file.audit,
            ..Ledger::default()
        };
        for (ghsa, r) in file.reports {
            let g = GhsaId::new(ghsa);
            if !r.sent.is_empty() {
                ledger.messages.0.insert(g.clone(), r.sent);
            }
            if let Some(d) = r.discussion {
                ledger.discussion.0.insert(g.clone(), d);
            }
            if r.cve_reserved.is_some() || r.cve_pending.is_some() {
                ledger.cve.0.insert(
                    g.clone(),
                    cve::Record {
                        reserved: r.cve_reserved,
                        pending: r.cve_pending,
                    },
                );
            }
            if let Some(s) = r.seen {
                ledger.seen.set(&g, s);
            }
        }
        if ledger.commands_since.is_none() {
            ledger.commands_since = ledger.seen.earliest();
        }
        ledger
    }

    /// The file's per-report records, from the sections.
    fn to_file(&self) -> File {
        let mut reports: BTreeMap<String, ReportRecord> = BTreeMap::new();
        for (g, sent) in &self.messages.0 {
            reports.entry(g.to_string()).or_default().sent = sent.clone();
        }
        for (g, r) in &self.cve.0 {
            let rec = reports.entry(g.to_string()).or_default();
            rec.cve_reserved = r.reserved.clone();
            rec.cve_pending = r.pending;
        }
        for (g, d) in &self.discussion.0 {
            reports.entry(g.to_string()).or_default().discussion = Some(d.clone());
        }
        for (g, s) in self.seen.reports() {
            reports.entry(g.to_string()).or_default().seen = Some(s.clone());
        }
        reports.retain(|_, r| *r != ReportRecord::default());
        File {
            version: VERSION,
            reports,
            discussion_full_read: self.discussion_full_read,
            commands_since: self.commands_since,
            validators: self.validators.clone(),
            steady: self.steady.clone(),
            audit: self.audit.clone(),
        }
    }

    /// The file's text (what [`Self::save`] writes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_file()).unwrap_or_default() + "\n"
    }

    /// The messages section.
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    /// The CVE ids section.
    pub fn cve(&self) -> &CveIds {
        &self.cve
    }

    /// The discussion section.
    pub fn discussion(&self) -> &Discussions {
        &self.discussion
    }

    /// The validators section.
    pub fn validators(&self) -> &Validators {
        &self.validators
    }

    /// The steady section.
    pub fn steady(&self) -> Option<&Steady> {
        self.steady.as_ref()
    }

    /// The reports seen section.
    pub fn seen(&self) -> &Seen {
        &self.seen
    }

    /// The audit section.
    pub fn audit(&self) -> &AuditMemory {
        &self.audit
    }

    // ── the sequences: each change is saved before it returns ──

    /// Records messages as sent for a report (the one sent, and thresholds
    /// it stands for), then saves: a run killed after a send sends that one
    /// message again, no more.
    pub fn record_sent(
        &mut self,
        ghsa_id: &str,
        keys: &[&str],
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        for key in keys {
            self.messages.record(ghsa_id, key, at);
        }
        self.save()
    }

    /// Tells the admins' email went out with these items (report, key), then
    /// saves: each item's time moves on (for reminders).
    pub fn record_told(&mut self, items: &[(&str, &str)], at: DateTime<Utc>) -> anyhow::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        for (ghsa, key) in items {
            self.messages.record_latest(ghsa, key, at);
        }
        self.save()
    }

    /// Before a CVE id is asked for: the reservation is marked pending and
    /// saved, so that if its answer is lost the next run looks for the id in
    /// CVE Services instead of reserving another. When it cannot be saved,
    /// nothing may be asked for: the mark is undone and the error returned.
    pub fn reservation_asked(&mut self, ghsa_id: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.cve.mark_pending(ghsa_id, at);
        if let Err(e) = self.save() {
            self.cve.clear_pending(ghsa_id);
            return Err(e);
        }
        Ok(())
    }

    /// An id was reserved (or found again) for the report: recorded before
    /// it is written anywhere else, so a failed write never loses it.
    pub fn reservation_answered(
        &mut self,
        ghsa_id: &str,
        cve_id: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.cve.record(ghsa_id, cve_id, at);
        self.save()
    }

    /// CVE Services definitely refused: nothing is pending any more.
    pub fn reservation_refused(&mut self, ghsa_id: &str) -> anyhow::Result<()> {
        self.cve.clear_pending(ghsa_id);
        self.save()
    }

    /// The advisories carry their reserved ids (or need none any more):
    /// the ledger forgets them.
    pub fn reservations_done(&mut self, ghsa_ids: &[&str]) -> anyhow::Result<()> {
        for g in ghsa_ids {
            self.cve.clear(g);
        }
        self.save()
    }

    /// A report's discussion was read up to `count` comments, and its
    /// status brought up to date (or first seen) with the advisory at
    /// `seen`, showing `shown` (a hash); then saved.
    pub fn discussion_read(
        &mut self,
        ghsa_id: &str,
        count: u64,
        seen: Option<DateTime<Utc>>,
        shown: Option<&str>,
    ) -> anyhow::Result<()> {
        let d = self.discussion.entry(ghsa_id);
        d.count = count;
        if seen.is_some() {
            d.seen = seen;
        }
        if let Some(shown) = shown {
            d.shown = Some(shown.to_owned());
        }
        self.save()
    }

    /// The discussions of reports psrt writes no status for (not open, or
    /// closed this run): the count each was read up to, or first seen at
    /// (go-live: recorded, not read, and `at` kept as when psrt started
    /// watching it); saved once, however many.
    pub fn discussion_counts(
        &mut self,
        counts: &[(GhsaId, u64)],
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        for (g, n) in counts {
            let first = self.discussion.get(g).is_none();
            let d = self.discussion.entry(g);
            d.count = *n;
            if first {
                d.watched_since = Some(at);
            }
        }
        self.save()
    }

    /// Whether a command comment was unedited when psrt first read it:
    /// what was first seen is remembered (kept with the next save), so an
    /// edit after that changes nothing, and a comment edited before psrt
    /// ever read it is never obeyed.
    pub fn command_first_seen(&mut self, ghsa_id: &str, comment_id: u64, unedited: bool) -> bool {
        *self
            .discussion
            .entry(ghsa_id)
            .commands_seen
            .entry(comment_id)
            .or_insert(unedited)
    }

    /// A command comment is answered (its outcome is in its reply); saved.
    pub fn command_answered(&mut self, ghsa_id: &str, comment_id: u64) -> anyhow::Result<()> {
        let d = self.discussion.entry(ghsa_id);
        d.commands_seen.remove(&comment_id);
        d.commands_answered.insert(comment_id);
        self.save()
    }

    /// What psrt saw of the reports this run (their first sight, or a tag
    /// no longer ignored), and the reports it no longer reads (published,
    /// withdrawn, deleted): recorded, then saved once.
    pub fn reports_seen(
        &mut self,
        sightings: &[(GhsaId, Sighting)],
        gone: &[GhsaId],
    ) -> anyhow::Result<()> {
        if sightings.is_empty() && gone.is_empty() {
            return Ok(());
        }
        for (g, s) in sightings {
            self.seen.set(g, s.clone());
        }
        for g in gone {
            self.seen.forget(g);
        }
        self.save()
    }

    /// The audit found a problem it had not seen before: kept (and saved)
    /// before the admins are told, with no email recorded yet.
    pub fn audit_problem_found(&mut self, problem: OpenProblem) -> anyhow::Result<()> {
        let key = OpenProblem::key(&problem.kind, &problem.subject);
        self.audit.problems.entry(key).or_insert(problem);
        self.save()
    }

    /// The admins were emailed about a problem (first time, or a reminder).
    pub fn audit_problem_emailed(&mut self, key: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        if let Some(p) = self.audit.problems.get_mut(key) {
            p.emailed = Some(at);
        }
        self.save()
    }

    /// When every open report's discussion was last read in full.
    pub fn discussion_full_read(&self) -> Option<DateTime<Utc>> {
        self.discussion_full_read
    }

    /// When this ledger's memory of answered `/psrt` commands begins;
    /// `None`: not begun yet (a ledger that has read no report and that no
    /// applying `advisories` run has used), and every command not answered
    /// on GitHub is judged as before.
    pub fn commands_since(&self) -> Option<DateTime<Utc>> {
        self.commands_since
    }

    /// A ledger without an instant that has seen no report (started empty:
    /// no file, `--reset-ledger`; or a file `deadlines` began) begins its
    /// memory of commands `now`, at a run that answers them, kept with the
    /// next save: a command written before that was perhaps answered by a
    /// ledger that is gone, its reply since deleted, so it is not run
    /// ([`crate::advisories::apply::commands`]). Such a ledger holds no
    /// answered command of a report psrt still reads (each one read is
    /// seen). Any other ledger keeps the instant it has.
    pub fn begin_commands_memory(&mut self, now: DateTime<Utc>) {
        if self.commands_since.is_none() && (self.started_empty() || self.seen.is_empty()) {
            self.commands_since = Some(now);
        }
    }

    /// Every open report's discussion was read in full now; saved.
    pub fn discussion_full_read_done(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.discussion_full_read = Some(at);
        self.save()
    }

    /// Deadline thresholds whose comment is posted (or found posted, or
    /// passed before psrt watched the report), then saved: a run killed
    /// after a post finds it by listing before it posts again.
    pub fn thresholds_done(
        &mut self,
        ghsa_id: &str,
        keys: &[String],
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let d = self.discussion.entry(ghsa_id);
        for k in keys {
            d.thresholds.entry(k.clone()).or_insert(at);
        }
        self.save()
    }

    /// Forgets the discussions of reports no longer read (deleted, or in a
    /// repository psrt no longer watches).
    pub fn keep_discussions(&mut self, read: &std::collections::BTreeSet<GhsaId>) {
        self.discussion.0.retain(|g, _| read.contains(g));
    }

    /// An hourly run did everything it planned: the validators of the
    /// answers it acted upon are kept (over the older ones), and what it
    /// leaves for the next run to find unchanged; then saved.
    pub fn settle(
        &mut self,
        validators: Validators,
        steady: Steady,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.validators.merge(validators, now);
        self.steady = Some(steady);
        self.save()
    }

    /// An hourly run left something undone (a failed write, a report that
    /// changed under it, a repository it could not read): no validator
    /// stands for an answer psrt did not finish acting upon, so the next run
    /// reads everything again; then saved.
    pub fn unsettle(&mut self) -> anyhow::Result<()> {
        self.validators = Validators::default();
        self.steady = None;
        self.save()
    }

    /// A problem cleared (and the admins were told, when sending): forgotten.
    pub fn audit_problem_cleared(&mut self, key: &str) -> anyhow::Result<()> {
        self.audit.problems.remove(key);
        self.save()
    }

    /// The weekly digest went out.
    pub fn audit_digest_sent(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.audit.digest_sent = Some(at);
        self.save()
    }

    /// The active scheduled workflows were kept alive.
    pub fn audit_kept_alive(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.audit.kept_alive = Some(at);
        self.save()
    }

    /// The organisation's repositories were swept.
    pub fn audit_swept(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.audit.swept = Some(at);
        self.save()
    }

    /// Writes the ledger to its file atomically and durably: a temporary
    /// file in the same directory, fsync, rename over the old one, fsync the
    /// directory. A kill at any point leaves the old ledger or the new one,
    /// never a mix. In memory, nothing to do.
    pub fn save(&self) -> anyhow::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let text = serde_json::to_string_pretty(&self.to_file())? + "\n";
        let bytes = self.keeping.seal(&text, self.found_encrypted)?;
        let tmp = tmp_path(path);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
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
        assert!(!l.messages().has("GHSA-1", "warn-30"));
        l.record_sent("GHSA-1", &["warn-30"], Utc::now()).unwrap();
        l.reservation_answered("GHSA-2", "CVE-2026-0001", Utc::now())
            .unwrap();
        let back = Ledger::load(&path).unwrap();
        assert!(back.messages().has("GHSA-1", "warn-30"));
        assert_eq!(back.cve().reserved("GHSA-2"), Some("CVE-2026-0001"));
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
        assert!(l.messages().has("GHSA-a", "warn-30"));
        assert!(l.messages().has("GHSA-a", "reassign"));
        let text = serde_json::to_string(&l.to_file()).unwrap();
        assert!(!text.contains("dennis"), "{text}");
        assert!(text.contains(&format!("\"version\":{VERSION}")), "{text}");
    }

    #[test]
    fn a_reservation_is_cleared_once_used() {
        let mut l = Ledger::in_memory();
        l.reservation_answered("GHSA-a", "CVE-2026-1", Utc::now())
            .unwrap();
        l.reservations_done(&["GHSA-a"]).unwrap();
        assert_eq!(l, Ledger::default());
    }

    /// A ledger written by the psrt before the store (version 2, per-report
    /// records) loads into the sections and is written back byte for byte,
    /// as version 3 (the same records; version 3 only adds sections).
    #[test]
    fn a_ledger_written_by_the_previous_psrt_loads_and_is_written_back_the_same() {
        let before = r#"{
  "version": 2,
  "reports": {
    "GHSA-aaaa-bbbb-cccc": {
      "sent": {
        "reassign": "2026-11-03T03:17:00Z",
        "warn-30": "2026-11-01T03:17:00Z"
      },
      "cve_reserved": {
        "id": "CVE-2026-12345",
        "at": "2026-11-02T10:00:00Z"
      }
    },
    "GHSA-dddd-eeee-ffff": {
      "cve_pending": "2026-11-04T10:00:00Z"
    }
  }
}
"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        std::fs::write(&path, before).unwrap();
        let l = Ledger::load(&path).unwrap();
        assert!(l.messages().has("GHSA-aaaa-bbbb-cccc", "warn-30"));
        assert!(l.messages().has("GHSA-aaaa-bbbb-cccc", "reassign"));
        assert_eq!(
            l.cve().reserved("GHSA-aaaa-bbbb-cccc"),
            Some("CVE-2026-12345")
        );
        assert!(l.cve().pending("GHSA-dddd-eeee-ffff").is_some());
        l.save().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            before.replace("\"version\": 2", "\"version\": 3")
        );
    }

    /// The new sections survive a save and a load; a version-2 file that
    /// carries them is not a ledger any psrt wrote.
    #[test]
    fn the_discussion_validators_and_steady_sections_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let mut l = Ledger::load(&path).unwrap();
        let t = Utc::now();
        l.discussion_read("GHSA-a", 4, Some(t), Some("f1")).unwrap();
        l.discussion_full_read_done(t).unwrap();
        l.thresholds_done("GHSA-a", &["warn-14".into(), "warn-30".into()], t)
            .unwrap();
        let v = Validators(
            [(
                "/a-page-of-a-list?per_page=100".to_owned(),
                Validator {
                    etag: "W/\"abc\"".into(),
                    next: None,
                    at: t,
                },
            )]
            .into(),
        );
        let steady = Steady {
            fingerprint: "f".into(),
            until: t,
            reports: [("o/r".to_owned(), 2)].into(),
            forks: vec![steady::Fork {
                report: GhsaId::new("GHSA-a"),
                repo: "o/r-ghsa-a".into(),
                pulls: vec![1],
            }],
        };
        l.settle(v, steady, t).unwrap();
        let back = Ledger::load(&path).unwrap();
        assert_eq!(back, l);
        let d = back.discussion().get("GHSA-a").unwrap();
        assert_eq!(d.count, 4);
        assert!(back.discussion().has_threshold("GHSA-a", "warn-30"));
        assert_eq!(back.validators().len(), 1);
        assert!(back.steady().is_some());
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"version\": 3", "\"version\": 2")).unwrap();
        assert!(Ledger::load(&path).is_err());
        // Unsettled: no validator or steady state survives a failed run.
        let mut l = back;
        l.unsettle().unwrap();
        assert!(l.validators().is_empty() && l.steady().is_none());
        assert!(l.discussion().get("GHSA-a").is_some());
    }

    #[test]
    fn reports_seen_are_kept_per_report_and_forgotten_when_gone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let mut l = Ledger::load(&path).unwrap();
        assert_eq!(l.origin(), Origin::Missing);
        assert!(l.started_empty());
        let at = "2026-11-02T10:41:00Z".parse::<DateTime<Utc>>().unwrap();
        let tagged = Sighting {
            first: at,
            ignored_tag: Some(TagKind::Accept),
        };
        let plain = Sighting {
            first: at,
            ignored_tag: None,
        };
        l.reports_seen(
            &[
                (GhsaId::new("GHSA-aaaa-bbbb-cccc"), tagged.clone()),
                (GhsaId::new("GHSA-dddd-eeee-ffff"), plain.clone()),
            ],
            &[],
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"seen\": {\n        \"first\": \"2026-11-02T10:41:00Z\",\n        \"ignored_tag\": \"accept\""),
            "{text}"
        );
        let back = Ledger::load(&path).unwrap();
        assert_eq!(back.origin(), Origin::File);
        assert_eq!(back.seen().get("GHSA-aaaa-bbbb-cccc"), Some(&tagged));
        assert_eq!(back.seen().get("GHSA-dddd-eeee-ffff"), Some(&plain));
        l.reports_seen(&[], &[GhsaId::new("GHSA-aaaa-bbbb-cccc")])
            .unwrap();
        let back = Ledger::load(&path).unwrap();
        assert_eq!(back.seen().get("GHSA-aaaa-bbbb-cccc"), None);
        // Only a closed list of kinds can be written there.
        std::fs::write(
            &path,
            r#"{"version":2,"reports":{"G":{"seen":{"first":"2026-11-02T10:41:00Z","ignored_tag":"alice"}}}}"#,
        )
        .unwrap();
        assert!(matches!(
            Ledger::load(&path),
            Err(LedgerError::Corrupt { .. })
        ));
    }

    /// A ledger started afresh (no file, or a reset) remembers commands
    /// from the run that started it, and keeps that instant; one read from
    /// its file never moves it. A file from before the instant was kept
    /// gets the earliest time psrt first saw a report it keeps (that ledger
    /// existed then): never later than needed, never before it existed.
    #[test]
    fn a_ledger_knows_when_its_memory_of_commands_begins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let t = |h: u32| {
            use chrono::TimeZone;
            Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap()
        };
        let mut l = Ledger::load(&path).unwrap();
        assert_eq!(l.commands_since(), None);
        l.begin_commands_memory(t(9));
        l.begin_commands_memory(t(10));
        assert_eq!(l.commands_since(), Some(t(9)));
        l.save().unwrap();
        let mut back = Ledger::load(&path).unwrap();
        assert_eq!(back.commands_since(), Some(t(9)));
        back.begin_commands_memory(t(11));
        assert_eq!(back.commands_since(), Some(t(9)), "read from its file");
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("\"commands_since\": \"2026-11-02T09:00:00Z\"")
        );
        // --reset-ledger: a new memory, whatever the file held.
        let mut reset = Ledger::open(&path, true, &Keeping::in_clear()).unwrap();
        reset.begin_commands_memory(t(12));
        assert_eq!(reset.commands_since(), Some(t(12)));
        // Written before the instant was kept: the earliest sighting.
        let before = r#"{"version":3,"reports":{
            "GHSA-a":{"seen":{"first":"2026-11-02T08:00:00Z"}},
            "GHSA-b":{"seen":{"first":"2026-10-30T07:00:00Z"},"sent":{"warn-30":"2026-11-01T00:00:00Z"}}}}"#;
        std::fs::write(&path, before).unwrap();
        let mut old = Ledger::load(&path).unwrap();
        old.begin_commands_memory(t(13));
        assert_eq!(
            old.commands_since(),
            Some("2026-10-30T07:00:00Z".parse().unwrap())
        );
        // One that saw no report (a deadline ledger, say): no instant until
        // a run that answers commands begins one.
        std::fs::write(
            &path,
            r#"{"version":3,"reports":{"GHSA-a":{"sent":{"warn-30":"2026-11-01T00:00:00Z"}}}}"#,
        )
        .unwrap();
        let mut unseen = Ledger::load(&path).unwrap();
        assert_eq!(unseen.commands_since(), None);
        unseen.begin_commands_memory(t(14));
        assert_eq!(unseen.commands_since(), Some(t(14)));
        // A version-2 file never carried it.
        std::fs::write(
            &path,
            r#"{"version":2,"commands_since":"2026-11-02T09:00:00Z"}"#,
        )
        .unwrap();
        assert!(Ledger::load(&path).is_err());
    }

    /// In a workflow the file is an age file: it opens with the job's key
    /// only; one that cannot be opened is refused like a corrupt one.
    #[test]
    fn an_encrypted_ledger_opens_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let key = age::x25519::Identity::generate();
        let mut l = Ledger::open(&path, false, &Keeping::encrypted(key.clone())).unwrap();
        l.record_sent("GHSA-aaaa-bbbb-cccc", &["warn-30"], Utc::now())
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(sealed::is_encrypted(&bytes));
        assert!(!String::from_utf8_lossy(&bytes).contains("GHSA"));
        for keeping in [
            Keeping::encrypted(key.clone()),
            Keeping::with_key(key.clone()),
        ] {
            let back = Ledger::load_kept(&path, &keeping).unwrap();
            assert!(back.messages().has("GHSA-aaaa-bbbb-cccc", "warn-30"));
            assert!(back.is_encrypted(), "written back encrypted");
        }
        for (keeping, why) in [
            (Keeping::in_clear(), "PSRT_CONTACT_KEY is not set"),
            (
                Keeping::encrypted(age::x25519::Identity::generate()),
                "encrypted to another key",
            ),
        ] {
            let e = Ledger::load_kept(&path, &keeping).unwrap_err();
            assert!(matches!(e, LedgerError::Sealed { .. }), "{e}");
            let e = e.to_string();
            assert!(e.contains(why) && e.contains("--reset-ledger"), "{e}");
        }
        // A ledger in clear (from before) is read, and written back encrypted.
        std::fs::write(&path, r#"{"version":2,"reports":{}}"#).unwrap();
        let mut l = Ledger::load_kept(&path, &Keeping::encrypted(key.clone())).unwrap();
        l.record_sent("GHSA-x", &["warn-7"], Utc::now()).unwrap();
        assert!(sealed::is_encrypted(&std::fs::read(&path).unwrap()));
    }
}
