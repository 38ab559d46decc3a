//! Where psrt's credentials and endpoints come from: the environment.
//!
//! A service whose credentials are missing is not treated as empty: it is
//! [`Missing`], and the command says which variable to set.

use std::collections::HashMap;

use crate::secret::Secret;

pub const DEFAULT_GITHUB_API: &str = "https://api.github.com";
pub const DEFAULT_DISCORD_API: &str = "https://discord.com/api/v10";
pub const DEFAULT_CVE_API: &str = "https://cveawg.mitre.org/api";

/// Why a service is not configured: the variables that are not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing(pub Vec<&'static str>);

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let vars = self.0.join(", ");
        write!(
            f,
            "{vars} {} not set",
            if self.0.len() == 1 { "is" } else { "are" }
        )
    }
}

#[derive(Debug, Clone)]
pub enum GitHubAuth {
    Token(Secret),
    /// A GitHub App: psrt finds the installation for the org and uses its token.
    App {
        app_id: u64,
        private_key: Secret,
    },
}

#[derive(Debug, Clone)]
pub struct GitHubEnv {
    pub api_url: String,
    pub auth: GitHubAuth,
}

#[derive(Debug, Clone)]
pub struct MailmanEnv {
    /// Base URL including `/3.1`.
    pub url: String,
    pub user: String,
    pub password: Secret,
}

#[derive(Debug, Clone)]
pub struct DiscordEnv {
    pub api_url: String,
    pub token: Secret,
}

#[derive(Debug, Clone)]
pub struct SmtpEnv {
    /// The whole URL is secret: it carries the password.
    pub url: Secret,
    pub ca_file: Option<std::path::PathBuf>,
}

/// CVE Services: the CNA's account (the org is `cve.org` in the roster).
#[derive(Debug, Clone)]
pub struct CveEnv {
    pub api_url: String,
    pub user: String,
    pub key: Secret,
}

