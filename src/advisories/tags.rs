//! Title tags, the coordinators' instructions (the devguide tells them to use
//! these): a closing tag on a triage or draft report closes it, and nothing
//! else happens to it that run; an accepting tag on a triage report moves it
//! to draft (which then gets its fork and CVE id, in the same run).

use super::plan::Update;
use crate::github::advisories::{AdvisoryState, Lifecycle, TitleTag};

/// Returns `true` when the report is to be closed: no other rule applies.
pub(crate) fn decide(a: &Lifecycle, u: &mut Update) -> bool {
    match (a.title_tag, a.advisory.state) {
        (Some(TitleTag::Close), AdvisoryState::Triage | AdvisoryState::Draft) => {
            u.close = true;
            true
        }
        (Some(TitleTag::Accept), AdvisoryState::Triage) => {
            u.accept = true;
            false
        }
        _ => false,
    }
}
