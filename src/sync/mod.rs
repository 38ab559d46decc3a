//! The reconciliation engine shared by every service: read the service's
//! whole current state, compute a typed plan, check the safety valves, then
//! (with `--apply`) apply the plan item by item. A failed item is reported
//! and the rest go on.

pub mod discord;
pub mod github_team;
pub mod mailman;
pub mod plan;
pub mod report;
pub mod valves;

use std::future::Future;

use serde::Serialize;

pub use plan::{Alert, Change, ChangeResult, ChangeView, Plan, Service};
pub use valves::Valve;

use crate::roster::Roster;
use crate::roster::contacts::{Field, KEY_VAR, Opened};

/// One service, behind one small interface: want, read, plan, apply.
pub trait Reconciler: Sync {
    type Change: Change;
    type State: Send;
    /// Who should hold what on the service ([`crate::desired`]).
    type Want: Sync;

    fn service(&self) -> Service;
    /// What is reconciled, for messages (`python/psrt`).
    fn target(&self) -> String;
    /// The roster's desired state for this service: the same one `psrt
    /// approvals` compares between a pull request's base and head.
    fn want(&self, roster: &Roster) -> Self::Want;
    /// The complete current state, or an error: never part of it. What is
    /// wanted says which details are worth a request (renamed logins).
    fn read(&self, want: &Self::Want) -> impl Future<Output = anyhow::Result<Self::State>> + Send;
    /// What must change for the service to hold what is wanted.
    fn plan(&self, want: &Self::Want, state: &Self::State) -> Plan<Self::Change>;
    /// Makes one change; `Ok(Some(note))` to say more about how it went.
    fn apply(
        &self,
        change: &Self::Change,
    ) -> impl Future<Output = Result<Option<String>, ApplyError>> + Send;
}

/// Why a change was not made.
#[derive(Debug)]
pub enum ApplyError {
    /// The service refused for a reason retrying cannot fix.
    Refused(String),
    /// Anything else.
    Failed(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for ApplyError {
    fn from(e: E) -> Self {
        ApplyError::Failed(e.into())
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub apply: bool,
    pub allow_mass_removal: bool,
}

/// How far one service got (serialised as `outcome`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Status {
    /// Not run, quietly: the roster leaves the service out, or `--service`
    /// deselects it.
    Skipped { reason: String },
    /// Not run although the roster configures it: its credentials are
    /// missing or malformed, or the contact fields it needs stay closed. A
    /// failure: never treated as an empty service, never a green run.
    Unreachable { reason: String },
    /// The read failed: no plan, no writes.
    ReadFailed { error: String },
    /// A plan (dry run, or nothing to do).
    Planned,
    /// A safety valve stopped the plan before any write.
    Blocked { valves: Vec<Valve> },
    /// The plan was applied (see each change's result).
    Applied,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub service: Service,
    pub target: String,
    #[serde(flatten)]
    pub outcome: Status,
    /// Members the service has now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<usize>,
    pub changes: Vec<ChangeView>,
    pub notes: Vec<String>,
    /// Shown every run while it lasts (see [`Plan::warnings`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// For the admins' email (see [`Plan::alerts`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
}

impl ServiceReport {
    pub fn skipped(service: Service, target: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            service,
            target: target.into(),
            outcome: Status::Skipped {
                reason: reason.into(),
            },
            current: None,
            changes: vec![],
            notes: vec![],
            warnings: vec![],
            alerts: vec![],
        }
    }
    /// A service the roster configures that psrt cannot reach.
    pub fn unreachable(
        service: Service,
        target: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            outcome: Status::Unreachable {
                reason: reason.into(),
            },
            ..Self::skipped(service, target, "")
        }
    }
    /// Was the service left unchecked although the roster configures it
    /// (unreachable, or its read failed)?
    pub fn not_checked(&self) -> bool {
        matches!(
            self.outcome,
            Status::Unreachable { .. } | Status::ReadFailed { .. }
        )
    }
    /// Did anything go wrong (unreachable, read, valve, or a failed change)?
    pub fn failed(&self) -> bool {
        match &self.outcome {
            Status::Unreachable { .. } | Status::ReadFailed { .. } | Status::Blocked { .. } => true,
            Status::Applied => self
                .changes
                .iter()
                .any(|c| matches!(c.result, Some(ChangeResult::Failed { .. }))),
            Status::Skipped { .. } | Status::Planned => false,
        }
    }
}

