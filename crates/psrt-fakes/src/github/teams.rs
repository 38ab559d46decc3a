//! Users, the org, teams, memberships and invitations.

use axum::response::Response;
use http::Method;
use serde_json::{Value, json};

use super::{
    FakeInvitation, FakeUser, GitHubFake, GitHubState, Req, error, now, paginate, skeleton,
    validation_failed,
};
use crate::{empty, json as json_response};

pub(crate) fn simple_user(u: &FakeUser, base: &str) -> Value {
    let mut v = skeleton("simple-user");
    v["login"] = json!(u.login);
    v["id"] = json!(u.id);
    v["node_id"] = json!(format!("U_{}", u.id));
    v["type"] = json!("User");
    v["url"] = json!(format!("{base}/users/{}", u.login));
    v["html_url"] = json!(format!("https://github.com/{}", u.login));
    v
}

fn public_user(u: &FakeUser, base: &str) -> Value {
    let mut v = skeleton("public-user");
    if let (Some(obj), Value::Object(simple)) = (v.as_object_mut(), simple_user(u, base)) {
        for (k, val) in simple {
            if obj.contains_key(&k) {
                obj.insert(k, val);
            }
        }
    }
    v["user_view_type"] = json!("public");
    v
}

fn team_json(s: &GitHubState, slug: &str, base: &str, full: bool) -> Option<Value> {
    let t = s.teams.get(slug)?;
    let mut v = skeleton(if full { "team-full" } else { "team" });
    v["id"] = json!(t.id);
    v["slug"] = json!(t.slug);
    v["name"] = json!(t.slug);
    v["node_id"] = json!(format!("T_{}", t.id));
    v["url"] = json!(format!("{base}/orgs/{}/teams/{}", s.org, t.slug));
    v["privacy"] = json!("closed");
    v["notification_setting"] = json!("notifications_enabled");
    if full {
        v["members_count"] = json!(t.members.len());
        v["created_at"] = json!("2020-01-01T00:00:00Z");
        v["updated_at"] = json!("2020-01-01T00:00:00Z");
        if let Some(org) = v.get_mut("organization") {
            org["login"] = json!(s.org);
        }
    }
    Some(v)
}

fn invitation_json(s: &GitHubState, inv: &FakeInvitation, base: &str) -> Value {
    let mut v = skeleton("organization-invitation");
    let user = s.users.get(&inv.user_id);
    v["id"] = json!(inv.id);
    v["login"] = json!(user.map(|u| u.login.clone()));
    v["role"] = json!("direct_member");
    v["created_at"] = json!(inv.created_at);
    v["team_count"] = json!(inv.team_ids.len());
    v["node_id"] = json!(format!("OI_{}", inv.id));
    v["invitation_teams_url"] = json!(format!(
        "{base}/orgs/{}/invitations/{}/teams",
        s.org, inv.id
    ));
    v["invitation_source"] = json!("member");
    if let Some(reason) = &inv.failed {
        v["failed_at"] = json!(inv.created_at);
        v["failed_reason"] = json!(reason);
    }
    v
}

fn membership_json(role: &str, state: &str, base: &str) -> Value {
    let mut v = skeleton("team-membership");
    v["role"] = json!(role);
    v["state"] = json!(state);
    v["url"] = json!(format!("{base}/memberships"));
    v
}

