//! Contact keys: age x25519 identities (`AGE-SECRET-KEY-1…`) and their public
//! keys (`age1…`), the ones `contacts.recipients` lists.

use std::fmt;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use age::x25519;

use crate::secret::Secret;

/// The environment variable that holds the identity.
pub const KEY_VAR: &str = "PSRT_CONTACT_KEY";

/// An identity that opens encrypted contact fields. `Debug` shows the
/// public key only.
#[derive(Clone)]
pub struct ContactKey {
    identity: x25519::Identity,
    public: x25519::Recipient,
}

impl fmt::Debug for ContactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContactKey({})", self.public)
    }
}

/// Why `PSRT_CONTACT_KEY` is not a key. Never quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{KEY_VAR} has no `AGE-SECRET-KEY-1…` line")]
    NoKey,
    #[error("{KEY_VAR} has more than one `AGE-SECRET-KEY-1…` line; give it one identity")]
    Several,
    #[error("{KEY_VAR} is not a valid age identity (its AGE-SECRET-KEY-1… line does not decode)")]
    Invalid,
}

impl ContactKey {
    /// A new random identity.
    pub fn generate() -> Self {
        Self::from_identity(x25519::Identity::generate())
    }

    fn from_identity(identity: x25519::Identity) -> Self {
        let public = identity.to_public();
        Self { identity, public }
    }

    /// Reads an identity: the bare `AGE-SECRET-KEY-1…` line, or a whole
    /// `age-keygen` file (its `#` comment lines are skipped).
    pub fn parse(secret: &Secret) -> Result<Self, KeyError> {
        let mut keys = secret
            .expose()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let line = keys.next().ok_or(KeyError::NoKey)?;
        if keys.next().is_some() {
            return Err(KeyError::Several);
        }
        if !line.starts_with("AGE-SECRET-KEY-1") {
            return Err(KeyError::NoKey);
        }
        x25519::Identity::from_str(line)
            .map(Self::from_identity)
            .map_err(|_| KeyError::Invalid)
    }

    /// `PSRT_CONTACT_KEY` from the environment: `None` when unset or empty.
    pub fn from_env() -> Option<Result<Self, KeyError>> {
        let value = std::env::var(KEY_VAR).ok()?;
        if value.trim().is_empty() {
            return None;
        }
        Some(Self::parse(&Secret::new(value)))
    }

    pub(crate) fn identity(&self) -> &x25519::Identity {
        &self.identity
    }

    pub fn recipient(&self) -> x25519::Recipient {
        self.public.clone()
    }

    /// The public key, `age1…`: what `contacts.recipients` lists.
    pub fn public(&self) -> String {
        self.public.to_string()
    }

    /// The identity, as a secret.
    pub fn secret(&self) -> Secret {
        Secret::new(self.identity.to_string().expose_secret())
    }

    /// What `age-keygen` prints: a `# created:` line, a `# public key:`
    /// line and the identity.
    pub fn keygen_text(&self, created: chrono::DateTime<chrono::Utc>) -> Secret {
        Secret::new(format!(
            "# created: {}\n# public key: {}\n{}\n",
            created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.public,
            self.identity.to_string().expose_secret()
        ))
    }
}

/// Parses a public key (`age1…`) from `contacts.recipients`.
pub fn recipient(public: &str) -> Option<x25519::Recipient> {
    x25519::Recipient::from_str(public.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_output_reads_back_and_debug_hides_the_identity() {
        let k = ContactKey::generate();
        let text = k.keygen_text(chrono::Utc::now());
        let lines: Vec<&str> = text.expose().lines().collect();
        assert!(lines[0].starts_with("# created: "));
        assert_eq!(lines[1], format!("# public key: {}", k.public()));
        assert!(lines[2].starts_with("AGE-SECRET-KEY-1"));
        let again = ContactKey::parse(&text).unwrap();
        assert_eq!(again.public(), k.public());
        let bare = ContactKey::parse(&Secret::new(lines[2])).unwrap();
        assert_eq!(bare.public(), k.public());
        assert!(!format!("{k:?}").contains("AGE-SECRET-KEY"));
        assert!(recipient(&k.public()).is_some());
    }

    #[test]
    fn bad_keys_are_named_not_quoted() {
        for (text, err) in [
            ("", KeyError::NoKey),
            ("# only a comment", KeyError::NoKey),
            ("age1notasecret", KeyError::NoKey),
            ("AGE-SECRET-KEY-1QQQQ", KeyError::Invalid),
        ] {
            let e = ContactKey::parse(&Secret::new(text)).unwrap_err();
            assert_eq!(e, err);
            assert!(!e.to_string().contains("QQQQ"));
        }
        let two = format!(
            "{}\n{}",
            ContactKey::generate().secret().expose(),
            ContactKey::generate().secret().expose()
        );
        assert_eq!(
            ContactKey::parse(&Secret::new(two)).unwrap_err(),
            KeyError::Several
        );
    }
}