/// Reads, plans and (with `apply`) applies one service.
pub async fn run_service<R: Reconciler>(r: &R, roster: &Roster, opts: Options) -> ServiceReport {
    let mut report = ServiceReport {
        service: r.service(),
        target: r.target(),
        outcome: Status::Planned,
        current: None,
        changes: vec![],
        notes: vec![],
        warnings: vec![],
        alerts: vec![],
    };
    if roster.members.is_empty() {
        report.outcome = Status::Unreachable {
            reason: "the roster has no members; psrt never empties a service".into(),
        };
        return report;
    }
    let want = r.want(roster);
    let state = match r.read(&want).await {
        Ok(state) => state,
        Err(e) => {
            report.outcome = Status::ReadFailed {
                error: format!("{e:#}"),
            };
            return report;
        }
    };
    let plan = r.plan(&want, &state).sorted();
    report.current = Some(plan.current);
    report.changes = plan.views();
    report.notes = plan.notes.clone();
    report.warnings = plan.warnings.clone();
    report.alerts = plan.alerts.clone();
    let tripped = valves::check(&plan, &roster.policy, opts.allow_mass_removal);
    if !tripped.is_empty() {
        report.outcome = Status::Blocked { valves: tripped };
        return report;
    }
    if !opts.apply || plan.changes.is_empty() {
        return report;
    }
    report.outcome = Status::Applied;
    for (change, view) in plan.changes.iter().zip(report.changes.iter_mut()) {
        view.result = Some(match r.apply(change).await {
            Ok(note) => ChangeResult::Applied { note },
            Err(ApplyError::Refused(reason)) => ChangeResult::Refused { reason },
            Err(ApplyError::Failed(e)) => ChangeResult::Failed {
                error: format!("{e:#}"),
            },
        });
        tracing::info!(service = %report.service, action = view.action, subject = %view.subject, result = ?view.result, "applied");
    }
    report
}

/// Connections and settings a sync needs beyond the roster.
pub struct Context<'a> {
    pub env: &'a crate::config::Env,
    pub tuning: crate::github::Tuning,
}

/// Runs the selected services concurrently. A service the roster leaves
/// out, or `--service` deselects, is skipped quietly; one the roster
/// configures but psrt cannot reach (credentials, closed contact fields) is
/// unreachable, a failure; one that fails does not stop the others. A member whose `email` or `discord` is still encrypted (`age:`)
/// stops Mailman or Discord: psrt never syncs as if they had none.
pub async fn run(
    roster: &Roster,
    ctx: &Context<'_>,
    services: &[Service],
    opts: Options,
) -> Vec<ServiceReport> {
    let closed = |field: Field| {
        let n = crate::roster::contacts::still_encrypted(roster, field);
        (n > 0).then(|| {
            format!(
                "{n} member(s) have an encrypted `{field}` that is not opened ({KEY_VAR} is not set, or cannot open it): skipped (psrt never syncs as if they had none)"
            )
        })
    };
    run_guarded(roster, ctx, services, opts, &closed).await
}

/// [`run`] on a roster whose contact fields were opened with
/// `PSRT_CONTACT_KEY`: a service whose fields stayed closed is skipped with
/// the precise reason (no key, a wrong key, a stale field).
pub async fn run_opened(
    opened: &Opened,
    ctx: &Context<'_>,
    services: &[Service],
    opts: Options,
) -> Vec<ServiceReport> {
    let roster = &opened.roster;
    let closed = |field: Field| {
        opened.blocked(field).or_else(|| {
            let n = crate::roster::contacts::still_encrypted(roster, field);
            (n > 0).then(|| {
                format!("{n} member(s) have an encrypted `{field}` that is not opened: skipped")
            })
        })
    };
    run_guarded(roster, ctx, services, opts, &closed).await
}

