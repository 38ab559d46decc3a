//! Opening a roster's encrypted contact fields with `PSRT_CONTACT_KEY`.
//!
//! [`open`] returns the roster with every field the key opens decrypted in
//! memory, and says, per service, why it cannot run when fields stay closed:
//! a member whose address is encrypted is never treated as a member without
//! one. Fields are decrypted in parallel.

use std::fmt;

use super::field::{self, OpenError};
use super::key::{ContactKey, KEY_VAR};
use crate::roster::Roster;

/// A contact field of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Email,
    Discord,
}

impl Field {
    pub const ALL: [Field; 2] = [Field::Email, Field::Discord];
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Discord => "discord",
        }
    }
    /// The member's value of this field.
    pub fn of(self, m: &crate::roster::Member) -> Option<&String> {
        match self {
            Field::Email => m.email.as_ref(),
            Field::Discord => m.discord.as_ref(),
        }
    }
    /// Is a decrypted value what this field holds? Checked before any
    /// service acts on it (the roster's own values pass `psrt check`).
    pub fn valid(self, plain: &str) -> Result<(), OpenError> {
        let ok = match self {
            Field::Email => plain.parse::<lettre::Address>().is_ok(),
            Field::Discord => field::is_snowflake(plain),
        };
        if ok {
            Ok(())
        } else {
            Err(OpenError::NotA(match self {
                Field::Email => "an email address",
                Field::Discord => "a Discord id (17-20 digits)",
            }))
        }
    }
    fn of_mut(self, m: &mut crate::roster::Member) -> &mut Option<String> {
        match self {
            Field::Email => &mut m.email,
            Field::Discord => &mut m.discord,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One encrypted field of the roster, and what opening it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Index into `members`.
    pub member: usize,
    pub field: Field,
    /// `Ok` when opened (the plaintext is in [`Opened::roster`]).
    pub result: Result<(), Closed>,
}

/// Why a field stayed closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// `PSRT_CONTACT_KEY` is not set (or not a key).
    NoKey,
    Open(OpenError),
}

/// What the key is, as far as the roster is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// `PSRT_CONTACT_KEY` is not set.
    Unset,
    /// Set, but not an identity (the reason never quotes it).
    Invalid(String),
    /// An identity, with its public key.
    Given { public: String },
}

/// A roster with its encrypted contact fields opened where the key allows.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The roster, each opened field holding its plaintext; closed fields
    /// keep their `age:` value, which no service reads (see [`Opened::blocked`]).
    pub roster: Roster,
    /// Every encrypted field, in roster order.
    pub sealed: Vec<Sealed>,
    pub key: KeyStatus,
}

/// Opens `roster`'s encrypted fields with `key` (the result of
/// [`ContactKey::from_env`], or of a test's own key).
pub fn open(roster: &Roster, key: Option<Result<&ContactKey, String>>) -> Opened {
    let mut out = roster.clone();
    let fields: Vec<(usize, Field)> = roster
        .members
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            Field::ALL
                .into_iter()
                .filter(move |f| f.of(m).is_some_and(|v| field::is_encrypted(v)))
                .map(move |f| (i, f))
        })
        .collect();
    let (status, key) = match key {
        None => (KeyStatus::Unset, None),
        Some(Err(why)) => (KeyStatus::Invalid(why), None),
        Some(Ok(k)) => (KeyStatus::Given { public: k.public() }, Some(k)),
    };
    let results: Vec<Result<String, Closed>> = match key {
        None => fields.iter().map(|_| Err(Closed::NoKey)).collect(),
        Some(k) => decrypt_all(
            &fields
                .iter()
                .map(|(i, f)| f.of(&roster.members[*i]).map_or("", String::as_str))
                .collect::<Vec<_>>(),
            k,
        )
        .into_iter()
        .map(|r| r.map_err(Closed::Open))
        .collect(),
    };
    let mut sealed = Vec::with_capacity(fields.len());
    for ((i, f), r) in fields.into_iter().zip(results) {
        let result = match r.and_then(|plain| f.valid(&plain).map(|()| plain).map_err(Closed::Open))
        {
            Ok(plain) => {
                if let Some(m) = out.members.get_mut(i) {
                    *f.of_mut(m) = Some(plain);
                }
                Ok(())
            }
            Err(e) => Err(e),
        };
        sealed.push(Sealed {
            member: i,
            field: f,
            result,
        });
    }
    Opened {
        roster: out,
        sealed,
        key: status,
    }
}

