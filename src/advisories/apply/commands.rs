//! Running `/psrt` commands, each answered **exactly once**. Only the
//! hourly run (`psrt advisories --apply`, which only the scheduled
//! workflow passes) runs them, in the order they were written, within the
//! run that first reads them: a report whose `comments` count did not move
//! costs nothing ([`super::super::discussion::read`]).
//!
//! **Who is obeyed.** A roster member, by account id, in a comment that had
//! never been edited when psrt first read it (the ledger remembers what was
//! first seen: GitHub names a comment's author, not its editor). Anyone
//! else, a comment edited before psrt read it, and any command on a report
//! that is not open get one reply saying so, and nothing changes.
//!
//! **Reports that are not open.** Closed reports (in `State::advisories`)
//! and ended ones (published, withdrawn: `State::ended`, which no rule
//! sees) are watched by their `comments` count like open ones; a command
//! there is judged like any other and refused ("This report is
//! published: psrt runs no command on it."): a reply only, so no claim,
//! recorded as answered, counted in the public tally. A claim an earlier
//! run left on a report that has ended since is settled from the report as
//! read, with no update (the plan never sees an ended report): its outcome
//! says what holds (an invite or a delegation made, or not, and that psrt
//! runs no command there now), and the admins are emailed for an effect
//! that holds, as for any claim: refusing it would say "nothing was
//! changed" of an effect that landed, and lose the admins' email.
//!
//! **The protocol.**
//!
//! 1. The discussion is listed in full (never with `since`: a filtered list
//!    shows what changed, never what is missing, so it never decides that a
//!    command is unanswered). A command is unanswered when the ledger does
//!    not hold its id as answered **and** no reply of psrt's that says the
//!    outcome names it (a reply found answered is recorded in the ledger);
//!    it is run only if the ledger's memory of commands covers it (below).
//! 2. A command that changes the report is first **claimed**: psrt posts a
//!    reply that names the command's comment. A comment POST is sent once:
//!    after a timeout or a 5xx psrt lists the comments again to see whether
//!    it landed, and never posts it blindly a second time. psrt then lists
//!    once more: if an older claim names the same comment (another run at
//!    the same moment), that run owns the command, and this one's claim
//!    says so and does nothing.
//! 3. The **effect** goes through the plan, as a title tag's does (one
//!    path: [`crate::advisories::rules::commands`]); every effect is the
//!    report reaching a state (a draft, closed, a credit, a collaborator),
//!    read again before it is written, so making it twice changes nothing.
//! 4. The claim is **edited to the outcome**, and the ledger records the
//!    command as answered.
//!
//! A run killed after the claim (before or after the effect) leaves a claim
//! without an outcome: the next run finds it (its own post moved the count,
//! and the ledger's count was not brought up to date), runs the command
//! again through the plan (an effect already made is found made: nothing
//! is written twice) and edits the claim to the outcome. A reply an admin
//! deleted in GitHub's UI changes nothing: the ledger holds the command as
//! answered. A command whose effect did not land leaves its claim for the
//! next run, and the report's count is not recorded, so it is read again.
//!
//! **A lost ledger** (an evicted cache, `--reset-ledger`) forgets which
//! commands were answered, and a deleted reply is then the only trace that
//! was. So a ledger started afresh records when its memory of commands
//! begins ([`Ledger::commands_since`]: the first applying run's `now`), and
//! a command written before that with no reply of psrt's at all is not run
//! ([`before_memory`]): it gets one reply asking for it to be written again
//! in a new comment, and is recorded answered and counted refused. A claim
//! without an outcome is not such a command: psrt judged it then, and the
//! plan settles it as above. A ledger from before the instant was kept
//! takes its earliest sighting of a report instead (see [`crate::ledger`]).
//! Setting an instant never makes a command run twice (an answered id in
//! the ledger is skipped first); too late an instant only refuses more.
//!
//! A report first seen when it was already not open (go-live, a lost
//! ledger) begins its memory later, at its `watched_since`
//! ([`crate::ledger::discussion`]): psrt never read that discussion before.
//! Its memory of commands is the later of the two instants, whatever the
//! report's state now ([`memory_begins`]). A command before it with no
//! reply of psrt's is skipped silently while the report is not open (no
//! old report gets a comment because psrt started), and gets the one
//! "write it again" reply once it is reopened: psrt never runs a command
//! written before it watched the report. A claim there is settled as any.
//!
//! Nothing here prints who gave a command, which, or on which report: the
//! run's output counts commands across reports.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::UpdateResult;
use crate::advisories::discussion::CommentText;
use crate::advisories::discussion::commands::{self as text, Bad, Found, Reply};
use crate::advisories::discussion::own::Own;
use crate::advisories::discussion::status;
use crate::advisories::discussion::thread::Thread;
use crate::advisories::model::{CloseReason, Command, Given, Giver, Plan, Source, State};
use crate::github::GitHub;
use crate::github::advisories::{AdvisoryState, Lifecycle};
use crate::github::comments::CommentsError;
use crate::ids::{GhsaId, RepoName};
use crate::ledger::Ledger;
use crate::notify::{Email, Mailer, Templates};
use crate::roster::{Login, Member, Roster};

/// Where GitHub looks for CODEOWNERS, in its order.
const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];
/// `/psrt experts` reads at most this many of the fork's pull requests.
const MAX_EXPERT_PULLS: usize = 10;

