//! The command line: argument parsing and dispatch. Each command's work lives
//! in its own module; this file only wires them to flags and exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{self, Outcome};

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
    Check(commands::check::Args),
    /// Build a roster from the devguide's public CSV lists (migration).
    Import(commands::import::Args),
    /// Write the public lists psrt.csv and psrt-emeritus.csv; --open-pr proposes them to the devguide.
    Publish(commands::publish::Args),
    /// Make the GitHub team, the security@ list and the Discord role match the roster.
    Sync(commands::sync::Args),
    /// Every open report against its 90-day deadline; --send emails the warnings due.
    Deadlines(commands::deadlines::Args),
    /// The yearly inactivity report; --open-pr opens the pull request for the Steering Council.
    Inactivity(commands::inactivity::Args),
    /// Whether pull request N meets the base roster's approval rule; --publish sets psrt/approvals and one comment.
    Approvals(commands::approvals::Args),
    /// Advisory hygiene: the team on every open report, outsiders as collaborators, coordinators assigned.
    Advisories(commands::advisories::Args),
    /// After publication: the security-announce email, the CVE record and the OSV record (--repo: the advisory's repository).
    Announce(commands::announce::Args),
    /// The nightly and yearly jobs against local stand-ins: no network, no credentials.
    Demo,
    /// Print the roster's JSON Schema (committed as schema/roster.schema.json).
    Schema,
    /// Print a new contact key (age identity), as age-keygen does.
    Keygen(commands::keygen::Args),
    /// Encrypt an email address or Discord id to contacts.recipients; prints the value to paste.
    Encrypt(commands::encrypt::Args),
    /// Encrypted contact fields: `rekey` re-encrypts them to the current recipients.
    Contacts(commands::contacts::Args),
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

/// `psrt demo` in the production build (`--no-default-features`), which
/// carries no stand-ins and no HTTP server: a usage error (exit 2).
pub fn demo_not_built_in() -> clap::Error {
    use clap::CommandFactory as _;
    Cli::command().error(
        clap::error::ErrorKind::InvalidSubcommand,
        "the demo is not built into this psrt: this is the production build \
         (`--no-default-features`), without the local stand-ins the demo runs against; \
         `cargo run -- demo` builds and runs it",
    )
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
        #[cfg(feature = "demo")]
        Command::Demo => commands::demo::run(),
        #[cfg(not(feature = "demo"))]
        Command::Demo => demo_not_built_in().exit(),
        Command::Keygen(args) => commands::keygen::run(&args),
        Command::Encrypt(args) => commands::encrypt::run(&roster, &args),
        Command::Contacts(args) => commands::contacts::run(&roster, &args),
        Command::Schema => {
            print!("{}", crate::roster::schema::schema_text());
            Ok(Outcome::Success)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_missing_from_the_build_is_a_usage_error_that_says_so() {
        let e = super::demo_not_built_in();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(
            text.contains("the demo is not built into this psrt"),
            "{text}"
        );
        assert!(text.contains("cargo run -- demo"), "{text}");
    }
}
