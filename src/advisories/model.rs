//! The advisory lifecycle's vocabulary, shared by every part of it: what
//! was read ([`State`]), what every rule may consult ([`Context`]), the
//! commands given on a report ([`Command`], from a title tag or, next, a
//! `/psrt` comment), the change builder each rule adds to ([`Draft`]), the
//! finished [`Update`] of one report with the [`Effect`]s that apply it,
//! what the report's discussion needs ([`DiscussionPlan`]: the status
//! comment's facts, a deadline threshold's comment), and the whole
//! [`Plan`]. Nothing here reads, writes or decides; no comment text lives
//! here (only [`super::discussion`] holds it).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::github::advisories::{
    AdvisoryState, AdvisoryUpdate, Credit, ForkPull, Lifecycle, TitleTag,
};
use crate::ids::{GhsaId, RepoName};
use crate::ledger::Ledger;
use crate::roster::{Login, Member, Roster};

/// What the plan reads.
pub struct State {
    /// Triage, draft and closed advisories of the repositories that could be read.
    pub advisories: Vec<Lifecycle>,
    /// Published and withdrawn advisories of the same repositories: read
    /// for their discussion only (a `/psrt` command there gets its one
    /// refusal). A field of its own so that no rule, deadline, count or
    /// status comment can take them for reports psrt manages: everything
    /// that reads `advisories` stays as it was.
    pub ended: Vec<Lifecycle>,
    /// `ended` holds every ended report: false when a repository's list of
    /// them was unchanged since the last complete run and not read again
    /// (no count there moved), or could not be read (`ended_unread`): no
    /// report's discussion is forgotten then.
    pub ended_whole: bool,
    /// Repositories whose list without a state filter could not be read,
    /// and why (no report named): their open reports are planned as
    /// usual, their ended ones are not known this run, and the run fails.
    pub ended_unread: BTreeMap<RepoName, String>,
    /// Every report the lists without a filter held, in any state: a
    /// report that moved between two reads of one run (published between
    /// its filtered list and this one) is in neither `advisories` nor
    /// `ended`, and must not be forgotten for that.
    pub listed: BTreeSet<GhsaId>,
    /// Advisories read per repository, or why the repository could not be read.
    pub repos: BTreeMap<String, Result<usize, String>>,
    /// The GitHub team's members (active), by account id: their login today.
    pub team: BTreeMap<u64, String>,
    /// The login today of each roster member with a `github_id` who is not
    /// in the team (`None`: GitHub has no such account). An id whose read
    /// failed is absent: that member is not added this run.
    pub accounts: BTreeMap<u64, Option<String>>,
    /// Pull requests in the private forks of draft advisories, by GHSA id.
    pub forks: BTreeMap<GhsaId, Result<Fork, String>>,
    /// The commands given on each report (title tags today), by GHSA id.
    pub commands: BTreeMap<GhsaId, Vec<Given>>,
    /// Repositories where the advisory comments API is not available (its
    /// preview not enabled): no discussion there this run.
    pub discussion_unavailable: BTreeSet<RepoName>,
    /// Reports whose discussion was read this run and changed (a new or
    /// edited comment): their status comment is checked.
    pub discussion_changed: BTreeSet<GhsaId>,
}

/// What was read of a draft's private fork.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fork {
    /// Its pull requests, each with its approvers.
    Read(Vec<ForkPull>),
    /// Unchanged since psrt last acted upon it (conditional requests): its
    /// credits were given then. The numbers of its pull requests.
    Unchanged { pulls: Vec<u64> },
}

impl Fork {
    /// Whether the fork has a pull request (a fix under way).
    pub fn has_pull(&self) -> bool {
        match self {
            Fork::Read(p) => !p.is_empty(),
            Fork::Unchanged { pulls } => !pulls.is_empty(),
        }
    }
    /// The numbers of its pull requests.
    pub fn numbers(&self) -> Vec<u64> {
        match self {
            Fork::Read(p) => p.iter().map(|p| p.number).collect(),
            Fork::Unchanged { pulls } => pulls.clone(),
        }
    }
}

impl State {
    /// Is this member in the team? By account id when the roster records
    /// one, by login otherwise (the place the login already holds).
    pub fn in_team(&self, m: &Member) -> bool {
        match m.github_id {
            Some(id) => self.team.contains_key(&id),
            None => self
                .team
                .values()
                .any(|l| l.eq_ignore_ascii_case(m.github.as_str())),
        }
    }

