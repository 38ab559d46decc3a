//! Migration: builds a commented `roster.yaml` from the devguide's public CSV
//! lists (`Name,GitHub username,Notes`, no header).

use std::fmt::Write as _;

use super::model::Role;
use super::source::Node;

/// One row of a devguide list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub github: Option<String>,
    pub roles: Vec<Role>,
}

/// A problem with an input row, for the person running the migration.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ImportError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// Reads a devguide CSV. `need_login` is true for current members.
pub fn read_rows(file: &str, text: &str, need_login: bool) -> Result<Vec<Row>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let err = |line: u64, message: String| ImportError {
            file: file.to_owned(),
            line,
            message,
        };
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            err(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != 3 {
            return Err(err(
                line,
                format!(
                    "expected 3 columns (Name,GitHub username,Notes), found {}",
                    record.len()
                ),
            ));
        }
        let name = record[0].trim().to_owned();
        if name.is_empty() {
            return Err(err(line, "the name is empty".into()));
        }
        let github = Some(record[1].trim().to_owned()).filter(|g| !g.is_empty());
        if need_login && github.is_none() {
            return Err(err(
                line,
                format!("{name} has no GitHub username; current members need one"),
            ));
        }
        let mut roles = Vec::new();
        for note in record[2]
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match Role::from_public_name(note) {
                Some(r) => roles.push(r),
                None => {
                    return Err(err(
                        line,
                        format!(
                            "unknown note `{note}` (expected Admin, Release Manager or Steering Council)"
                        ),
                    ));
                }
            }
        }
        rows.push(Row {
            name,
            github,
            roles,
        });
    }
    Ok(rows)
}

/// The roster text for these members and emeritus members.
pub fn roster_yaml(members: &[Row], emeritus: &[Row]) -> String {
    let mut out = String::from(HEADER);
    out.push_str("members:\n");
    for m in members {
        write_person(&mut out, m);
    }
    out.push_str(EMERITUS_HEADER);
    if emeritus.is_empty() {
        out.push_str("emeritus: []\n");
    } else {
        out.push_str("emeritus:\n");
        for e in emeritus {
            write_person(&mut out, e);
        }
    }
    out
}

fn write_person(out: &mut String, row: &Row) {
    let _ = writeln!(out, "  - name: {}", yaml_scalar(&row.name));
    if let Some(g) = &row.github {
        let _ = writeln!(out, "    github: {}", yaml_scalar(g));
    }
    if !row.roles.is_empty() {
        let roles: Vec<&str> = row.roles.iter().map(|r| r.as_str()).collect();
        let _ = writeln!(out, "    roles: [{}]", roles.join(", "));
    }
}

