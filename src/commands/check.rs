//! `psrt check`: every problem in the roster, at once.

use std::path::Path;

use crate::diag::{self, Diagnostic};
use crate::roster::{self, LoadError};

use super::{Outcome, print_diagnostics, today};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also check what needs GitHub: renames, eligibility, the team and
    /// repositories, and that members and emeritus entries record their
    /// `github_id` (former members lose access to unpublished reports by id
    /// too, so a renamed account still loses it; the yearly inactivity pull
    /// request records the id when it moves a member to emeritus).
    #[arg(long)]
    pub online: bool,
    /// Print the problems as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let file = path.display().to_string();
    let (mut diags, text, counts, structural) = match roster::load(path) {
        Ok(loaded) => {
            // With PSRT_CONTACT_KEY the decrypted values are checked too;
            // without it, the `age:` framing only.
            let opened = crate::roster::contacts::open_with_env(&loaded.roster);
            if let (Some(line), false) = (opened.summary(), args.json) {
                println!("note: {line}");
            }
            let mut diags = roster::validate::validate_with(&loaded, today(), Some(&opened));
            if args.online {
                diags.extend(online(&loaded)?);
            }
            let counts = (loaded.roster.members.len(), loaded.roster.emeritus.len());
            (diags, Some(loaded.source.text), Some(counts), false)
        }
        Err(LoadError::Io(e)) => anyhow::bail!("cannot read {file}: {e}"),
        Err(LoadError::Invalid { diagnostics, text }) => (diagnostics, text, None, true),
    };
    diag::sort(&mut diags);
    let outcome = report(&file, text.as_deref(), &diags, counts, args.json)?;
    if structural && !args.json {
        println!(
            "note: the membership rules (duplicates, admins, policy...) are checked once the file's structure is fixed"
        );
    }
    Ok(outcome)
}

/// The online checks; without GitHub credentials, an error saying which.
fn online(loaded: &roster::Loaded) -> anyhow::Result<Vec<Diagnostic>> {
    let env = crate::config::Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("`psrt check --online` needs GitHub: {m}"))?;
    super::block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            crate::online::github_scope(&loaded.roster),
            super::github_tuning(),
        )
        .await?;
        Ok(crate::online::check(&gh, loaded).await)
    })?
}

fn report(
    file: &str,
    text: Option<&str>,
    diags: &[Diagnostic],
    counts: Option<(usize, usize)>,
    json: bool,
) -> anyhow::Result<Outcome> {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if json {
        let out = serde_json::json!({ "file": file, "errors": errors, "warnings": warnings, "diagnostics": diags });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_diagnostics(file, text, diags);
        let people = counts.map_or(String::new(), |(m, e)| {
            format!("{m} members, {e} emeritus; ")
        });
        println!("{file}: {people}{errors} error(s), {warnings} warning(s)");
    }
    Ok(if errors > 0 {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
