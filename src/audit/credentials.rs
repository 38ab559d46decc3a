//! Each credential verified by a read (issue 22, item 9): the GitHub App's
//! installations and the scoped token each command needs, Mailman's list,
//! the Discord role's position under the bot's, SMTP's greeting, STARTTLS
//! and login, CVE Services' quota. A credential absent where the roster
//! configures its service is a problem; a service the roster leaves out is
//! not checked, quietly.

use super::model::{Area, Finding, Kind, State};
use crate::config::{Env, GitHubAuth};
use crate::github::{GitHub, Scope, Tuning};
use crate::roster::Roster;

fn scope_of(service: &str) -> String {
    format!("credential {service}")
}

fn absent(service: &str, why: impl std::fmt::Display) -> Finding {
    Finding::problem(
        Area::Credentials,
        &scope_of(service),
        Kind::Credential,
        service,
        format!("absent: {why}"),
    )
}

fn refused(service: &str, why: impl std::fmt::Display) -> Finding {
    Finding::problem(
        Area::Credentials,
        &scope_of(service),
        Kind::Credential,
        service,
        format!("refused or unusable: {why}"),
    )
}

/// The scopes of the commands the scheduled workflows run with the main
/// App, by command line.
pub fn command_scopes(roster: &Roster, policy_repo: &str) -> Vec<(&'static str, Scope)> {
    vec![
        (
            "sync --apply",
            crate::sync::github_team::scope(roster, true),
        ),
        (
            "advisories --apply",
            crate::advisories::github_scope(roster, true),
        ),
        ("deadlines", crate::deadlines::github_scope(roster)),
        ("inactivity", crate::inactivity::github_scope(roster)),
        ("check --online", crate::online::github_scope(roster)),
        (
            "audit --apply",
            super::github_scope(roster, policy_repo, true),
        ),
    ]
}

pub async fn check(env: &Env, roster: &Roster, policy_repo: &str, tuning: &Tuning) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(github(env, roster, policy_repo, tuning).await);
    if let Some(m) = &roster.mailman {
        out.push(match &env.mailman {
            Err(missing) => absent("Mailman", missing),
            Ok(e) => match crate::sync::mailman::MailmanList::new(e, &m.list, tuning.retry.clone())
            {
                Err(why) => refused("Mailman", why),
                Ok(list) => match list.check_list().await {
                    Ok(()) => Finding::ok(
                        Area::Credentials,
                        &scope_of("Mailman"),
                        "Mailman",
                        format!("the REST user reads the list {}", m.list),
                    ),
                    Err(why) => refused("Mailman", why),
                },
            },
        });
    }
    if let Some(d) = &roster.discord {
        out.push(match &env.discord {
            Err(missing) => absent("Discord", missing),
            Ok(e) => match crate::sync::discord::DiscordRole::new(e, &d.guild, &d.role, tuning.retry.clone())
            {
                Err(why) => refused("Discord", why),
                Ok(role) => match role.check_position().await {
                    Ok((at, bot)) if at < bot => Finding::ok(
                        Area::Credentials,
                        &scope_of("Discord"),
                        "Discord",
                        format!("the bot's highest role (position {bot}) is above the role (position {at})"),
                    ),
                    Ok((at, bot)) => refused(
                        "Discord",
                        format!(
                            "the role (position {at}) is not below the bot's highest role (position {bot}): the bot cannot give or take it; drag the bot's role above it"
                        ),
                    ),
                    Err(why) => refused("Discord", why),
                },
            },
        });
    }
    if let Some(email) = &roster.email {
        out.push(match &env.smtp {
            Err(missing) => absent("SMTP", missing),
            Ok(smtp) => match crate::notify::Mailer::new(smtp, &email.from) {
                Err(why) => refused("SMTP", why),
                Ok(m) => match m.check().await {
                    Ok(()) => Finding::ok(
                        Area::Credentials,
                        &scope_of("SMTP"),
                        "SMTP",
                        "greeting, TLS as PSRT_SMTP_URL asks and login: all answered",
                    ),
                    Err(why) => refused("SMTP", why),
                },
            },
        });
    }
    if let Some(cve) = &roster.cve {
        out.push(match &env.cve {
            Err(missing) => absent("CVE Services", missing),
            Ok(e) => match crate::cve::CveServices::new(e, &cve.org, &tuning.retry) {
                Err(why) => refused("CVE Services", why),
                Ok(client) => match client.quota().await {
                    Ok((0, of)) => refused(
                        "CVE Services",
                        format!(
                            "the quota is spent (0 of {of} ids left): no CVE id can be reserved"
                        ),
                    ),
                    Ok((left, of)) => Finding::ok(
                        Area::Credentials,
                        &scope_of("CVE Services"),
                        "CVE Services",
                        format!("{} may reserve {left} more id(s) (quota {of})", cve.org),
                    ),
                    Err(why) => refused("CVE Services", why),
                },
            },
        });
    }
    out
}

/// The main App: each installation and each command's scoped tokens, minted
/// (a read of what GitHub grants; nothing is written with them). A
/// personal token cannot be narrowed or inspected: that it works is all.
async fn github(env: &Env, roster: &Roster, policy_repo: &str, tuning: &Tuning) -> Vec<Finding> {
    let service = "GitHub";
    let gh_env = match &env.github {
        Err(missing) => return vec![absent(service, missing)],
        Ok(g) => g,
    };
    if let GitHubAuth::Token(_) = gh_env.auth {
        let gh = match GitHub::connect(gh_env, Scope::default(), tuning.clone()).await {
            Ok(g) => g,
            Err(why) => return vec![refused(service, why)],
        };
        return vec![
            match gh.authenticated_user().await {
                Ok(_) => Finding::ok(
                    Area::Credentials,
                    &scope_of(service),
                    service,
                    "the token works",
                ),
                Err(e) => refused(service, e.reason()),
            },
            Finding::new(
                Area::Credentials,
                &scope_of(service),
                "GitHub token scopes",
                State::Limit,
                "a personal token cannot be narrowed or inspected; the App is checked command by command",
            ),
        ];
    }
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut refusals = Vec::new();
    let mut minted = 0;
    for (command, scope) in command_scopes(roster, policy_repo) {
        let gh = match GitHub::connect(gh_env, scope, tuning.clone()).await {
            Ok(g) => g,
            Err(why) => return vec![refused(service, why)],
        };
        for (what, result) in gh.mint_all().await.unwrap_or_default() {
            if !seen.insert(what.clone()) {
                continue;
            }
            match result {
                Ok(()) => minted += 1,
                Err(why) => refusals.push((
                    format!("GitHub App token for {what}"),
                    format!("psrt {command} needs it: {why}"),
                )),
            }
        }
    }
    if refusals.is_empty() {
        out.push(Finding::ok(
            Area::Credentials,
            &scope_of(service),
            "GitHub App",
            format!(
                "{minted} scoped token(s) minted: every command's installation and permissions"
            ),
        ));
    } else {
        for (subject, why) in refusals {
            out.push(Finding::problem(
                Area::Credentials,
                &scope_of(service),
                Kind::Credential,
                &subject,
                format!("refused: {why}"),
            ));
        }
    }
    out
}
