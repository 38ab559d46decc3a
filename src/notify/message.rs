//! The messages psrt sends about a report: their kinds, who receives them
//! (as a role public output may name), and a due message ready to render.
//! `deadlines` decides which are due; this module knows how each is written.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    Warning { days: u32 },
    Overdue { days_over: i64 },
    Unassigned,
    Reassign,
}

impl Kind {
    /// The template that renders it.
    pub fn template(&self) -> &'static str {
        match self {
            Kind::Warning { .. } => "deadline-warning.txt",
            Kind::Overdue { .. } => "deadline-overdue.txt",
            Kind::Unassigned => "coordinator-unassigned.txt",
            Kind::Reassign => "coordinator-reassign.txt",
        }
    }
    /// For people: "warning (7 days)".
    pub fn describe(&self) -> String {
        match self {
            Kind::Warning { days } => format!(
                "warning ({days} day{} left)",
                if *days == 1 { "" } else { "s" }
            ),
            Kind::Overdue { days_over } => format!(
                "overdue notice ({days_over} day{} past)",
                if *days_over == 1 { "" } else { "s" }
            ),
            Kind::Unassigned => "unassigned alert".to_owned(),
            Kind::Reassign => "reassign alert".to_owned(),
        }
    }
}

/// Who receives a message, as public output may say it: a role, never a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Coordinator,
    CoordinatorAndAdmins,
    Admins,
}

impl Audience {
    pub fn describe(self) -> &'static str {
        match self {
            Audience::Coordinator => "to the coordinator",
            Audience::CoordinatorAndAdmins => "to the coordinator, admins copied",
            Audience::Admins => "to the admins",
        }
    }
}

/// A message that is due. `to`/`cc` are addresses: they go to the mailer,
/// never to output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub kind: Kind,
    pub audience: Audience,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// The ledger key this message records.
    pub key: String,
    /// Keys marked done along with it (thresholds crossed at once).
    pub also: Vec<String>,
}