/// How many threads decrypt: one per core, no more than one per 64 fields.
pub fn threads_for(fields: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores.min(fields.div_ceil(64)).max(1)
}

/// Decrypts `values` in parallel, in order.
pub fn decrypt_all(values: &[&str], key: &ContactKey) -> Vec<Result<String, OpenError>> {
    let threads = threads_for(values.len());
    if threads <= 1 {
        return values.iter().map(|v| field::open(v, key)).collect();
    }
    let chunk = values.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = values
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || part.iter().map(|v| field::open(v, key)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err(OpenError::Damaged); chunk])
            })
            .collect()
    })
}

impl Opened {
    /// Encrypted fields of this kind.
    pub fn encrypted(&self, field: Field) -> usize {
        self.sealed.iter().filter(|s| s.field == field).count()
    }
    /// Encrypted fields of any kind the key opened.
    pub fn opened(&self) -> usize {
        self.sealed.iter().filter(|s| s.result.is_ok()).count()
    }
    /// Fields of this kind that stayed closed.
    pub fn closed(&self, field: Field) -> impl Iterator<Item = &Sealed> {
        self.sealed
            .iter()
            .filter(move |s| s.field == field && s.result.is_err())
    }
    /// Was a key given, and does it open none of the fields?
    pub fn key_opens_nothing(&self) -> bool {
        matches!(self.key, KeyStatus::Given { .. }) && !self.sealed.is_empty() && self.opened() == 0
    }
    /// A key was set but it is not a key, opens nothing, or leaves a field
    /// closed: a misconfiguration the command reports as an error.
    pub fn key_problem(&self) -> bool {
        matches!(self.key, KeyStatus::Invalid(_))
            || (matches!(self.key, KeyStatus::Given { .. })
                && self.sealed.iter().any(|s| s.result.is_err()))
    }

    /// Why a service that needs `field` cannot run: `None` when every
    /// member's value of it is readable.
    pub fn blocked(&self, field: Field) -> Option<String> {
        let closed = self.closed(field).count();
        if closed == 0 {
            return None;
        }
        let total = self.encrypted(field);
        let f = field.as_str();
        Some(match &self.key {
            KeyStatus::Unset => format!(
                "{total} member(s) have an encrypted `{f}` and {KEY_VAR} is not set: skipped (psrt never syncs as if they had none)"
            ),
            KeyStatus::Invalid(why) => {
                format!("{total} member(s) have an encrypted `{f}` and {why}: skipped")
            }
            KeyStatus::Given { .. } if self.opened() == 0 => format!(
                "{KEY_VAR} opens none of the {total} encrypted `{f}` field(s) (a wrong or retired key?): skipped"
            ),
            KeyStatus::Given { .. } => {
                let invalid = self
                    .closed(field)
                    .filter(|s| matches!(s.result, Err(Closed::Open(OpenError::NotA(_)))))
                    .count();
                if invalid == closed {
                    format!(
                        "{invalid} of the {total} encrypted `{f}` field(s) decrypt to something that is not a valid `{f}`: skipped until they are encrypted again (`psrt encrypt`)"
                    )
                } else {
                    format!(
                        "{KEY_VAR} cannot open {closed} of the {total} encrypted `{f}` field(s): skipped until `psrt contacts rekey` encrypts them to contacts.recipients"
                    )
                }
            }
        })
    }

    /// One line for people: how many fields were opened (a count, never a
    /// name), or why none were.
    pub fn summary(&self) -> Option<String> {
        let n = self.sealed.len();
        if n == 0 {
            return None;
        }
        Some(match &self.key {
            KeyStatus::Unset => {
                format!("{n} encrypted contact field(s); {KEY_VAR} is not set, so they stay closed")
            }
            KeyStatus::Invalid(why) => format!("{n} encrypted contact field(s); {why}"),
            KeyStatus::Given { .. } => {
                format!(
                    "opened {} of {n} encrypted contact field(s) with {KEY_VAR}",
                    self.opened()
                )
            }
        })
    }

    /// One problem per closed field when a key was given: the member (by
    /// login) and the field, never the value.
    pub fn problems(&self) -> Vec<String> {
        if !matches!(self.key, KeyStatus::Given { .. }) || self.key_opens_nothing() {
            return vec![];
        }
        self.sealed
            .iter()
            .filter_map(|s| {
                let Err(Closed::Open(e)) = &s.result else {
                    return None;
                };
                let login = self
                    .roster
                    .members
                    .get(s.member)
                    .map_or_else(|| "?".to_owned(), |m| m.github.to_string());
                Some(format!(
                    "the `{}` of member `{login}` cannot be opened: {e}",
                    s.field
                ))
            })
            .collect()
    }
}