/// The one reply to a command written before the ledger's memory of
/// commands began ([`before_memory`]).
const BEFORE_MEMORY: &str = "This command was written before psrt's memory of commands began (when psrt started, or when its ledger was reset or lost), so psrt cannot tell whether it was already answered: if it is still wanted, write it again in a new comment. Nothing was changed.";

/// Whether a command is left unrun because it predates the ledger's memory
/// of commands (`since`, [`Ledger::commands_since`]) and has no reply of
/// psrt's at all: a ledger that is gone may have answered it, and an
/// admin may have deleted that reply since, so running it could run it a
/// second time. A claim without an outcome (`claimed`) is different: psrt
/// judged the command then, and the plan settles it from GitHub's state.
/// With no instant known, every command is judged as before.
fn before_memory(since: Option<DateTime<Utc>>, f: &Found, claimed: bool) -> bool {
    !claimed && since.is_some_and(|t| f.created_at < t)
}

/// Where a report's memory of commands begins: the ledger's
/// (`commands_since`), or later when psrt first saw the report already not
/// open (`watched_since`: it never read that discussion before, whatever
/// the report's state is now, so a reopened report's old commands are not
/// run either).
fn memory_begins(
    commands_since: Option<DateTime<Utc>>,
    watched_since: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    commands_since.max(watched_since)
}

/// A command claimed this run: its effect is in the plan, its outcome
/// written after the plan is applied.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub repo: RepoName,
    pub ghsa_id: GhsaId,
    pub comment_id: u64,
    /// psrt's claim, when psrt's current account can edit it (else the
    /// outcome is a new reply).
    pub reply_id: Option<u64>,
    pub command: Command,
    /// The member who gave it (for the admins' email).
    pub giver: Login,
    pub giver_id: u64,
    /// The account a command names, with its id (`coordinator`, `invite`).
    pub target_id: Option<u64>,
}

/// What the commands came to this run: counts only, across reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Commands whose outcome was written this run (refusals included).
    pub answered: usize,
    /// Of those: refused (not a member, an edited comment, a report not
    /// open) or bad input.
    pub refused: usize,
    /// Claims whose outcome waits for the next run (the effect did not land).
    pub unsettled: usize,
    /// Claims that lost to another run at the same moment.
    pub second_claims: usize,
    /// Posts whose answer was lost, found posted by listing again.
    pub answers_lost: usize,
    /// What failed (no report named), and how often.
    pub errors: BTreeMap<String, usize>,
    /// psrt's comments that landed, by report (the discussion's count moves).
    pub posted: BTreeMap<GhsaId, u64>,
    /// Reports with a command not answered yet: their count is not recorded,
    /// so the next run reads their discussion again.
    pub pending: BTreeSet<GhsaId>,
    /// Reports where something failed this run.
    pub failed_on: BTreeSet<GhsaId>,
    /// Reports with a command left for the next run (a close after another
    /// command that changes the report).
    pub deferred: BTreeSet<GhsaId>,
}

/// What psrt decided about one command before any effect.
enum Verdict {
    /// A reply only; nothing changes. `refused`: it says no.
    Reply { text: String, refused: bool },
    /// Claimed, then made through the plan.
    Run {
        command: Command,
        target_id: Option<u64>,
    },
    /// Claimed by an earlier run on a report that has ended since: no
    /// effect, the claim edited to what holds on the report as read.
    Settle { command: Command },
}

/// Runs the discussions' commands.
pub struct Commander<'a> {
    pub gh: &'a GitHub,
    pub roster: &'a Roster,
    pub own: Own,
    pub now: DateTime<Utc>,
    pub tally: Tally,
    /// The eligibility teams' members by account id, read once when an
    /// `invite` needs them.
    eligible: Option<Result<BTreeSet<u64>, String>>,
}

impl<'a> Commander<'a> {
    pub fn new(gh: &'a GitHub, roster: &'a Roster, own: Own, now: DateTime<Utc>) -> Self {
        Self {
            gh,
            roster,
            own,
            now,
            tally: Tally::default(),
            eligible: None,
        }
    }

    fn error(&mut self, what: String, ghsa: &GhsaId) {
        *self.tally.errors.entry(what).or_default() += 1;
        self.tally.failed_on.insert(ghsa.clone());
        self.tally.pending.insert(ghsa.clone());
    }

