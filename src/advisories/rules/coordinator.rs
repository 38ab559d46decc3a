//! Coordinator assignment: a `triage` report older than
//! `coordinator_grace_days` without a coordinator credit gets one, a current
//! member who is neither Release Manager nor Steering Council, the one
//! coordinating the fewest open reports; ties go to whoever has coordinated
//! fewer of the reports read (any state), then to roster order. Existing
//! credits are kept; the assignee is emailed.

use chrono::Duration;

use crate::advisories::model::{Context, Draft};
use crate::github::advisories::{AdvisoryState, Lifecycle};

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let grace = Duration::days(i64::from(ctx.roster.policy.coordinator_grace_days));
    let adv = &a.advisory;
    if adv.state != AdvisoryState::Triage
        || !adv.coordinators().is_empty()
        || d.has_assignment()
        || ctx.now - adv.created_at <= grace
    {
        return;
    }
    let mut loads = ctx.loads.borrow_mut();
    let pick = ctx
        .roster
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| !ctx.roster.is_exempt(m))
        .min_by_key(|(i, m)| {
            (
                loads.open.get(&m.github).copied().unwrap_or(0),
                loads.all.get(&m.github).copied().unwrap_or(0),
                *i,
            )
        })
        .map(|(_, m)| m.github.clone());
    match pick {
        Some(login) => {
            *loads.open.entry(login.clone()).or_default() += 1;
            *loads.all.entry(login.clone()).or_default() += 1;
            d.assign(login.as_str());
        }
        // Counted across reports: whether anyone can coordinate depends on
        // the roster, and a line about a report must not change with it.
        None => d.uncoordinated(),
    }
}