    /// The login GitHub gives a member's account today, the only name psrt
    /// grants anything to: `Err` says why there is none (no `github_id`, no
    /// such account, or the account could not be read).
    pub fn account_login(&self, m: &Member) -> Result<&str, NoAccount> {
        let id = m.github_id.ok_or(NoAccount::NoId)?;
        if let Some(l) = self.team.get(&id) {
            return Ok(l);
        }
        match self.accounts.get(&id) {
            Some(Some(l)) => Ok(l),
            Some(None) => Err(NoAccount::Gone),
            None => Err(NoAccount::Unread),
        }
    }

    /// The commands given on a report.
    pub fn commands_for(&self, ghsa_id: &GhsaId) -> &[Given] {
        self.commands.get(ghsa_id).map_or(&[], Vec::as_slice)
    }
}

/// Why a member's account cannot be granted anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoAccount {
    /// The roster records no `github_id`: nothing is granted by login.
    NoId,
    /// GitHub has no account with the roster's `github_id`.
    Gone,
    /// The account could not be read this run.
    Unread,
}

// ──────────────────────────────────────────────────────────── commands

/// What a member asks psrt to do with a report. Title tags give `Accept`
/// and `Close`; the advisory discussion's `/psrt` commands give them all
/// ([`super::discussion::commands`] parses them). Whatever the source, a
/// command's effect on the report is decided in one place,
/// [`super::rules::commands`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Command {
    /// Lists the commands (a reply only).
    Help,
    /// The report's standing, as the status comment shows it (a reply only).
    Status,
    /// Triage → draft (with the private fork and the CVE id).
    Accept,
    /// The report is closed, and nothing else happens to it that run. A
    /// title tag gives no reason; a `/psrt close` always gives one.
    Close {
        reason: Option<CloseReason>,
        /// `close duplicate GHSA-…`: the report it duplicates.
        duplicate_of: Option<GhsaId>,
    },
    /// PEP 811 delegation: the coordinator credit moves to this member.
    Coordinator(Login),
    /// This account collaborates on the report (a core developer or triager
    /// helping with the fix; anyone else only by an admin).
    Invite(Login),
    /// Suggests owners from CODEOWNERS (a reply only; not built yet).
    Experts,
    /// Reserves the CVE id now, for a draft in `cve.repos` without one.
    Cve,
}

/// Why a report is closed (`/psrt close <reason>`): each has the devguide's
/// reply, `templates/close-<reason>.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CloseReason {
    Completed,
    NotPlanned,
    Invalid,
    Duplicate,
}

impl CloseReason {
    pub const ALL: [CloseReason; 4] = [
        CloseReason::Completed,
        CloseReason::NotPlanned,
        CloseReason::Invalid,
        CloseReason::Duplicate,
    ];
    /// As written in the command (and in the template's name).
    pub fn word(self) -> &'static str {
        match self {
            CloseReason::Completed => "completed",
            CloseReason::NotPlanned => "not-planned",
            CloseReason::Invalid => "invalid",
            CloseReason::Duplicate => "duplicate",
        }
    }
}

impl Command {
    /// The verb, as a member writes it (and as counts name it).
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::Status => "status",
            Command::Accept => "accept",
            Command::Close { .. } => "close",
            Command::Coordinator(_) => "coordinator",
            Command::Invite(_) => "invite",
            Command::Experts => "experts",
            Command::Cve => "cve",
        }
    }
    /// Whether it changes the report (then it is claimed before its effect).
    pub fn changes_the_report(&self) -> bool {
        matches!(
            self,
            Command::Accept
                | Command::Close { .. }
                | Command::Coordinator(_)
                | Command::Invite(_)
                | Command::Cve
        )
    }
}

/// Where a command came from, and so who gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A tag in the report's title. GitHub does not say who wrote a title:
    /// the reporter writes the first one, collaborators may edit it.
    TitleTag,
    /// A comment in the report's discussion, by this account (its id: an
    /// id survives renames, a login does not).
    Comment { comment_id: u64, author_id: u64 },
}

/// A command, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Given {
    pub command: Command,
    pub source: Source,
}

/// Why a command was not obeyed. Public output gives the reason and, in a
/// workflow, a count: never who gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unheeded {
    /// A title tag that was there when psrt first saw the report: the
    /// reporter writes the first title.
    TagFromTheStart,
    /// A comment by someone who is not a member (by account id).
    NotAMember,
}

impl fmt::Display for Unheeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unheeded::TagFromTheStart => {
                "the title carried it when psrt first saw the report (the reporter writes the first title): accept or close it on GitHub, or remove the tag and, after the next run, add it again"
            }
            Unheeded::NotAMember => "it was not given by a member",
        })
    }
}