    /// Step 1 and 2: the unanswered commands of each thread read, in the
    /// order written; replies for those that change nothing, claims for
    /// the others, whose commands join `state.commands` for the plan.
    pub async fn claim(
        &mut self,
        state: &mut State,
        threads: &mut BTreeMap<GhsaId, Thread>,
        ledger: &mut Ledger,
    ) -> Vec<Claimed> {
        let mut claimed = Vec::new();
        // The ended reports too: a command there gets its one refusal.
        let reports: Vec<Lifecycle> = state
            .advisories
            .iter()
            .chain(&state.ended)
            .filter(|a| threads.contains_key(&a.advisory.ghsa_id))
            .cloned()
            .collect();
        for a in &reports {
            let ghsa = &a.advisory.ghsa_id;
            let repo = &a.advisory.repo;
            let Some(thread) = threads.get_mut(ghsa) else {
                continue;
            };
            // Commands run in the order written. A close ends a report's
            // run: it waits for the next run when a command before it
            // changes the report now, and commands after it are refused.
            let mut changing = false;
            let mut closing = false;
            // Where this report's memory of commands begins: the ledger's,
            // or later, when psrt first saw the report already not open.
            let memory = memory_begins(
                ledger.commands_since(),
                ledger.discussion().get(ghsa).and_then(|d| d.watched_since),
            );
            for f in thread.commands(&self.own) {
                if ledger.discussion().is_answered(ghsa, f.comment_id) {
                    continue;
                }
                let replies = thread.replies(&self.own, f.comment_id);
                if replies.iter().any(|r| r.answered) {
                    // Answered by a run whose ledger was not saved.
                    if let Err(e) = ledger.command_answered(ghsa, f.comment_id) {
                        self.error(format!("the ledger could not be saved: {e:#}"), ghsa);
                    }
                    continue;
                }
                let claim = replies.first().copied();
                let forgotten = before_memory(memory, &f, claim.is_some());
                if forgotten && !a.advisory.state.is_open() {
                    // Go-live, a lost ledger: no report that is not open
                    // gets a comment because psrt started (reopened, the
                    // command gets "write it again" below).
                    continue;
                }
                let unedited = ledger.command_first_seen(ghsa, f.comment_id, f.unedited);
                let giver = given_by(self.roster, &f);
                let verdict = match (&claim, &f.parsed, giver) {
                    // Claimed by an earlier run: judged then; settled now
                    // from GitHub's state: through the plan, or, on a
                    // report that has ended (which the plan never sees),
                    // from the report as read.
                    (Some(_), Ok(c), Some(_))
                        if c.changes_the_report() || *c == Command::Status =>
                    {
                        if a.advisory.state.has_ended() {
                            Verdict::Settle { command: c.clone() }
                        } else {
                            Verdict::Run {
                                command: c.clone(),
                                target_id: None,
                            }
                        }
                    }
                    _ if forgotten => {
                        Verdict::Reply {
                            text: BEFORE_MEMORY.into(),
                            refused: true,
                        }
                    }
                    _ if closing => Verdict::Reply {
                        text: "An earlier command closes this report: psrt runs no command after it. Nothing was changed.".into(),
                        refused: true,
                    },
                    _ => self.judge(a, &f, giver, unedited, state).await,
                };
                if let Verdict::Run {
                    command: Command::Close { .. },
                    ..
                } = &verdict
                {
                    if changing {
                        // Its turn comes next run, after this run's effects.
                        self.tally.deferred.insert(ghsa.clone());
                        break;
                    }
                    closing = true;
                }
                if let Verdict::Run { command, .. } = &verdict {
                    changing |= command.changes_the_report();
                }
                match verdict {
                    Verdict::Reply { text: t, refused } => {
                        let body = text::answer(f.comment_id, &t);
                        let done = match claim.filter(|c| c.editable) {
                            Some(c) => self.edit(repo, ghsa, c.id, &body).await,
                            None => self
                                .post(repo, ghsa, f.comment_id, &body, thread)
                                .await
                                .map(|_| ()),
                        };
                        match done {
                            Ok(()) => {
                                self.tally.answered += 1;
                                if refused {
                                    self.tally.refused += 1;
                                }
                                if let Err(e) = ledger.command_answered(ghsa, f.comment_id) {
                                    self.error(
                                        format!("the ledger could not be saved: {e:#}"),
                                        ghsa,
                                    );
                                }
                            }
                            Err(e) => self.error(e, ghsa),
                        }
                    }
                    Verdict::Settle { command } => {
                        let (Some(member), Some(c)) = (giver, claim) else {
                            continue;
                        };
                        // No effect and no plan: `answer` says what holds.
                        self.tally.pending.insert(ghsa.clone());
                        claimed.push(Claimed {
                            repo: repo.clone(),
                            ghsa_id: ghsa.clone(),
                            comment_id: f.comment_id,
                            reply_id: c.editable.then_some(c.id),
                            command,
                            giver: member.github.clone(),
                            giver_id: member.github_id.unwrap_or_default(),
                            target_id: None,
                        });
                    }
                    Verdict::Run { command, target_id } => {
                        let Some(member) = giver else {
                            continue;
                        };
                        let reply_id = match claim {
                            Some(c) => c.editable.then_some(c.id),
                            None => {
                                let body = text::claim(f.comment_id, command.verb());
                                match self.post(repo, ghsa, f.comment_id, &body, thread).await {
                                    Ok(id) => {
                                        match self.first_claim(repo, ghsa, &f, id, thread).await {
                                            Ok(true) => Some(id),
                                            Ok(false) => continue,
                                            Err(e) => {
                                                self.error(e, ghsa);
                                                continue;
                                            }
                                        }
                                    }
                                    Err(e) => {
                                        self.error(e, ghsa);
                                        continue;
                                    }
                                }
                            }
                        };
                        self.tally.pending.insert(ghsa.clone());
                        if let Some(id) = member.github_id {
                            state.commands.entry(ghsa.clone()).or_default().push(Given {
                                command: command.clone(),
                                source: Source::Comment {
                                    comment_id: f.comment_id,
                                    author_id: id,
                                },
                            });
                        }
                        claimed.push(Claimed {
                            repo: repo.clone(),
                            ghsa_id: ghsa.clone(),
                            comment_id: f.comment_id,
                            reply_id,
                            command,
                            giver: member.github.clone(),
                            giver_id: member.github_id.unwrap_or_default(),
                            target_id,
                        });
                    }
                }
            }
        }
        claimed
    }

