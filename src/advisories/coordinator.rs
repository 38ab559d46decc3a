//! Coordinator assignment: a `triage` report older than
//! `coordinator_grace_days` without a coordinator credit gets one, a current
//! member who is neither Release Manager nor Steering Council, the one
//! coordinating the fewest open reports; ties go to whoever has coordinated
//! fewer of the reports read (any state), then to roster order. Existing
//! credits are kept; the assignee is emailed.

use std::collections::BTreeMap;

use chrono::Duration;

use super::plan::{Context, Lists, Update};
use crate::github::advisories::{AdvisoryState, Credit, Lifecycle};
use crate::roster::Login;

/// Coordinations per member: of open reports, and of every report read.
pub(crate) struct Loads {
    open: BTreeMap<Login, usize>,
    all: BTreeMap<Login, usize>,
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

pub(crate) fn decide(
    ctx: &Context<'_>,
    a: &Lifecycle,
    u: &mut Update,
    lists: &mut Lists,
    loads: &mut Loads,
    notes: &mut Vec<String>,
) {
    let grace = Duration::days(i64::from(ctx.roster.policy.coordinator_grace_days));
    let adv = &a.advisory;
    if adv.state != AdvisoryState::Triage
        || !adv.coordinators().is_empty()
        || ctx.now - adv.created_at <= grace
    {
        return;
    }
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
            lists.credits.push(Credit {
                login: login.to_string(),
                kind: "coordinator".into(),
            });
            lists.credits_changed = true;
            u.assign = Some(login.to_string());
        }
        None => notes.push(format!(
            "{}: no member can coordinate it (everyone is a Release Manager or on the Steering Council)",
            adv.ghsa_id
        )),
    }
}
