//! The advisory's discussion: the only module that holds comment text.
//!
//! A comment's text may be anything a reporter or collaborator wrote about
//! an embargoed report. It is read into a [`CommentText`], which has no
//! `Debug`, `Display` or `Serialize` (it cannot be printed, logged or kept
//! by mistake: `tests` below prove the traits are absent) and whose text
//! only this module can see. What leaves the module is a [`Command`] (from
//! the first line, `/psrt …`), a yes or no ("is this psrt's status
//! comment, and is it up to date?"), never the text.
//!
//! - [`own`]: psrt's own accounts (the one it writes as, learnt from GitHub,
//!   and the former ones the roster lists): a comment is psrt's when it
//!   carries psrt's marker **and** one of them wrote it;
//! - [`status`]: the texts psrt writes (the status comment, a deadline
//!   threshold's comment), each under its hidden marker;
//! - [`thread`]: a report's comments as read, and what psrt finds in them;
//! - [`read`]: which discussions a run reads (a changed `comments` count,
//!   and once a day every open report's, by conditional requests).
//!
//! - [`commands`]: the `/psrt` command on a comment's first line, and
//!   psrt's replies to commands (a claim, then the outcome), found again
//!   by marker and author.

pub mod commands;
pub mod own;
pub mod read;
pub mod status;
pub mod thread;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::model::{Given, Source};
use crate::github::comments::AdvisoryComment;

/// A comment's text: deserialised from GitHub, readable here only.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct CommentText(String);

impl CommentText {
    /// Whether the text's first line is this marker (psrt's own comments
    /// start with one).
    fn starts_with_marker(&self, marker: &str) -> bool {
        self.0.lines().next().map(str::trim) == Some(marker)
    }

    /// Whether the text is exactly `text`.
    fn is(&self, text: &str) -> bool {
        self.0.trim_end() == text.trim_end()
    }
}

/// A comment of the discussion, as the lifecycle may see it.
pub struct Comment {
    pub id: u64,
    /// The author's account id (`user.id`); `None` when GitHub names none.
    pub author_id: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub body: CommentText,
}

impl From<AdvisoryComment<CommentText>> for Comment {
    fn from(c: AdvisoryComment<CommentText>) -> Self {
        Self {
            id: c.id,
            author_id: c.author_id(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            body: c.body,
        }
    }
}

impl Comment {
    /// The command it gives, with who gave it.
    pub fn given(&self) -> Option<Given> {
        Some(Given {
            command: self.body.parsed()?.ok()?,
            source: Source::Comment {
                comment_id: self.id,
                author_id: self.author_id?,
            },
        })
    }
}

#[cfg(test)]
pub(crate) fn text(s: &str) -> CommentText {
    CommentText(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::model::Command;
    use super::*;

    #[test]
    fn a_comment_gives_a_command_with_its_author() {
        let t = Utc::now();
        let c = Comment {
            id: 5,
            author_id: Some(77),
            created_at: t,
            updated_at: t,
            body: text("/psrt close invalid"),
        };
        assert_eq!(
            c.given(),
            Some(Given {
                command: Command::Close {
                    reason: Some(super::super::model::CloseReason::Invalid),
                    duplicate_of: None
                },
                source: Source::Comment {
                    comment_id: 5,
                    author_id: 77
                }
            })
        );
    }

    /// Comment text cannot be printed, logged or serialised: if someone
    /// derives `Debug`, `Display` or `Serialize` on it, the marker trait
    /// below has two implementations for it and this stops compiling
    /// ("type annotations needed").
    #[test]
    fn comment_text_cannot_be_printed() {
        trait Printable<A> {
            fn check() {}
        }
        impl<T: ?Sized> Printable<()> for T {}
        struct ViaDebug;
        impl<T: ?Sized + std::fmt::Debug> Printable<ViaDebug> for T {}
        struct ViaDisplay;
        impl<T: ?Sized + std::fmt::Display> Printable<ViaDisplay> for T {}
        struct ViaSerialize;
        impl<T: ?Sized + serde::Serialize> Printable<ViaSerialize> for T {}
        // Resolves only while exactly one impl applies: the blanket one.
        <CommentText as Printable<_>>::check();
        <Comment as Printable<_>>::check();
        <thread::Thread as Printable<_>>::check();
    }
}