    /// Whether this run's claim is the first for the command: another run
    /// at the same moment may have claimed it too. The later claim says so
    /// (and is answered), and its run does nothing more.
    async fn first_claim(
        &mut self,
        repo: &RepoName,
        ghsa: &GhsaId,
        f: &Found,
        mine: u64,
        thread: &mut Thread,
    ) -> Result<bool, String> {
        *thread = self.list(repo, ghsa).await?;
        let replies = thread.replies(&self.own, f.comment_id);
        match replies.first() {
            Some(first) if first.id != mine && mine != 0 => {
                self.tally.second_claims += 1;
                let body = text::answer(
                    f.comment_id,
                    &format!(
                        "Another psrt run answers this command (reply {}): nothing more was done here.",
                        first.id
                    ),
                );
                self.edit(repo, ghsa, mine, &body).await?;
                Ok(false)
            }
            _ => Ok(true),
        }
    }

    async fn list(&self, repo: &RepoName, ghsa: &GhsaId) -> Result<Thread, String> {
        self.gh
            .advisory_comments::<CommentText>(repo, ghsa, None)
            .await
            .map(Thread::from_wire)
            .map_err(|e| format!("the discussion could not be read: {}", e.reason()))
    }

    /// Posts a reply once. After a timeout or a 5xx it lists the comments
    /// again and looks for a reply of psrt's to the same command that was
    /// not there before: found, it landed; not found, it is reported and
    /// the next run tries again. Never posted twice blindly.
    async fn post(
        &mut self,
        repo: &RepoName,
        ghsa: &GhsaId,
        comment_id: u64,
        body: &str,
        thread: &mut Thread,
    ) -> Result<u64, String> {
        let before: BTreeSet<u64> = thread
            .replies(&self.own, comment_id)
            .iter()
            .map(|r| r.id)
            .collect();
        match self.gh.add_advisory_comment(repo, ghsa, body).await {
            Ok(p) => {
                *self.tally.posted.entry(ghsa.clone()).or_default() += 1;
                Ok(p.id)
            }
            Err(e) if e.maybe_applied() => {
                let relisted = self.list(repo, ghsa).await.map_err(|e2| {
                    format!(
                        "a command's reply got no answer ({}) and {e2}: the next run looks again before it posts",
                        e.reason()
                    )
                })?;
                *thread = relisted;
                let landed = thread
                    .replies(&self.own, comment_id)
                    .into_iter()
                    .find(|r: &Reply| !before.contains(&r.id));
                match landed {
                    Some(r) => {
                        self.tally.answers_lost += 1;
                        *self.tally.posted.entry(ghsa.clone()).or_default() += 1;
                        Ok(r.id)
                    }
                    None => Err(format!(
                        "a command's reply got no answer ({}) and is not there: the next run tries again",
                        e.reason()
                    )),
                }
            }
            Err(e) => Err(not_posted(&e)),
        }
    }

    async fn edit(
        &self,
        repo: &RepoName,
        ghsa: &GhsaId,
        id: u64,
        body: &str,
    ) -> Result<(), String> {
        self.gh
            .edit_advisory_comment(repo, ghsa, id, body)
            .await
            .map_err(|e| format!("a command's reply was not edited: {}", e.reason()))
    }

    /// Who may, and whether it can be done: a reply, or a command to run.
    async fn judge(
        &mut self,
        a: &Lifecycle,
        f: &Found,
        giver: Option<&Member>,
        unedited: bool,
        state: &State,
    ) -> Verdict {
        let refuse = |t: &str| Verdict::Reply {
            text: format!("{t} Nothing was changed."),
            refused: true,
        };
        let Some(giver) = giver else {
            return refuse("Only PSRT members can run psrt commands, each from their own account.");
        };
        if !unedited {
            return refuse(
                "psrt obeys a command only in a comment that was never edited (GitHub names a comment's author, not its editor): write the command in a new comment.",
            );
        }
        let adv = &a.advisory;
        if !adv.state.is_open() {
            return refuse(&format!(
                "This report is {}: psrt runs no command on it.",
                state_word(adv.state)
            ));
        }
        let command = match &f.parsed {
            Ok(c) => c.clone(),
            Err(b) => {
                return Verdict::Reply {
                    text: text::bad_text(*b),
                    refused: true,
                };
            }
        };
        let run = |command: Command| Verdict::Run {
            command,
            target_id: None,
        };
        let nothing = |t: String| Verdict::Reply {
            text: format!("{t} Nothing was changed."),
            refused: false,
        };
        match command {
            Command::Help => Verdict::Reply {
                text: text::help_text(),
                refused: false,
            },
            Command::Experts => self.experts(a).await,
            Command::Status => run(Command::Status),
            Command::Accept if adv.state != AdvisoryState::Triage => nothing(format!(
                "This report is already {}: there is nothing to accept.",
                state_word(adv.state)
            )),
            Command::Accept => run(Command::Accept),
            Command::Close {
                reason,
                duplicate_of: Some(orig),
            } => {
                if orig == adv.ghsa_id {
                    return Verdict::Reply {
                        text: text::bad_text(Bad::DuplicateId),
                        refused: true,
                    };
                }
                let known = state.advisories.iter().any(|o| o.advisory.ghsa_id == orig);
                let exists = known
                    || match self.gh.advisory(&adv.repo, &orig).await {
                        Ok(_) => true,
                        Err(e) if e.status() == Some(404) => false,
                        Err(e) => {
                            return nothing(format!(
                                "psrt could not check the report this one duplicates ({}); try again later.",
                                e.reason()
                            ));
                        }
                    };
                if !exists {
                    return Verdict::Reply {
                        text: format!(
                            "The report named as the original does not exist in this repository. Nothing was changed.\n\n{}",
                            text::help_text()
                        ),
                        refused: true,
                    };
                }
                run(Command::Close {
                    reason,
                    duplicate_of: Some(orig),
                })
            }
            c @ Command::Close { .. } => run(c),
            Command::Coordinator(login) => match self.roster.member(&login) {
                None => Verdict::Reply {
                    text: "`/psrt coordinator` takes a current PSRT member, and that account is not one. Nothing was changed.".into(),
                    refused: true,
                },
                Some(m) => self.delegate(a, m).await,
            },
            Command::Invite(login) => self.invite(a, giver, &login).await,
            Command::Cve => {
                let in_cve = self.roster.cve.as_ref().is_some_and(|c| {
                    c.repos.iter().any(|r| r.eq_ignore_ascii_case(adv.repo.as_str()))
                });
                if !in_cve {
                    nothing("psrt reserves CVE ids only for the repositories where the PSF is the CNA (`cve.repos`), and this is not one.".into())
                } else if a.cve_id.is_some() {
                    nothing("This report has a CVE id already.".into())
                } else if adv.state != AdvisoryState::Draft {
                    nothing("A CVE id is reserved for a draft: accept the report first (`/psrt accept`).".into())
                } else {
                    run(Command::Cve)
                }
            }
        }
    }