/// Team, org and user endpoints; `None` when the path is not one of them.
pub(crate) fn handle(fake: &GitHubFake, req: &Req) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let base = req.base.as_str();
    let m = &req.method;
    fake.with(|s| -> Option<Response> {
        let org_ok = |org: &str| s.org.eq_ignore_ascii_case(org);
        Some(match (m, segs.as_slice()) {
            (&Method::GET, ["orgs", org, "teams"]) if org_ok(org) => {
                let items = s
                    .teams
                    .keys()
                    .filter_map(|slug| team_json(s, slug, base, false))
                    .collect();
                paginate(req, items)
            }
            (&Method::GET, ["orgs", org, "teams", team]) if org_ok(org) => {
                match team_json(s, team, base, true) {
                    Some(v) => json_response(200, v),
                    None => error(404, "Not Found"),
                }
            }
            (&Method::GET, ["orgs", org, "teams", team, "members"]) if org_ok(org) => {
                let Some(t) = s.teams.get(*team) else {
                    return Some(error(404, "Not Found"));
                };
                let role = req.q("role").unwrap_or("all");
                let mut items: Vec<&FakeUser> = t
                    .members
                    .iter()
                    .filter(|(_, r)| role == "all" || r.as_str() == role)
                    .filter_map(|(id, _)| s.users.get(id))
                    .collect();
                items.sort_by_key(|u| u.login.to_ascii_lowercase());
                paginate(
                    req,
                    items.into_iter().map(|u| simple_user(u, base)).collect(),
                )
            }
            (&Method::GET, ["orgs", org, "teams", team, "memberships", login]) if org_ok(org) => {
                let Some(t) = s.teams.get(*team) else {
                    return Some(error(404, "Not Found"));
                };
                let Some(u) = s.user_by_login(login) else {
                    return Some(error(404, "Not Found"));
                };
                if let Some(role) = t.members.get(&u.id) {
                    json_response(200, membership_json(role, "active", base))
                } else if s
                    .invitations
                    .iter()
                    .any(|i| i.user_id == u.id && i.failed.is_none() && i.team_ids.contains(&t.id))
                {
                    json_response(200, membership_json("member", "pending", base))
                } else {
                    error(404, "Not Found")
                }
            }
            (&Method::PUT, ["orgs", org, "teams", team, "memberships", login]) if org_ok(org) => {
                let role = req
                    .body
                    .get("role")
                    .and_then(Value::as_str)
                    .unwrap_or("member")
                    .to_owned();
                if role != "member" && role != "maintainer" {
                    return Some(validation_failed("role must be member or maintainer"));
                }
                let Some(tid) = s.teams.get(*team).map(|t| t.id) else {
                    return Some(error(404, "Not Found"));
                };
                let Some(user) = s.user_by_login(login).cloned() else {
                    return Some(error(404, "Not Found"));
                };
                if user.org_member {
                    if let Some(t) = s.teams.get_mut(*team) {
                        t.members.insert(user.id, role.clone());
                    }
                    return Some(json_response(200, membership_json(&role, "active", base)));
                }
                if let Err(reason) = &user.invitable {
                    return Some(validation_failed(reason));
                }
                // Outside the org: GitHub invites them; the membership is pending.
                let pending = s.invitations.iter().any(|i| {
                    i.user_id == user.id && i.failed.is_none() && i.team_ids.contains(&tid)
                });
                if !pending {
                    let id = s.next_id();
                    s.invitations.push(FakeInvitation {
                        id,
                        user_id: user.id,
                        team_ids: vec![tid],
                        created_at: now(),
                        failed: user.invitation_fails.clone(),
                    });
                }
                json_response(200, membership_json(&role, "pending", base))
            }
            (&Method::DELETE, ["orgs", org, "teams", team, "memberships", login])
                if org_ok(org) =>
            {
                let uid = s.user_by_login(login).map(|u| u.id);
                if let (Some(uid), Some(t)) = (uid, s.teams.get_mut(*team)) {
                    t.members.remove(&uid);
                    let tid = t.id;
                    for inv in s
                        .invitations
                        .iter_mut()
                        .filter(|i| i.user_id == uid && i.failed.is_none())
                    {
                        inv.team_ids.retain(|id| *id != tid);
                    }
                }
                empty(204)
            }
            (&Method::GET, ["orgs", org, "teams", team, "invitations"]) if org_ok(org) => {
                let Some(tid) = s.teams.get(*team).map(|t| t.id) else {
                    return Some(error(404, "Not Found"));
                };
                let items = s
                    .invitations
                    .iter()
                    .filter(|i| i.failed.is_none() && i.team_ids.contains(&tid))
                    .map(|i| invitation_json(s, i, base))
                    .collect();
                paginate(req, items)
            }
            (&Method::GET, ["orgs", org, "invitations"]) if org_ok(org) => {
                let items = s
                    .invitations
                    .iter()
                    .filter(|i| i.failed.is_none())
                    .map(|i| invitation_json(s, i, base))
                    .collect();
                paginate(req, items)
            }
            (&Method::GET, ["orgs", org, "failed_invitations"]) if org_ok(org) => {
                let items = s
                    .invitations
                    .iter()
                    .filter(|i| i.failed.is_some())
                    .map(|i| invitation_json(s, i, base))
                    .collect();
                paginate(req, items)
            }
            (&Method::GET, ["orgs", org, "invitations", id, "teams"]) if org_ok(org) => {
                let Some(inv) = s.invitations.iter().find(|i| i.id.to_string() == *id) else {
                    return Some(error(404, "Not Found"));
                };
                let items = s
                    .teams
                    .values()
                    .filter(|t| inv.team_ids.contains(&t.id))
                    .filter_map(|t| team_json(s, &t.slug, base, false))
                    .collect();
                paginate(req, items)
            }
            (&Method::DELETE, ["orgs", org, "invitations", id]) if org_ok(org) => {
                let before = s.invitations.len();
                s.invitations
                    .retain(|i| !(i.id.to_string() == *id && i.failed.is_none()));
                if s.invitations.len() == before {
                    error(404, "Not Found")
                } else {
                    empty(204)
                }
            }
            (&Method::GET, ["orgs", org, "members"]) if org_ok(org) => {
                let mut items: Vec<&FakeUser> = s.users.values().filter(|u| u.org_member).collect();
                items.sort_by_key(|u| u.login.to_ascii_lowercase());
                paginate(
                    req,
                    items.into_iter().map(|u| simple_user(u, base)).collect(),
                )
            }
            (&Method::GET, ["orgs", org, "memberships", login]) if org_ok(org) => {
                match s.user_by_login(login) {
                    Some(u) if u.org_member => {
                        let mut v = skeleton("org-membership");
                        v["state"] = json!("active");
                        v["role"] = json!("member");
                        v["user"] = simple_user(u, base);
                        json_response(200, v)
                    }
                    _ => error(404, "Not Found"),
                }
            }
            (&Method::GET, ["users", login]) => match s.user_by_login(login) {
                Some(u) => json_response(200, public_user(u, base)),
                // The App's bot, the account its installation tokens write as.
                None if s.app.is_some()
                    && login.eq_ignore_ascii_case(&format!("{}[bot]", super::APP_SLUG)) =>
                {
                    let bot = FakeUser {
                        id: super::statuses::APP_BOT_ID,
                        login: format!("{}[bot]", super::APP_SLUG),
                        org_member: false,
                        invitable: Err("a bot".into()),
                        invitation_fails: None,
                    };
                    let mut v = public_user(&bot, base);
                    v["type"] = json!("Bot");
                    json_response(200, v)
                }
                None => error(404, "Not Found"),
            },
            (&Method::GET, ["user", id]) => {
                match id.parse::<u64>().ok().and_then(|id| s.users.get(&id)) {
                    Some(u) => json_response(200, public_user(u, base)),
                    None => error(404, "Not Found"),
                }
            }
            _ => return None,
        })
    })
}