/// A command psrt did not obey, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub repo: RepoName,
    pub ghsa_id: GhsaId,
    pub html_url: String,
    pub state: AdvisoryState,
    pub given: Given,
    pub why: Unheeded,
}

impl Command {
    /// The kind of title tag that gives it, as the ledger keeps it.
    /// (`None`: no title tag gives it.)
    pub fn tag_kind(&self) -> Option<crate::ledger::TagKind> {
        match self {
            Command::Accept => Some(crate::ledger::TagKind::Accept),
            Command::Close { .. } => Some(crate::ledger::TagKind::Close),
            _ => None,
        }
    }
}

/// Whose command it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Giver<'a> {
    /// GitHub does not say (a title tag).
    Unknown,
    /// A current member of the roster, by account id.
    Member(&'a Member),
    /// Someone who is not a member (the reporter, an invited expert...).
    NotAMember,
}

impl Given {
    /// The command a title tag gives.
    pub fn from_title_tag(tag: TitleTag) -> Self {
        Self {
            command: match tag {
                TitleTag::Accept => Command::Accept,
                TitleTag::Close => Command::Close {
                    reason: None,
                    duplicate_of: None,
                },
            },
            source: Source::TitleTag,
        }
    }

    /// The commands the reports' title tags give, by report.
    pub fn from_titles(reports: &[Lifecycle]) -> BTreeMap<GhsaId, Vec<Given>> {
        reports
            .iter()
            .filter_map(|a| {
                a.title_tag
                    .map(|t| (a.advisory.ghsa_id.clone(), vec![Given::from_title_tag(t)]))
            })
            .collect()
    }

    /// Who gave it: a member is matched by account id only.
    pub fn giver<'r>(&self, roster: &'r Roster) -> Giver<'r> {
        match self.source {
            Source::TitleTag => Giver::Unknown,
            Source::Comment { author_id, .. } => roster
                .members
                .iter()
                .find(|m| m.github_id == Some(author_id))
                .map_or(Giver::NotAMember, Giver::Member),
        }
    }
}

// ──────────────────────────────────────────────────────────── the plan

/// The CVE id a draft gets in this run's update.
#[derive(Clone, PartialEq, Eq)]
pub enum CvePlan {
    /// Reserve one from the CNA (then record it in the ledger, then write it).
    Reserve,
    /// The id reserved in an earlier run, from the ledger.
    Reuse(String),
    /// An earlier run asked for one at this time and got no answer: find
    /// the id in CVE Services (reserve one only if none was reserved).
    Recover(DateTime<Utc>),
}

impl fmt::Debug for CvePlan {
    /// Never the id: it is public only once the advisory is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CvePlan::Reserve => "Reserve",
            CvePlan::Reuse(_) => "Reuse(***)",
            CvePlan::Recover(_) => "Recover",
        })
    }
}

/// What the plan saw of an advisory: the fields its update replaces or
/// depends on. The update is written only if a fresh read still shows this
/// (a coordinator's edit in between is never overwritten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    state: AdvisoryState,
    tag: Option<TitleTag>,
    cve_id: Option<String>,
    fork: bool,
    users: Vec<String>,
    teams: Vec<String>,
    credits: Vec<(String, String)>,
}

impl Seen {
    pub(crate) fn of(a: &Lifecycle) -> Self {
        let lower = |v: &[String]| {
            let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
            v.sort();
            v
        };
        let mut credits: Vec<(String, String)> = a
            .advisory
            .credits
            .iter()
            .map(|c| (c.login.to_ascii_lowercase(), c.kind.clone()))
            .collect();
        credits.sort();
        Self {
            state: a.advisory.state,
            tag: a.title_tag,
            cve_id: a.cve_id.clone(),
            fork: a.advisory.private_fork.is_some(),
            users: lower(&a.advisory.collaborating_users),
            teams: lower(&a.advisory.collaborating_teams),
            credits,
        }
    }
}

/// For the new coordinator's email.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AdvisoryInfo {
    pub html_url: String,
    pub created_at: DateTime<Utc>,
}