async fn run_guarded(
    roster: &Roster,
    ctx: &Context<'_>,
    services: &[Service],
    opts: Options,
    closed: &(dyn Fn(Field) -> Option<String> + Sync),
) -> Vec<ServiceReport> {
    let wanted = |s: Service| services.is_empty() || services.contains(&s);
    let github = async {
        let target = format!("{}/{}", roster.github.org, roster.github.team);
        if !wanted(Service::Github) {
            return ServiceReport::skipped(Service::Github, target, "not selected (--service)");
        }
        let env = match &ctx.env.github {
            Ok(env) => env,
            Err(missing) => {
                return ServiceReport::unreachable(Service::Github, target, missing.to_string());
            }
        };
        let scope = github_team::scope(roster, opts.apply);
        match crate::github::GitHub::connect(env, scope, ctx.tuning.clone()).await {
            Ok(gh) => {
                run_service(
                    &github_team::GitHubTeam::new(std::sync::Arc::new(gh), roster),
                    roster,
                    opts,
                )
                .await
            }
            Err(e) => ServiceReport {
                outcome: Status::ReadFailed {
                    error: format!("{e:#}"),
                },
                ..ServiceReport::skipped(Service::Github, target, "")
            },
        }
    };
    let mailman = async {
        let target = roster
            .mailman
            .as_ref()
            .map_or_else(|| "list".to_owned(), |m| m.list.clone());
        if !wanted(Service::Mailman) {
            return ServiceReport::skipped(Service::Mailman, target, "not selected (--service)");
        }
        let Some(settings) = &roster.mailman else {
            return ServiceReport::skipped(
                Service::Mailman,
                target,
                "the roster has no `mailman` section",
            );
        };
        if let Some(reason) = closed(Field::Email) {
            return ServiceReport::unreachable(Service::Mailman, target, reason);
        }
        let env = match &ctx.env.mailman {
            Ok(env) => env,
            Err(missing) => {
                return ServiceReport::unreachable(Service::Mailman, target, missing.to_string());
            }
        };
        match mailman::MailmanList::new(env, &settings.list, ctx.tuning.retry.clone()) {
            Ok(list) => run_service(&list, roster, opts).await,
            Err(e) => ServiceReport {
                outcome: Status::ReadFailed {
                    error: format!("{e:#}"),
                },
                ..ServiceReport::skipped(Service::Mailman, target, "")
            },
        }
    };
    let discord = async {
        let target = roster.discord.as_ref().map_or_else(
            || "role".to_owned(),
            |d| format!("guild {} role {}", d.guild, d.role),
        );
        if !wanted(Service::Discord) {
            return ServiceReport::skipped(Service::Discord, target, "not selected (--service)");
        }
        let Some(settings) = &roster.discord else {
            return ServiceReport::skipped(
                Service::Discord,
                target,
                "the roster has no `discord` section",
            );
        };
        if let Some(reason) = closed(Field::Discord) {
            return ServiceReport::unreachable(Service::Discord, target, reason);
        }
        let env = match &ctx.env.discord {
            Ok(env) => env,
            Err(missing) => {
                return ServiceReport::unreachable(Service::Discord, target, missing.to_string());
            }
        };
        match discord::DiscordRole::new(
            env,
            &settings.guild,
            &settings.role,
            ctx.tuning.retry.clone(),
        ) {
            Ok(role) => run_service(&role, roster, opts).await,
            Err(e) => ServiceReport {
                outcome: Status::ReadFailed {
                    error: format!("{e:#}"),
                },
                ..ServiceReport::skipped(Service::Discord, target, "")
            },
        }
    };
    let (github, mailman, discord) = tokio::join!(github, mailman, discord);
    vec![github, mailman, discord]
}
