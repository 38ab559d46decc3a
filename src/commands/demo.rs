//! `psrt demo` (a build with the `demo` feature: the default one).

use super::Outcome;

pub fn run() -> anyhow::Result<Outcome> {
    let out = super::block_on(crate::demo::run())??;
    print!("{out}");
    Ok(Outcome::Success)
}
