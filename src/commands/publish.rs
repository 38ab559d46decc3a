//! `psrt publish`: the public member lists.

use std::path::Path;

use crate::publish;

use super::{Outcome, load_valid};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the two CSV files into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: std::path::PathBuf,
}

pub fn run(roster: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_valid(roster)? else {
        return Ok(Outcome::Failed);
    };
    for path in publish::write(&loaded.roster, &args.out)? {
        println!("wrote {}", path.display());
    }
    Ok(Outcome::Success)
}
