//! The command line: argument parsing and dispatch. Each command's work lives
//! in its own module; this file only wires them to flags and exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;

#[derive(Debug, Parser)]
#[command(
    name = "psrt",
    version,
    about = "Membership and disclosure automation for the Python Security Response Team",
    long_about = "psrt makes roster.yaml the single source of truth for the PSRT: it checks the \
                  roster, reconciles the GitHub team, the security@ list and the Discord role with \
                  it, keeps advisories staffed, warns coordinators before the 90-day deadline and \
                  prepares the yearly inactivity report.\n\nNothing is written unless a command is \
                  given --apply, --send or --open-pr.",
    after_help = "Exit status: 0 success, 1 error or rule violation or a blocked plan, 2 usage error."
)]
pub struct Cli {
    /// The roster file.
    #[arg(
        long,
        global = true,
        default_value = "roster.yaml",
        env = "PSRT_ROSTER"
    )]
    pub roster: PathBuf,

    /// The policy repository, owner/name (default: GITHUB_REPOSITORY).
    #[arg(long, global = true, value_name = "OWNER/NAME")]
    pub repo: Option<String>,

    /// More log output on stderr (-v: debug, -vv: trace). Logs never carry secrets.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate roster.yaml: every problem, with its line and column.
    Check(CheckArgs),
    /// Build a roster from the devguide's public CSV lists (migration).
    Import(ImportArgs),
    /// Write the public lists psrt.csv and psrt-emeritus.csv; --open-pr proposes them to the devguide.
    Publish(commands::publish::PublishArgs),
    /// Make the GitHub team, the security@ list and the Discord role match the roster.
    Sync(SyncArgs),
    /// Every open report against its 90-day deadline; --send emails the warnings due.
    Deadlines(DeadlinesArgs),
    /// The yearly inactivity report; --open-pr opens the pull request for the Steering Council.
    Inactivity(InactivityArgs),
    /// Whether membership pull request N meets the approval rule of the base branch's roster.
    Approvals(ApprovalsArgs),
    /// Advisory hygiene: the team on every open report, outsiders as collaborators, coordinators assigned.
    Advisories(AdvisoriesArgs),
    /// After publication: the security-announce email, the CVE record and the OSV record (--repo: the advisory's repository).
    Announce(commands::announce::AnnounceArgs),
    /// The nightly and yearly jobs against local stand-ins: no network, no credentials.
    Demo,
    /// Print the roster's JSON Schema (committed as schema/roster.schema.json).
    Schema,
}

#[derive(Debug, Args)]
pub struct AdvisoriesArgs {
    /// Make the changes (one update per advisory) and email new coordinators.
    #[arg(long)]
    pub apply: bool,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    /// The pull request number.
    #[arg(long, value_name = "N")]
    pub pr: u64,
    /// Judge as of this time (RFC 3339 or YYYY-MM-DD); the clock when absent.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InactivityArgs {
    /// Open (or update) the pull request that moves inactive members to emeritus.
    #[arg(long)]
    pub open_pr: bool,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeadlinesArgs {
    /// Send the messages that are due (and record them in the ledger).
    #[arg(long)]
    pub send: bool,
    /// The ledger of messages already sent.
    #[arg(long, value_name = "FILE", default_value = crate::ledger::DEFAULT_PATH)]
    pub ledger: PathBuf,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD): preview a future run.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Make the changes (without it, psrt only prints the plan).
    #[arg(long)]
    pub apply: bool,
    /// Only these services (repeatable).
    #[arg(long, value_enum)]
    pub service: Vec<crate::sync::Service>,
    /// Print the plan as JSON: {"changes":[…],"errors":[…]}.
    #[arg(long)]
    pub json: bool,
    /// Allow a plan that removes more than policy.max_removal_fraction of a service's members.
    #[arg(long)]
    pub allow_mass_removal: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also check what needs GitHub: renames, eligibility, the team and repositories.
    #[arg(long)]
    pub online: bool,
    /// Print the problems as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The devguide's members list (psrt.csv).
    #[arg(long, value_name = "CSV")]
    pub members: PathBuf,
    /// The devguide's emeritus list (psrt-emeritus.csv).
    #[arg(long, value_name = "CSV")]
    pub emeritus: Option<PathBuf>,
    /// Write the roster here instead of standard output (refuses to overwrite).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The outcome of a command, mapped to the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: a rule violation, a failed write, or a blocked plan. The
    /// command has already said why.
    Failed,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::logging::init(cli.verbose);
    match run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let Cli {
        roster,
        repo,
        verbose: _,
        command,
    } = cli;
    match command {
        Command::Check(args) => commands::check::run(&roster, &args),
        Command::Import(args) => commands::import::run(&args),
        Command::Publish(args) => commands::publish::run(&roster, &args),
        Command::Sync(args) => commands::sync::run(&roster, &args),
        Command::Deadlines(args) => commands::deadlines::run(&roster, &args),
        Command::Inactivity(args) => commands::inactivity::run(&roster, repo.as_deref(), &args),
        Command::Approvals(args) => commands::approvals::run(repo.as_deref(), &args),
        Command::Advisories(args) => commands::advisories::run(&roster, &args),
        Command::Announce(args) => commands::announce::run(&roster, repo.as_deref(), &args),
        Command::Demo => commands::demo::run(),
        Command::Schema => {
            print!("{}", crate::roster::schema::schema_text());
            Ok(Outcome::Success)
        }
    }
}
