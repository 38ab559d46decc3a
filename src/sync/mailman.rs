//! The Mailman 3 list (`mailman.list`): every roster member with an `email`
//! is subscribed, admins (and `extra_owners`) are its owners,
//! `extra_addresses` stay subscribed, anyone else is unsubscribed, but only
//! once every member has an `email`: until then a subscriber psrt does not
//! know may be a member whose address is not in the roster yet.
//! Subscriptions are pre-verified, pre-confirmed and pre-approved, without a
//! welcome message; unsubscriptions need no confirmation. Addresses compare
//! case-insensitively. Moderators are not psrt's business.
//!
//! Plans name roster members by login and mask other addresses
//! (`j***@example.org`): workflow logs of a public repository are public.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::{StreamExt, TryStreamExt};
use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::plan::{Change, Plan, Service};
use super::{ApplyError, Reconciler};
use crate::config::MailmanEnv;
use crate::desired;
use crate::net::RetryPolicy;
use crate::net::rest::{Auth, Response, Rest};
use crate::roster::Roster;

const PAGE: usize = 100;

/// Who an address belongs to, for people reading the plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    /// A roster member, by login.
    Member(String),
    /// `mailman.extra_addresses` / `extra_owners`, or anyone else: masked.
    Address(String),
}

impl Who {
    fn label(&self) -> String {
        match self {
            Who::Member(login) => login.clone(),
            Who::Address(masked) => masked.clone(),
        }
    }
}

/// `jane@example.org` → `j***@example.org`.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('?')),
        None => "***".to_owned(),
    }
}

/// The masks of every address one plan names. Two addresses that would
/// read the same (`jane@` and `john@example.org`) are told apart by a
/// number in the order of the addresses: `j***@example.org (1 of 2)`.
struct Masks(HashMap<String, String>);

impl Masks {
    fn new<'a>(addresses: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_mask: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for a in addresses {
            let a = a.to_ascii_lowercase();
            by_mask.entry(mask(&a)).or_default().insert(a);
        }
        let mut out = HashMap::new();
        for (masked, same) in by_mask {
            let n = same.len();
            for (i, a) in same.into_iter().enumerate() {
                let label = if n == 1 {
                    masked.clone()
                } else {
                    format!("{masked} ({} of {n})", i + 1)
                };
                out.insert(a, label);
            }
        }
        Self(out)
    }
    fn of(&self, address: &str) -> String {
        self.0
            .get(&address.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| mask(address))
    }
}