/// `s` as a YAML scalar: plain when that reads back as the same string in
/// every common YAML reader, double-quoted otherwise.
pub fn yaml_scalar(s: &str) -> String {
    let ambiguous = [
        "yes", "no", "on", "off", "y", "n", "true", "false", "null", "~",
    ];
    let reads_back = || {
        let doc = format!("k: {s}\n");
        let opts = serde_saphyr::options! { strict_booleans: true };
        match serde_saphyr::from_str_with_options::<Node>(&doc, opts) {
            Ok(node) => node.get("k").and_then(|(_, v)| v.value.as_str()) == Some(s),
            Err(_) => false,
        }
    };
    let plain = !s.is_empty()
        && s.trim() == s
        && !ambiguous.contains(&s.to_ascii_lowercase().as_str())
        && s.chars().next().is_some_and(|c| c.is_alphanumeric())
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.chars().any(char::is_control)
        && reads_back();
    if plain {
        s.to_owned()
    } else {
        // A JSON string is a valid YAML double-quoted scalar.
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

const HEADER: &str = r#"# yaml-language-server: $schema=schema/roster.schema.json
#
# The Python Security Response Team: who is a member, with which roles, and
# the rules psrt enforces (PEP 811 and the devguide's security/psrt.rst).
#
# This file is the single source of truth. Change it by pull request; the
# Steering Council approves membership changes (`psrt approvals` checks).
# `psrt check` validates it; the nightly job makes the GitHub team, the
# mailing list and the Discord role match it. Keys are described in
# schema/roster.schema.json, which editors use to complete and check them.
version: 1

github:
  org: python
  # The team reconciled from `members`: everyone below is a member, admins are
  # maintainers, anyone else is removed.
  team: psrt
  # Repositories whose security advisories (GHSA) the PSRT handles.
  advisory_repos: [python/cpython, pypa/pip]
  # Members must be core team members or triagers (unless legacy, Release
  # Manager or Steering Council): membership of these teams is the evidence.
  eligibility_teams: [python-core, python-triage]
  # Review requests for membership changes go to this team; `psrt check
  # --online` compares its members with `steering_council` below.
  steering_council_team: steering-council

# To manage the security@ list and the Discord role, add each member's
# `email` / `discord` id, then uncomment the section (psrt leaves a service
# alone until the roster configures it).
# mailman:
#   list: security.python.org      # Mailman list id: dots, not @
#   extra_addresses: []            # subscribers who are not people (archives)
#   extra_owners: []               # list owners besides the admins
# discord:
#   guild: "<guild id>"
#   role: "<role id>"

email:
  from: "PSRT <psrt-bot@python.org>"

policy:
  min_admins: 2                    # PEP 811: at least two admins
  max_removal_fraction: 0.25       # a sync removing more than this share of a service stops
  deadline_days: 90                # every report finishes within 90 days of creation
  warn_days_left: [30, 14, 7, 1]   # coordinator warnings, days before the deadline
  coordinator_grace_days: 3        # a report idle this long gets a coordinator
  max_cve_reservations_per_run: 3  # CVE ids one hourly run may reserve at most
  approvals:
    # PEP 811: the Steering Council approves. The devguide's nomination vote is
    # { reviewers: members, required: "2/3", min_open_days: 7, veto: steering-council }
    membership: { reviewers: steering-council, required: 1 }

# Set by the yearly inactivity pull request when the Council merges it.
# last_inactivity_report: 2025-11-01

# The current Steering Council (PEP 13), by GitHub login, PSRT members or not:
# they approve membership changes (policy.approvals), and members listed here
# are exempt from inactivity and from coordinator assignment. Update it by
# pull request after each election.
steering_council: []  # fill in after import: until then every membership pull request fails

# Current members. Each entry: name, github (login), and optionally github_id
# (survives renames), email (list address), discord (user id, quoted), roles
# (admin | release-manager), legacy, since, last_active.
"#;

const EMERITUS_HEADER: &str = r#"
# Former members, published as the emeritus list. `roles` are those held when
# they left.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_that_need_quotes_get_them() {
        assert_eq!(yaml_scalar("Seth Larson"), "Seth Larson");
        assert_eq!(yaml_scalar("Łukasz Langa"), "Łukasz Langa");
        assert_eq!(yaml_scalar("Gregory P. Smith"), "Gregory P. Smith");
        assert_eq!(yaml_scalar("yes"), "\"yes\"");
        assert_eq!(yaml_scalar("123"), "\"123\"");
        assert_eq!(yaml_scalar("a: b"), "\"a: b\"");
        assert_eq!(yaml_scalar("- x"), "\"- x\"");
        assert_eq!(yaml_scalar("x #y"), "\"x #y\"");
        assert_eq!(yaml_scalar(""), "\"\"");
        assert_eq!(yaml_scalar("2023-01-01"), "2023-01-01");
    }

    #[test]
    fn notes_become_roles_and_bad_rows_are_refused() {
        let rows = read_rows("m.csv", "A,a,\"Admin, Release Manager\"\nB,b,\n", true).unwrap();
        assert_eq!(rows[0].roles, vec![Role::Admin, Role::ReleaseManager]);
        assert!(rows[1].roles.is_empty());
        let e = read_rows("m.csv", "A,,\n", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.csv:1: A has no GitHub username; current members need one"
        );
        let e = read_rows("m.csv", "A,a,\nB,b,Wizard\n", true).unwrap_err();
        assert!(
            e.to_string().starts_with("m.csv:2: unknown note `Wizard`"),
            "{e}"
        );
        let e = read_rows("m.csv", "A,a\n", true).unwrap_err();
        assert!(e.to_string().contains("expected 3 columns"), "{e}");
        assert!(read_rows("e.csv", "A,,\n", false).is_ok());
    }
}
