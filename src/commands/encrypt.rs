//! `psrt encrypt [VALUE]`: an email address or Discord id, encrypted to the
//! roster's `contacts.recipients`, printed as the value to paste. The
//! plaintext is never echoed, not even in an error.

use std::io::Read as _;
use std::path::Path;

use crate::roster::contacts::{self, field};
use crate::roster::{self, LoadError};

use super::Outcome;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address or Discord user id; read from stdin when absent (which
    /// keeps it out of the shell's history).
    pub value: Option<String>,
}

/// What a value to encrypt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Email,
    Discord,
}

/// Says what `value` is, without repeating it.
pub fn classify(value: &str) -> Result<Kind, &'static str> {
    if value.is_empty() {
        return Err("nothing to encrypt (the value is empty)");
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return if (17..=20).contains(&value.len()) && value.parse::<u64>().is_ok() {
            Ok(Kind::Discord)
        } else {
            Err("the value is all digits but not a Discord id (17-20 digits)")
        };
    }
    if field::is_encrypted(value) {
        return Err("the value is already encrypted");
    }
    match value.parse::<lettre::Address>() {
        Ok(_) => Ok(Kind::Email),
        Err(_) => Err("the value is neither an email address nor a Discord id (17-20 digits)"),
    }
}

pub fn run(roster_path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let file = roster_path.display().to_string();
    let loaded = match roster::load(roster_path) {
        Ok(l) => l,
        Err(LoadError::Io(e)) => anyhow::bail!("cannot read {file}: {e}"),
        Err(e @ LoadError::Invalid { .. }) => anyhow::bail!("{file}: {e}"),
    };
    let recipients = contacts::recipients(&loaded.roster).map_err(|i| {
        anyhow::anyhow!("{file}: contacts.recipients[{i}] is not an age public key (age1…)")
    })?;
    if recipients.is_empty() {
        anyhow::bail!(
            "{file} has no `contacts.recipients`: add the nightly job's public key and each admin's (`psrt keygen`) first"
        );
    }
    let value = match &args.value {
        Some(v) => v.trim().to_owned(),
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|_| anyhow::anyhow!("cannot read the value from stdin"))?;
            s.trim().to_owned()
        }
    };
    let kind = classify(&value).map_err(|why| anyhow::anyhow!("{why}; nothing was encrypted"))?;
    let sealed = field::seal(&value, &recipients)?;
    let (what, key) = match kind {
        Kind::Email => ("an email address", "email"),
        Kind::Discord => ("a Discord id", "discord"),
    };
    eprintln!(
        "encrypted {what} to {} recipient(s); paste it as the member's `{key}:` value, in quotes",
        recipients.len()
    );
    println!("{sealed}");
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_a_value_is() {
        assert_eq!(classify("ada@example.org"), Ok(Kind::Email));
        assert_eq!(classify("3456789012345678901"), Ok(Kind::Discord));
        for bad in ["", "12", "ada", "age:YWdl", "a b@example.org"] {
            let e = classify(bad).unwrap_err();
            assert!(bad.is_empty() || !e.contains(bad), "{e}");
        }
    }
}