    /// `coordinator @login`: the credit goes to the member's account as
    /// the roster pins it (`github_id`), under its login of today: a login
    /// a renamed member left behind may be a stranger's. A member without
    /// `github_id` is not delegated to.
    async fn delegate(&mut self, a: &Lifecycle, m: &Member) -> Verdict {
        let reply = |text: String| Verdict::Reply {
            text: format!("{text} Nothing was changed."),
            refused: false,
        };
        let Some(id) = m.github_id else {
            return reply(format!(
                "@{} has no `github_id` in the roster yet: psrt delegates only to an account it knows by id (an admin runs `psrt pin-ids`).",
                m.github.as_str()
            ));
        };
        let login = match self.gh.user_by_id(id).await {
            Ok(Some(u)) => u.login,
            Ok(None) => {
                return reply(format!(
                    "The account the roster pins for @{} no longer exists on GitHub.",
                    m.github.as_str()
                ));
            }
            Err(e) => {
                return reply(format!(
                    "psrt could not look that account up ({}); try again in a new comment.",
                    e.reason()
                ));
            }
        };
        let coordinators = a.advisory.coordinators();
        if coordinators.len() == 1 && coordinators[0].eq_ignore_ascii_case(&login) {
            return reply(format!("@{login} is already the coordinator."));
        }
        Verdict::Run {
            command: Command::Coordinator(Login::new(login)),
            target_id: Some(id),
        }
    }

