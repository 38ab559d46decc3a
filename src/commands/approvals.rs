//! `psrt approvals --pr N [--publish]`: does pull request N meet the base
//! roster's approval rule? `--publish` sets the `psrt/approvals` status on
//! the head commit and keeps one comment up to date; without it nothing is
//! written. `--all` judges every open pull request to the default branch
//! that changes `roster.yaml` (the hourly sweep).
//!
//! Exit status: with `--pr`, 0 when the rule holds; with `--all`, 0 when
//! every pull request was judged (and published), whatever the verdicts
//! (a pull request that lacks approvals is not a failed run), 1 when psrt
//! could not judge or publish one of them.

use crate::approvals;
use crate::config::Env;

use super::{Outcome, block_on, write_step_summary};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["pr", "all"])))]
pub struct Args {
    /// The pull request number.
    #[arg(long, value_name = "N", value_parser = parse_pull_number)]
    pub pr: Option<u64>,
    /// Every open pull request to the default branch that changes
    /// roster.yaml; exit 1 only when one cannot be judged or published.
    #[arg(long)]
    pub all: bool,
    /// Set the `psrt/approvals` commit status on the head commit and keep
    /// psrt's comment on the pull request up to date.
    #[arg(long)]
    pub publish: bool,
    /// Judge as of this time (RFC 3339 or YYYY-MM-DD); the clock when absent.
    #[arg(long, value_name = "TIME", value_parser = super::parse_now_arg)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A pull request number, read as an integer the way `approvals.yml` reads
/// the review artifact's: ASCII digits only (no sign, space or other
/// script), leading zeros ignored (`05` is 5), never 0.
pub fn parse_pull_number(s: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "expected a pull request number (digits, at least 1), not `{}`",
            s.escape_default()
        )
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<u64>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(n) => Ok(n),
    }
}

pub fn run(repo: Option<&str>, args: &Args) -> anyhow::Result<Outcome> {
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt approvals needs GitHub: {m}"))?;
    let full_name = repo
        .map(str::to_owned)
        .or_else(|| env.repository.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "psrt approvals needs the policy repository: set GITHUB_REPOSITORY or pass --repo owner/name"
            )
        })?;
    let repo = approvals::Repo::parse(&full_name)
        .map_err(|_| anyhow::anyhow!("the policy repository `{full_name}` is not owner/name"))?;
    let org = full_name
        .split_once('/')
        .map_or(full_name.as_str(), |(o, _)| o)
        .to_owned();
    let opts = approvals::Options {
        now: args.now.unwrap_or_else(chrono::Utc::now),
        in_actions: env.in_actions,
        publish: args.publish,
    };
    let connect = || {
        crate::github::GitHub::connect(
            gh_env,
            approvals::github_scope(&org, &full_name, args.publish),
            super::github_tuning(),
        )
    };
    let Some(number) = args.pr else {
        let sweep = block_on(async {
            let gh = connect().await?;
            approvals::sweep::all(&gh, &repo, opts).await
        })??;
        return Ok(print_sweep(&env, args, &sweep));
    };
    let (pull, judgement, published) = block_on(async {
        let gh = connect().await?;
        approvals::run(&gh, &repo, number, opts).await
    })??;
    let verdict = &judgement.verdict;
    if args.json {
        println!("{}", serde_json::to_string_pretty(verdict)?);
    } else {
        print!("{}", approvals::text(verdict, pull.number));
    }
    write_step_summary(&env, &approvals::comment(verdict));
    let mut failed_writes = false;
    if let Some((plan, applied)) = &published {
        for n in &plan.notes {
            eprintln!("publish: {n}");
        }
        for d in &applied.done {
            eprintln!("published: {d}");
        }
        for f in &applied.failed {
            eprintln!("error: publishing failed: {f}");
        }
        failed_writes = applied.failed();
    }
    Ok(if verdict.passes && !failed_writes {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// `--all`: each verdict, what was written, the totals.
fn print_sweep(env: &Env, args: &Args, sweep: &approvals::sweep::Sweep) -> Outcome {
    use approvals::sweep::Outcome as Judged;
    if args.json {
        match serde_json::to_string_pretty(&sweep.to_json()) {
            Ok(j) => println!("{j}"),
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        print!("{}", approvals::render::sweep_text(sweep));
    }
    for j in &sweep.judged {
        if let Judged::Verdict { published, .. } = &j.outcome {
            if let Some((plan, applied)) = published.as_ref() {
                for n in &plan.notes {
                    eprintln!("publish #{}: {n}", j.number);
                }
                for d in &applied.done {
                    eprintln!("published #{}: {d}", j.number);
                }
                for f in &applied.failed {
                    eprintln!("error: publishing #{} failed: {f}", j.number);
                }
            }
        }
    }
    write_step_summary(env, &approvals::render::sweep_summary(sweep));
    if sweep.failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    }
}

#[cfg(test)]
mod tests {
    use super::parse_pull_number;

    #[test]
    fn pull_request_numbers_are_integers() {
        assert_eq!(parse_pull_number("5"), Ok(5));
        assert_eq!(parse_pull_number("05"), Ok(5));
        assert_eq!(parse_pull_number("0000000000000012"), Ok(12));
        for bad in [
            "",
            "0",
            "00",
            "+5",
            "-5",
            " 5",
            "5\n",
            "0x5",
            "5e0",
            "٥",
            "18446744073709551616",
        ] {
            assert!(parse_pull_number(bad).is_err(), "{bad:?}");
        }
    }
}
