//! `psrt import`: the devguide's CSV lists → a commented roster.

use std::io::Write as _;

use anyhow::{Context, bail};

use crate::roster::import::{read_rows, roster_yaml};

use super::Outcome;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The devguide's members list (psrt.csv).
    #[arg(long, value_name = "CSV")]
    pub members: std::path::PathBuf,
    /// The devguide's emeritus list (psrt-emeritus.csv).
    #[arg(long, value_name = "CSV")]
    pub emeritus: Option<std::path::PathBuf>,
    /// Write the roster here instead of standard output (refuses to overwrite).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<Outcome> {
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let members_text = read(&args.members)?;
    let members = read_rows(&args.members.display().to_string(), &members_text, true)?;
    let emeritus = match &args.emeritus {
        Some(p) => read_rows(&p.display().to_string(), &read(p)?, false)?,
        None => Vec::new(),
    };
    let yaml = roster_yaml(&members, &emeritus);
    // The result must be a roster psrt accepts (apart from policy warnings).
    if let Err(e) = crate::roster::parse(yaml.as_bytes()) {
        bail!("the imported roster does not read back: {e}");
    }
    match &args.out {
        Some(path) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| {
                    format!(
                        "cannot create {} (psrt import never overwrites)",
                        path.display()
                    )
                })?;
            f.write_all(yaml.as_bytes())?;
            eprintln!(
                "wrote {} ({} members, {} emeritus)",
                path.display(),
                members.len(),
                emeritus.len()
            );
        }
        None => print!("{yaml}"),
    }
    Ok(Outcome::Success)
}