    /// `invite @login`: an account of the eligibility teams from any
    /// member, anyone else from an admin only; by account id.
    async fn invite(&mut self, a: &Lifecycle, giver: &Member, login: &Login) -> Verdict {
        let user = match self.gh.user(login.as_str()).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                return Verdict::Reply {
                    text: format!(
                        "No GitHub account has that login. Nothing was changed.\n\n{}",
                        text::help_text()
                    ),
                    refused: true,
                };
            }
            Err(e) => {
                return Verdict::Reply {
                    text: format!(
                        "psrt could not look that account up ({}); try again in a new comment. Nothing was changed.",
                        e.reason()
                    ),
                    refused: false,
                };
            }
        };
        if self
            .roster
            .members
            .iter()
            .any(|m| m.github_id == Some(user.id))
        {
            return Verdict::Reply {
                text: format!(
                    "@{} is a PSRT member: members have the report through the team. Nothing was changed.",
                    user.login
                ),
                refused: false,
            };
        }
        if a.advisory
            .collaborating_users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(&user.login))
        {
            return Verdict::Reply {
                text: format!(
                    "@{} collaborates on this report already. Nothing was changed.",
                    user.login
                ),
                refused: false,
            };
        }
        if !giver.is_admin() {
            match self.eligible().await {
                Ok(ids) if ids.contains(&user.id) => {}
                Ok(_) => {
                    return Verdict::Reply {
                        text: "A member may invite core developers and triagers (the eligibility teams); anyone else only a PSRT admin may invite. Nothing was changed.".into(),
                        refused: true,
                    };
                }
                Err(e) => {
                    return Verdict::Reply {
                        text: format!(
                            "psrt could not read the eligibility teams ({e}); try again in a new comment. Nothing was changed."
                        ),
                        refused: false,
                    };
                }
            }
        }
        Verdict::Run {
            command: Command::Invite(Login::new(user.login)),
            target_id: Some(user.id),
        }
    }

    /// `/psrt experts`: the owners CODEOWNERS (of the advisory's repository,
    /// on its default branch, where GitHub looks: `.github/`, the root,
    /// `docs/`) gives the files the private fork's open pull requests touch.
    /// A suggestion only: it adds no one. Owners are written in code spans,
    /// so the reply mentions (and notifies) no one outside the report.
    async fn experts(&mut self, a: &Lifecycle) -> Verdict {
        let reply = |text: String| Verdict::Reply {
            text: format!("{text} Nothing was changed."),
            refused: false,
        };
        let Some(fork) = &a.advisory.private_fork else {
            return reply("This report has no temporary private fork yet: psrt suggests experts from the files a fix in the fork touches (`/psrt accept` makes the fork).".into());
        };
        let could_not = |what: &str, e: crate::github::GitHubError| {
            reply(format!(
                "psrt could not read {what} ({}); try again in a new comment.",
                e.reason()
            ))
        };
        let pulls = match self.gh.open_pulls(fork).await {
            Ok(p) => p,
            Err(e) => return could_not("the private fork's pull requests", e),
        };
        let mut files: BTreeSet<String> = BTreeSet::new();
        for pull in pulls.iter().take(MAX_EXPERT_PULLS) {
            match self.gh.pull_files(fork, pull.number).await {
                Ok(fs) => {
                    for f in fs {
                        files.extend(f.previous_filename);
                        files.insert(f.filename);
                    }
                }
                Err(e) => return could_not("a pull request's files", e),
            }
        }
        if files.is_empty() {
            return reply("The private fork has no open pull request with changes yet: psrt suggests experts from the files a fix touches.".into());
        }
        let repo = &a.advisory.repo;
        let branch = match self.gh.repository(repo).await {
            Ok(r) => r.default_branch,
            Err(e) => return could_not("the repository", e),
        };
        let mut codeowners = None;
        for path in CODEOWNERS_PATHS {
            match self
                .gh
                .file(repo, path, crate::github::repos::Rev::Branch(&branch))
                .await
            {
                Ok(Some(blob)) => {
                    codeowners = blob
                        .bytes()
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned());
                    break;
                }
                Ok(None) => {}
                Err(e) => return could_not("CODEOWNERS", e),
            }
        }
        let Some(codeowners) = codeowners else {
            return reply(format!(
                "{repo} has no CODEOWNERS file on {branch}: psrt has no owners to suggest."
            ));
        };
        let rules = crate::advisories::experts::parse(&codeowners);
        let paths: Vec<&str> = files.iter().map(String::as_str).collect();
        let owners = crate::advisories::experts::suggest(&rules, &paths);
        if owners.is_empty() {
            return reply(format!(
                "CODEOWNERS names no owner for the {} file(s) the fix touches.",
                files.len()
            ));
        }
        let list: Vec<String> = owners.iter().map(|o| format!("`{o}`")).collect();
        reply(format!(
            "Experts CODEOWNERS names for the {} file(s) the fix touches: {}. psrt adds no one: a member may `/psrt invite @login` a core developer or triager among them (teams and anyone else: an admin).",
            files.len(),
            list.join(", ")
        ))
    }

    async fn eligible(&mut self) -> Result<BTreeSet<u64>, String> {
        if self.eligible.is_none() {
            let org = &self.roster.github.org;
            let mut ids = BTreeSet::new();
            let mut result = Ok(());
            for team in &self.roster.github.eligibility_teams {
                match self.gh.team_members(org, team).await {
                    Ok(users) => ids.extend(users.into_iter().map(|u| u.id)),
                    Err(e) => {
                        result = Err(e.reason());
                        break;
                    }
                }
            }
            self.eligible = Some(result.map(|()| ids));
        }
        self.eligible
            .clone()
            .unwrap_or_else(|| Err("unknown".into()))
    }

    /// The id of the account a command names, for the admins' email: known
    /// when this run judged the command; for a claim an earlier run left,
    /// looked up by the login the outcome names (`None`: not found).
    async fn target_id(&self, c: &Claimed) -> Option<u64> {
        match (&c.command, c.target_id) {
            (_, Some(id)) => Some(id),
            (Command::Coordinator(l) | Command::Invite(l), None) => {
                self.gh.user(l.as_str()).await.ok().flatten().map(|u| u.id)
            }
            _ => None,
        }
    }

    /// Step 4: each claim edited to its outcome, once its report's update
    /// landed (or none was needed: the effect was made before); the ledger
    /// records it answered; the admins are emailed for a close, a
    /// delegation and an invitation.
    #[allow(clippy::too_many_arguments)]
    pub async fn answer(
        &mut self,
        claimed: &[Claimed],
        state: &State,
        plan: &Plan,
        results: &[UpdateResult],
        ledger: &mut Ledger,
        templates: &Templates,
        mailer: Option<&Mailer>,
        notes: &mut Vec<String>,
    ) {
        let mut unsettled: BTreeSet<&GhsaId> = BTreeSet::new();
        for c in claimed {
            let at = plan.updates.iter().position(|u| u.ghsa_id == c.ghsa_id);
            let result = at.and_then(|i| results.get(i));
            if let Some(r) = result
                && !matches!(r, UpdateResult::Applied { .. })
            {
                // The claim stays; the next run settles it from GitHub.
                self.tally.unsettled += 1;
                unsettled.insert(&c.ghsa_id);
                continue;
            }
            if unsettled.contains(&c.ghsa_id) {
                // Commands run in the order written: a later one waits.
                self.tally.unsettled += 1;
                continue;
            }
            // An ended report's claim is settled from the report as read.
            let Some(a) = state
                .advisories
                .iter()
                .chain(&state.ended)
                .find(|a| a.advisory.ghsa_id == c.ghsa_id)
            else {
                continue;
            };
            let update = at.map(|i| &plan.updates[i]);
            let outcome = match outcome(c, a, update, plan, templates) {
                Ok(t) => t,
                Err(e) => {
                    self.error(
                        format!("a command's reply could not be written: {e:#}"),
                        &c.ghsa_id,
                    );
                    continue;
                }
            };
            let body = text::answer(c.comment_id, &outcome);
            let written = match c.reply_id {
                Some(id) => self.edit(&c.repo, &c.ghsa_id, id, &body).await,
                None => {
                    let mut thread = Thread { comments: vec![] };
                    self.post(&c.repo, &c.ghsa_id, c.comment_id, &body, &mut thread)
                        .await
                        .map(|_| ())
                }
            };
            if let Err(e) = written {
                self.error(e, &c.ghsa_id);
                continue;
            }
            self.tally.answered += 1;
            if let Err(e) = ledger.command_answered(&c.ghsa_id, c.comment_id) {
                self.error(format!("the ledger could not be saved: {e:#}"), &c.ghsa_id);
            }
            if let Some(m) = mailer
                && made(c, a, update)
                && let Some(email) =
                    admins_email(templates, self.roster, c, a, self.target_id(c).await)
            {
                match email {
                    Ok(e) => {
                        let identity = format!("command-{}-{}", c.ghsa_id, c.comment_id);
                        if let Err(err) = m.send_once(&e, &identity).await {
                            notes.push(format!("a command's email to the admins failed: {err:#}"));
                        }
                    }
                    Err(err) => notes.push(format!("a command's email to the admins: {err:#}")),
                }
            }
        }
        // Reports whose every command is answered need no second read.
        let mut pending: BTreeSet<GhsaId> = self.tally.failed_on.clone();
        pending.extend(unsettled.into_iter().cloned());
        pending.extend(self.tally.deferred.iter().cloned());
        self.tally.pending = pending;
    }
}