/// One advisory's update: every decision about it this run. `Debug` and the
/// public output show the id and the kinds of decision, never who.
#[derive(Clone, PartialEq, Eq)]
pub struct Update {
    pub repo: RepoName,
    pub ghsa_id: GhsaId,
    pub state: AdvisoryState,
    /// A closing command: close it, and nothing else this run.
    pub close: bool,
    /// An accepting command on a triage report: move it to draft.
    pub accept: bool,
    /// A draft without a temporary private fork gets one.
    pub create_fork: bool,
    /// A draft in `cve.repos` without a CVE id gets one.
    pub cve: Option<CvePlan>,
    pub add_team: Option<String>,
    /// Members outside the team, added as collaborating users.
    pub add_users: Vec<String>,
    /// Former members whose access is removed.
    pub remove_users: Vec<String>,
    /// The coordinator assigned to a report that waited past the grace period.
    pub assign: Option<String>,
    /// Remediation credits from the private fork's pull requests.
    pub credits_added: Vec<Credit>,
    /// The commands obeyed (title tags, `/psrt` comments), with where they
    /// came from: the advisory discussion announces each (an effect of its
    /// own, once the discussion exists).
    pub obeyed: Vec<Given>,
    /// The fields to write (the API replaces whole lists), the CVE id aside:
    /// it is known only once reserved.
    pub(crate) patch: AdvisoryUpdate,
    pub(crate) seen: Seen,
    pub(crate) info: AdvisoryInfo,
}

impl fmt::Debug for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d: Vec<String> = self.decisions().iter().map(ToString::to_string).collect();
        write!(
            f,
            "Update({}: {}{})",
            self.ghsa_id,
            d.join("; "),
            if self.remove_users.is_empty() {
                ""
            } else {
                " (+ access review)"
            }
        )
    }
}

/// A decision as it is printed: a kind, never a person or a count. What
/// follows from one person joining or leaving is not among them (members
/// outside the team added as collaborating users, former members' access
/// removed): a line about a report must not change because one person did,
/// so those are totals across reports (see [`super::report`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Close,
    MoveToDraft,
    CreateFork,
    ReserveCve,
    SetReservedCve,
    FindLostCve,
    AddTeam(String),
    AssignCoordinator,
    AddRemediationCredits,
}

/// `Close` and `MoveToDraft` say "a member's command" whichever source gave
/// it (a title tag or a `/psrt` comment): the two are one [`Command`], and a
/// public line says no more about who asked.
impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Close => f.write_str("close (a member's command)"),
            Decision::MoveToDraft => f.write_str("move to draft (a member's command)"),
            Decision::CreateFork => f.write_str("create the private fork"),
            Decision::ReserveCve => f.write_str("reserve a CVE id"),
            Decision::SetReservedCve => f.write_str("set the CVE id reserved earlier"),
            Decision::FindLostCve => f.write_str(
                "look up the CVE id reserved earlier (its answer or the ledger was lost), or reserve one",
            ),
            Decision::AddTeam(t) => write!(f, "add team {t}"),
            Decision::AssignCoordinator => f.write_str("assign a coordinator"),
            Decision::AddRemediationCredits => f.write_str("add remediation credits"),
        }
    }
}

/// One step of applying an update, in order. Each runs after the report
/// was read again and found as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Close it: one PATCH, and nothing else.
    Close,
    /// Reserve the CVE id (or take the ledger's, or find a lost one) before
    /// the PATCH that writes it.
    Cve(CvePlan),
    /// One PATCH with every change (and the CVE id, if one was had).
    Patch,
    /// The temporary private fork (after the PATCH that makes an accepted
    /// report a draft).
    CreateFork,
    /// The new coordinator's email (once the PATCH landed).
    EmailCoordinator(String),
    /// A deadline threshold's comment in the report's discussion: listed
    /// first (never posted twice), sent once (after a timeout or a 5xx,
    /// listed again to see whether it landed).
    DeadlineComment(Threshold),
    /// The status comment: created when there is none, edited when its
    /// content changed, else left alone.
    StatusComment,
}

impl Update {
    /// The decisions shown for this report, in the order they are made.
    pub fn decisions(&self) -> Vec<Decision> {
        let mut d = Vec::new();
        if self.close {
            d.push(Decision::Close);
        }
        if self.accept {
            d.push(Decision::MoveToDraft);
        }
        if self.create_fork {
            d.push(Decision::CreateFork);
        }
        match &self.cve {
            Some(CvePlan::Reserve) => d.push(Decision::ReserveCve),
            Some(CvePlan::Reuse(_)) => d.push(Decision::SetReservedCve),
            Some(CvePlan::Recover(_)) => d.push(Decision::FindLostCve),
            None => {}
        }
        if let Some(t) = &self.add_team {
            d.push(Decision::AddTeam(t.clone()));
        }
        if self.assign.is_some() {
            d.push(Decision::AssignCoordinator);
        }
        if !self.credits_added.is_empty() {
            d.push(Decision::AddRemediationCredits);
        }
        d
    }

