//! One encrypted contact field: `age:` followed by the standard base64 (with
//! padding) of a binary age file encrypted to x25519 recipients, so that
//! `base64 -d | age -d -i key.txt` opens it too.
//!
//! Errors here describe the field, never its value: neither the `age:` text
//! nor what it decrypts to may reach output.

use std::fmt;
use std::io::{Read, Write};

use age::x25519;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::key::ContactKey;

/// What starts an encrypted field.
pub const PREFIX: &str = "age:";

/// The first line of every age v1 file.
const AGE_V1: &[u8] = b"age-encryption.org/v1";

/// Is this field value encrypted (as opposed to a plain address or id)?
pub fn is_encrypted(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// Why an `age:` value is not a well-formed encrypted field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramingError {
    /// What follows `age:` is not standard base64 with padding.
    Base64,
    /// It decodes, but not to an age v1 file.
    NotAge,
    /// An age file, but with a stanza psrt does not use (passphrase, ssh, plugin).
    NotX25519(String),
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FramingError::Base64 => {
                f.write_str("what follows `age:` is not standard base64 (with padding)")
            }
            FramingError::NotAge => f.write_str("what follows `age:` is not an age file"),
            FramingError::NotX25519(tag) => write!(
                f,
                "the age file has a `{tag}` recipient; psrt uses x25519 keys (age1…) only"
            ),
        }
    }
}

/// What an encrypted field's header says, without any key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// How many x25519 recipients it is encrypted to.
    pub recipients: usize,
}

fn decode(value: &str) -> Result<Vec<u8>, FramingError> {
    let b64 = value.strip_prefix(PREFIX).unwrap_or(value);
    STANDARD
        .decode(b64.trim())
        .map_err(|_| FramingError::Base64)
}

/// Checks an `age:` value's framing: base64, an age v1 header that age
/// itself accepts, and only x25519 stanzas. Needs no key.
pub fn framing(value: &str) -> Result<Framing, FramingError> {
    let bytes = decode(value)?;
    framing_of(&bytes)
}

fn framing_of(bytes: &[u8]) -> Result<Framing, FramingError> {
    if !bytes.starts_with(AGE_V1) {
        return Err(FramingError::NotAge);
    }
    // age parses the header (stanza syntax, the MAC line, the nonce).
    age::Decryptor::new_buffered(bytes).map_err(|_| FramingError::NotAge)?;
    // Stanza lines are `-> TAG args…` (bodies are base64 lines, which never
    // start with `-`); the header ends at `--- MAC`.
    let mut recipients = 0;
    for line in bytes.split(|&b| b == b'\n').skip(1) {
        if line.starts_with(b"---") {
            return Ok(Framing { recipients });
        }
        if let Some(stanza) = line.strip_prefix(b"-> ") {
            let tag = stanza.split(|&b| b == b' ').next().unwrap_or_default();
            // age writes random `…-grease` stanzas that every reader ignores.
            if tag.ends_with(b"-grease") {
                continue;
            }
            if tag != b"X25519" {
                return Err(FramingError::NotX25519(
                    String::from_utf8_lossy(tag).chars().take(40).collect(),
                ));
            }
            recipients += 1;
        }
    }
    Err(FramingError::NotAge)
}

/// Why a field could not be opened with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    Framing(FramingError),
    /// Well-formed, but not encrypted to this key.
    NotForThisKey,
    /// The key matched but the payload does not decrypt (a damaged value).
    Damaged,
    /// It decrypts, but not to text.
    NotText,
    /// It decrypts to text that is not what the field holds (an `email`
    /// that is not an address, a `discord` that is not a snowflake): no
    /// service acts on it. The value is never quoted.
    NotA(&'static str),
}