fn given_by<'r>(roster: &'r Roster, f: &Found) -> Option<&'r Member> {
    let id = f.author_id?;
    let g = Given {
        command: Command::Help,
        source: Source::Comment {
            comment_id: f.comment_id,
            author_id: id,
        },
    };
    match g.giver(roster) {
        Giver::Member(m) => Some(m),
        _ => None,
    }
}

fn state_word(s: AdvisoryState) -> &'static str {
    match s {
        AdvisoryState::Triage => "in triage",
        AdvisoryState::Draft => "a draft",
        AdvisoryState::Closed => "closed",
        AdvisoryState::Published => "published",
        AdvisoryState::Withdrawn => "withdrawn",
    }
}

fn not_posted(e: &CommentsError) -> String {
    format!("a command's reply was not posted: {}", e.reason())
}

/// The outcome a claim is edited to, from what the report is once this
/// run's update landed (or was found made).
fn outcome(
    c: &Claimed,
    a: &Lifecycle,
    update: Option<&crate::advisories::Update>,
    plan: &Plan,
    templates: &Templates,
) -> anyhow::Result<String> {
    let adv = &a.advisory;
    // A report that has ended since the claim: what holds is said as
    // ever; what does not is not tried again ("write it again" would only
    // be refused).
    let ended = adv.state.has_ended().then(|| {
        format!(
            "this report is {} now: psrt runs no command on it.",
            state_word(adv.state)
        )
    });
    let or_again = |not_made: &str, again: &str| match &ended {
        Some(e) => format!("{not_made}, and {e}"),
        None => format!("{not_made}{again}"),
    };
    Ok(match &c.command {
        Command::Status if ended.is_some() => format!(
            "This report is {}: psrt keeps no status for it. Nothing was changed.",
            state_word(adv.state)
        ),
        Command::Status => {
            let facts = plan
                .discussions
                .iter()
                .find(|d| d.ghsa_id == c.ghsa_id)
                .and_then(|d| d.status.as_ref());
            match facts {
                Some(f) => status::status(f)
                    .lines()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => "The status comment of this report is up to date.".to_owned(),
            }
        }
        Command::Accept => {
            if update.is_some_and(|u| u.accept) || adv.state == AdvisoryState::Draft {
                "Accepted: this report is a draft now. psrt creates its temporary private fork and, where the PSF is the CNA, reserves its CVE id.".to_owned()
            } else if ended.is_some() {
                // Accepted or not before it ended: this run changed nothing.
                format!(
                    "This report is {}: psrt runs no command on it. This run changed nothing.",
                    state_word(adv.state)
                )
            } else {
                format!(
                    "This report is {}: nothing was accepted.",
                    state_word(adv.state)
                )
            }
        }
        Command::Close {
            reason,
            duplicate_of,
        } => {
            if update.is_some_and(|u| u.close) || adv.state == AdvisoryState::Closed {
                let reason = reason.unwrap_or(CloseReason::Completed);
                let (_, body) = templates.render(
                    &format!("close-{}.md", reason.word()),
                    minijinja::context! {
                        ghsa_id => adv.ghsa_id.as_str(),
                        repo => adv.repo.as_str(),
                        duplicate_of => duplicate_of.as_ref().map(|g| g.as_str()),
                    },
                )?;
                body
            } else {
                format!(
                    "This report is {}: it was not closed.",
                    state_word(adv.state)
                )
            }
        }
        Command::Coordinator(login) => {
            let is = |l: &str| l.eq_ignore_ascii_case(login.as_str());
            let theirs = adv.coordinators();
            if update.and_then(|u| u.assign.as_deref()).is_some_and(is)
                || (theirs.len() == 1 && is(theirs[0]))
            {
                format!(
                    "@{} is the coordinator of this report now (PEP 811 delegation); they are emailed.",
                    login.as_str()
                )
            } else {
                or_again(
                    "The coordinator was not changed (the report changed meanwhile)",
                    "; write the command again.",
                )
            }
        }
        Command::Invite(login) => {
            let is = |l: &String| l.eq_ignore_ascii_case(login.as_str());
            if update.is_some_and(|u| u.add_users.iter().any(is))
                || adv.collaborating_users.iter().any(is)
            {
                format!(
                    "@{} collaborates on this report now. The PSRT admins are told.",
                    login.as_str()
                )
            } else {
                or_again(
                    "The account was not added (the report changed meanwhile)",
                    "; write the command again.",
                )
            }
        }
        Command::Cve => {
            if a.cve_id.is_some() || update.is_some_and(|u| u.cve.is_some()) {
                "The CVE id is reserved and set on this advisory.".to_owned()
            } else {
                or_again(
                    "No CVE id was reserved",
                    " this run (see the hourly run's notes); write `/psrt cve` again later.",
                )
            }
        }
        Command::Help | Command::Experts => text::help_text(),
    })
}

