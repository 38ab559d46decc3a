//! The rules a well-formed roster must also follow (PEP 811, the devguide, and
//! psrt's own safety rules). Each problem is a [`Diagnostic`] at the place a
//! person must edit.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::load::Loaded;
use super::model::{
    Group, Login, MAX_CVE_RESERVATIONS_PER_RUN, MAX_POLICY_DAYS, Required, Role, Roster,
};
use super::source::{Seg, Source};
use crate::diag::{self, Diagnostic};
use crate::ids::is_slug;
use crate::path;
use crate::roster::contacts::open::Closed;
use crate::roster::contacts::{self, Field, KEY_VAR, KeyStatus, Opened};

/// Every rule, for `--help` and the docs: (name, what it checks).
pub const RULES: &[(&str, &str)] = &[
    ("encoding", "the file is UTF-8"),
    ("yaml-syntax", "the file is YAML"),
    ("duplicate-key", "no key twice in one mapping"),
    ("unknown-key", "only keys psrt knows"),
    ("missing-key", "required keys are present"),
    ("wrong-type", "each value has the right type"),
    ("missing-value", "required values are not empty"),
    ("invalid-value", "values are among those allowed"),
    ("out-of-range", "numbers fit their field"),
    ("unknown-role", "roles are admin or release-manager"),
    (
        "council-role",
        "the Steering Council is the `steering_council` list, not a role",
    ),
    (
        "duplicate-council",
        "a login appears once in `steering_council`",
    ),
    ("date", "dates are YYYY-MM-DD"),
    ("future-date", "no date lies in the future"),
    ("unsupported-version", "`version` is 1"),
    ("empty-roster", "there is at least one member"),
    ("github-login", "GitHub logins are well-formed"),
    ("github-name", "org and team slugs are well-formed"),
    ("repo-syntax", "advisory repositories are owner/name"),
    (
        "duplicate-login",
        "a login appears once in members and emeritus",
    ),
    ("duplicate-github-id", "a GitHub id appears once"),
    ("duplicate-email", "an address appears once"),
    ("duplicate-discord", "a Discord id appears once"),
    ("duplicate-role", "a role is listed once per person"),
    ("email-syntax", "addresses are well-formed"),
    (
        "contact-framing",
        "an `age:` value is the base64 of an age file for x25519 keys",
    ),
    (
        "contact-recipients",
        "encrypted values are encrypted to exactly contacts.recipients, which are age1… keys",
    ),
    (
        "contact-key",
        "with PSRT_CONTACT_KEY: the key opens every encrypted value",
    ),
    ("discord-snowflake", "Discord ids are snowflakes"),
    ("mailman-list", "the Mailman list id is well-formed"),
    ("min-admins", "at least policy.min_admins admins"),
    (
        "eligibility",
        "members are eligible, or eligibility can be checked (warning)",
    ),
    (
        "no-email",
        "members have an address when the list is managed (warning)",
    ),
    (
        "no-discord",
        "members have a Discord id when the role is managed (warning)",
    ),
    ("policy", "policy values make sense"),
    (
        "approvals",
        "approval rules name a group with enough holders (warning)",
    ),
];

/// Runs every rule. `today` decides what "in the future" means. Encrypted
/// contact fields are checked for their framing only.
pub fn validate(loaded: &Loaded, today: NaiveDate) -> Vec<Diagnostic> {
    validate_with(loaded, today, None)
}

/// [`validate`], and with the roster's contact fields opened
/// ([`crate::roster::contacts::open`]), the decrypted values too: syntax and
/// duplicates after decryption, and every field opening with the key.
/// Messages about encrypted fields never contain their values.
pub fn validate_with(
    loaded: &Loaded,
    today: NaiveDate,
    opened: Option<&Opened>,
) -> Vec<Diagnostic> {
    let mut v = Validator {
        roster: &loaded.roster,
        source: &loaded.source,
        today,
        opened,
        out: Vec::new(),
    };
    v.contacts();
    v.version();
    v.github_settings();
    v.members();
    v.emeritus();
    v.council();
    v.uniqueness();
    v.services();
    v.policy();
    let mut out = v.out;
    diag::sort(&mut out);
    out
}

struct Validator<'a> {
    roster: &'a Roster,
    source: &'a Source,
    today: NaiveDate,
    opened: Option<&'a Opened>,
    out: Vec<Diagnostic>,
}

