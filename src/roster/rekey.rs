//! `psrt contacts rekey`: re-encrypt every encrypted contact field to the
//! current `contacts.recipients` (after an admin's key is added or removed),
//! editing `roster.yaml` in place: only those values change, byte for byte.

use super::contacts::field;
use super::contacts::key::{ContactKey, KEY_VAR};
use super::contacts::open::{Closed, open};
use crate::path;
use crate::roster::Loaded;
use crate::roster::edit::{EditError, replace_scalars};

#[derive(Debug, thiserror::Error)]
pub enum RekeyError {
    #[error("the roster has no `contacts.recipients`: nobody could read the fields")]
    NoRecipients,
    #[error("contacts.recipients[{0}] is not an age public key (age1…)")]
    BadRecipient(usize),
    #[error("{KEY_VAR} must open every encrypted field to re-encrypt it; it cannot open:\n  {}", .0.join("\n  "))]
    Closed(Vec<String>),
    #[error("cannot edit the roster in place: {0}")]
    Edit(#[from] EditError),
    #[error("{0}")]
    Other(String),
}

/// The re-encrypted roster text, and what changed.
#[derive(Debug)]
pub struct Rekeyed {
    pub text: String,
    pub fields: usize,
    pub recipients: usize,
}

/// Re-encrypts every `age:` field of `loaded` to its recipients. Nothing
/// is written here; the caller writes `text`.
pub fn rekey(loaded: &Loaded, key: &ContactKey) -> Result<Rekeyed, RekeyError> {
    let recipients =
        super::contacts::recipients(&loaded.roster).map_err(RekeyError::BadRecipient)?;
    if recipients.is_empty() {
        return Err(RekeyError::NoRecipients);
    }
    let opened = open(&loaded.roster, Some(Ok(key)));
    let closed: Vec<String> = opened
        .sealed
        .iter()
        .filter_map(|s| match &s.result {
            Ok(()) => None,
            Err(Closed::Open(e)) => Some(format!(
                "the `{}` of member `{}`: {e}",
                s.field, loaded.roster.members[s.member].github
            )),
            Err(Closed::NoKey) => Some(format!("the `{}` of a member", s.field)),
        })
        .collect();
    if !closed.is_empty() {
        return Err(RekeyError::Closed(closed));
    }
    let mut edits = Vec::with_capacity(opened.sealed.len());
    for s in &opened.sealed {
        let at = path!["members", s.member, s.field.as_str()];
        let node = loaded
            .source
            .node(&at)
            .ok_or_else(|| RekeyError::Other("a field moved while it was read".into()))?;
        let plain = s
            .field
            .of(&opened.roster.members[s.member])
            .ok_or_else(|| RekeyError::Other("a field vanished while it was read".into()))?;
        let sealed =
            field::seal(plain, &recipients).map_err(|e| RekeyError::Other(e.to_string()))?;
        edits.push((node, sealed));
    }
    let text = replace_scalars(&loaded.source.text, &edits)?;
    Ok(Rekeyed {
        text,
        fields: edits.len(),
        recipients: recipients.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::contacts::field::seal;

    #[test]
    fn rekey_changes_only_the_encrypted_values_in_every_quoting_style() {
        let old = ContactKey::generate();
        let admin = ContactKey::generate();
        let new = ContactKey::generate();
        let a = seal("a@example.org", &[old.recipient(), admin.recipient()]).unwrap();
        let b = seal("3456789012345678901", &[old.recipient()]).unwrap();
        let c = seal("c@example.org", &[old.recipient()]).unwrap();
        let text = format!(
            "version: 1\ngithub: {{org: python, team: psrt}}\ncontacts:\n  recipients:\n    - {}   # nightly\n    - {}\nmembers:\n  - name: A\n    github: a\n    email: \"{a}\"   # encrypted\n    discord: '{b}'\n  - name: C\n    github: c\n    email: {c}\n  - name: D\n    github: d\n    email: d@example.org\n",
            admin.public(),
            new.public()
        );
        let loaded = crate::roster::parse(text.as_bytes()).unwrap();
        let r = rekey(&loaded, &old).unwrap();
        assert_eq!((r.fields, r.recipients), (3, 2));
        let before: Vec<&str> = text.lines().collect();
        let after: Vec<&str> = r.text.lines().collect();
        assert_eq!(before.len(), after.len());
        for (i, (x, y)) in before.iter().zip(&after).enumerate() {
            if [9, 10, 13].contains(&i) {
                assert_ne!(x, y);
                let keep = |l: &str| l.split("age:").next().unwrap().to_owned();
                assert_eq!(keep(x), keep(y), "line {i}");
                assert_eq!(x.ends_with("# encrypted"), y.ends_with("# encrypted"));
                assert_eq!(x.ends_with('\''), y.ends_with('\''));
            } else {
                assert_eq!(x, y, "line {i}");
            }
        }
        let again = crate::roster::parse(r.text.as_bytes()).unwrap();
        for k in [&admin, &new] {
            let o = open(&again.roster, Some(Ok(k)));
            assert_eq!(o.opened(), 3);
            assert_eq!(o.roster.members[0].email.as_deref(), Some("a@example.org"));
            assert_eq!(
                o.roster.members[0].discord.as_deref(),
                Some("3456789012345678901")
            );
        }
        assert_eq!(open(&again.roster, Some(Ok(&old))).opened(), 0);
        // Without a key that opens everything, nothing is produced.
        assert!(matches!(rekey(&again, &old), Err(RekeyError::Closed(v)) if v.len() == 3));
    }
}