/// Replaces each address the plan names by its mask; two that would read
/// the same are numbered apart (only among those the plan shows).
fn tell_apart(changes: &mut [ListChange]) {
    let masks = Masks::new(changes.iter().filter_map(|c| match c.who() {
        Who::Address(a) => Some(a.as_str()),
        Who::Member(_) => None,
    }));
    for c in changes.iter_mut() {
        if let Who::Address(a) = c.who_mut() {
            *a = masks.of(a);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListChange {
    Subscribe {
        who: Who,
        address: String,
        display_name: Option<String>,
    },
    AddOwner {
        who: Who,
        address: String,
    },
    RemoveOwner {
        who: Who,
        member_id: String,
    },
    Unsubscribe {
        who: Who,
        member_id: String,
    },
}

impl ListChange {
    fn key(&self) -> (u8, Who) {
        match self {
            ListChange::Subscribe { who, .. } => (0, who.clone()),
            ListChange::AddOwner { who, .. } => (1, who.clone()),
            ListChange::RemoveOwner { who, .. } => (2, who.clone()),
            ListChange::Unsubscribe { who, .. } => (3, who.clone()),
        }
    }
}

impl PartialOrd for ListChange {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ListChange {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl ListChange {
    fn who(&self) -> &Who {
        match self {
            ListChange::Subscribe { who, .. }
            | ListChange::AddOwner { who, .. }
            | ListChange::RemoveOwner { who, .. }
            | ListChange::Unsubscribe { who, .. } => who,
        }
    }
    fn who_mut(&mut self) -> &mut Who {
        match self {
            ListChange::Subscribe { who, .. }
            | ListChange::AddOwner { who, .. }
            | ListChange::RemoveOwner { who, .. }
            | ListChange::Unsubscribe { who, .. } => who,
        }
    }
}

impl Change for ListChange {
    fn action(&self) -> &'static str {
        match self {
            ListChange::Subscribe { .. } => "subscribe",
            ListChange::AddOwner { .. } => "add-owner",
            ListChange::RemoveOwner { .. } => "remove-owner",
            ListChange::Unsubscribe { .. } => "unsubscribe",
        }
    }
    fn subject(&self) -> String {
        match self {
            ListChange::Subscribe { who, .. }
            | ListChange::AddOwner { who, .. }
            | ListChange::RemoveOwner { who, .. }
            | ListChange::Unsubscribe { who, .. } => who.label(),
        }
    }
    fn detail(&self) -> Option<String> {
        match self {
            ListChange::Subscribe {
                who: Who::Member(_),
                address,
                ..
            }
            | ListChange::AddOwner {
                who: Who::Member(_),
                address,
            } => Some(format!("<{}>", mask(address))),
            ListChange::Unsubscribe {
                who: Who::Address(_),
                ..
            } => Some("(not in the roster)".to_owned()),
            _ => None,
        }
    }
    fn is_removal(&self) -> bool {
        matches!(self, ListChange::Unsubscribe { .. })
    }
    fn sign(&self) -> char {
        match self {
            ListChange::Subscribe { .. } => '+',
            ListChange::AddOwner { .. } | ListChange::RemoveOwner { .. } => '~',
            ListChange::Unsubscribe { .. } => '-',
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub email: String,
    pub member_id: String,
}

#[derive(Debug, Deserialize)]
struct RosterPage {
    total_size: usize,
    #[serde(default)]
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Default)]
pub struct ListState {
    pub members: Vec<Entry>,
    pub owners: Vec<Entry>,
}

pub struct MailmanList {
    rest: Rest,
    list: String,
}

impl MailmanList {
    pub fn new(env: &MailmanEnv, list: &str, policy: RetryPolicy) -> anyhow::Result<Self> {
        let auth = Auth::Basic {
            user: env.user.clone(),
            password: env.password.clone(),
        };
        Ok(Self {
            rest: Rest::new("Mailman", &env.url, auth, policy)?,
            list: list.to_owned(),
        })
    }

    pub fn requests(&self) -> u64 {
        self.rest.requests()
    }

    /// The credentials reach the list (`GET /lists/{list}`): what `psrt
    /// audit --credentials` verifies, a read that changes nothing.
    pub async fn check_list(&self) -> anyhow::Result<()> {
        let resp = self
            .rest
            .send(Method::GET, &format!("/lists/{}", self.list), None, &[])
            .await?;
        if !resp.status.is_success() {
            return Err(self.failure("reading the list", &resp));
        }
        Ok(())
    }

    fn failure(&self, what: &str, resp: &Response) -> anyhow::Error {
        match resp.status.as_u16() {
            401 => anyhow::anyhow!(
                "Mailman refused the credentials (PSRT_MAILMAN_USER / PSRT_MAILMAN_PASSWORD)"
            ),
            404 => anyhow::anyhow!("Mailman list {} does not exist", self.list),
            s => anyhow::anyhow!("Mailman: {what}: {s} {}", resp.reason()),
        }
    }

    /// Every entry of a roster (`member` or `owner`), all pages or an error.
    async fn roster(&self, role: &str) -> anyhow::Result<Vec<Entry>> {
        let path = |page: usize| {
            format!(
                "/lists/{}/roster/{role}?count={PAGE}&page={page}",
                self.list
            )
        };
        let first_path = path(1);
        let resp = self.rest.send(Method::GET, &first_path, None, &[]).await?;
        if !resp.status.is_success() {
            return Err(self.failure(&format!("reading the {role}s"), &resp));
        }
        let first: RosterPage = resp.decoded("Mailman", &format!("reading the {role} roster"))?;
        let total = first.total_size;
        let mut entries = first.entries;
        let pages = total.div_ceil(PAGE).max(1);
        let rest: Vec<Vec<Entry>> = futures::stream::iter(2..=pages)
            .map(|p| {
                let path = path(p);
                async move {
                    let resp = self.rest.send(Method::GET, &path, None, &[]).await?;
                    if !resp.status.is_success() {
                        return Err(self.failure(&format!("reading the {role}s"), &resp));
                    }
                    let page: RosterPage =
                        resp.decoded("Mailman", &format!("reading the {role} roster"))?;
                    if page.total_size != total {
                        anyhow::bail!(
                            "Mailman: the {role} roster changed while it was read; try again"
                        );
                    }
                    Ok(page.entries)
                }
            })
            .buffered(4)
            .try_collect()
            .await?;
        entries.extend(rest.into_iter().flatten());
        if entries.len() != total {
            anyhow::bail!(
                "Mailman: read {} of {total} {role}s; no plan from a partial read",
                entries.len()
            );
        }
        Ok(entries)
    }
}

impl Reconciler for MailmanList {
    type Change = ListChange;
    type State = ListState;
    type Want = desired::List;

    fn service(&self) -> Service {
        Service::Mailman
    }

    fn target(&self) -> String {
        self.list.clone()
    }

    fn want(&self, roster: &Roster) -> desired::List {
        desired::List::of(roster).unwrap_or_else(|| {
            desired::List::with(
                roster,
                &crate::roster::MailmanSettings {
                    list: self.list.clone(),
                    extra_addresses: vec![],
                    extra_owners: vec![],
                },
            )
        })
    }

    async fn read(&self, _want: &desired::List) -> anyhow::Result<ListState> {
        let (members, owners) = tokio::try_join!(self.roster("member"), self.roster("owner"))?;
        Ok(ListState { members, owners })
    }

    fn plan(&self, want: &desired::List, state: &ListState) -> Plan<ListChange> {
        plan(&self.target(), want, state)
    }

    async fn apply(&self, change: &ListChange) -> Result<Option<String>, ApplyError> {
        match change {
            ListChange::Subscribe {
                address,
                display_name,
                ..
            } => {
                let body = json!({
                    "list_id": self.list,
                    "subscriber": address,
                    "display_name": display_name.clone().unwrap_or_default(),
                    "pre_verified": true,
                    "pre_confirmed": true,
                    "pre_approved": true,
                    "send_welcome_message": false,
                });
                let resp = self
                    .rest
                    .send(Method::POST, "/members", Some(&body), &[])
                    .await?;
                match resp.status.as_u16() {
                    201 => Ok(None),
                    409 => Ok(Some("already subscribed".into())),
                    202 => Err(ApplyError::Failed(anyhow::anyhow!(
                        "Mailman started a confirmation instead of subscribing"
                    ))),
                    _ => Err(ApplyError::Failed(self.failure("subscribing", &resp))),
                }
            }
            ListChange::AddOwner { address, .. } => {
                let body = json!({ "list_id": self.list, "subscriber": address, "role": "owner" });
                let resp = self
                    .rest
                    .send(Method::POST, "/members", Some(&body), &[])
                    .await?;
                match resp.status.as_u16() {
                    201 => Ok(None),
                    400 if resp.reason().contains("already an owner") => {
                        Ok(Some("already an owner".into()))
                    }
                    _ => Err(ApplyError::Failed(self.failure("adding an owner", &resp))),
                }
            }
            ListChange::Unsubscribe { member_id, .. }
            | ListChange::RemoveOwner { member_id, .. } => {
                let body = json!({ "pre_approved": true, "pre_confirmed": true });
                let resp = self
                    .rest
                    .send(
                        Method::DELETE,
                        &format!("/members/{member_id}"),
                        Some(&body),
                        &[],
                    )
                    .await?;
                match resp.status.as_u16() {
                    204 => Ok(None),
                    404 => Ok(Some("already gone".into())),
                    _ => Err(ApplyError::Failed(self.failure("unsubscribing", &resp))),
                }
            }
        }
    }
}

/// Who a subscriber the roster names is, for people reading the plan.
fn who(s: &desired::Subscriber) -> Who {
    match &s.member {
        Some(login) => Who::Member(login.to_string()),
        None => Who::Address(s.address.to_ascii_lowercase()),
    }
}

/// What the list needs to hold what is wanted: pure, from the desired
/// state and a complete read. `Who::Address` holds the address itself until
/// the plan is built, then its mask (`tell_apart`): the plan never carries it.
pub fn plan(target: &str, want: &desired::List, state: &ListState) -> Plan<ListChange> {
    let mut plan = Plan::new(Service::Mailman, target, state.members.len());
    let have: HashMap<String, &Entry> = state
        .members
        .iter()
        .map(|e| (e.email.to_ascii_lowercase(), e))
        .collect();
    let have_owners: HashMap<String, &Entry> = state
        .owners
        .iter()
        .map(|e| (e.email.to_ascii_lowercase(), e))
        .collect();

    for (address, s) in &want.subscribers {
        if !have.contains_key(address) {
            plan.changes.push(ListChange::Subscribe {
                who: who(s),
                address: address.clone(),
                display_name: s.display_name.clone(),
            });
        }
    }
    // A subscriber psrt does not know may be a member whose address is
    // not in the roster yet: while any member has no `email`, nobody
    // is unsubscribed (the removal cap alone would let a half-migrated
    // roster empty the list a quarter at a time).
    let strangers: Vec<(&String, &&Entry)> = have
        .iter()
        .filter(|(address, _)| !want.subscribers.contains_key(*address))
        .collect();
    match want.strangers {
        desired::Strangers::Unsubscribe => {
            for (address, entry) in strangers {
                plan.changes.push(ListChange::Unsubscribe {
                    who: Who::Address(address.to_ascii_lowercase()),
                    member_id: entry.member_id.clone(),
                });
            }
        }
        desired::Strangers::Keep {
            members_without_address,
        } if !strangers.is_empty() => {
            plan.notes.push(format!(
                "{} subscriber(s) not in the roster stay subscribed: {members_without_address} member(s) have no `email`, and any of those addresses may be theirs (unsubscribing resumes once every member has one)",
                strangers.len(),
            ));
        }
        desired::Strangers::Keep { .. } => {}
    }
    for (address, s) in &want.owners {
        if !have_owners.contains_key(address) {
            plan.changes.push(ListChange::AddOwner {
                who: who(s),
                address: address.clone(),
            });
        }
    }
    for (address, entry) in &have_owners {
        if !want.owners.contains_key(address) {
            let who = want
                .subscribers
                .get(address)
                .map(who)
                .unwrap_or_else(|| Who::Address(address.to_ascii_lowercase()));
            plan.changes.push(ListChange::RemoveOwner {
                who,
                member_id: entry.member_id.clone(),
            });
        }
    }
    tell_apart(&mut plan.changes);
    if !want.without_address.is_empty() {
        let mut no_email: Vec<String> = want
            .without_address
            .iter()
            .map(ToString::to_string)
            .collect();
        no_email.sort_by_key(|l| l.to_ascii_lowercase());
        plan.notes.push(format!(
            "{} member(s) without `email`, not subscribed: {}",
            no_email.len(),
            no_email.join(", ")
        ));
    }
    // Owners after the plan, as a set of member ids and addresses: no
    // count to underflow whatever the plan holds.
    let mut owners: BTreeSet<String> = state.owners.iter().map(|o| o.member_id.clone()).collect();
    plan.admins_now = Some(owners.len());
    for c in &plan.changes {
        match c {
            ListChange::RemoveOwner { member_id, .. } => {
                owners.remove(member_id);
            }
            ListChange::AddOwner { address, .. } => {
                owners.insert(format!("new:{}", address.to_ascii_lowercase()));
            }
            _ => {}
        }
    }
    plan.admins_after = Some(owners.len());
    plan
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_addresses() {
        assert_eq!(super::mask("jane@example.org"), "j***@example.org");
        assert_eq!(super::mask("nonsense"), "***");
    }

    /// Issue 22: two strangers' addresses that mask alike are told apart,
    /// each keeping its number while the set stays the same.
    #[test]
    fn two_addresses_that_mask_alike_are_told_apart() {
        let m = super::Masks::new(["john@example.org", "Jane@example.org", "bob@example.org"]);
        assert_eq!(m.of("jane@example.org"), "j***@example.org (1 of 2)");
        assert_eq!(m.of("john@example.org"), "j***@example.org (2 of 2)");
        assert_eq!(m.of("bob@example.org"), "b***@example.org");
        assert_eq!(m.of("other@example.org"), "o***@example.org");
    }
}
