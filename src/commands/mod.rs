//! One module per command: read inputs, call the library, print, return an
//! [`crate::cli::Outcome`].

pub mod check;
pub mod import;
pub mod publish;

use std::path::Path;

use crate::diag::Diagnostic;
use crate::roster::{self, LoadError, Loaded};

/// Whether we run inside GitHub Actions (annotations, job summaries).
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Today in UTC: the date rules compare against.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Prints diagnostics the way `psrt check` does (and GitHub annotations
/// under Actions).
pub fn print_diagnostics(file: &str, text: Option<&str>, diags: &[Diagnostic]) {
    for d in diags {
        println!("{}", d.render(file, text));
    }
    if in_github_actions() {
        for d in diags {
            println!("{}", d.github_annotation(file));
        }
    }
}

/// Loads a roster that must be valid for the command to go on: on any
/// error, prints the problems and returns `None` (the command exits 1 and
/// changes nothing).
pub fn load_valid(path: &Path) -> anyhow::Result<Option<Loaded>> {
    let file = path.display().to_string();
    match roster::load(path) {
        Ok(loaded) => {
            let diags: Vec<Diagnostic> = roster::validate::validate(&loaded, today())
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect();
            if diags.is_empty() {
                Ok(Some(loaded))
            } else {
                print_diagnostics(&file, Some(&loaded.source.text), &diags);
                eprintln!(
                    "error: {file} breaks {} rule(s); nothing was changed",
                    diags.len()
                );
                Ok(None)
            }
        }
        Err(LoadError::Io(e)) => Err(anyhow::anyhow!("cannot read {file}: {e}")),
        Err(LoadError::Invalid { diagnostics, text }) => {
            print_diagnostics(&file, text.as_deref(), &diagnostics);
            eprintln!("error: {file} is not a valid roster; nothing was changed");
            Ok(None)
        }
    }
}
