//! The command line: argument parsing and dispatch. Each command's work lives
//! in its own module; this file only wires them to flags and exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    #[arg(long, global = true, value_name = "OWNER/NAME", value_parser = commands::parse_repo_arg)]
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
    /// Whether pull request N (or, with --all, each open one that changes roster.yaml) meets the base roster's approval rule; --publish sets psrt/approvals and one comment.
    Approvals(commands::approvals::Args),
    /// Advisory hygiene: the team on every open report, outsiders as collaborators, coordinators assigned.
    Advisories(commands::advisories::Args),
    /// Check what psrt depends on: scheduled workflows, branch rules, private reporting, credentials.
    Audit(commands::audit::Args),
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
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    crate::logging::init(cli.verbose);
    let roster_given = matches!(
        matches.value_source("roster"),
        Some(clap::parser::ValueSource::CommandLine)
    );
    let env = crate::config::Env::from_process();
    if let Err(message) = settle(&mut cli, roster_given, &env, chrono::Utc::now()) {
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    match run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The rules clap cannot say, checked before anything runs (a usage error,
/// exit 2, when one is broken): a preview of the future never writes,
/// `psrt demo` runs its own roster, and `PSRT_MODE` (the scheduled
/// workflows') is `plan` or `apply`; `plan` drops every write flag.
pub fn settle(
    cli: &mut Cli,
    roster_given: bool,
    env: &crate::config::Env,
    clock: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    if let (Command::Demo, true) = (&cli.command, roster_given) {
        return Err(
            "psrt demo runs its own example roster (examples/roster.yaml) against stand-ins seeded from it; it does not take --roster"
                .to_owned(),
        );
    }
    let writes = cli.command.write_flags();
    if let (Some(now), Some(flag)) = (cli.command.now(), writes.first()) {
        if now > clock {
            return Err(format!(
                "--now {} is after the real clock: a preview of the future never sends, writes or records; drop {flag} (or --now)",
                now.format("%Y-%m-%dT%H:%M:%SZ")
            ));
        }
    }
    match &env.mode {
        // The audit reports a bad value as a problem instead of never running.
        Err(_) if matches!(cli.command, Command::Audit(_)) => {}
        Err(why) => return Err(why.clone()),
        Ok(Some(crate::config::Mode::Plan)) if !writes.is_empty() => {
            cli.command.drop_write_flags();
            let line = format!(
                "plan mode ({}=plan): {} dropped; nothing is written this run",
                crate::config::MODE_VAR,
                writes.join(", ")
            );
            eprintln!("note: {line}");
            if env.in_actions {
                println!("::notice title=psrt plan mode::{line}");
            }
        }
        Ok(_) => {}
    }
    Ok(())
}

impl Command {
    /// The write flags given (`--apply`, `--send`, `--open-pr`, `--publish`).
    pub fn write_flags(&self) -> Vec<&'static str> {
        let flags: &[(&'static str, bool)] = match self {
            Command::Sync(a) => &[("--apply", a.apply)],
            Command::Deadlines(a) => &[("--send", a.send)],
            Command::Inactivity(a) => &[("--open-pr", a.open_pr)],
            Command::Approvals(a) => &[("--publish", a.publish)],
            Command::Advisories(a) => &[("--apply", a.apply)],
            Command::Publish(a) => &[("--open-pr", a.open_pr)],
            // Plan mode never drops the audit's own writes: it re-enables
            // workflows and tells the admins about plan mode itself.
            Command::Audit(_) => &[],
            Command::Check(_)
            | Command::Import(_)
            | Command::Announce(_)
            | Command::Demo
            | Command::Schema
            | Command::Keygen(_)
            | Command::Encrypt(_)
            | Command::Contacts(_) => &[],
        };
        flags
            .iter()
            .filter(|(_, given)| *given)
            .map(|(flag, _)| *flag)
            .collect()
    }

    /// Plan mode: the command as it runs without its write flags.
    fn drop_write_flags(&mut self) {
        match self {
            Command::Sync(a) => (a.apply, a.plan_only) = (false, true),
            Command::Deadlines(a) => (a.send, a.plan_only) = (false, true),
            Command::Inactivity(a) => (a.open_pr, a.plan_only) = (false, true),
            Command::Approvals(a) => a.publish = false,
            Command::Advisories(a) => (a.apply, a.plan_only) = (false, true),
            Command::Publish(a) => (a.open_pr, a.plan_only) = (false, true),
            Command::Audit(_) => {}
            Command::Check(_)
            | Command::Import(_)
            | Command::Announce(_)
            | Command::Demo
            | Command::Schema
            | Command::Keygen(_)
            | Command::Encrypt(_)
            | Command::Contacts(_) => {}
        }
    }

    /// `--now`, for the commands that take it.
    pub fn now(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            Command::Deadlines(a) => a.now,
            Command::Inactivity(a) => a.now,
            Command::Approvals(a) => a.now,
            Command::Advisories(a) => a.now,
            _ => None,
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
        Command::Audit(args) => commands::audit::run(&roster, repo.as_deref(), &args),
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
