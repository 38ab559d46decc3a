//! `/psrt` commands: what a comment's **first line** asks (never a line
//! further down, so never one inside quoted text, a code block or an HTML
//! comment: a first line that opens one of those is not a command), and the
//! replies psrt writes to them. A reply never echoes the comment: what it
//! says is psrt's own text, and the logins it names are GitHub's or the
//! roster's spelling of an account psrt checked.
//!
//! Each command gets one reply, found again by its marker (`<!-- psrt:command
//! <comment id> -->`) and author (one of psrt's accounts). A command that
//! changes the report is first answered by a **claim** (the marker alone:
//! "working on it"), which psrt edits to the **outcome** (a second marker,
//! `<!-- psrt:answered -->`) once the effect is made; see
//! [`crate::advisories::apply::commands`] for the protocol.

use chrono::{DateTime, Utc};

use super::own::Own;
use super::thread::Thread;
use super::{Comment, CommentText};
use crate::advisories::model::{CloseReason, Command};
use crate::ids::GhsaId;
use crate::roster::Login;

/// The marker line of psrt's reply to a command.
pub fn reply_marker(comment_id: u64) -> String {
    format!("<!-- psrt:command {comment_id} -->")
}
/// The second line of a reply that says the outcome.
pub const ANSWERED: &str = "<!-- psrt:answered -->";

/// What is wrong with a command (the reply says so, and what works).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    /// `/psrt` alone, or a verb psrt does not know.
    UnknownVerb,
    /// `coordinator` or `invite` without an `@login`.
    MissingLogin(&'static str),
    /// Something that is not an `@login` where one is wanted.
    MalformedLogin(&'static str),
    /// `close` without a reason, or with one psrt does not know.
    CloseReason,
    /// `close duplicate` without a GHSA id, or with a malformed one.
    DuplicateId,
    /// A GHSA id given with a reason other than `duplicate`.
    IdWithoutDuplicate,
    /// Words after a complete command.
    TooManyWords(&'static str),
}

/// The command on a first line, or what is wrong with it; `None` when the
/// line is not a `/psrt` command at all.
pub fn parse(first_line: &str) -> Option<Result<Command, Bad>> {
    // Four spaces or a tab open an indented code block.
    if first_line.starts_with("    ") || first_line.starts_with('\t') {
        return None;
    }
    let mut words = first_line.split_whitespace();
    if words.next()? != "/psrt" {
        return None;
    }
    let verb = match words.next() {
        Some(v) => v.to_ascii_lowercase(),
        None => return Some(Err(Bad::UnknownVerb)),
    };
    let rest: Vec<&str> = words.collect();
    let login = |verb: &'static str| -> Result<Login, Bad> {
        match rest.as_slice() {
            [] => Err(Bad::MissingLogin(verb)),
            [one] => {
                let l = one
                    .strip_prefix('@')
                    .map(Login::new)
                    .filter(Login::is_valid)
                    .ok_or(Bad::MalformedLogin(verb))?;
                Ok(l)
            }
            _ => Err(Bad::TooManyWords(verb)),
        }
    };
    let alone = |c: Command| {
        if rest.is_empty() {
            Ok(c)
        } else {
            Err(Bad::TooManyWords(c.verb()))
        }
    };
    Some(match verb.as_str() {
        "help" => alone(Command::Help),
        "status" => alone(Command::Status),
        "accept" => alone(Command::Accept),
        "experts" => alone(Command::Experts),
        "cve" => alone(Command::Cve),
        "coordinator" => login("coordinator").map(Command::Coordinator),
        "invite" => login("invite").map(Command::Invite),
        "close" => close(&rest),
        _ => Err(Bad::UnknownVerb),
    })
}

fn close(rest: &[&str]) -> Result<Command, Bad> {
    let reason = rest
        .first()
        .and_then(|w| {
            let w = w.to_ascii_lowercase();
            CloseReason::ALL.into_iter().find(|r| r.word() == w)
        })
        .ok_or(Bad::CloseReason)?;
    let duplicate_of = match (reason, &rest[1..]) {
        (CloseReason::Duplicate, [id]) => Some(GhsaId::parse(id).ok_or(Bad::DuplicateId)?),
        (CloseReason::Duplicate, []) => return Err(Bad::DuplicateId),
        (_, []) => None,
        (CloseReason::Duplicate, _) => return Err(Bad::TooManyWords("close")),
        (_, [one]) if GhsaId::parse(one).is_some() => return Err(Bad::IdWithoutDuplicate),
        (_, _) => return Err(Bad::TooManyWords("close")),
    };
    Ok(Command::Close {
        reason: Some(reason),
        duplicate_of,
    })
}

impl CommentText {
    /// The `/psrt` command on the first line, or what is wrong with it.
    pub fn parsed(&self) -> Option<Result<Command, Bad>> {
        parse(self.0.lines().next()?.trim_end())
    }
}

/// psrt's reply to a command, as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub id: u64,
    /// It says the outcome (else it is a claim).
    pub answered: bool,
    /// psrt's current account wrote it (so psrt can edit it).
    pub editable: bool,
}