/// Reads `PSRT_CONTACT_KEY` (if set) and opens `roster` with it.
pub fn open_with_env(roster: &Roster) -> Opened {
    match ContactKey::from_env() {
        None => open(roster, None),
        Some(Ok(k)) => open(roster, Some(Ok(&k))),
        Some(Err(e)) => open(roster, Some(Err(e.to_string()))),
    }
}

/// The engine's own guard, whoever calls it: how many members still have
/// an unopened `age:` value in `field`.
pub fn still_encrypted(roster: &Roster, field: Field) -> usize {
    roster
        .members
        .iter()
        .filter(|m| field.of(m).is_some_and(|v| field::is_encrypted(v)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::contacts::field::seal;

    fn roster_with(emails: &[String]) -> Roster {
        let mut s = String::from("version: 1\ngithub: {org: python, team: psrt}\nmembers:\n");
        for (i, e) in emails.iter().enumerate() {
            s.push_str(&format!(
                "  - name: M{i}\n    github: m{i}\n    email: \"{e}\"\n"
            ));
        }
        crate::roster::parse(s.as_bytes()).unwrap().roster
    }

    #[test]
    fn opens_what_the_key_can_and_says_why_not() {
        let nightly = ContactKey::generate();
        let other = ContactKey::generate();
        let both = [nightly.recipient(), other.recipient()];
        let mut emails: Vec<String> = (0..200)
            .map(|i| seal(&format!("m{i}@example.org"), &both).unwrap())
            .collect();
        emails.push("plain@example.org".into());
        emails.push(seal("stale@example.org", &[other.recipient()]).unwrap());
        let roster = roster_with(&emails);

        let o = open(&roster, Some(Ok(&nightly)));
        assert_eq!(o.opened(), 200);
        assert_eq!(o.roster.members[7].email.as_deref(), Some("m7@example.org"));
        assert_eq!(
            o.roster.members[200].email.as_deref(),
            Some("plain@example.org")
        );
        assert!(
            o.blocked(Field::Email)
                .unwrap()
                .contains("cannot open 1 of the 201")
        );
        assert!(o.blocked(Field::Discord).is_none());
        assert!(o.key_problem());
        let p = o.problems();
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("`email` of member `m201`"), "{p:?}");
        assert!(!p[0].contains("stale@"));

        let none = open(&roster, None);
        assert_eq!(none.opened(), 0);
        assert!(
            none.blocked(Field::Email)
                .unwrap()
                .contains("PSRT_CONTACT_KEY is not set")
        );
        assert!(!none.key_problem());
        assert!(
            none.roster.members[0]
                .email
                .as_deref()
                .unwrap()
                .starts_with("age:")
        );

        let wrong = ContactKey::generate();
        let w = open(&roster, Some(Ok(&wrong)));
        assert!(w.key_opens_nothing());
        assert!(w.blocked(Field::Email).unwrap().contains("opens none"));
        assert!(w.problems().is_empty(), "one line, not one per field");
    }

    /// Issue 21: a decrypted value is checked before any service acts on
    /// it; the message never quotes it.
    #[test]
    fn a_decrypted_value_that_is_not_an_address_or_a_snowflake_stays_closed() {
        let k = ContactKey::generate();
        let recipients = [k.recipient()];
        let mut r = roster_with(&[
            seal("not-an-address", &recipients).unwrap(),
            seal("ok@example.org", &recipients).unwrap(),
        ]);
        r.members[0].discord = Some(seal("12345", &recipients).unwrap());
        let o = open(&r, Some(Ok(&k)));
        assert_eq!(o.roster.members[1].email.as_deref(), Some("ok@example.org"));
        assert!(field::is_encrypted(
            o.roster.members[0].email.as_deref().unwrap()
        ));
        assert!(field::is_encrypted(
            o.roster.members[0].discord.as_deref().unwrap()
        ));
        let why = o.blocked(Field::Email).unwrap();
        assert!(why.contains("1 of the 2 encrypted `email` field(s) decrypt to something that is not a valid `email`"), "{why}");
        assert!(o.blocked(Field::Discord).is_some());
        let problems = o.problems().join("\n");
        assert!(
            problems.contains("it decrypts to something that is not an email address"),
            "{problems}"
        );
        assert!(problems.contains("not a Discord id"), "{problems}");
        assert!(
            !problems.contains("not-an-address") && !problems.contains("12345"),
            "{problems}"
        );
    }
}
