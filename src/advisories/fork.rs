//! The temporary private fork: every draft without one gets one (a report
//! accepted this run included), where the fix is prepared in private.

use super::plan::Update;
use crate::github::advisories::{AdvisoryState, Lifecycle};

pub(crate) fn decide(a: &Lifecycle, u: &mut Update) {
    let draft = a.advisory.state == AdvisoryState::Draft || u.accept;
    if draft && a.advisory.private_fork.is_none() {
        u.create_fork = true;
    }
}
