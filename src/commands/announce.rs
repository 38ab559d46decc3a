//! `psrt announce GHSA-ID`: the security-announce email, the CVE record and
//! the OSV record for a published advisory.

use std::path::{Path, PathBuf};

use crate::announce::{self, AnnounceError};
use crate::config::Env;
use crate::notify::Templates;

use super::{Outcome, block_on, load_valid, templates_dir};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The published advisory, e.g. GHSA-4f7x-9m2q-vh3c.
    #[arg(value_name = "GHSA-ID", value_parser = ghsa_id)]
    pub ghsa_id: String,
    /// Directory for announce.txt, CVE-YYYY-NNNNN.json and the OSV record.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// The OSV record's id (default: the GHSA id), e.g. PSF-2026-3.
    #[arg(long, value_name = "ID", value_parser = osv_id)]
    pub osv_id: Option<String>,
}

fn ghsa_id(s: &str) -> Result<String, String> {
    if announce::is_ghsa_id(s) {
        Ok(s.to_owned())
    } else {
        Err("expected a GHSA id: GHSA-xxxx-xxxx-xxxx (lower-case letters and digits)".to_owned())
    }
}

/// An id that is also a safe file name (`PSF-2026-3`, `GHSA-…`); the OSV
/// schema then checks its prefix.
fn osv_id(s: &str) -> Result<String, String> {
    let ok = s.len() <= 100
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !s.contains("..");
    if ok {
        Ok(s.to_owned())
    } else {
        Err("expected an OSV id such as PSF-2026-3 (letters, digits, `-`, `_`, `.`)".to_owned())
    }
}

/// `--repo` is the advisory's repository; without it, the roster's
/// `github.advisory_repos` are searched in order.
pub fn run(roster: &Path, repo: Option<&str>, args: &Args) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_valid(roster)? else {
        return Ok(Outcome::Failed);
    };
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt announce needs GitHub: {m}"))?;
    let repos: Vec<String> = match repo {
        Some(r) => vec![r.to_owned()],
        None => loaded.roster.github.advisory_repos.clone(),
    };
    anyhow::ensure!(
        !repos.is_empty(),
        "no repository to look in: pass --repo owner/name or list github.advisory_repos in the roster"
    );
    let templates = Templates::load(Some(&templates_dir(roster)))?;
    let gathered = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            announce::github_scope(&loaded.roster.github.org, &repos),
            super::github_tuning(),
        )
        .await?;
        anyhow::Ok(announce::gather(&gh, &repos, &args.ghsa_id, args.osv_id.as_deref()).await)
    })??;
    let facts = match gathered {
        Ok(f) => f,
        Err(AnnounceError::Problems(problems)) => {
            for p in &problems {
                println!("{p}");
            }
            eprintln!(
                "error: {} cannot be announced yet: {} problem(s) in the advisory; nothing was written",
                args.ghsa_id,
                problems.len()
            );
            return Ok(Outcome::Failed);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Outcome::Failed);
        }
    };
    let drafts = announce::draft(&facts, &templates)?;
    print!("{}", announce::summary(&facts, &drafts));
    if !drafts.is_valid() {
        for (name, v) in [
            (&drafts.cve_file, &drafts.cve_verdict),
            (&drafts.osv_file, &drafts.osv_verdict),
        ] {
            for e in &v.errors {
                println!("error[schema]: {name}: {e}");
            }
        }
        eprintln!("error: a record does not validate against its schema; nothing was written");
        return Ok(Outcome::Failed);
    }
    for path in announce::write(&drafts, &args.out)? {
        println!("wrote {}", path.display());
    }
    Ok(Outcome::Success)
}
