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
    /// The policy repository, `owner/name` (GITHUB_REPOSITORY).
    pub repository: Option<String>,
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
        let github = {
            let api_url = get("GITHUB_API_URL").unwrap_or_else(|| DEFAULT_GITHUB_API.to_owned());
            match (
                get("PSRT_GITHUB_APP_ID"),
                get("PSRT_GITHUB_APP_KEY"),
                get("GITHUB_TOKEN"),
            ) {
                (Some(id), Some(key), _) => match id.parse() {
                    Ok(app_id) => Ok(GitHubEnv {
                        api_url,
                        auth: GitHubAuth::App {
                            app_id,
                            private_key: Secret::new(key),
                        },
                    }),
                    Err(_) => Err(Missing(vec!["PSRT_GITHUB_APP_ID (a number)"])),
                },
                (Some(_), None, _) => Err(Missing(vec!["PSRT_GITHUB_APP_KEY"])),
                (None, Some(_), _) => Err(Missing(vec!["PSRT_GITHUB_APP_ID"])),
                (None, None, Some(token)) => Ok(GitHubEnv {
                    api_url,
                    auth: GitHubAuth::Token(Secret::new(token)),
                }),
                (None, None, None) => Err(Missing(vec![
                    "GITHUB_TOKEN (or PSRT_GITHUB_APP_ID and PSRT_GITHUB_APP_KEY)",
                ])),
            }
        };
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
        Env {
            github,
            mailman,
            discord,
            smtp,
            cve,
            repository: get("GITHUB_REPOSITORY"),
            in_actions: get("GITHUB_ACTIONS").as_deref() == Some("true"),
            step_summary: get("GITHUB_STEP_SUMMARY").map(Into::into),
        }
    }
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
