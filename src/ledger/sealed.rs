//! How the ledger's file is kept: in clear on an admin's machine, or
//! encrypted with age in a workflow. The workflows carry the ledger between
//! runs in an Actions cache, which any pull request of a public repository
//! can restore, and the ledger names every unpublished report: there it is
//! written as an age file (binary, the format the `age` CLI reads) to the
//! recipient of the job's own `PSRT_CONTACT_KEY`, and read with that key.
//! Nothing in the file is readable in clear (the age header names no
//! recipient). An admin opens one with `age -d -i key.txt ledger.json`.

use std::fmt;

use age::x25519;

/// The first bytes of every age file.
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// How the store keeps its file. `Debug` never shows the key.
#[derive(Clone)]
pub struct Keeping {
    /// Opens an encrypted file (and, to encrypt, gives its own recipient).
    identity: Option<x25519::Identity>,
    /// Every save is encrypted, whatever the file was.
    always_encrypt: bool,
}

impl fmt::Debug for Keeping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.always_encrypt, self.identity.is_some()) {
            (true, _) => "Keeping(encrypted)",
            (false, true) => "Keeping(in clear, or as found; a key to open it)",
            (false, false) => "Keeping(in clear)",
        })
    }
}

impl Default for Keeping {
    fn default() -> Self {
        Self::in_clear()
    }
}

/// Why a file could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum OpenError {
    /// Encrypted, and no key was given.
    NoKey,
    /// Encrypted to another key, or damaged.
    Undecryptable(String),
}

impl Keeping {
    /// A local run without a key: the file in clear. An encrypted file
    /// cannot be read.
    pub fn in_clear() -> Self {
        Self {
            identity: None,
            always_encrypt: false,
        }
    }

    /// A local run with a key: a file is written back the way it was found
    /// (an encrypted one, encrypted); a new one in clear.
    pub fn with_key(identity: x25519::Identity) -> Self {
        Self {
            identity: Some(identity),
            always_encrypt: false,
        }
    }

    /// A workflow: every save is encrypted to the key's own recipient. A
    /// file in clear is still read (a ledger written before psrt encrypted
    /// it), and written back encrypted.
    pub fn encrypted(identity: x25519::Identity) -> Self {
        Self {
            identity: Some(identity),
            always_encrypt: true,
        }
    }

    /// Is every save encrypted?
    pub fn always_encrypts(&self) -> bool {
        self.always_encrypt
    }

    /// The file's text: decrypted when it is an age file. `Ok((text,
    /// was_encrypted))`.
    pub(super) fn open(&self, bytes: &[u8]) -> Result<(Vec<u8>, bool), OpenError> {
        if !is_encrypted(bytes) {
            return Ok((bytes.to_vec(), false));
        }
        let Some(identity) = &self.identity else {
            return Err(OpenError::NoKey);
        };
        age::decrypt(identity, bytes)
            .map(|plain| (plain, true))
            .map_err(|e| {
                OpenError::Undecryptable(match e {
                    age::DecryptError::NoMatchingKeys => {
                        "it is encrypted to another key than PSRT_CONTACT_KEY".to_owned()
                    }
                    _ => "it does not decrypt: the file is damaged".to_owned(),
                })
            })
    }

    /// What to write for `text`: encrypted when every save is, or when the
    /// file was found encrypted.
    pub(super) fn seal(&self, text: &str, found_encrypted: bool) -> anyhow::Result<Vec<u8>> {
        if !(self.always_encrypt || found_encrypted) {
            return Ok(text.as_bytes().to_vec());
        }
        let Some(identity) = &self.identity else {
            anyhow::bail!("the ledger is kept encrypted, and no key was given to encrypt it");
        };
        age::encrypt(&identity.to_public(), text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot encrypt the ledger: {e}"))
    }
}

/// Is this an age file?
pub fn is_encrypted(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_with_its_key_only_and_shows_nothing_in_clear() {
        let key = x25519::Identity::generate();
        let k = Keeping::encrypted(key.clone());
        let text = "{\"version\":2,\"reports\":{\"GHSA-aaaa-bbbb-cccc\":{}}}";
        let sealed = k.seal(text, false).unwrap();
        assert!(is_encrypted(&sealed));
        let shown = String::from_utf8_lossy(&sealed);
        assert!(
            !shown.contains("GHSA") && !shown.contains("version"),
            "{shown}"
        );
        assert!(!shown.contains(&key.to_public().to_string()), "anonymous");
        assert_eq!(k.open(&sealed).unwrap(), (text.as_bytes().to_vec(), true));
        let other = Keeping::with_key(x25519::Identity::generate());
        assert!(matches!(
            other.open(&sealed),
            Err(OpenError::Undecryptable(why)) if why.contains("another key")
        ));
        assert_eq!(Keeping::in_clear().open(&sealed), Err(OpenError::NoKey));
        let mut cut = sealed.clone();
        cut.truncate(sealed.len() - 3);
        assert!(matches!(k.open(&cut), Err(OpenError::Undecryptable(_))));
        // In clear, it stays in clear; found encrypted, it stays encrypted.
        let local = Keeping::with_key(key);
        assert_eq!(local.seal(text, false).unwrap(), text.as_bytes());
        assert!(is_encrypted(&local.seal(text, true).unwrap()));
        assert!(Keeping::in_clear().seal(text, true).is_err());
        assert_eq!(format!("{:?}", k), "Keeping(encrypted)");
    }
}