    /// Does anything change?
    fn is_empty(&self) -> bool {
        self.decisions().is_empty() && self.remove_users.is_empty() && self.add_users.is_empty()
    }

    /// The steps that apply this update, in order.
    pub fn effects(&self) -> Vec<Effect> {
        if self.close {
            return vec![Effect::Close];
        }
        let mut e = Vec::new();
        if let Some(plan) = &self.cve {
            e.push(Effect::Cve(plan.clone()));
        }
        e.push(Effect::Patch);
        if self.create_fork {
            e.push(Effect::CreateFork);
        }
        if let Some(login) = &self.assign {
            e.push(Effect::EmailCoordinator(login.clone()));
        }
        e
    }

    /// The update to send, given the CVE id to set (if one could be had);
    /// `None` when there is nothing to write.
    pub(crate) fn patch_body(&self, cve_id: Option<&str>) -> Option<AdvisoryUpdate> {
        let update = AdvisoryUpdate {
            cve_id: cve_id.map(str::to_owned),
            ..self.patch.clone()
        };
        (!update.is_empty()).then_some(update)
    }
}

impl PartialOrd for Update {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Update {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.repo, &self.ghsa_id).cmp(&(&other.repo, &other.ghsa_id))
    }
}

// ──────────────────────────────────────────────────────────── the discussion

/// What a finished report still lacks, as the status comment lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Missing {
    /// It is still in triage: a coordinator accepts it (or closes it).
    Acceptance,
    /// A CVE id (the report's repository is in `cve.repos`).
    CveId,
    /// A fix: a pull request in the temporary private fork.
    FixPullRequest,
    /// A CVSS v4 vector (the devguide asks for v4).
    CvssV4,
}

/// The facts the status comment shows, as they will be once this run's
/// update lands. Private to the report's collaborators: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusFacts {
    pub state: AdvisoryState,
    /// `created_at` + `policy.deadline_days`: a date, never a count of days
    /// left (that would cost an edit a day on every report).
    pub deadline: NaiveDate,
    /// The coordinators' logins (credits), this run's assignment included.
    pub coordinators: Vec<String>,
    pub missing: Vec<Missing>,
}

/// A deadline threshold, as its comment names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// `warn-N`: N days left (or fewer: missed runs catch up).
    Warning { days: u32 },
    /// The deadline passed.
    Overdue,
}

impl Threshold {
    /// Its key in the ledger and in the comment's marker.
    pub fn key(self) -> String {
        match self {
            Threshold::Warning { days } => format!("warn-{days}"),
            Threshold::Overdue => "overdue".to_owned(),
        }
    }
}

/// One deadline threshold's comment: posted once, mentioning the
/// coordinators; thresholds crossed together give one comment, for the most
/// urgent, and the others are marked done.
#[derive(Clone, PartialEq, Eq)]
pub struct ThresholdPlan {
    pub threshold: Threshold,
    pub deadline: NaiveDate,
    pub coordinators: Vec<String>,
    /// Other thresholds it stands for (keys).
    pub also: Vec<String>,
}

/// What one report's discussion needs this run. Public output counts these
/// across reports, never per report.
#[derive(Clone, PartialEq, Eq)]
pub struct DiscussionPlan {
    pub repo: RepoName,
    pub ghsa_id: GhsaId,
    /// The status comment is brought up to date with these facts (created
    /// when there is none).
    pub status: Option<StatusFacts>,
    /// A deadline threshold's comment to post.
    pub threshold: Option<ThresholdPlan>,
    /// Thresholds to mark done without a comment (they passed before psrt
    /// watched the report: it is not flooded at go-live).
    pub passed: Vec<String>,
    /// The report's `comments` count when read (recorded once its
    /// discussion is up to date).
    pub count: u64,
    /// The advisory's `updated_at` when read (after psrt's own update,
    /// once applied).
    pub seen: Option<DateTime<Utc>>,
    /// What the status shows (a hash: the ledger keeps it), when known.
    pub shown: Option<String>,
}

impl fmt::Debug for DiscussionPlan {
    /// What is due, never who.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DiscussionPlan({}: status {}, threshold {})",
            self.ghsa_id,
            self.status.is_some(),
            self.threshold
                .as_ref()
                .map_or("none".to_owned(), |t| t.threshold.key())
        )
    }
}