/// Everything psrt reads from the environment, read once.
#[derive(Debug, Clone)]
pub struct Env {
    pub github: Result<GitHubEnv, Missing>,
    pub mailman: Result<MailmanEnv, Missing>,
    pub discord: Result<DiscordEnv, Missing>,
    pub smtp: Result<SmtpEnv, Missing>,
    pub cve: Result<CveEnv, Missing>,
    /// The pull-request App (`PSRT_PR_APP_ID`, `PSRT_PR_APP_KEY`): the only
    /// credential that writes contents, installed on the policy repository
    /// and the devguide alone. A personal `GITHUB_TOKEN` stands in for it
    /// when no App is configured at all (a local run).
    pub pull_requests: Result<GitHubEnv, Missing>,
    /// `PSRT_MODE`, which the scheduled workflows pass: `None` when absent
    /// (a local run), an error naming the value when it is neither `plan`
    /// nor `apply` (an empty value, from an unset repository variable, too).
    pub mode: Result<Option<Mode>, String>,
    /// The workflow run psrt is part of (GitHub Actions' default variables).
    pub run: RunContext,
    /// The one-off flags a `workflow_dispatch` asked for.
    pub dispatch: DispatchRequest,
    /// The policy repository, `owner/name` (GITHUB_REPOSITORY).
    pub repository: Option<String>,
    /// `PSRT_APPROVALS_APP_ID`: the approvals App's id, the only source
    /// `psrt audit` accepts for the required `psrt/approvals` status.
    pub approvals_app_id: Option<u64>,
    pub in_actions: bool,
    pub step_summary: Option<std::path::PathBuf>,
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_vars(&std::env::vars().collect())
    }

    pub fn from_vars(vars: &HashMap<String, String>) -> Self {
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let github = github_app(
            &api_url_of(vars),
            get("PSRT_GITHUB_APP_ID"),
            get("PSRT_GITHUB_APP_KEY"),
            ("PSRT_GITHUB_APP_ID", "PSRT_GITHUB_APP_KEY"),
        )
        .unwrap_or_else(|| match get("GITHUB_TOKEN") {
            Some(token) => Ok(GitHubEnv {
                api_url: api_url_of(vars),
                auth: GitHubAuth::Token(Secret::new(token)),
            }),
            None => Err(Missing(vec![
                "GITHUB_TOKEN (or PSRT_GITHUB_APP_ID and PSRT_GITHUB_APP_KEY)",
            ])),
        });
        let mailman = {
            let (url, user, password) = (
                get("PSRT_MAILMAN_URL"),
                get("PSRT_MAILMAN_USER"),
                get("PSRT_MAILMAN_PASSWORD"),
            );
            match (url, user, password) {
                (Some(url), Some(user), Some(password)) => Ok(MailmanEnv {
                    url,
                    user,
                    password: Secret::new(password),
                }),
                (url, user, password) => Err(Missing(
                    [
                        ("PSRT_MAILMAN_URL", url.is_none()),
                        ("PSRT_MAILMAN_USER", user.is_none()),
                        ("PSRT_MAILMAN_PASSWORD", password.is_none()),
                    ]
                    .into_iter()
                    .filter_map(|(k, missing)| missing.then_some(k))
                    .collect(),
                )),
            }
        };
        let discord = match get("PSRT_DISCORD_TOKEN") {
            Some(token) => Ok(DiscordEnv {
                api_url: get("PSRT_DISCORD_API_URL")
                    .unwrap_or_else(|| DEFAULT_DISCORD_API.to_owned()),
                token: Secret::new(token),
            }),
            None => Err(Missing(vec!["PSRT_DISCORD_TOKEN"])),
        };
        let smtp = match get("PSRT_SMTP_URL") {
            Some(url) => Ok(SmtpEnv {
                url: Secret::new(url),
                ca_file: get("PSRT_SMTP_CA_FILE").map(Into::into),
            }),
            None => Err(Missing(vec!["PSRT_SMTP_URL"])),
        };
        let cve = match (get("PSRT_CVE_API_USER"), get("PSRT_CVE_API_KEY")) {
            (Some(user), Some(key)) => Ok(CveEnv {
                api_url: get("PSRT_CVE_API_URL").unwrap_or_else(|| DEFAULT_CVE_API.to_owned()),
                user,
                key: Secret::new(key),
            }),
            (user, key) => Err(Missing(
                [
                    ("PSRT_CVE_API_USER", user.is_none()),
                    ("PSRT_CVE_API_KEY", key.is_none()),
                ]
                .into_iter()
                .filter_map(|(k, missing)| missing.then_some(k))
                .collect(),
            )),
        };
        let pull_requests = github_app(
            &api_url_of(vars),
            get("PSRT_PR_APP_ID"),
            get("PSRT_PR_APP_KEY"),
            ("PSRT_PR_APP_ID", "PSRT_PR_APP_KEY"),
        )
        .unwrap_or_else(|| {
            // No pull-request App: a personal token serves a local run; an
            // environment with the main App but not this one is missing it
            // (the main App has no Contents write).
            match (get("GITHUB_TOKEN"), get("PSRT_GITHUB_APP_ID")) {
                (Some(token), None) => Ok(GitHubEnv {
                    api_url: api_url_of(vars),
                    auth: GitHubAuth::Token(Secret::new(token)),
                }),
                _ => Err(Missing(vec![
                    "PSRT_PR_APP_ID",
                    "PSRT_PR_APP_KEY (the pull-request App; a local run may use GITHUB_TOKEN)",
                ])),
            }
        });
        let mode = match vars.get(MODE_VAR) {
            None => Ok(None),
            Some(v) => Mode::parse(v).map(Some),
        };
        let flag = |k: &str| get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Env {
            github,
            pull_requests,
            mode,
            run: RunContext {
                event: get("GITHUB_EVENT_NAME"),
                actor: get("GITHUB_ACTOR"),
                actor_id: get("GITHUB_ACTOR_ID"),
                triggering_actor: get("GITHUB_TRIGGERING_ACTOR"),
                url: match (
                    get("GITHUB_SERVER_URL"),
                    get("GITHUB_REPOSITORY"),
                    get("GITHUB_RUN_ID"),
                ) {
                    (Some(server), Some(repo), Some(id)) => Some(format!(
                        "{server}/{repo}/actions/runs/{id}{}",
                        get("GITHUB_RUN_ATTEMPT")
                            .map_or(String::new(), |a| format!("/attempts/{a}"))
                    )),
                    _ => None,
                },
            },
            dispatch: DispatchRequest {
                allow_mass_removal: flag(DispatchRequest::ALLOW_MASS_REMOVAL_VAR),
                reset_ledger: flag(DispatchRequest::RESET_LEDGER_VAR),
            },
            mailman,
            discord,
            smtp,
            cve,
            repository: get("GITHUB_REPOSITORY"),
            approvals_app_id: get("PSRT_APPROVALS_APP_ID").and_then(|v| v.parse().ok()),
            in_actions: get("GITHUB_ACTIONS").as_deref() == Some("true"),
            step_summary: get("GITHUB_STEP_SUMMARY").map(Into::into),
        }
    }
}

