//! The temporary private fork: every draft without one gets one (a report
//! accepted this run included), where the fix is prepared in private.

use crate::advisories::model::{Context, Draft};
use crate::github::advisories::Lifecycle;

pub(crate) fn decide(_ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    if d.becomes_draft() && a.advisory.private_fork.is_none() {
        d.create_fork();
    }
}