impl DiscussionPlan {
    /// The steps, in order: the threshold's comment (it notifies), then the
    /// status comment.
    pub fn effects(&self) -> Vec<Effect> {
        let mut e = Vec::new();
        if let Some(t) = &self.threshold {
            e.push(Effect::DeadlineComment(t.threshold));
        }
        if self.status.is_some() {
            e.push(Effect::StatusComment);
        }
        e
    }
    /// Nothing but recording what was seen.
    pub fn records_only(&self) -> bool {
        self.status.is_none() && self.threshold.is_none()
    }
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Sorted by repository and GHSA id.
    pub updates: Vec<Update>,
    /// Advisories read per repository, or why it could not be read.
    pub repos: BTreeMap<String, Result<usize, String>>,
    pub notes: Vec<String>,
    /// Collaborating users on unpublished reports who are neither members,
    /// nor former members, nor credited there (distinct people, a total).
    pub unaccounted: usize,
    /// Reports whose CVE id reserved earlier is now on the advisory: the
    /// ledger forgets the reservation.
    pub ledger_clears: Vec<GhsaId>,
    /// The CVE ids the advisories read carry: never taken for a lost answer.
    pub carried_cve_ids: BTreeSet<String>,
    /// The open reports' discussions, sorted by repository and GHSA id
    /// (with `--apply` only).
    pub discussions: Vec<DiscussionPlan>,
    /// The plan changes by itself at this time (a grace period ends, a
    /// deadline threshold arrives): a run before it that finds nothing
    /// changed has nothing to do.
    pub until: Option<DateTime<Utc>>,
    /// Notes about one report each (never a person): in a workflow's
    /// public log a count, the text in the admins' email.
    pub report_notes: Vec<(GhsaId, String)>,
    /// Commands not obeyed, and why.
    pub ignored: Vec<Ignored>,
    /// What to record in the ledger's reports seen section: each report's
    /// first sight, and tags no longer ignored.
    pub sightings: Vec<(GhsaId, crate::ledger::Sighting)>,
    /// Reports the ledger saw that are no longer read (published,
    /// withdrawn, deleted): forgotten. Empty unless every repository was read.
    pub gone: Vec<GhsaId>,
    /// The ledger started empty (missing, or reset): what it held is
    /// rebuilt from GitHub and CVE Services.
    pub rebuilt: bool,
    /// Reports past the grace period that no member can coordinate
    /// (everyone is a Release Manager or on the Steering Council).
    pub uncoordinated: usize,
    /// Who collaborates on each repository's reports (a team, or the
    /// members as users), by repository.
    pub access: BTreeMap<String, RepoAccess>,
}

/// Who collaborates on a repository's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum RepoAccess {
    /// `github.team`; members outside it as users.
    Team { team: String },
    /// A repository outside `github.org`: the team its organisation has in
    /// `github.advisory_teams`.
    OtherTeam { org: String, team: String },
    /// A repository outside `github.org` without one: every member as a
    /// collaborating user (a team of `github.org` cannot collaborate there).
    Members { outside: String },
}

impl fmt::Display for RepoAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepoAccess::Team { team } => write!(
                f,
                "team {team}, and members outside it as collaborating users"
            ),
            RepoAccess::OtherTeam { org, team } => {
                write!(f, "team {org}/{team} (github.advisory_teams)")
            }
            RepoAccess::Members { outside } => write!(
                f,
                "every member as a collaborating user (a team of {outside} cannot collaborate outside {outside}; name one of this organisation in github.advisory_teams to use it instead)"
            ),
        }
    }
}

impl RepoAccess {
    pub fn of(roster: &Roster, repo: &RepoName) -> Self {
        let g = &roster.github;
        match g.advisory_team_for(repo) {
            Some(team) if repo.owner().eq_ignore_ascii_case(&g.org) => RepoAccess::Team {
                team: team.to_owned(),
            },
            Some(team) => RepoAccess::OtherTeam {
                org: repo.owner().to_owned(),
                team: team.to_owned(),
            },
            None => RepoAccess::Members {
                outside: g.org.clone(),
            },
        }
    }
}

// ──────────────────────────────────────────────────────────── deciding

/// What every rule may consult: the roster, what was read, the ledger, the
/// time; and the coordinations so far, which assignments earlier in this
/// run add to.
pub(crate) struct Context<'a> {
    pub roster: &'a Roster,
    pub state: &'a State,
    pub ledger: &'a Ledger,
    pub now: DateTime<Utc>,
    pub loads: RefCell<Loads>,
    /// The format of psrt's status comment (a status written in another
    /// format is checked again).
    pub status_format: &'a str,
    /// Members who needed a grant on some report and got none, and why
    /// (counted across reports for the plan's note, never per report).
    pub withheld: RefCell<BTreeMap<Login, NoAccount>>,
}