fn api_url_of(vars: &HashMap<String, String>) -> String {
    vars.get("GITHUB_API_URL")
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_GITHUB_API.to_owned())
}

/// A GitHub App from its id and key variables: `None` when neither is set.
fn github_app(
    api_url: &str,
    id: Option<String>,
    key: Option<String>,
    (id_var, key_var): (&'static str, &'static str),
) -> Option<Result<GitHubEnv, Missing>> {
    match (id, key) {
        (None, None) => None,
        (Some(id), Some(key)) => Some(match id.parse() {
            Ok(app_id) => Ok(GitHubEnv {
                api_url: api_url.to_owned(),
                auth: GitHubAuth::App {
                    app_id,
                    private_key: Secret::new(key),
                },
            }),
            Err(_) => Err(Missing(vec![match id_var {
                "PSRT_PR_APP_ID" => "PSRT_PR_APP_ID (a number)",
                _ => "PSRT_GITHUB_APP_ID (a number)",
            }])),
        }),
        (Some(_), None) => Some(Err(Missing(vec![key_var]))),
        (None, Some(_)) => Some(Err(Missing(vec![id_var]))),
    }
}

/// The repository variable the scheduled workflows read.
pub const MODE_VAR: &str = "PSRT_MODE";

/// How the scheduled workflows run psrt: `plan` (the first week of a
/// deployment: every command without its write flags) or `apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plan,
    Apply,
}

impl Mode {
    /// Exactly `plan` or `apply`: a typo must not mean "plan forever, all green".
    pub fn parse(value: &str) -> Result<Mode, String> {
        match value {
            "plan" => Ok(Mode::Plan),
            "apply" => Ok(Mode::Apply),
            "" => Err(format!(
                "{MODE_VAR} is empty (the repository variable is not set): set it to `plan` (the first week: nothing is written) or `apply`"
            )),
            other => Err(format!(
                "{MODE_VAR} is `{}`: it must be `plan` (nothing is written) or `apply`",
                other.escape_default()
            )),
        }
    }
}

/// The workflow run, from GitHub Actions' default variables: who started it
/// and how. Every field is absent outside Actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunContext {
    /// `GITHUB_EVENT_NAME` (`schedule`, `workflow_dispatch`...).
    pub event: Option<String>,
    /// `GITHUB_ACTOR`: who started the run (the first attempt's, on a re-run).
    pub actor: Option<String>,
    /// `GITHUB_ACTOR_ID`: that account's id.
    pub actor_id: Option<String>,
    /// `GITHUB_TRIGGERING_ACTOR`: who started this attempt (a re-run's).
    pub triggering_actor: Option<String>,
    /// The run's page (and attempt).
    pub url: Option<String>,
}

/// The one-off flags a `workflow_dispatch` asks for, through the step's
/// environment; psrt honours them only for a roster admin
/// (`commands::dispatch`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchRequest {
    pub allow_mass_removal: bool,
    pub reset_ledger: bool,
}

impl DispatchRequest {
    pub const ALLOW_MASS_REMOVAL_VAR: &'static str = "PSRT_DISPATCH_ALLOW_MASS_REMOVAL";
    pub const RESET_LEDGER_VAR: &'static str = "PSRT_DISPATCH_RESET_LEDGER";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_vars(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn missing_credentials_name_the_variables() {
        let e = env(&[("PSRT_MAILMAN_URL", "http://x/3.1")]);
        assert_eq!(
            e.mailman.unwrap_err().to_string(),
            "PSRT_MAILMAN_USER, PSRT_MAILMAN_PASSWORD are not set"
        );
        assert_eq!(
            e.discord.unwrap_err().to_string(),
            "PSRT_DISCORD_TOKEN is not set"
        );
        assert!(e.github.is_err());
    }

    #[test]
    fn app_credentials_win_over_a_token() {
        let e = env(&[
            ("GITHUB_TOKEN", "t"),
            ("PSRT_GITHUB_APP_ID", "42"),
            ("PSRT_GITHUB_APP_KEY", "k"),
        ]);
        assert!(matches!(
            e.github.unwrap().auth,
            GitHubAuth::App { app_id: 42, .. }
        ));
        let e = env(&[
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_API_URL", "http://127.0.0.1:1"),
        ]);
        let g = e.github.unwrap();
        assert_eq!(g.api_url, "http://127.0.0.1:1");
        assert!(!format!("{g:?}").contains('t') || !format!("{g:?}").contains("\"t\""));
    }
}
