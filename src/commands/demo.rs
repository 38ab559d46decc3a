//! `psrt demo`.

use super::Outcome;

pub fn run() -> anyhow::Result<Outcome> {
    let out = super::block_on(crate::demo::run())??;
    print!("{out}");
    Ok(Outcome::Success)
}