/// A command comment, as the lifecycle sees it (never its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub comment_id: u64,
    pub author_id: Option<u64>,
    /// Never edited when read now.
    pub unedited: bool,
    /// When it was written (against the ledger's memory of commands, and
    /// when psrt began watching a report that was not open).
    pub created_at: DateTime<Utc>,
    pub parsed: Result<Command, Bad>,
}

impl Thread {
    /// The `/psrt` commands in the discussion, in the order written (psrt's
    /// own comments are never commands).
    pub fn commands(&self, own: &Own) -> Vec<Found> {
        self.comments
            .iter()
            .filter(|c| !own.is_own(c.author_id))
            .filter_map(|c: &Comment| {
                Some(Found {
                    comment_id: c.id,
                    author_id: c.author_id,
                    unedited: c.updated_at == c.created_at,
                    created_at: c.created_at,
                    parsed: c.body.parsed()?,
                })
            })
            .collect()
    }

    /// psrt's replies to a command, oldest first.
    pub fn replies(&self, own: &Own, comment_id: u64) -> Vec<Reply> {
        let marker = reply_marker(comment_id);
        self.comments
            .iter()
            .filter(|c| own.is_own(c.author_id))
            .filter(|c| c.body.starts_with_marker(&marker))
            .map(|c| Reply {
                id: c.id,
                answered: c.body.0.lines().nth(1).map(str::trim) == Some(ANSWERED),
                editable: own.can_edit(c.author_id),
            })
            .collect()
    }
}

/// What a reply says. Fixed texts and checked logins only: never the
/// comment's words.
pub fn claim(comment_id: u64, verb: &str) -> String {
    format!(
        "{}\npsrt is running `/psrt {verb}` (comment {comment_id}); this reply will say the outcome.\n",
        reply_marker(comment_id)
    )
}

/// The outcome reply.
pub fn answer(comment_id: u64, text: &str) -> String {
    format!(
        "{}\n{ANSWERED}\n{}\n",
        reply_marker(comment_id),
        text.trim_end()
    )
}

/// The commands, as `help` and the status comment list them.
pub fn help() -> Vec<&'static str> {
    vec![
        "`/psrt help`: this list",
        "`/psrt status`: the report's standing (deadline, coordinator, what is missing)",
        "`/psrt accept`: a report in triage moves to draft (the private fork and, where the PSF is the CNA, the CVE id follow)",
        "`/psrt close completed|not-planned|invalid|duplicate [GHSA-…]`: closes the report and posts the devguide's reply for that reason",
        "`/psrt coordinator @login`: the coordinator credit moves to that member (PEP 811 delegation)",
        "`/psrt invite @login`: a core developer or triager collaborates on the fix (anyone else: an admin only)",
        "`/psrt cve`: reserves the CVE id now (a draft where the PSF is the CNA)",
        "`/psrt experts`: who CODEOWNERS names for the files the fix in the private fork touches (a suggestion: it adds no one)",
    ]
}

/// The help reply's text.
pub fn help_text() -> String {
    let mut s = String::from(
        "Commands go on the **first line** of a new comment (an edited comment is not obeyed), by PSRT members only:\n\n",
    );
    for h in help() {
        s.push_str(&format!("- {h}\n"));
    }
    s
}

