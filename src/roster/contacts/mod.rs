//! Encrypted contact fields. The policy repository is public, so a member's
//! `email` and `discord` may be `age:` + the base64 of an age file encrypted
//! to `contacts.recipients` (the nightly job's key and each admin's).
//! `PSRT_CONTACT_KEY` opens them in memory; nothing psrt prints, logs or
//! keeps contains a plaintext address or an `age:` value.
//!
//! - [`field`]: one value: framing, sealing, opening;
//! - [`key`]: identities and public keys (`psrt keygen`);
//! - [`open`]: the roster with its fields opened, and which services cannot run.
//!
//! Re-encrypting every field to the current recipients edits the roster in
//! place: [`super::rekey`].

pub mod field;
pub mod key;
pub mod open;

pub use field::{Framing, FramingError, OpenError, PREFIX, is_encrypted};
pub use key::{ContactKey, KEY_VAR, KeyError};
pub use open::{Field, KeyStatus, Opened, open, open_with_env, still_encrypted};

/// The roster's recipients, parsed; the index of any entry that is not an
/// age x25519 public key.
pub fn recipients(roster: &crate::roster::Roster) -> Result<Vec<age::x25519::Recipient>, usize> {
    let list = roster
        .contacts
        .as_ref()
        .map(|c| c.recipients.as_slice())
        .unwrap_or_default();
    list.iter()
        .enumerate()
        .map(|(i, r)| key::recipient(r).ok_or(i))
        .collect()
}
