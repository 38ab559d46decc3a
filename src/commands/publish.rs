//! `psrt publish`: the public member lists.

use std::path::Path;

use crate::cli::{Outcome, PublishArgs};
use crate::publish;

use super::load_valid;

pub fn run(roster: &Path, args: &PublishArgs) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_valid(roster)? else {
        return Ok(Outcome::Failed);
    };
    for path in publish::write(&loaded.roster, &args.out)? {
        println!("wrote {}", path.display());
    }
    Ok(Outcome::Success)
}
