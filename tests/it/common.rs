//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// The `psrt` binary with a clean environment: no credentials leak in from the
/// developer's shell, and nothing thinks it runs under GitHub Actions.
pub fn psrt() -> Command {
    psrt_at(Path::new(env!("CARGO_BIN_EXE_psrt")))
}

/// Another build of `psrt` (the production build), with the same clean
/// environment.
pub fn psrt_at(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    for var in [
        "GITHUB_TOKEN",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "PSRT_GITHUB_APP_ID",
        "PSRT_GITHUB_APP_KEY",
        "PSRT_MAILMAN_URL",
        "PSRT_MAILMAN_USER",
        "PSRT_MAILMAN_PASSWORD",
        "PSRT_DISCORD_API_URL",
        "PSRT_DISCORD_TOKEN",
        "PSRT_SMTP_URL",
        "PSRT_SMTP_CA_FILE",
        "PSRT_ROSTER",
        "PSRT_LOG",
        "PSRT_CONTACT_KEY",
        "PSRT_CVE_API_URL",
        "PSRT_CVE_API_USER",
        "PSRT_CVE_API_KEY",
        "PSRT_PR_APP_ID",
        "PSRT_PR_APP_KEY",
        "PSRT_MODE",
        "PSRT_DISPATCH_ALLOW_MASS_REMOVAL",
        "PSRT_DISPATCH_RESET_LEDGER",
        "GITHUB_EVENT_NAME",
        "GITHUB_ACTOR",
        "GITHUB_ACTOR_ID",
        "GITHUB_TRIGGERING_ACTOR",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_ATTEMPT",
        "GITHUB_SERVER_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("psrt runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A roster text: `members` as (login, admin?), everything else default.
pub fn roster_text(members: &[(&str, bool)], extra: &str) -> String {
    let mut s = String::from(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython]\n  eligibility_teams: [python-core]\n  steering_council_team: steering-council\n",
    );
    s.push_str(extra);
    s.push_str("members:\n");
    for (login, admin) in members {
        s.push_str(&format!("  - name: {login}\n    github: {login}\n"));
        if *admin {
            s.push_str("    roles: [admin]\n");
        }
    }
    s
}

pub fn roster(members: &[(&str, bool)]) -> psrt::roster::Roster {
    parse_roster(&roster_text(members, ""))
}

pub fn parse_roster(text: &str) -> psrt::roster::Roster {
    match psrt::roster::parse(text.as_bytes()) {
        Ok(l) => l.roster,
        Err(psrt::roster::LoadError::Invalid { diagnostics, .. }) => {
            panic!("bad test roster: {diagnostics:#?}")
        }
        Err(e) => panic!("{e}"),
    }
}

pub const TOKEN: &str = "ghp_TESTTOKEN_do_not_print_0123456789";

pub fn env_for(vars: &[(&str, String)]) -> psrt::config::Env {
    psrt::config::Env::from_vars(
        &vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// A fake GitHub org `python` with team `psrt`, running. `TOKEN` is a
/// personal access token of the account `psrt-bot` (`GET /user` answers).
pub async fn github() -> (psrt_fakes::github::GitHubFake, psrt_fakes::Running) {
    let fake = psrt_fakes::github::GitHubFake::new("python", TOKEN);
    fake.token_user(TOKEN, "psrt-bot");
    fake.team("psrt");
    let running = fake.start().await.unwrap();
    (fake, running)
}

pub fn github_env(url: &str) -> psrt::config::Env {
    env_for(&[
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", url.to_owned()),
    ])
}

/// Runs a sync in process against the given environment.
pub async fn sync(
    roster: &psrt::roster::Roster,
    env: &psrt::config::Env,
    services: &[psrt::sync::Service],
    apply: bool,
    allow_mass_removal: bool,
) -> Vec<psrt::sync::ServiceReport> {
    let ctx = psrt::sync::Context {
        env,
        tuning: psrt::github::Tuning::local(),
    };
    let opts = psrt::sync::Options {
        apply,
        allow_mass_removal,
    };
    psrt::sync::run(roster, &ctx, services, opts).await
}

pub fn one(
    reports: &[psrt::sync::ServiceReport],
    s: psrt::sync::Service,
) -> &psrt::sync::ServiceReport {
    reports
        .iter()
        .find(|r| r.service == s)
        .expect("service report")
}

/// "sign action subject" of each change.
pub fn lines(r: &psrt::sync::ServiceReport) -> Vec<String> {
    r.changes
        .iter()
        .map(|c| format!("{} {} {}", c.sign, c.action, c.subject))
        .collect()
}

/// An empty ledger at `dir/.psrt/ledger.json`: what a first sending run
/// starts from on purpose (`deadlines --send` refuses a missing one).
pub fn start_ledger(dir: &Path) -> PathBuf {
    let path = dir.join(".psrt/ledger.json");
    std::fs::create_dir_all(dir.join(".psrt")).unwrap();
    std::fs::write(&path, r#"{"version":2,"reports":{}}"#).unwrap();
    path
}

/// `text` with each `github: LOGIN` line (block style) followed by the
/// `github_id` the fake gave that login, for the logins the fake knows:
/// what `psrt pin-ids` records. Grants follow the account id, so a test
/// roster that expects psrt to add someone must carry their id.
pub fn with_ids(fake: &psrt_fakes::github::GitHubFake, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(line);
        let trimmed = line.trim_start();
        let Some(login) = trimmed.strip_prefix("github: ") else {
            continue;
        };
        let login = login.trim();
        let indent = &line[..line.len() - trimmed.len()];
        if let Some(id) = fake.with(|s| s.user_by_login(login).map(|u| u.id)) {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("{indent}github_id: {id}\n"));
        }
    }
    out
}

/// [`roster`], each member the fake knows with their `github_id`.
pub fn pinned_roster(
    fake: &psrt_fakes::github::GitHubFake,
    members: &[(&str, bool)],
) -> psrt::roster::Roster {
    parse_roster(&with_ids(fake, &roster_text(members, "")))
}