/// Whether a close, a delegation or an invitation is made (by this run's
/// update, or found made): only then are the admins emailed.
fn made(c: &Claimed, a: &Lifecycle, update: Option<&crate::advisories::Update>) -> bool {
    let adv = &a.advisory;
    match &c.command {
        Command::Close { .. } => {
            update.is_some_and(|u| u.close) || adv.state == AdvisoryState::Closed
        }
        Command::Coordinator(l) => {
            let is = |x: &str| x.eq_ignore_ascii_case(l.as_str());
            update.and_then(|u| u.assign.as_deref()).is_some_and(is)
                || (adv.coordinators().len() == 1 && is(adv.coordinators()[0]))
        }
        Command::Invite(l) => {
            let is = |x: &String| x.eq_ignore_ascii_case(l.as_str());
            update.is_some_and(|u| u.add_users.iter().any(is))
                || adv.collaborating_users.iter().any(is)
        }
        _ => false,
    }
}

/// The admins' email for a close, a delegation or an invitation: the GHSA
/// id, its link, the accounts (logins and ids), never a comment's text.
fn admins_email(
    templates: &Templates,
    roster: &Roster,
    c: &Claimed,
    a: &Lifecycle,
    target_id: Option<u64>,
) -> Option<anyhow::Result<Email>> {
    let (target, reason) = match &c.command {
        Command::Close { reason, .. } => (None, reason.map(CloseReason::word)),
        Command::Coordinator(l) | Command::Invite(l) => (Some(l.as_str()), None),
        _ => return None,
    };
    let to: Vec<String> = roster.admins().filter_map(|m| m.email.clone()).collect();
    if to.is_empty() {
        return Some(Err(anyhow::anyhow!(
            "no admin has an address in the roster"
        )));
    }
    Some(
        templates
            .render(
                "command-admins.txt",
                minijinja::context! {
                    ghsa_id => a.advisory.ghsa_id.as_str(),
                    repo => a.advisory.repo.as_str(),
                    url => a.advisory.html_url.as_str(),
                    verb => c.command.verb(),
                    reason => reason,
                    giver => c.giver.as_str(),
                    giver_id => c.giver_id,
                    target => target,
                    target_id => target_id,
                },
            )
            .map(|(subject, body)| Email {
                to,
                cc: vec![],
                subject,
                body,
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn written(at: DateTime<Utc>) -> Found {
        Found {
            comment_id: 7,
            author_id: Some(501),
            unedited: true,
            created_at: at,
            parsed: Ok(Command::Accept),
        }
    }

    /// Before the instant, with no reply of psrt's: not run. After it, or
    /// with psrt's claim (judged then, settled through the plan), or with
    /// no instant known (a ledger from before it was kept): as before.
    #[test]
    fn a_command_before_the_ledgers_memory_is_not_run_unless_psrt_claimed_it() {
        let since = Utc.with_ymd_and_hms(2026, 11, 3, 10, 0, 0).unwrap();
        let minute = chrono::Duration::minutes(1);
        let before = written(since - minute);
        let after = written(since + minute);
        assert!(before_memory(Some(since), &before, false));
        assert!(
            !before_memory(Some(since), &before, true),
            "a claim is settled"
        );
        assert!(!before_memory(Some(since), &after, false));
        assert!(!before_memory(Some(since), &written(since), false));
        assert!(!before_memory(None, &before, false));
        assert!(BEFORE_MEMORY.ends_with("Nothing was changed."));
    }

    /// A report first seen when not open begins its memory then, even when
    /// the ledger's began long before (an upgrade) and whatever its state
    /// is now; either instant alone is the memory's start.
    #[test]
    fn a_reports_memory_of_commands_begins_at_the_later_instant() {
        let old = Utc.with_ymd_and_hms(2026, 4, 1, 10, 0, 0).unwrap();
        let watched = Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).unwrap();
        assert_eq!(memory_begins(Some(old), Some(watched)), Some(watched));
        assert_eq!(memory_begins(Some(watched), Some(old)), Some(watched));
        assert_eq!(memory_begins(None, Some(watched)), Some(watched));
        assert_eq!(memory_begins(Some(old), None), Some(old));
        assert_eq!(memory_begins(None, None), None);
        let between = written(old + chrono::Duration::days(30));
        assert!(before_memory(
            memory_begins(Some(old), Some(watched)),
            &between,
            false
        ));
    }
}
