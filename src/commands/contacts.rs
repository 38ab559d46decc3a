//! `psrt contacts rekey`: every encrypted contact field re-encrypted to the
//! current `contacts.recipients`, `roster.yaml` edited in place.

use std::path::Path;

use crate::roster::contacts::{ContactKey, KEY_VAR};
use crate::roster::rekey::rekey;
use crate::roster::{self, LoadError};

use super::Outcome;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Re-encrypt every encrypted `email`/`discord` to the current
    /// contacts.recipients (after adding or removing a key); needs
    /// PSRT_CONTACT_KEY able to open every field.
    Rekey,
}

pub fn run(roster_path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Sub::Rekey = args.command;
    let file = roster_path.display().to_string();
    let key = match ContactKey::from_env() {
        Some(Ok(k)) => k,
        Some(Err(e)) => anyhow::bail!("{e}; nothing was changed"),
        None => anyhow::bail!(
            "{KEY_VAR} is not set: rekey needs a key that opens every encrypted field; nothing was changed"
        ),
    };
    let loaded = match roster::load(roster_path) {
        Ok(l) => l,
        Err(LoadError::Io(e)) => anyhow::bail!("cannot read {file}: {e}"),
        Err(LoadError::Invalid { diagnostics, text }) => {
            super::print_diagnostics(&file, text.as_deref(), &diagnostics);
            eprintln!("error: {file} is not a valid roster; nothing was changed");
            return Ok(Outcome::Failed);
        }
    };
    let done =
        rekey(&loaded, &key).map_err(|e| anyhow::anyhow!("{file}: {e}; nothing was changed"))?;
    if done.fields == 0 {
        println!("{file}: no encrypted fields; nothing to do");
        return Ok(Outcome::Success);
    }
    super::write_in_place(roster_path, &done.text)?;
    println!(
        "{file}: re-encrypted {} field(s) to {} recipient(s); every other byte is unchanged",
        done.fields, done.recipients
    );
    Ok(Outcome::Success)
}