/// A Discord id: 17-20 digits that fit in 64 bits.
pub fn is_snowflake(id: &str) -> bool {
    (17..=20).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_digit())
        && id.parse::<u64>().is_ok()
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Framing(e) => e.fmt(f),
            OpenError::NotForThisKey => f.write_str("it is not encrypted to PSRT_CONTACT_KEY"),
            OpenError::Damaged => f.write_str("it does not decrypt: the value is damaged"),
            OpenError::NotText => f.write_str("it decrypts to something that is not text"),
            OpenError::NotA(what) => write!(f, "it decrypts to something that is not {what}"),
        }
    }
}

/// Opens one field with `key`. The plaintext is trimmed (`echo addr | age
/// -r …` adds a newline).
pub fn open(value: &str, key: &ContactKey) -> Result<String, OpenError> {
    let bytes = decode(value).map_err(OpenError::Framing)?;
    framing_of(&bytes).map_err(OpenError::Framing)?;
    let decryptor = age::Decryptor::new_buffered(&bytes[..])
        .map_err(|_| OpenError::Framing(FramingError::NotAge))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(key.identity() as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => OpenError::NotForThisKey,
            _ => OpenError::Damaged,
        })?;
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|_| OpenError::Damaged)?;
    let text = String::from_utf8(plain).map_err(|_| OpenError::NotText)?;
    Ok(text.trim().to_owned())
}

/// Encrypts `plain` to `recipients` and returns the `age:` value.
pub fn seal(plain: &str, recipients: &[x25519::Recipient]) -> anyhow::Result<String> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| anyhow::anyhow!("cannot encrypt: {e}"))?;
    let mut out = Vec::with_capacity(plain.len() + 64 + 128 * recipients.len());
    let mut writer = encryptor.wrap_output(&mut out)?;
    writer.write_all(plain.as_bytes())?;
    writer.finish()?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<ContactKey> {
        (0..n).map(|_| ContactKey::generate()).collect()
    }

    #[test]
    fn seals_and_opens_for_each_recipient_only() {
        let ks = keys(3);
        let recipients: Vec<_> = ks[..2].iter().map(ContactKey::recipient).collect();
        let v = seal("ada@example.org", &recipients).unwrap();
        assert!(v.starts_with("age:"));
        assert!(!v.contains("ada"));
        assert_eq!(framing(&v), Ok(Framing { recipients: 2 }));
        assert_eq!(open(&v, &ks[0]).as_deref(), Ok("ada@example.org"));
        assert_eq!(open(&v, &ks[1]).as_deref(), Ok("ada@example.org"));
        assert_eq!(open(&v, &ks[2]), Err(OpenError::NotForThisKey));
    }

    #[test]
    fn framing_errors_say_what_is_wrong_without_the_value() {
        assert_eq!(framing("age:not base64!"), Err(FramingError::Base64));
        assert_eq!(framing("age:aGVsbG8="), Err(FramingError::NotAge));
        assert_eq!(framing("age:"), Err(FramingError::NotAge));
        // A header age accepts, with a passphrase stanza.
        let scrypt = age::Encryptor::with_user_passphrase("pw".to_owned().into());
        let mut out = vec![];
        let mut w = scrypt.wrap_output(&mut out).unwrap();
        w.write_all(b"x").unwrap();
        w.finish().unwrap();
        let v = format!("age:{}", STANDARD.encode(&out));
        assert_eq!(framing(&v), Err(FramingError::NotX25519("scrypt".into())));
        for e in [FramingError::Base64, FramingError::NotAge] {
            assert!(!e.to_string().contains("aGVs"));
        }
    }

    #[test]
    fn a_damaged_payload_is_not_a_panic() {
        let k = ContactKey::generate();
        let v = seal("1234567890123456789", &[k.recipient()]).unwrap();
        let mut bytes = decode(&v).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let damaged = format!("age:{}", STANDARD.encode(&bytes));
        assert_eq!(open(&damaged, &k), Err(OpenError::Damaged));
        // Truncated anywhere: an error, never a panic.
        for cut in 0..bytes.len() {
            let v = format!("age:{}", STANDARD.encode(&bytes[..cut]));
            assert!(open(&v, &k).is_err());
        }
    }
}