/// What a refused or malformed command's reply says.
pub fn bad_text(b: Bad) -> String {
    let what = match b {
        Bad::UnknownVerb => "psrt does not know this command.".to_owned(),
        Bad::MissingLogin(v) => format!("`/psrt {v}` needs an account: `/psrt {v} @login`."),
        Bad::MalformedLogin(v) => {
            format!("`/psrt {v}` takes one GitHub account, written `@login`.")
        }
        Bad::CloseReason => {
            "`/psrt close` needs a reason: `completed`, `not-planned`, `invalid` or `duplicate GHSA-…`."
                .to_owned()
        }
        Bad::DuplicateId => {
            "`/psrt close duplicate` needs the id of the report it duplicates: `/psrt close duplicate GHSA-xxxx-xxxx-xxxx`."
                .to_owned()
        }
        Bad::IdWithoutDuplicate => {
            "a GHSA id goes with `duplicate` only: `/psrt close duplicate GHSA-…`.".to_owned()
        }
        Bad::TooManyWords(v) => format!("`/psrt {v}` was given more than it takes."),
    };
    format!("{what} Nothing was changed.\n\n{}", help_text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisories::discussion::text;

    #[test]
    fn the_first_line_only_and_nothing_inside_quotes_code_or_html_comments() {
        assert_eq!(parse("/psrt accept"), Some(Ok(Command::Accept)));
        assert_eq!(
            text("/psrt accept\n/psrt close invalid").parsed(),
            Some(Ok(Command::Accept))
        );
        for none in [
            "",
            "looks good\n/psrt accept",
            "> /psrt accept",
            "```\n/psrt accept\n```",
            "    /psrt accept",
            "\t/psrt accept",
            "<!-- /psrt accept -->",
            "<!--\n/psrt accept\n-->",
            "\n/psrt accept",
            "/psrtaccept",
            "`/psrt accept`",
        ] {
            assert_eq!(text(none).parsed(), None, "{none:?}");
        }
    }

    #[test]
    fn every_verb_and_what_is_wrong_with_bad_input() {
        let ok = |s: &str| parse(s).unwrap().unwrap();
        let bad = |s: &str| parse(s).unwrap().unwrap_err();
        assert_eq!(ok("/psrt help"), Command::Help);
        assert_eq!(ok("/psrt STATUS"), Command::Status);
        assert_eq!(ok("/psrt cve"), Command::Cve);
        assert_eq!(ok("/psrt experts"), Command::Experts);
        assert_eq!(
            ok("/psrt coordinator @Bob-2"),
            Command::Coordinator(Login::new("Bob-2"))
        );
        assert_eq!(ok("/psrt invite @x"), Command::Invite(Login::new("x")));
        assert_eq!(
            ok("/psrt close not-planned"),
            Command::Close {
                reason: Some(CloseReason::NotPlanned),
                duplicate_of: None
            }
        );
        assert_eq!(
            ok("/psrt close duplicate GHSA-abcd-0000-1111"),
            Command::Close {
                reason: Some(CloseReason::Duplicate),
                duplicate_of: Some(GhsaId::new("GHSA-abcd-0000-1111"))
            }
        );
        assert_eq!(bad("/psrt"), Bad::UnknownVerb);
        assert_eq!(bad("/psrt frobnicate"), Bad::UnknownVerb);
        assert_eq!(bad("/psrt coordinator"), Bad::MissingLogin("coordinator"));
        assert_eq!(bad("/psrt invite bob"), Bad::MalformedLogin("invite"));
        assert_eq!(bad("/psrt invite @b@d"), Bad::MalformedLogin("invite"));
        assert_eq!(bad("/psrt invite @a @b"), Bad::TooManyWords("invite"));
        assert_eq!(bad("/psrt close"), Bad::CloseReason);
        assert_eq!(bad("/psrt close fixed"), Bad::CloseReason);
        assert_eq!(bad("/psrt close duplicate"), Bad::DuplicateId);
        assert_eq!(bad("/psrt close duplicate GHSA-nope"), Bad::DuplicateId);
        assert_eq!(
            bad("/psrt close invalid GHSA-abcd-0000-1111"),
            Bad::IdWithoutDuplicate
        );
        assert_eq!(bad("/psrt accept now please"), Bad::TooManyWords("accept"));
    }

    #[test]
    fn replies_never_echo_the_comment() {
        let secret = "EMBARGO-zzz";
        for line in [
            format!("/psrt {secret}"),
            format!("/psrt invite @{secret}!"),
            format!("/psrt close {secret}"),
            format!("/psrt close duplicate {secret}"),
            format!("/psrt accept {secret}"),
        ] {
            let b = parse(&line).unwrap().unwrap_err();
            assert!(!bad_text(b).contains(secret), "{line}");
            assert!(bad_text(b).contains("Nothing was changed"));
        }
    }
}
