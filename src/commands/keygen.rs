//! `psrt keygen`: a new contact key, printed as `age-keygen` prints one.

use crate::roster::contacts::ContactKey;

use super::Outcome;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<Outcome> {
    let key = ContactKey::generate();
    // The identity goes to stdout only: redirect it to a file (or straight
    // into the secret store); the public key is also on stderr, as
    // `age-keygen` does, for pasting into `contacts.recipients`.
    print!("{}", key.keygen_text(chrono::Utc::now()).expose());
    eprintln!("Public key: {}", key.public());
    Ok(Outcome::Success)
}