/// Coordinations per member: of open reports, and of every report read.
pub(crate) struct Loads {
    pub open: BTreeMap<Login, usize>,
    pub all: BTreeMap<Login, usize>,
}

impl Loads {
    pub(crate) fn of(advisories: &[Lifecycle]) -> Self {
        let mut l = Loads {
            open: BTreeMap::new(),
            all: BTreeMap::new(),
        };
        for a in advisories {
            for c in a.advisory.coordinators() {
                *l.all.entry(Login::from(c)).or_default() += 1;
                if a.advisory.state.is_open() {
                    *l.open.entry(Login::from(c)).or_default() += 1;
                }
            }
        }
        l
    }
}

/// A list the advisory update replaces whole, and whether a rule changed it.
struct Tracked<T> {
    value: Vec<T>,
    changed: bool,
}

impl<T: Clone> Tracked<T> {
    fn new(value: &[T]) -> Self {
        Self {
            value: value.to_vec(),
            changed: false,
        }
    }
    fn push(&mut self, item: T) {
        self.value.push(item);
        self.changed = true;
    }
    fn into_change(self) -> Option<Vec<T>> {
        self.changed.then_some(self.value)
    }
}

/// One report's decisions while the rules make them: each rule asks the
/// draft for a change, and the draft keeps the lists GitHub replaces whole
/// and knows which changed. [`Draft::finish`] gives the update (if any).
pub(crate) struct Draft<'a> {
    report: &'a Lifecycle,
    close: bool,
    accept: bool,
    create_fork: bool,
    cve: Option<CvePlan>,
    add_team: Option<String>,
    add_users: Vec<String>,
    remove_users: Vec<String>,
    assign: Option<String>,
    credits_added: Vec<Credit>,
    users: Tracked<String>,
    teams: Tracked<String>,
    credits: Tracked<Credit>,
    notes: Vec<String>,
    forget_reservation: bool,
    obeyed: Vec<Given>,
    ignored: Vec<(Given, Unheeded)>,
    uncoordinated: bool,
}

/// What one report's rules came to.
pub(crate) struct Decided {
    /// `None`: nothing to change.
    pub update: Option<Update>,
    pub notes: Vec<String>,
    /// The ledger may forget this report's CVE reservation.
    pub forget_reservation: bool,
    pub ignored: Vec<Ignored>,
    /// Past the grace period, and nobody can coordinate it.
    pub uncoordinated: bool,
}

impl<'a> Draft<'a> {
    pub(crate) fn new(report: &'a Lifecycle) -> Self {
        let a = &report.advisory;
        Self {
            report,
            close: false,
            accept: false,
            create_fork: false,
            cve: None,
            add_team: None,
            add_users: vec![],
            remove_users: vec![],
            assign: None,
            credits_added: vec![],
            users: Tracked::new(&a.collaborating_users),
            teams: Tracked::new(&a.collaborating_teams),
            credits: Tracked::new(&a.credits),
            notes: vec![],
            forget_reservation: false,
            obeyed: vec![],
            ignored: vec![],
            uncoordinated: false,
        }
    }

    /// A command is obeyed.
    pub(crate) fn obey(&mut self, given: Given) {
        self.obeyed.push(given);
    }
    /// A command is not obeyed, for this reason.
    pub(crate) fn ignore(&mut self, given: Given, why: Unheeded) {
        self.ignored.push((given, why));
    }
    /// Past the grace period, and no member can coordinate it.
    pub(crate) fn uncoordinated(&mut self) {
        self.uncoordinated = true;
    }

    /// The report is closed, and nothing else happens to it this run.
    pub(crate) fn close(&mut self) {
        self.close = true;
    }
    pub(crate) fn is_closing(&self) -> bool {
        self.close
    }
    /// A triage report moves to draft.
    pub(crate) fn accept(&mut self) {
        self.accept = true;
    }
    /// A draft now, or once this update lands.
    pub(crate) fn becomes_draft(&self) -> bool {
        self.report.advisory.state == AdvisoryState::Draft || self.accept
    }
    pub(crate) fn create_fork(&mut self) {
        self.create_fork = true;
    }
    pub(crate) fn cve(&mut self, plan: CvePlan) {
        self.cve = Some(plan);
    }
    /// The ledger may forget the report's reservation.
    pub(crate) fn forget_reservation(&mut self) {
        self.forget_reservation = true;
    }

