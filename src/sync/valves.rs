//! Safety valves: plans that stop before any write.

use std::fmt;

use serde::Serialize;

use super::plan::{Change, Plan};
use crate::roster::Policy;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "valve", rename_all = "snake_case")]
pub enum Valve {
    /// More than `policy.max_removal_fraction` of the service's members would go.
    MaxRemovalFraction {
        removals: usize,
        current: usize,
        max_fraction: f64,
    },
    /// Fewer than `policy.min_admins` admins would remain.
    MinAdmins { after: usize, min: u32 },
}

impl fmt::Display for Valve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Valve::MaxRemovalFraction {
                removals,
                current,
                max_fraction,
            } => write!(
                f,
                "safety valve max_removal_fraction: the plan removes {removals} of {current} members, more than {:.0}%; nothing was changed (check the roster and the service; override with --allow-mass-removal)",
                max_fraction * 100.0
            ),
            Valve::MinAdmins { after, min } => write!(
                f,
                "safety valve min_admins: the plan would leave {after} admin(s), fewer than policy.min_admins = {min}; nothing was changed (add the new admins first and let them accept, then remove)"
            ),
        }
    }
}

/// The valves a plan trips.
pub fn check<C: Change>(plan: &Plan<C>, policy: &Policy, allow_mass_removal: bool) -> Vec<Valve> {
    let mut tripped = Vec::new();
    let removals = plan.removals();
    if !allow_mass_removal
        && removals > 0
        && removals as f64 > policy.max_removal_fraction * plan.current as f64
    {
        tripped.push(Valve::MaxRemovalFraction {
            removals,
            current: plan.current,
            max_fraction: policy.max_removal_fraction,
        });
    }
    // Only a plan that lowers the number of admins can trip this: a new,
    // empty team is not blocked from getting its first admins.
    if let (Some(after), Some(now)) = (plan.admins_after, plan.admins_now) {
        if after < policy.min_admins as usize && after < now {
            tripped.push(Valve::MinAdmins {
                after,
                min: policy.min_admins,
            });
        }
    }
    tripped
}
