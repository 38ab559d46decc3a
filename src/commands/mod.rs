//! One module per command: read inputs, call the library, print, return an
//! [`Outcome`].

pub mod advisories;
pub mod announce;
pub mod approvals;
pub mod audit;
pub mod check;
pub mod contacts;
pub mod deadlines;
#[cfg(feature = "demo")]
pub mod demo;
pub mod dispatch;
pub mod encrypt;
pub mod import;
pub mod inactivity;
pub mod keeping;
pub mod keygen;
pub mod publish;
pub mod sync;

use std::path::Path;

use crate::diag::Diagnostic;
use crate::roster::contacts::Opened;
use crate::roster::{self, LoadError, Loaded};

/// The outcome of a command, mapped to the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: a rule violation, a failed write, or a blocked plan. The
    /// command has already said why.
    Failed,
}

/// Whether we run inside GitHub Actions (annotations, job summaries).
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Today in UTC: the date rules compare against.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Prints diagnostics the way `psrt check` does (and GitHub annotations
/// under Actions).
pub fn print_diagnostics(file: &str, text: Option<&str>, diags: &[Diagnostic]) {
    for d in diags {
        println!("{}", d.render(file, text));
    }
    if in_github_actions() {
        for d in diags {
            println!("{}", d.github_annotation(file));
        }
    }
}

/// Loads a roster that must be valid for the command to go on: on any
/// error, prints the problems and returns `None` (the command exits 1 and
/// changes nothing).
pub fn load_valid(path: &Path) -> anyhow::Result<Option<Loaded>> {
    let file = path.display().to_string();
    match roster::load(path) {
        Ok(loaded) => {
            let diags: Vec<Diagnostic> = roster::validate::validate(&loaded, today())
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect();
            if diags.is_empty() {
                Ok(Some(loaded))
            } else {
                print_diagnostics(&file, Some(&loaded.source.text), &diags);
                eprintln!(
                    "error: {file} breaks {} rule(s); nothing was changed",
                    diags.len()
                );
                Ok(None)
            }
        }
        Err(LoadError::Io(e)) => Err(anyhow::anyhow!("cannot read {file}: {e}")),
        Err(LoadError::Invalid { diagnostics, text }) => {
            print_diagnostics(&file, text.as_deref(), &diagnostics);
            eprintln!("error: {file} is not a valid roster; nothing was changed");
            Ok(None)
        }
    }
}

/// [`load_valid`], then the roster's encrypted contact fields opened with
/// `PSRT_CONTACT_KEY` (when set). Says on stderr how many fields were
/// opened (a count, never a name or value) and, when the key is set but
/// leaves fields closed, each one by member and field: the caller reports
/// that as a failure ([`Opened::key_problem`]) after doing what it can.
pub fn load_opened(path: &Path) -> anyhow::Result<Option<(Loaded, Opened)>> {
    let Some(loaded) = load_valid(path)? else {
        return Ok(None);
    };
    let opened = crate::roster::contacts::open_with_env(&loaded.roster);
    if let Some(line) = opened.summary() {
        eprintln!("note: {line}");
    }
    if opened.key_opens_nothing() {
        eprintln!(
            "error: {} opens none of the encrypted contact fields (a wrong or retired key?)",
            crate::roster::contacts::KEY_VAR
        );
    }
    for p in opened.problems() {
        eprintln!("error: {p}");
    }
    Ok(Some((loaded, opened)))
}

/// Runs a future on a small runtime (psrt's work is I/O-bound).
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(rt.block_on(f))
}

/// Appends Markdown to the GitHub Actions job summary, when there is one.
pub fn write_step_summary(env: &crate::config::Env, markdown: &str) {
    let Some(path) = &env.step_summary else {
        return;
    };
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{markdown}\n").as_bytes()));
    if let Err(e) = result {
        tracing::warn!("cannot write the job summary: {e}");
    }
}

/// GitHub client tuning. `PSRT_GITHUB_WRITE_PAUSE_MS` changes the pause
/// between writes (GitHub asks for one second in bulk; tests use 0).
pub fn github_tuning() -> crate::github::Tuning {
    let mut t = crate::github::Tuning::default();
    if let Some(ms) = std::env::var("PSRT_GITHUB_WRITE_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        t.write_interval = std::time::Duration::from_millis(ms);
    }
    t
}

/// The times `--now` accepts: every date psrt computes from them (deadlines,
/// warning thresholds and windows up to ten years either way) stays far
/// inside what chrono can hold.
pub const NOW_MIN: &str = "1970-01-01";
pub const NOW_MAX: &str = "9999-12-31";

/// `--now` as clap parses it (`value_parser`): RFC 3339, or a date (midnight
/// UTC), between [`NOW_MIN`] and [`NOW_MAX`]. Anything else is a usage error
/// (exit 2), never a panic.
pub fn parse_now_arg(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let t = if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&chrono::Utc)
    } else if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        d.and_time(chrono::NaiveTime::MIN).and_utc()
    } else {
        return Err("expected RFC 3339 (2026-11-25T10:00:00Z) or a date (2026-11-25)".to_owned());
    };
    let bound = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
    };
    match (bound(NOW_MIN), bound(NOW_MAX)) {
        (Ok(min), Ok(max)) if t >= min && t < max + chrono::Duration::days(1) => Ok(t),
        _ => Err(format!(
            "out of range: psrt computes with times from {NOW_MIN} to {NOW_MAX}"
        )),
    }
}

/// `--repo` and `--devguide` as clap parses them: a GitHub repository as
/// `owner/name`, nothing else (a URL, a path or a bare name is a usage
/// error, exit 2). GitHub's own limits: an owner of letters, digits and
/// single hyphens, at most 39; a name of letters, digits, `.`, `-`, `_`, at
/// most 100, and not `.` or `..`.
pub fn parse_repo_arg(s: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "expected a GitHub repository as owner/name (python/cpython), not `{}`",
            s.escape_default()
        )
    };
    let (owner, name) = s.split_once('/').ok_or_else(bad)?;
    let owner_ok = (1..=39).contains(&owner.len())
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && !owner.contains("--");
    let name_ok = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && name != "."
        && name != "..";
    if owner_ok && name_ok {
        Ok(s.to_owned())
    } else {
        Err(bad())
    }
}

/// `--now` as a string (the clock when absent); an error names the option.
pub fn parse_now(now: Option<&str>) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    match now {
        None => Ok(chrono::Utc::now()),
        Some(s) => parse_now_arg(s).map_err(|why| anyhow::anyhow!("--now {s}: {why}")),
    }
}

/// `templates/` beside the roster.
pub fn templates_dir(roster: &std::path::Path) -> std::path::PathBuf {
    roster
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .join("templates")
}
