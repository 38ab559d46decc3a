//! A report's comments as psrt read them, and what psrt finds there: its
//! own status comment, its own deadline comments. A comment is psrt's when
//! its first line is psrt's marker **and** one of psrt's accounts wrote it
//! ([`Own`]); a marked comment anyone else wrote is a copy, ignored and
//! counted.

use super::own::Own;
use super::status::{STATUS_MARKER, deadline_marker};
use super::{Comment, CommentText};
use crate::advisories::model::Threshold;
use crate::github::comments::AdvisoryComment;

/// A report's comments, oldest first. Holds comment text: no `Debug`.
pub struct Thread {
    pub comments: Vec<Comment>,
}

/// psrt's status comment, as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub id: u64,
    /// Written by the account psrt writes as now (so it can edit it).
    pub editable: bool,
    /// Its text is the one wanted.
    pub current: bool,
}

impl Thread {
    pub fn from_wire(comments: Vec<AdvisoryComment<CommentText>>) -> Self {
        let mut comments: Vec<Comment> = comments.into_iter().map(Comment::from).collect();
        comments.sort_by_key(|c| c.id);
        Self { comments }
    }

    fn marked<'a>(&'a self, marker: &'a str) -> impl Iterator<Item = &'a Comment> + 'a {
        self.comments
            .iter()
            .filter(move |c| c.body.starts_with_marker(marker))
    }

    /// Comments carrying one of psrt's markers that psrt did not write.
    pub fn copies(&self, own: &Own) -> usize {
        self.comments
            .iter()
            .filter(|c| c.body.0.trim_start().starts_with("<!-- psrt:"))
            .filter(|c| !own.is_own(c.author_id))
            .count()
    }

    /// psrt's status comment, and whether its text is `wanted`: the one
    /// psrt can edit first (the oldest), else the newest a former account
    /// wrote.
    pub fn status(&self, own: &Own, wanted: &str) -> Option<Found> {
        let mine: Vec<&Comment> = self
            .marked(STATUS_MARKER)
            .filter(|c| own.is_own(c.author_id))
            .collect();
        let pick = mine
            .iter()
            .find(|c| own.can_edit(c.author_id))
            .or_else(|| mine.last())?;
        Some(Found {
            id: pick.id,
            editable: own.can_edit(pick.author_id),
            current: pick.body.is(wanted),
        })
    }

    /// Has psrt (any of its accounts) posted this threshold's comment?
    pub fn has_deadline_comment(&self, own: &Own, t: Threshold) -> bool {
        let marker = deadline_marker(t);
        self.marked(&marker).any(|c| own.is_own(c.author_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisories::discussion::text;
    use chrono::Utc;

    fn c(id: u64, author: u64, body: &str) -> Comment {
        let t = Utc::now();
        Comment {
            id,
            author_id: Some(author),
            created_at: t,
            updated_at: t,
            body: text(body),
        }
    }

    #[test]
    fn psrt_finds_its_own_marked_comments_by_author_never_a_copy() {
        let own = Own {
            current: 1,
            former: [2].into(),
        };
        let status = format!("{STATUS_MARKER}\nstatus text");
        let t = Thread {
            comments: vec![
                c(10, 66, &format!("{STATUS_MARKER}\nforged")),
                c(11, 2, &format!("{STATUS_MARKER}\nold app")),
                c(12, 66, "<!-- psrt:deadline warn-14 -->\n@x forged"),
                c(13, 5, "hello"),
            ],
        };
        // Only the former App's status: found, not editable, not current.
        assert_eq!(
            t.status(&own, &status),
            Some(Found {
                id: 11,
                editable: false,
                current: false
            })
        );
        assert!(!t.has_deadline_comment(&own, Threshold::Warning { days: 14 }));
        assert_eq!(t.copies(&own), 2);
        let mut t = t;
        t.comments.push(c(14, 1, &status));
        t.comments
            .push(c(15, 2, "<!-- psrt:deadline warn-14 -->\n@x"));
        assert_eq!(
            t.status(&own, &status),
            Some(Found {
                id: 14,
                editable: true,
                current: true
            })
        );
        assert!(t.has_deadline_comment(&own, Threshold::Warning { days: 14 }));
        assert!(!t.has_deadline_comment(&own, Threshold::Warning { days: 7 }));
    }
}
