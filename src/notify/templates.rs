//! Message templates: `templates/` beside the roster (people may edit them),
//! or the built-in copies of the same files.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior, Value};

const BUILT_IN: &[(&str, &str)] = &[
    (
        "deadline-warning.txt",
        include_str!("../../templates/deadline-warning.txt"),
    ),
    (
        "deadline-overdue.txt",
        include_str!("../../templates/deadline-overdue.txt"),
    ),
    (
        "coordinator-unassigned.txt",
        include_str!("../../templates/coordinator-unassigned.txt"),
    ),
    (
        "coordinator-reassign.txt",
        include_str!("../../templates/coordinator-reassign.txt"),
    ),
    (
        "coordinator-assigned.txt",
        include_str!("../../templates/coordinator-assigned.txt"),
    ),
    (
        "inactivity-pr.md",
        include_str!("../../templates/inactivity-pr.md"),
    ),
    (
        "announce-email.txt",
        include_str!("../../templates/announce-email.txt"),
    ),
    (
        "devguide-pr.md",
        include_str!("../../templates/devguide-pr.md"),
    ),
    (
        "override-used.txt",
        include_str!("../../templates/override-used.txt"),
    ),
    (
        "invitation-failed.txt",
        include_str!("../../templates/invitation-failed.txt"),
    ),
    (
        "close-completed.md",
        include_str!("../../templates/close-completed.md"),
    ),
    (
        "close-not-planned.md",
        include_str!("../../templates/close-not-planned.md"),
    ),
    (
        "close-invalid.md",
        include_str!("../../templates/close-invalid.md"),
    ),
    (
        "close-duplicate.md",
        include_str!("../../templates/close-duplicate.md"),
    ),
    (
        "command-admins.txt",
        include_str!("../../templates/command-admins.txt"),
    ),
    (
        "advisories-digest.txt",
        include_str!("../../templates/advisories-digest.txt"),
    ),
    (
        "audit-problem.txt",
        include_str!("../../templates/audit-problem.txt"),
    ),
    (
        "audit-cleared.txt",
        include_str!("../../templates/audit-cleared.txt"),
    ),
    (
        "audit-digest.txt",
        include_str!("../../templates/audit-digest.txt"),
    ),
];

/// The templates psrt renders.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Templates from `dir` where a file exists there, built-in otherwise.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // `{% for %}` on a line of its own leaves no blank line behind.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| anyhow::anyhow!("template syntax: {e}"))?;
        env.set_syntax(syntax);
        for (name, text) in BUILT_IN {
            let from_dir: Option<PathBuf> = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let source = match &from_dir {
                Some(p) => std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
                None => (*text).to_owned(),
            };
            env.add_template_owned(*name, source)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        Ok(Self { env })
    }

    /// The built-in templates only.
    pub fn built_in() -> Self {
        // The built-in templates are tested to parse.
        Self::load(None).unwrap_or_else(|_| Self {
            env: Environment::new(),
        })
    }

    /// Renders `name`'s `subject` (or `title`) and `body` blocks.
    pub fn render(&self, name: &str, ctx: Value) -> anyhow::Result<(String, String)> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        let mut captured = tmpl
            .render_captured(ctx)
            .map_err(|e| anyhow::anyhow!("template {name}: {e:#}"))?;
        let (subject, body) = captured.with_state_mut(|state| {
            let subject = state
                .render_block("subject")
                .or_else(|_| state.render_block("title"));
            let body = state.render_block("body");
            (subject, body)
        });
        let subject = subject.map_err(|e| anyhow::anyhow!("template {name}: subject: {e:#}"))?;
        let body = body.map_err(|e| anyhow::anyhow!("template {name}: body: {e:#}"))?;
        Ok((
            subject.split_whitespace().collect::<Vec<_>>().join(" "),
            body.trim_start_matches('\n').to_owned(),
        ))
    }
}