    /// The team collaborates, unless it already does.
    pub(crate) fn add_team(&mut self, slug: &str) {
        if !self
            .teams
            .value
            .iter()
            .any(|t| t.eq_ignore_ascii_case(slug))
        {
            self.teams.push(slug.to_owned());
            self.add_team = Some(slug.to_owned());
        }
    }
    /// A user collaborates, unless they already do.
    pub(crate) fn add_user(&mut self, login: &str) {
        if !self
            .users
            .value
            .iter()
            .any(|l| l.eq_ignore_ascii_case(login))
        {
            self.users.push(login.to_owned());
            self.add_users.push(login.to_owned());
        }
    }
    /// Collaborating users for whom `gone` says so lose their access.
    pub(crate) fn remove_users(&mut self, gone: impl Fn(&str) -> bool) {
        let mut removed = Vec::new();
        self.users.value.retain(|l| {
            let out = gone(l);
            if out {
                removed.push(l.clone());
            }
            !out
        });
        if !removed.is_empty() {
            self.users.changed = true;
            self.remove_users.extend(removed);
        }
    }

    /// Is this login credited on the report (any credit, this run's too)?
    pub(crate) fn is_credited(&self, login: &str) -> bool {
        self.credits
            .value
            .iter()
            .any(|c| c.login.eq_ignore_ascii_case(login))
    }
    /// A coordinator credit for the assignee.
    pub(crate) fn assign(&mut self, login: &str) {
        self.credits.push(Credit {
            login: login.to_owned(),
            kind: "coordinator".into(),
        });
        self.assign = Some(login.to_owned());
    }
    /// PEP 811 delegation: the coordinator credit moves to `login` (other
    /// coordinator credits go; nothing changes when it is theirs alone).
    pub(crate) fn delegate(&mut self, login: &str) {
        let only_theirs = self
            .credits
            .value
            .iter()
            .filter(|c| c.kind == "coordinator")
            .all(|c| c.login.eq_ignore_ascii_case(login))
            && self
                .credits
                .value
                .iter()
                .any(|c| c.kind == "coordinator" && c.login.eq_ignore_ascii_case(login));
        if only_theirs {
            return;
        }
        self.credits
            .value
            .retain(|c| !(c.kind == "coordinator" || c.login.eq_ignore_ascii_case(login)));
        self.assign(login);
    }
    /// Whether a coordinator was given this run (a delegation or an
    /// assignment).
    pub(crate) fn has_assignment(&self) -> bool {
        self.assign.is_some()
    }
    /// A remediation credit, unless they are credited already.
    pub(crate) fn add_credit(&mut self, login: &str, kind: &str) {
        if self.is_credited(login) {
            return;
        }
        let c = Credit {
            login: login.to_owned(),
            kind: kind.to_owned(),
        };
        self.credits.push(c.clone());
        self.credits_added.push(c);
    }

    /// Something the plan's reader should know about this report (no
    /// person named).
    pub(crate) fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    pub(crate) fn finish(self) -> Decided {
        let a = self.report;
        let patch = if self.close {
            AdvisoryUpdate {
                state: Some(AdvisoryState::Closed),
                ..AdvisoryUpdate::default()
            }
        } else {
            AdvisoryUpdate {
                state: self.accept.then_some(AdvisoryState::Draft),
                cve_id: None,
                collaborating_teams: self.teams.into_change(),
                collaborating_users: self.users.into_change(),
                credits: self.credits.into_change(),
            }
        };
        let update = Update {
            repo: a.advisory.repo.clone(),
            ghsa_id: a.advisory.ghsa_id.clone(),
            state: a.advisory.state,
            close: self.close,
            accept: self.accept,
            create_fork: self.create_fork,
            cve: self.cve,
            add_team: self.add_team,
            add_users: self.add_users,
            remove_users: self.remove_users,
            assign: self.assign,
            credits_added: self.credits_added,
            obeyed: self.obeyed,
            patch,
            seen: Seen::of(a),
            info: AdvisoryInfo {
                html_url: a.advisory.html_url.clone(),
                created_at: a.advisory.created_at,
            },
        };
        let ignored = self
            .ignored
            .into_iter()
            .map(|(given, why)| Ignored {
                repo: a.advisory.repo.clone(),
                ghsa_id: a.advisory.ghsa_id.clone(),
                html_url: a.advisory.html_url.clone(),
                state: a.advisory.state,
                given,
                why,
            })
            .collect();
        Decided {
            update: (!update.is_empty()).then_some(update),
            notes: self.notes,
            forget_reservation: self.forget_reservation,
            ignored,
            uncoordinated: self.uncoordinated,
        }
    }
}
