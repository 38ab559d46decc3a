//! The public member lists, in the devguide's format: `psrt.csv` and
//! `psrt-emeritus.csv`, rows `Name,GitHub username,Notes`, no header, roster
//! order, Notes such as `"Admin, Release Manager"`, UTF-8 with LF line ends.

use std::path::Path;

use anyhow::{Context, Result};

use crate::roster::{Role, Roster};

pub const MEMBERS_FILE: &str = "psrt.csv";
pub const EMERITUS_FILE: &str = "psrt-emeritus.csv";

/// The Notes column: roles in a fixed order, as the devguide words them.
pub fn notes(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
        .iter()
        .map(|r| r.public_name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn to_csv<'a>(rows: impl Iterator<Item = [&'a str; 3]>) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    for row in rows {
        w.write_record(row)?;
    }
    let bytes = w.into_inner().context("writing CSV")?;
    String::from_utf8(bytes).context("CSV is not UTF-8")
}

/// `psrt.csv`.
pub fn members_csv(roster: &Roster) -> Result<String> {
    let notes: Vec<String> = roster.members.iter().map(|m| notes(&m.roles)).collect();
    to_csv(
        roster
            .members
            .iter()
            .zip(&notes)
            .map(|(m, n)| [m.name.as_str(), m.github.as_str(), n.as_str()]),
    )
}

/// `psrt-emeritus.csv`.
pub fn emeritus_csv(roster: &Roster) -> Result<String> {
    let notes: Vec<String> = roster.emeritus.iter().map(|e| notes(&e.roles)).collect();
    to_csv(roster.emeritus.iter().zip(&notes).map(|(e, n)| {
        [
            e.name.as_str(),
            e.github.as_ref().map_or("", |g| g.as_str()),
            n.as_str(),
        ]
    }))
}

/// Writes both files into `dir`; returns the paths written.
pub fn write(roster: &Roster, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in [
        (MEMBERS_FILE, members_csv(roster)?),
        (EMERITUS_FILE, emeritus_csv(roster)?),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
