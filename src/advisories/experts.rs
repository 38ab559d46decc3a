//! `/psrt experts`, its pure part: the owners `.github/CODEOWNERS` gives
//! the files a fix touches, as GitHub reads the file (gitignore-style
//! patterns; the **last** matching rule wins; a rule with no owner makes a
//! file unowned), teams and users deduplicated. It adds no one.
//!
//! The reads (CODEOWNERS of the advisory's repository, the files of the
//! private fork's open pull requests) are made where the command is judged,
//! in `apply/commands.rs`.

/// One CODEOWNERS rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The pattern's segments, anchored at the repository's root (`**`
    /// added in front of a pattern that matches at any depth).
    segments: Vec<String>,
    /// The pattern ends with `/`: a directory (everything beneath).
    directory: bool,
    /// `@user` or `@org/team`, as written.
    pub owners: Vec<String>,
}

/// The rules of a CODEOWNERS file, in order (comments, blank lines and
/// lines psrt cannot read are skipped).
pub fn parse(text: &str) -> Vec<Rule> {
    text.lines()
        .filter_map(|line| {
            let line = line.split(" #").next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let mut words = line.split_whitespace();
            let pattern = words.next()?;
            let owners: Vec<String> = words
                .take_while(|w| !w.starts_with('#'))
                .filter(|w| w.starts_with('@'))
                .map(str::to_owned)
                .collect();
            let directory = pattern.ends_with('/');
            let trimmed = pattern.trim_end_matches('/');
            let anchored = trimmed.starts_with('/') || trimmed.contains('/');
            let mut segments: Vec<String> = trimmed
                .trim_start_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if segments.is_empty() {
                return None;
            }
            if !anchored {
                segments.insert(0, "**".to_owned());
            }
            Some(Rule {
                segments,
                directory,
                owners,
            })
        })
        .collect()
}

/// `*` and `?` within one path segment.
fn segment_matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_matches(&pattern[1..], name)
                || (!name.is_empty() && segment_matches(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => segment_matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => segment_matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// Whether the pattern's segments match exactly these path segments.
fn matches(pattern: &[String], path: &[&str]) -> bool {
    match pattern.first().map(String::as_str) {
        None => path.is_empty(),
        Some("**") => (0..=path.len()).any(|i| matches(&pattern[1..], &path[i..])),
        Some(p) => {
            !path.is_empty()
                && segment_matches(p.as_bytes(), path[0].as_bytes())
                && matches(&pattern[1..], &path[1..])
        }
    }
}

impl Rule {
    /// Whether the rule covers this file: the file itself, or a directory
    /// it is in.
    pub fn covers(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        // A directory of the path (every proper prefix), or the file.
        let upto = if self.directory {
            parts.len().saturating_sub(1)
        } else {
            parts.len()
        };
        (1..=upto).any(|n| matches(&self.segments, &parts[..n]))
    }
}

/// The owners of one file: the last matching rule's.
pub fn owners_of<'r>(rules: &'r [Rule], path: &str) -> &'r [String] {
    rules
        .iter()
        .rev()
        .find(|r| r.covers(path))
        .map_or(&[], |r| r.owners.as_slice())
}

/// The experts for the files a fix touches: teams first, then users, each
/// once (GitHub's logins and team slugs compare without case).
pub fn suggest(rules: &[Rule], files: &[&str]) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut teams = Vec::new();
    let mut users = Vec::new();
    for f in files {
        for o in owners_of(rules, f) {
            if seen.insert(o.to_ascii_lowercase()) {
                if o.contains('/') {
                    teams.push(o.clone());
                } else {
                    users.push(o.clone());
                }
            }
        }
    }
    teams.extend(users);
    teams
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on CPython's `.github/CODEOWNERS` (its email, TLS, hashing
    /// and import rules, a directory rule, and an unowned exclusion).
    const CPYTHON_LIKE: &str = r#"
# It uses the same pattern rule for gitignore file.
# Notably, a later match overrides earlier matches, so order matters.
.github/                      @ezio-melotti @hugovk @AA-Turner
**/*import*                   @brettcannon @ericsnowcurrently @ncoghlan @warsaw
# Hashing & Cryptographic Primitives
**/*hashlib*                  @gpshead @tiran @picnixz
Modules/*sha*                 @gpshead @tiran @picnixz
# Libssl / TLS
**/*ssl*                      @gpshead @picnixz
# Email and related
**/*mail*                     @python/email-team
**/*smtp*                     @python/email-team
**/*mime*                     @python/email-team
# Windows
PC/                           @python/windows-team
# Exclusions: unowned
Lib/email/_policybase.py
"#;

    #[test]
    fn lib_email_and_modules_ssl_give_the_email_team_and_the_tls_owners() {
        let rules = parse(CPYTHON_LIKE);
        let files = [
            "Lib/email/_header_value_parser.py",
            "Lib/email/utils.py",
            "Lib/test/test_email/test__header_value_parser.py",
            "Modules/_ssl.c",
            "Lib/test/test_ssl.py",
        ];
        assert_eq!(
            suggest(&rules, &files),
            ["@python/email-team", "@gpshead", "@picnixz"]
        );
    }

    #[test]
    fn gitignore_patterns_and_the_last_rule_wins() {
        let rules = parse(CPYTHON_LIKE);
        assert_eq!(owners_of(&rules, "PC/launcher.c"), ["@python/windows-team"]);
        assert!(owners_of(&rules, "PCbuild/x.vcxproj").is_empty());
        assert_eq!(owners_of(&rules, ".github/CODEOWNERS").len(), 3);
        assert!(owners_of(&rules, "Doc/.github").is_empty(), "anchored");
        // `*import*` matches at any depth, in a directory name too.
        assert_eq!(owners_of(&rules, "Lib/importlib/util.py").len(), 4);
        // The exclusion (no owner) comes last: unowned.
        assert!(owners_of(&rules, "Lib/email/_policybase.py").is_empty());
        // `Modules/*sha*` is anchored and does not cross a `/`.
        assert_eq!(owners_of(&rules, "Modules/sha2module.c").len(), 3);
        assert!(owners_of(&rules, "Modules/x/sha2.c").is_empty());
        // A later `**/*ssl*` rule wins over `**/*hashlib*` for a file both match.
        assert_eq!(
            owners_of(&rules, "Lib/hashlib_ssl.py"),
            ["@gpshead", "@picnixz"]
        );
        assert!(suggest(&rules, &["README.rst"]).is_empty());
    }
}