/// A member's contact value as the rules see it.
enum Contact<'a> {
    Plain(&'a str),
    /// Encrypted, and opened: the plaintext.
    Decrypted(&'a str),
    /// Encrypted, not opened (no key, or not for this key).
    Closed,
}

impl<'a> Validator<'a> {
    fn error(&mut self, rule: &'static str, at: &[Seg], message: String) -> &mut Diagnostic {
        let loc = self.source.value_loc(at);
        self.out.push(Diagnostic::error(rule, loc, message));
        self.out.last_mut().expect("just pushed")
    }
    fn warning(&mut self, rule: &'static str, at: &[Seg], message: String) -> &mut Diagnostic {
        let loc = self.source.value_loc(at);
        self.out.push(Diagnostic::warning(rule, loc, message));
        self.out.last_mut().expect("just pushed")
    }
    fn help(d: &mut Diagnostic, help: impl Into<String>) {
        d.help = Some(help.into());
    }

    fn version(&mut self) {
        if self.roster.version != 1 {
            let d = self.error(
                "unsupported-version",
                &path!["version"],
                format!("roster version {} is not supported", self.roster.version),
            );
            Self::help(d, "this psrt reads version 1");
        }
    }

    fn github_settings(&mut self) {
        let g = &self.roster.github;
        if !is_slug(&g.org) {
            let d = self.error(
                "github-name",
                &path!["github", "org"],
                format!("`{}` is not a GitHub organisation name", g.org),
            );
            Self::help(d, "letters, digits and hyphens, e.g. `python`");
        }
        let mut teams: Vec<(Vec<Seg>, &str)> = vec![(path!["github", "team"], g.team.as_str())];
        for (i, t) in g.eligibility_teams.iter().enumerate() {
            teams.push((path!["github", "eligibility_teams", i], t));
        }
        if let Some(t) = &g.steering_council_team {
            teams.push((path!["github", "steering_council_team"], t));
        }
        for (at, team) in teams {
            if !is_slug(team) {
                let d = self.error("github-name", &at, format!("`{team}` is not a team slug"));
                Self::help(
                    d,
                    "use the slug from the team's URL: lower case, hyphens, e.g. `python-core`",
                );
            }
        }
        let mut seen = HashMap::new();
        for (i, repo) in g.advisory_repos.iter().enumerate() {
            let at = path!["github", "advisory_repos", i];
            if crate::ids::RepoName::parse(repo).is_err() {
                let d = self.error("repo-syntax", &at, format!("`{repo}` is not a repository"));
                Self::help(d, "write `owner/name`, e.g. `python/cpython`");
            } else if let Some(first) = seen.insert(repo.to_ascii_lowercase(), i) {
                let line = self
                    .source
                    .value_loc(&path!["github", "advisory_repos", first])
                    .line;
                self.error(
                    "repo-syntax",
                    &at,
                    format!("`{repo}` is listed twice (also line {line})"),
                );
            }
        }
    }

    fn members(&mut self) {
        let roster = self.roster;
        if roster.members.is_empty() {
            let d = self.error(
                "empty-roster",
                &path!["members"],
                "the roster has no members".into(),
            );
            Self::help(
                d,
                "psrt refuses to sync an empty roster: it would remove everyone",
            );
        }
        for (i, m) in roster.members.iter().enumerate() {
            if m.name.trim().is_empty() {
                self.error(
                    "missing-value",
                    &path!["members", i, "name"],
                    "a member's name is empty".into(),
                );
            }
            self.login(&m.github, || path!["members", i, "github"]);
            for field in Field::ALL {
                match self.contact(i, field) {
                    Some(Contact::Plain(v)) => match field {
                        Field::Email => self.email(v, || path!["members", i, "email"]),
                        Field::Discord => {
                            self.snowflake(v, || path!["members", i, "discord"], "Discord user id")
                        }
                    },
                    Some(Contact::Decrypted(v)) => self.decrypted(i, field, v),
                    Some(Contact::Closed) | None => {}
                }
            }
            self.roles(&m.roles, || path!["members", i, "roles"]);
            self.not_future(m.since, || path!["members", i, "since"]);
            self.not_future(m.last_active, || path!["members", i, "last_active"]);
            let eligible_by_role = m.legacy || roster.is_exempt(m);
            if !eligible_by_role && roster.github.eligibility_teams.is_empty() {
                let d = self.warning(
                    "eligibility",
                    &path!["members", i, "github"],
                    format!("cannot tell whether `{}` is eligible: no `github.eligibility_teams` configured", m.github),
                );
                Self::help(
                    d,
                    "list the core team and triager teams under github.eligibility_teams, or mark the member `legacy: true`",
                );
            }
        }
        let admins = roster.admins().count();
        let min = roster.policy.min_admins as usize;
        if admins < min {
            let d = self.error(
                "min-admins",
                &path!["members"],
                format!("{admins} admin(s); the policy asks for at least {min}"),
            );
            Self::help(d, "add `roles: [admin]` to another member");
        }
    }

    fn emeritus(&mut self) {
        for (i, e) in self.roster.emeritus.iter().enumerate() {
            if let Some(login) = &e.github {
                self.login(login, || path!["emeritus", i, "github"]);
            }
            self.roles(&e.roles, || path!["emeritus", i, "roles"]);
            self.not_future(e.left, || path!["emeritus", i, "left"]);
        }
        self.not_future(self.roster.last_inactivity_report, || {
            path!["last_inactivity_report"]
        });
    }

    /// The Steering Council list: well-formed logins, each once.
    fn council(&mut self) {
        let council = &self.roster.steering_council;
        for (i, login) in council.iter().enumerate() {
            self.login(login, || path!["steering_council", i]);
            if council[..i].contains(login) {
                let d = self.error(
                    "duplicate-council",
                    &path!["steering_council", i],
                    format!("`{login}` is listed twice in `steering_council`"),
                );
                Self::help(d, "remove one of them");
            }
        }
    }

    /// Logins, ids, addresses and Discord ids each belong to one person.
    /// Locations are looked up only for the duplicates found.
    fn uniqueness(&mut self) {
        let roster = self.roster;
        let members = roster
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| ("members", i, Some(&m.github), m.github_id));
        let emeritus = roster
            .emeritus
            .iter()
            .enumerate()
            .map(|(i, e)| ("emeritus", i, e.github.as_ref(), e.github_id));
        // Visit in file order, so that the later entry is the one reported.
        let emeritus_first = !roster.emeritus.is_empty()
            && self.source.key_loc(&path!["emeritus"]) < self.source.key_loc(&path!["members"]);
        let people: Vec<_> = if emeritus_first {
            emeritus.chain(members).collect()
        } else {
            members.chain(emeritus).collect()
        };

        let mut logins: HashMap<&Login, (&str, usize)> = HashMap::with_capacity(people.len());
        let mut ids: HashMap<u64, (&str, usize)> = HashMap::new();
        for (list, i, login, id) in people {
            if let Some(login) = login {
                if let Some((l, j)) = logins.insert(login, (list, i)) {
                    logins.insert(login, (l, j));
                    let line = self.source.value_loc(&path![l, j, "github"]).line;
                    let d = self.error(
                        "duplicate-login",
                        &path![list, i, "github"],
                        format!("`{login}` is already listed on line {line}"),
                    );
                    Self::help(
                        d,
                        "logins compare case-insensitively; a former member who rejoins moves from emeritus back to members",
                    );
                }
            }
            if let Some(id) = id {
                if let Some((l, j)) = ids.insert(id, (list, i)) {
                    ids.insert(id, (l, j));
                    let line = self.source.value_loc(&path![l, j, "github_id"]).line;
                    self.error(
                        "duplicate-github-id",
                        &path![list, i, "github_id"],
                        format!("github_id {id} is already listed on line {line}"),
                    );
                }
            }
        }
        for field in Field::ALL {
            // (comparison key) → first member with it
            let mut seen: HashMap<String, usize> = HashMap::new();
            for i in 0..roster.members.len() {
                let (key, encrypted) = match self.contact(i, field) {
                    Some(Contact::Plain(v)) => (v, false),
                    Some(Contact::Decrypted(v)) => (v, true),
                    Some(Contact::Closed) | None => continue,
                };
                let key = match field {
                    Field::Email => key.to_ascii_lowercase(),
                    Field::Discord => key.to_owned(),
                };
                let Some(&j) = seen.get(&key) else {
                    seen.insert(key, i);
                    continue;
                };
                let first_encrypted = matches!(self.contact(j, field), Some(Contact::Decrypted(_)));
                let line = self
                    .source
                    .value_loc(&path!["members", j, field.as_str()])
                    .line;
                let at = path!["members", i, field.as_str()];
                let (rule, message) = match (field, encrypted || first_encrypted) {
                    (Field::Email, false) => (
                        "duplicate-email",
                        format!("`{key}` is already listed on line {line}"),
                    ),
                    (Field::Discord, false) => (
                        "duplicate-discord",
                        format!("Discord id {key} is already listed on line {line}"),
                    ),
                    (Field::Email, true) => (
                        "duplicate-email",
                        format!(
                            "the `email` of member `{}` is the same address as line {line}'s (compared after decryption)",
                            roster.members[i].github
                        ),
                    ),
                    (Field::Discord, true) => (
                        "duplicate-discord",
                        format!(
                            "the `discord` of member `{}` is the same id as line {line}'s (compared after decryption)",
                            roster.members[i].github
                        ),
                    ),
                };
                self.error(rule, &at, message);
            }
        }
    }

    /// A member's `email` or `discord`, plain, decrypted or closed.
    fn contact(&self, i: usize, field: Field) -> Option<Contact<'a>> {
        let m = self.roster.members.get(i)?;
        let value = field.of(m)?;
        if !contacts::is_encrypted(value) {
            return Some(Contact::Plain(value));
        }
        let opened = self.opened?;
        let is_open = opened
            .sealed
            .iter()
            .any(|s| s.member == i && s.field == field && s.result.is_ok());
        if !is_open {
            return Some(Contact::Closed);
        }
        opened
            .roster
            .members
            .get(i)
            .and_then(|m| field.of(m))
            .map(|v| Contact::Decrypted(v.as_str()))
    }

    /// A decrypted value must be what the field holds. The message names
    /// the member and the field, never the value.
    fn decrypted(&mut self, i: usize, field: Field, value: &str) {
        let login = &self.roster.members[i].github;
        let at = path!["members", i, field.as_str()];
        let (rule, ok, what, help) = match field {
            Field::Email => (
                "email-syntax",
                value.parse::<lettre::Address>().is_ok(),
                "an email address",
                "encrypt the bare address again: `psrt encrypt name@example.org`",
            ),
            Field::Discord => (
                "discord-snowflake",
                is_snowflake(value),
                "a Discord user id",
                "encrypt the 17-20 digit id again: `psrt encrypt 3456789012345678901`",
            ),
        };
        if !ok {
            let d = self.error(
                rule,
                &at,
                format!("the encrypted `{field}` of member `{login}` does not decrypt to {what}"),
            );
            Self::help(d, help);
        }
    }

    /// `contacts.recipients`, the framing of every `age:` value, and with
    /// a key, that the key opens them.
    fn contacts(&mut self) {
        let roster = self.roster;
        let listed = roster
            .contacts
            .as_ref()
            .map(|c| c.recipients.as_slice())
            .unwrap_or_default();
        for (i, r) in listed.iter().enumerate() {
            let at = path!["contacts", "recipients", i];
            if crate::roster::contacts::key::recipient(r).is_none() {
                let d = self.error(
                    "contact-recipients",
                    &at,
                    format!("`{r}` is not an age public key"),
                );
                Self::help(
                    d,
                    "paste the `# public key: age1…` line of `psrt keygen` (or age-keygen), without the comment",
                );
            } else if listed[..i].iter().any(|x| x.trim() == r.trim()) {
                self.error(
                    "contact-recipients",
                    &at,
                    format!("`{r}` is listed twice in contacts.recipients"),
                );
            }
        }
        let mut encrypted = 0;
        for (i, m) in roster.members.iter().enumerate() {
            for field in Field::ALL {
                let Some(value) = field.of(m).filter(|v| contacts::is_encrypted(v)) else {
                    continue;
                };
                encrypted += 1;
                let at = path!["members", i, field.as_str()];
                match contacts::field::framing(value) {
                    Err(e) => {
                        let d = self.error(
                            "contact-framing",
                            &at,
                            format!(
                                "the `{field}` of member `{}` is not a valid encrypted value: {e}",
                                m.github
                            ),
                        );
                        Self::help(
                            d,
                            "encrypt the value again with `psrt encrypt` and paste its whole output",
                        );
                    }
                    Ok(f) if !listed.is_empty() && f.recipients != listed.len() => {
                        let d = self.error(
                            "contact-recipients",
                            &at,
                            format!(
                                "the `{field}` of member `{}` is encrypted to {} key(s); contacts.recipients lists {}",
                                m.github,
                                f.recipients,
                                listed.len()
                            ),
                        );
                        Self::help(
                            d,
                            "someone whose key opens every field runs `psrt contacts rekey` after a key is added or removed",
                        );
                    }
                    Ok(_) => {}
                }
            }
        }
        if encrypted > 0 && listed.is_empty() {
            let d = self.error(
                "contact-recipients",
                &path!["members"],
                format!("{encrypted} contact field(s) are encrypted but the roster lists no `contacts.recipients`"),
            );
            Self::help(
                d,
                "add `contacts: {recipients: [age1…]}` with the nightly job's key and each admin's",
            );
        }
        self.contact_key();
    }

    /// With `PSRT_CONTACT_KEY`: it is a key, and it opens every field.
    fn contact_key(&mut self) {
        let Some(opened) = self.opened else {
            return;
        };
        if opened.sealed.is_empty() {
            return;
        }
        let at_recipients = path!["contacts", "recipients"];
        match &opened.key {
            KeyStatus::Unset => {}
            KeyStatus::Invalid(why) => {
                let d = self.error("contact-key", &at_recipients, why.clone());
                Self::help(
                    d,
                    "set it to the `AGE-SECRET-KEY-1…` line that `psrt keygen` printed",
                );
            }
            KeyStatus::Given { public } if opened.key_opens_nothing() => {
                let listed = self
                    .roster
                    .contacts
                    .as_ref()
                    .is_some_and(|c| c.recipients.iter().any(|r| r.trim() == public));
                let d = self.error(
                    "contact-key",
                    &at_recipients,
                    format!(
                        "{KEY_VAR} opens none of the {} encrypted field(s); its public key {public} is {} contacts.recipients",
                        opened.sealed.len(),
                        if listed { "in" } else { "not in" }
                    ),
                );
                Self::help(
                    d,
                    if listed {
                        "the fields were encrypted before this key was added: someone whose key opens them runs `psrt contacts rekey`"
                    } else {
                        "use the identity of a key listed in contacts.recipients"
                    },
                );
            }
            KeyStatus::Given { .. } => {
                for s in &opened.sealed {
                    let Err(Closed::Open(e)) = &s.result else {
                        continue;
                    };
                    if matches!(e, contacts::OpenError::Framing(_)) {
                        continue; // reported as contact-framing
                    }
                    let login = &self.roster.members[s.member].github;
                    let d = self.error(
                        "contact-key",
                        &path!["members", s.member, s.field.as_str()],
                        format!(
                            "the `{}` of member `{login}` cannot be opened: {e}",
                            s.field
                        ),
                    );
                    Self::help(
                        d,
                        "it was encrypted to other keys (a stale recipient set): someone whose key opens it runs `psrt contacts rekey`",
                    );
                }
            }
        }
    }

    fn services(&mut self) {
        let roster = self.roster;
        if let Some(mm) = &roster.mailman {
            let list = &mm.list;
            let well_formed = !list.contains('@')
                && list.contains('.')
                && !list.starts_with('.')
                && !list.ends_with('.')
                && !list.chars().any(char::is_whitespace);
            if !well_formed {
                let d = self.error(
                    "mailman-list",
                    &path!["mailman", "list"],
                    format!("`{list}` is not a Mailman list id"),
                );
                Self::help(
                    d,
                    match list.split_once('@') {
                        Some((l, dom)) => format!("list ids use dots: `{l}.{dom}`"),
                        None => "list ids look like `security.python.org`".to_owned(),
                    },
                );
            }
            for key in ["extra_addresses", "extra_owners"] {
                let addrs = if key == "extra_addresses" {
                    &mm.extra_addresses
                } else {
                    &mm.extra_owners
                };
                for (i, a) in addrs.iter().enumerate() {
                    self.email(a, || path!["mailman", key, i]);
                }
            }
            for (i, m) in roster.members.iter().enumerate() {
                if m.email.is_none() {
                    let d = self.warning(
                        "no-email",
                        &path!["members", i],
                        format!("`{}` has no `email`: not subscribed to {list}", m.github),
                    );
                    Self::help(d, "add the address they read the list with");
                }
            }
        }
        if let Some(dc) = &roster.discord {
            self.snowflake(&dc.guild, || path!["discord", "guild"], "Discord guild id");
            self.snowflake(&dc.role, || path!["discord", "role"], "Discord role id");
            for (i, m) in roster.members.iter().enumerate() {
                if m.discord.is_none() {
                    let d = self.warning(
                        "no-discord",
                        &path!["members", i],
                        format!(
                            "`{}` has no `discord` id: not given the Discord role",
                            m.github
                        ),
                    );
                    Self::help(
                        d,
                        "add their Discord user id (Developer Mode → Copy User ID), in quotes",
                    );
                }
            }
        }
        if let Some(email) = &roster.email {
            if email.from.parse::<lettre::message::Mailbox>().is_err() {
                let d = self.error(
                    "email-syntax",
                    &path!["email", "from"],
                    format!("`{}` is not a sender address", email.from),
                );
                Self::help(d, "e.g. `PSRT <psrt-bot@python.org>`");
            }
        }
    }

    fn policy(&mut self) {
        let p = &self.roster.policy;
        if !(p.max_removal_fraction > 0.0 && p.max_removal_fraction <= 1.0) {
            let d = self.error(
                "policy",
                &path!["policy", "max_removal_fraction"],
                format!(
                    "max_removal_fraction is {}, outside (0, 1]",
                    p.max_removal_fraction
                ),
            );
            Self::help(d, "a share of a service's members, e.g. 0.25");
        }
        if !(1..=MAX_CVE_RESERVATIONS_PER_RUN).contains(&p.max_cve_reservations_per_run) {
            let d = self.error(
                "policy",
                &path!["policy", "max_cve_reservations_per_run"],
                format!(
                    "max_cve_reservations_per_run is {}, outside 1 to {MAX_CVE_RESERVATIONS_PER_RUN}",
                    p.max_cve_reservations_per_run
                ),
            );
            Self::help(
                d,
                "the CVE ids one hourly run may reserve, e.g. 3 (leave `cve` out to reserve none)",
            );
        }
        if p.min_admins == 0 {
            self.error(
                "policy",
                &path!["policy", "min_admins"],
                "min_admins is 0: nobody could administer the team".into(),
            );
        } else if p.min_admins < 2 {
            self.warning(
                "policy",
                &path!["policy", "min_admins"],
                "PEP 811 asks for at least two admins".into(),
            );
        }
        // Bounds no calendar breaks: each number is at most ten years, so
        // every date psrt computes from one (a deadline, a threshold, a
        // vote's end) stays far inside what chrono holds.
        let bounded: Vec<(Vec<Seg>, &str, u32)> = [
            (
                path!["policy", "deadline_days"],
                "deadline_days",
                Some(p.deadline_days),
            ),
            (
                path!["policy", "coordinator_grace_days"],
                "coordinator_grace_days",
                Some(p.coordinator_grace_days),
            ),
            (
                path!["policy", "approvals", "membership", "min_open_days"],
                "min_open_days",
                p.approvals.membership.min_open_days,
            ),
        ]
        .into_iter()
        .filter_map(|(at, name, v)| Some((at, name, v?)))
        .chain(
            p.warn_days_left
                .iter()
                .enumerate()
                .map(|(i, w)| (path!["policy", "warn_days_left", i], "warn_days_left", *w)),
        )
        .collect();
        let mut out_of_bounds = false;
        for (at, name, v) in bounded {
            if v > MAX_POLICY_DAYS {
                out_of_bounds = true;
                let d = self.error(
                    "policy",
                    &at,
                    format!("{name} is {v} days, more than {MAX_POLICY_DAYS} (ten years)"),
                );
                Self::help(
                    d,
                    format!("policy day counts are at most {MAX_POLICY_DAYS}"),
                );
            }
        }
        // Out of bounds, the comparisons would only repeat the problem.
        if !out_of_bounds {
            self.policy_days();
        }
        let rule = &p.approvals.membership;
        let at = path!["policy", "approvals", "membership"];
        self.group_has_holders(
            rule.reviewers,
            Some(rule.required),
            &[at.clone(), path!["reviewers"]].concat(),
        );
        if let Some(veto) = rule.veto {
            self.group_has_holders(veto, None, &[at.clone(), path!["veto"]].concat());
        }
        if let Required::Count(0) = rule.required {
            self.error(
                "approvals",
                &[at, path!["required"]].concat(),
                "`required: 0` lets any change through".into(),
            );
        }
    }

    /// Deadline, thresholds and grace period agree with each other.
    fn policy_days(&mut self) {
        let p = &self.roster.policy;
        if p.deadline_days == 0 {
            self.error(
                "policy",
                &path!["policy", "deadline_days"],
                "deadline_days is 0".into(),
            );
        }
        for (i, w) in p.warn_days_left.iter().enumerate() {
            let at = path!["policy", "warn_days_left", i];
            if *w >= p.deadline_days {
                self.error("policy", &at, format!("a warning {w} days before the deadline comes before the report exists (deadline_days is {})", p.deadline_days));
            } else if *w == 0 {
                self.error(
                    "policy",
                    &at,
                    "a warning 0 days before the deadline is the overdue notice; remove it".into(),
                );
            }
            if i > 0 && *w >= p.warn_days_left[i - 1] {
                let d = self.error(
                    "policy",
                    &at,
                    format!(
                        "warn_days_left must be strictly descending: {} then {w}",
                        p.warn_days_left[i - 1]
                    ),
                );
                Self::help(d, "e.g. [30, 14, 7, 1]");
            }
        }
        if p.coordinator_grace_days >= p.deadline_days {
            self.error(
                "policy",
                &path!["policy", "coordinator_grace_days"],
                "the coordinator grace period is as long as the deadline".into(),
            );
        }
    }

    /// An approval group must have enough people in it. Too few is a warning,
    /// not an error: a freshly imported roster has no Council yet and the
    /// nightly must not stop over it; `psrt approvals` fails closed instead.
    fn group_has_holders(&mut self, group: Group, required: Option<Required>, at: &[Seg]) {
        let holders = u32::try_from(self.roster.group_holders(group).len()).unwrap_or(u32::MAX);
        let needed = required.map_or(1, |r| r.needed(holders).max(1));
        if holders < needed {
            let written = self.source.node(at).is_some();
            let d = self.warning(
                "approvals",
                at,
                format!(
                    "the membership approval rule{} relies on `{group}`, which has {holders} holder(s); it needs {needed}, so every membership pull request fails until it does",
                    if written { "" } else { " (the default)" }
                ),
            );
            Self::help(
                d,
                if group == Group::SteeringCouncil {
                    "list the Council's GitHub logins under the top-level `steering_council:`"
                } else {
                    "name a group with enough people, or lower `required`"
                },
            );
        }
    }

    fn login(&mut self, login: &Login, at: impl FnOnce() -> Vec<Seg>) {
        if !login.is_valid() {
            let d = self.error(
                "github-login",
                &at(),
                format!("`{login}` is not a GitHub login"),
            );
            Self::help(d, "1-39 letters, digits or hyphens, without the leading @");
        }
    }

    fn email(&mut self, email: &str, at: impl FnOnce() -> Vec<Seg>) {
        if email.parse::<lettre::Address>().is_err() {
            let d = self.error(
                "email-syntax",
                &at(),
                format!("`{email}` is not an email address"),
            );
            Self::help(d, "write the bare address, e.g. `name@example.org`");
        }
    }

    fn snowflake(&mut self, id: &str, at: impl FnOnce() -> Vec<Seg>, what: &str) {
        if !is_snowflake(id) {
            let d = self.error(
                "discord-snowflake",
                &at(),
                format!("`{id}` is not a {what}"),
            );
            Self::help(d, "Discord ids are 17-20 digits, in quotes");
        }
    }

    fn roles(&mut self, roles: &[Role], at: impl Fn() -> Vec<Seg>) {
        for (i, r) in roles.iter().enumerate() {
            if roles[..i].contains(r) {
                let mut p = at();
                p.push(Seg::Index(i));
                self.warning("duplicate-role", &p, format!("role `{r}` is listed twice"));
            }
        }
    }

    fn not_future(&mut self, date: Option<NaiveDate>, at: impl FnOnce() -> Vec<Seg>) {
        if let Some(d) = date.filter(|d| *d > self.today) {
            let today = self.today;
            let diag = self.error(
                "future-date",
                &at(),
                format!("{d} is in the future (today is {today})"),
            );
            Self::help(diag, "record dates when things happen, not before");
        }
    }
}

