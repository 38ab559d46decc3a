//! Problems a person can fix: a rule, a place in a file, a message and a hint.
//!
//! These are kept apart from internal errors (network, I/O), which travel as
//! `anyhow::Error`: a diagnostic is for the roster editor, an error for the admin
//! running the job.

use std::fmt::{self, Write as _};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A 1-based line and column in the roster source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Loc {
    pub line: u32,
    pub col: u32,
}

impl Loc {
    pub const START: Loc = Loc { line: 1, col: 1 };
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable rule name, e.g. `duplicate-login`.
    pub rule: &'static str,
    pub loc: Loc,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(rule: &'static str, loc: Loc, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            rule,
            loc,
            message: message.into(),
            help: None,
        }
    }
    pub fn warning(rule: &'static str, loc: Loc, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(rule, loc, message)
        }
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `roster.yaml:12:5: error[duplicate-login]: message`, then the source line
    /// with a caret, then `help: ...`.
    pub fn render(&self, file: &str, source: Option<&str>) -> String {
        let mut out = format!(
            "{file}:{}:{}: {}[{}]: {}",
            self.loc.line, self.loc.col, self.severity, self.rule, self.message
        );
        if let Some(line) = source.and_then(|s| s.lines().nth(self.loc.line as usize - 1)) {
            let line = line.trim_end();
            // An encrypted contact field (`age:…`) is never shown.
            if !line.is_empty() && line.chars().count() <= 200 && !line.contains("age:") {
                let gutter = self.loc.line.to_string().len();
                let caret_at = line
                    .chars()
                    .take(self.loc.col.saturating_sub(1) as usize)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect::<String>();
                let _ = write!(
                    out,
                    "\n{:gutter$} |\n{} | {line}\n{:gutter$} | {caret_at}^",
                    "", self.loc.line, ""
                );
            }
        }
        if let Some(help) = &self.help {
            let _ = write!(out, "\n  help: {help}");
        }
        out
    }

    /// A GitHub Actions workflow command, so the problem shows on the pull
    /// request's diff: `::error file=…,line=…,col=…,title=…::message`.
    pub fn github_annotation(&self, file: &str) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = self.message.clone();
        if let Some(help) = &self.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        format!(
            "::{kind} file={},line={},col={},title={}::{}",
            escape_property(file),
            self.loc.line,
            self.loc.col,
            escape_property(&format!("{}[{}]", kind, self.rule)),
            escape_data(&message)
        )
    }
}

/// Workflow command data escaping (the runner's own rules).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command property escaping: data escaping plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Sorts by position, then severity, so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.loc, a.severity, a.rule, &a.message).cmp(&(b.loc, b.severity, b.rule, &b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_a_compiler() {
        let d = Diagnostic::error("duplicate-login", Loc { line: 2, col: 13 }, "`bob` twice")
            .help("remove one");
        let src = "members:\n  - github: bob\n";
        assert_eq!(
            d.render("roster.yaml", Some(src)),
            "roster.yaml:2:13: error[duplicate-login]: `bob` twice\n  |\n2 |   - github: bob\n  |             ^\n  help: remove one"
        );
    }

    #[test]
    fn annotations_escape_what_the_runner_parses() {
        let d = Diagnostic::warning("x", Loc { line: 1, col: 2 }, "50% off\nnext");
        assert_eq!(
            d.github_annotation("a,b:c.yaml"),
            "::warning file=a%2Cb%3Ac.yaml,line=1,col=2,title=warning[x]::50%25 off%0Anext"
        );
    }
}