/// A Discord id: 17-20 digits that fit in 64 bits.
fn is_snowflake(id: &str) -> bool {
    (17..=20).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_digit())
        && id.parse::<u64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::{LoadError, parse};

    /// A roster that breaks no rule and draws no warning.
    const BASE: &str = r#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython, pypa/pip]
  eligibility_teams: [python-core]
mailman:
  list: security.python.org
discord:
  guild: "1234567890123456789"
  role: "2345678901234567890"
email:
  from: "PSRT <psrt@example.org>"
steering_council: [bob, council-only]
emeritus:
  - name: Carol
    github: carol
    left: 2024-01-01
members:
  - name: Alice
    github: alice
    github_id: 1
    email: alice@example.org
    discord: "3456789012345678901"
    roles: [admin]
    since: 2020-01-01
  - name: Bob
    github: bob
    github_id: 2
    email: bob@example.org
    discord: "3456789012345678902"
    roles: [admin, release-manager]
"#;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn diagnose(text: &str) -> Vec<Diagnostic> {
        match parse(text.as_bytes()) {
            Ok(loaded) => validate(&loaded, today()),
            Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
            Err(e) => panic!("{e}"),
        }
    }

    type Change = Box<dyn Fn(&str) -> String>;

    fn replace(from: &'static str, to: &'static str) -> Change {
        Box::new(move |s: &str| {
            assert!(s.contains(from), "base lacks {from:?}");
            s.replacen(from, to, 1)
        })
    }

    /// (rule, a change to BASE that breaks it)
    fn cases() -> Vec<(&'static str, Change)> {
        vec![
            ("yaml-syntax", replace("version: 1", "version: [1")),
            (
                "duplicate-key",
                replace("version: 1\n", "version: 1\nversion: 1\n"),
            ),
            (
                "unknown-key",
                replace(
                    "    github_id: 1\n",
                    "    github_id: 1\n    emial: a@example.org\n",
                ),
            ),
            ("missing-key", replace("  team: psrt\n", "")),
            ("wrong-type", replace("github_id: 1", "github_id: one")),
            ("missing-value", replace("    github: bob", "    github:")),
            (
                "invalid-value",
                replace(
                    "members:",
                    "policy:\n  approvals:\n    membership: {reviewers: members, required: \"half\"}\nmembers:",
                ),
            ),
            ("out-of-range", replace("github_id: 1", "github_id: -1")),
            ("unknown-role", replace("roles: [admin]", "roles: [admn]")),
            ("date", replace("since: 2020-01-01", "since: 2020-02-30")),
            (
                "future-date",
                replace("left: 2024-01-01", "left: 2099-01-01"),
            ),
            ("unsupported-version", replace("version: 1", "version: 2")),
            (
                "empty-roster",
                Box::new(|s: &str| format!("{}members: []\n", &s[..s.find("members:").unwrap()])),
            ),
            ("github-login", replace("github: bob", "github: \"-bob\"")),
            ("github-name", replace("team: psrt", "team: \"psrt team\"")),
            (
                "repo-syntax",
                replace("[python/cpython, pypa/pip]", "[python/cpython, pip]"),
            ),
            ("duplicate-login", replace("github: bob", "github: ALICE")),
            (
                "duplicate-github-id",
                replace("github_id: 2", "github_id: 1"),
            ),
            (
                "duplicate-email",
                replace("bob@example.org", "ALICE@example.org"),
            ),
            (
                "duplicate-discord",
                replace("3456789012345678902", "3456789012345678901"),
            ),
            (
                "duplicate-role",
                replace(
                    "[admin, release-manager]",
                    "[admin, release-manager, admin]",
                ),
            ),
            ("email-syntax", replace("alice@example.org", "alice")),
            (
                "discord-snowflake",
                replace("\"3456789012345678902\"", "\"12\""),
            ),
            (
                "mailman-list",
                replace("security.python.org", "security@python.org"),
            ),
            ("min-admins", replace("roles: [admin]\n", "roles: []\n")),
            (
                "eligibility",
                replace("  eligibility_teams: [python-core]\n", ""),
            ),
            ("no-email", replace("    email: bob@example.org\n", "")),
            (
                "no-discord",
                replace("    discord: \"3456789012345678902\"\n", ""),
            ),
            (
                "policy",
                replace("members:", "policy:\n  max_removal_fraction: 0\nmembers:"),
            ),
            (
                "approvals",
                replace("steering_council: [bob, council-only]\n", ""),
            ),
            (
                "council-role",
                replace("[admin, release-manager]", "[admin, steering-council]"),
            ),
            (
                "duplicate-council",
                replace("[bob, council-only]", "[bob, council-only, Bob]"),
            ),
            (
                "contact-framing",
                replace("alice@example.org", "age:bm90IGFuIGFnZSBmaWxl"),
            ),
            (
                "contact-recipients",
                replace(
                    "email:\n",
                    "contacts:\n  recipients: [age1notakey]\nemail:\n",
                ),
            ),
        ]
    }

    #[test]
    fn the_base_roster_is_clean() {
        assert_eq!(diagnose(BASE), vec![]);
    }

    #[test]
    fn each_rule_fails_on_its_case_and_passes_on_the_base() {
        for (rule, change) in cases() {
            let text = change(BASE);
            let diags = diagnose(&text);
            assert!(
                diags.iter().any(|d| d.rule == rule),
                "rule {rule} did not fire; got {diags:#?}"
            );
            let d = diags.iter().find(|d| d.rule == rule).unwrap();
            assert!(
                d.loc.line >= 1 && d.loc.line as usize <= text.lines().count() + 1,
                "{rule}: {d:?}"
            );
            assert!(!d.message.is_empty());
        }
    }

    #[test]
    fn every_rule_has_a_case() {
        let tested: Vec<&str> = cases()
            .iter()
            .map(|(r, _)| *r)
            .chain(["encoding", "contact-key"]) // contact-key: contact_rules_with_a_key
            .collect();
        for (rule, _) in RULES {
            assert!(tested.contains(rule), "rule {rule} has no test case");
        }
    }

    #[test]
    fn warnings_do_not_fail_the_check() {
        let d = diagnose(&replace("    email: bob@example.org\n", "")(BASE));
        assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
    }

    #[test]
    fn too_few_council_members_is_a_warning_not_an_error() {
        // A freshly imported roster has no Council yet: the check (and the
        // nightly) must still pass; `psrt approvals` fails closed instead.
        let d = diagnose(&replace("steering_council: [bob, council-only]\n", "")(
            BASE,
        ));
        let w = d.iter().find(|d| d.rule == "approvals").unwrap();
        assert!(!w.is_error(), "{w:?}");
        assert!(w.help.as_deref().unwrap().contains("steering_council:"));
        assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
    }

    #[test]
    fn the_council_role_says_where_to_move_the_login() {
        let text = replace("[admin, release-manager]", "[admin, steering-council]")(BASE);
        let d = diagnose(&text);
        let e = d.iter().find(|d| d.rule == "council-role").unwrap();
        assert!(e.is_error());
        assert_eq!(
            text.lines().nth(e.loc.line as usize - 1).map(str::trim),
            Some("roles: [admin, steering-council]")
        );
        assert!(
            e.help.as_deref().unwrap().contains("steering_council:"),
            "{e:?}"
        );
    }

    /// The contact rules with `PSRT_CONTACT_KEY`: decrypted values are
    /// checked, stale fields are named by member, a wrong key is one error,
    /// and no message or snippet contains a plaintext or an `age:` value.
    #[test]
    fn contact_rules_with_a_key() {
        use crate::roster::contacts::{ContactKey, field::seal, open};
        let nightly = ContactKey::generate();
        let admin = ContactKey::generate();
        let both = [nightly.recipient(), admin.recipient()];
        let sealed_alice = seal("alice@example.org", &both).unwrap();
        let sealed_dup = seal("ALICE@example.org", &both).unwrap();
        let sealed_bad = seal("not-an-address", &both).unwrap();
        let stale = seal("bob@example.org", &[admin.recipient(), admin.recipient()]).unwrap();
        let one = seal("3456789012345678902", &[nightly.recipient()]).unwrap();
        let text = BASE
            .replace(
                "email:\n",
                &format!(
                    "contacts:\n  recipients: [{}, {}]\nemail:\n",
                    nightly.public(),
                    admin.public()
                ),
            )
            .replacen("alice@example.org", &sealed_alice, 1)
            .replacen("bob@example.org", &stale, 1)
            .replacen("\"3456789012345678902\"", &format!("\"{one}\""), 1)
            + &format!(
                "  - name: Dup\n    github: dup\n    email: \"{sealed_dup}\"\n  - name: Bad\n    github: bad\n    email: {sealed_bad}\n"
            );
        let loaded = parse(text.as_bytes()).unwrap();
        let secrets = [
            "alice@example.org",
            "ALICE@",
            "not-an-address",
            "bob@example.org",
            "3456789012345678902",
            "age:",
        ];
        let render_all = |d: &[Diagnostic]| -> String {
            d.iter()
                .map(|d| d.render("roster.yaml", Some(&text)))
                .collect::<Vec<_>>()
                .join("\n")
        };

        // Without a key: framing only, and the stanza count.
        let d = validate(&loaded, today());
        let rules: Vec<_> = d.iter().filter(|d| d.is_error()).map(|d| d.rule).collect();
        assert_eq!(rules, vec!["contact-recipients"], "{d:#?}");
        assert!(
            d[0].message.contains("`discord` of member `bob`") && d[0].message.contains("1 key(s)"),
            "{}",
            d[0].message
        );

        // With the nightly key.
        let opened = open(&loaded.roster, Some(Ok(&nightly)));
        let d = validate_with(&loaded, today(), Some(&opened));
        let got: Vec<_> = d
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.rule, d.message.clone()))
            .collect();
        let has =
            |rule: &str, needle: &str| got.iter().any(|(r, m)| *r == rule && m.contains(needle));
        assert!(
            has("contact-recipients", "`discord` of member `bob`"),
            "{got:#?}"
        );
        assert!(
            has("contact-key", "`email` of member `bob` cannot be opened"),
            "{got:#?}"
        );
        assert!(
            has(
                "duplicate-email",
                "member `dup` is the same address as line"
            ),
            "{got:#?}"
        );
        assert!(
            has(
                "email-syntax",
                "encrypted `email` of member `bad` does not decrypt to an email address"
            ),
            "{got:#?}"
        );
        let shown = render_all(&d);
        for s in secrets {
            assert!(!shown.contains(s), "{s} shown:\n{shown}");
        }

        // A key that opens nothing: one error, not one per field.
        let wrong = ContactKey::generate();
        let opened = open(&loaded.roster, Some(Ok(&wrong)));
        let d = validate_with(&loaded, today(), Some(&opened));
        let keys: Vec<_> = d.iter().filter(|d| d.rule == "contact-key").collect();
        assert_eq!(keys.len(), 1, "{d:#?}");
        assert!(keys[0].message.contains("opens none of the 5"));
        assert!(keys[0].message.contains("not in contacts.recipients"));
    }

    #[test]
    fn policy_day_counts_are_bounded_and_reported_on_their_line() {
        let policy = "policy:\n  deadline_days: 100000\n  warn_days_left: [4000000000, 14]\n  coordinator_grace_days: 3651\n  approvals:\n    membership: { reviewers: members, required: 1, min_open_days: 4294967295 }\nmembers:";
        let text = replace("members:", policy)(BASE);
        let d = diagnose(&text);
        let bounds: Vec<(u32, &str)> = d
            .iter()
            .filter(|d| d.message.contains("more than 3650"))
            .map(|d| (d.loc.line, d.message.as_str()))
            .collect();
        let line_of = |needle: &str| {
            text.lines()
                .position(|l| l.contains(needle))
                .map(|i| i as u32 + 1)
                .unwrap()
        };
        assert_eq!(
            bounds,
            [
                (
                    line_of("deadline_days"),
                    "deadline_days is 100000 days, more than 3650 (ten years)"
                ),
                (
                    line_of("warn_days_left"),
                    "warn_days_left is 4000000000 days, more than 3650 (ten years)"
                ),
                (
                    line_of("coordinator_grace_days"),
                    "coordinator_grace_days is 3651 days, more than 3650 (ten years)"
                ),
                (
                    line_of("min_open_days"),
                    "min_open_days is 4294967295 days, more than 3650 (ten years)"
                ),
            ]
        );
        assert!(
            d.iter()
                .filter(|d| d.rule == "policy")
                .all(Diagnostic::is_error)
        );
        // At the bound, nothing is said about it.
        let ok = replace(
            "members:",
            "policy:\n  deadline_days: 3650\n  warn_days_left: [3649, 1]\n  coordinator_grace_days: 3649\nmembers:",
        )(BASE);
        assert_eq!(diagnose(&ok), vec![]);
    }

    /// Issue 21: the CVE ids one run may reserve are capped; the cap is a
    /// policy key between 1 and 100, 3 by default.
    #[test]
    fn the_cve_reservation_cap_is_between_1_and_100() {
        assert_eq!(
            crate::roster::parse(BASE.as_bytes())
                .unwrap()
                .roster
                .policy
                .max_cve_reservations_per_run,
            3
        );
        for (v, errors) in [("0", true), ("1", false), ("100", false), ("101", true)] {
            let text = BASE.replace(
                "members:",
                &format!("policy:\n  max_cve_reservations_per_run: {v}\nmembers:"),
            );
            let d: Vec<_> = diagnose(&text)
                .into_iter()
                .filter(|d| d.message.contains("max_cve_reservations_per_run"))
                .collect();
            assert_eq!(d.len(), usize::from(errors), "{v}: {d:#?}");
            if errors {
                assert!(d[0].is_error(), "{d:#?}");
                assert_eq!(
                    d[0].loc.line as usize,
                    text.lines()
                        .position(|l| l.contains("max_cve_reservations_per_run"))
                        .unwrap()
                        + 1
                );
            }
        }
    }

    #[test]
    fn duplicate_login_names_the_first_line() {
        let d = diagnose(&replace("github: bob", "github: Carol")(BASE));
        let dup = d.iter().find(|d| d.rule == "duplicate-login").unwrap();
        assert_eq!(dup.message, "`Carol` is already listed on line 17");
    }
}
