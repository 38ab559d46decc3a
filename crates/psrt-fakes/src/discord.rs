//! A stateful fake of the Discord REST API v10 endpoints psrt uses: guild
//! members (paged with `limit` and `after`), roles, and adding or removing a
//! member's role. Responses start from skeletons of Discord's own schemas;
//! every response carries `X-RateLimit-*` headers, and an optional bucket
//! answers 429 (with `retry_after`) to a client that ignores them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};

use super::{Fake, Running, empty, json as json_response, query_pairs};

static SKELETONS: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("discord_skeletons.json")).unwrap_or(Value::Null)
});

fn skeleton(name: &str) -> Value {
    SKELETONS.get(name).cloned().unwrap_or_else(|| json!({}))
}

#[derive(Debug, Clone)]
pub struct FakeGuildMember {
    pub id: u64,
    pub username: String,
    pub roles: BTreeSet<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct FakeGuild {
    pub name: String,
    /// role id → name
    pub roles: BTreeMap<u64, String>,
    pub members: BTreeMap<u64, FakeGuildMember>,
}

/// A rate-limit bucket: `limit` requests per `window`.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub limit: u32,
    pub window: Duration,
    used: u32,
    started: Option<Instant>,
}

impl Bucket {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            used: 0,
            started: None,
        }
    }
}

#[derive(Debug, Default)]
pub struct DiscordState {
    pub token: String,
    pub guilds: BTreeMap<u64, FakeGuild>,
    pub bucket: Option<Bucket>,
    /// `X-Audit-Log-Reason` of each write, in order.
    pub audit_reasons: Vec<String>,
    /// Requests answered 429 by the bucket.
    pub rate_limited: usize,
}

/// The fake; all clones share its state.
pub type DiscordFake = Fake<DiscordState>;

impl Fake<DiscordState> {
    pub fn new(token: &str) -> Self {
        let state = DiscordState {
            token: token.to_owned(),
            ..Default::default()
        };
        Fake::from_state(state)
    }

    pub async fn start(&self) -> std::io::Result<Running> {
        self.serve_with(dispatch).await
    }

    pub fn guild(&self, guild: u64, role: u64) {
        self.with(|s| {
            let g = s.guilds.entry(guild).or_insert_with(|| FakeGuild {
                name: "Python".into(),
                ..Default::default()
            });
            g.roles.insert(role, "PSRT".into());
        });
    }

    /// A guild member, holding `roles`.
    pub fn member(&self, guild: u64, id: u64, username: &str, roles: &[u64]) {
        self.with(|s| {
            let g = s.guilds.entry(guild).or_default();
            g.members.insert(
                id,
                FakeGuildMember {
                    id,
                    username: username.to_owned(),
                    roles: roles.iter().copied().collect(),
                },
            );
        });
    }

    /// Ids of the members holding `role`.
    pub fn holders(&self, guild: u64, role: u64) -> Vec<u64> {
        self.with(|s| {
            s.guilds
                .get(&guild)
                .map(|g| {
                    g.members
                        .values()
                        .filter(|m| m.roles.contains(&role))
                        .map(|m| m.id)
                        .collect()
                })
                .unwrap_or_default()
        })
    }
}

fn error(status: u16, code: u32, message: &str) -> Response {
    json_response(status, json!({ "code": code, "message": message }))
}

fn member_json(m: &FakeGuildMember) -> Value {
    let mut v = skeleton("GuildMemberResponse");
    v["roles"] = json!(m.roles.iter().map(ToString::to_string).collect::<Vec<_>>());
    v["joined_at"] = json!("2024-01-01T00:00:00.000000+00:00");
    let mut u = skeleton("UserResponse");
    u["id"] = json!(m.id.to_string());
    u["username"] = json!(m.username);
    u["discriminator"] = json!("0");
    u["flags"] = json!(0);
    u["primary_guild"] = Value::Null;
    v["user"] = u;
    v
}

fn role_json(id: u64, name: &str) -> Value {
    let mut v = skeleton("GuildRoleResponse");
    v["id"] = json!(id.to_string());
    v["name"] = json!(name);
    v["permissions"] = json!("0");
    v
}

async fn dispatch(
    State(fake): State<DiscordFake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let reason = headers
        .get("x-audit-log-reason")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let segs: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    // The API is mounted under /api/v10, like Discord's.
    let segs: &[&str] = match segs.as_slice() {
        ["api", "v10", rest @ ..] => rest,
        other => other,
    };
    let query = query_pairs(uri.query());
    let q = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let mut resp = fake.with(|s| {
        if auth != format!("Bot {}", s.token) {
            return error(401, 0, "401: Unauthorized");
        }
        // The bucket, when there is one.
        let mut remaining = 49u32;
        let mut reset_after = 1.0f64;
        if let Some(b) = s.bucket.as_mut() {
            let now = Instant::now();
            if b.started.is_none_or(|t| now.duration_since(t) >= b.window) {
                b.started = Some(now);
                b.used = 0;
            }
            let left = b.window.saturating_sub(now.duration_since(b.started.unwrap_or(now)));
            reset_after = left.as_secs_f64();
            if b.used >= b.limit {
                s.rate_limited += 1;
                let mut r = json_response(429, json!({ "message": "You are being rate limited.", "retry_after": reset_after, "global": false }));
                if let Ok(v) = format!("{:.3}", reset_after).parse() {
                    r.headers_mut().insert("retry-after", v);
                }
                return r;
            }
            b.used += 1;
            remaining = b.limit - b.used;
        }
        let mut r = route(s, &method, segs, &q, reason);
        let reset = chrono::Utc::now().timestamp() as f64 + reset_after;
        let h = r.headers_mut();
        for (k, v) in [
            ("x-ratelimit-limit", "50".to_owned()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", format!("{reset:.3}")),
            ("x-ratelimit-reset-after", format!("{reset_after:.3}")),
            ("x-ratelimit-bucket", "psrt-fake".to_owned()),
        ] {
            if let Ok(v) = v.parse() {
                h.insert(k, v);
            }
        }
        r
    });
    if resp.status() == 404 && resp.headers().get("content-type").is_none() {
        resp = error(404, 0, "404: Not Found");
    }
    resp
}

fn route(
    s: &mut DiscordState,
    method: &Method,
    segs: &[&str],
    q: &dyn Fn(&str) -> Option<String>,
    reason: Option<String>,
) -> Response {
    let id = |x: &str| x.parse::<u64>().ok();
    match (method, segs) {
        (&Method::GET, ["users", "@me"]) => {
            let mut u = skeleton("UserPIIResponse");
            u["id"] = json!("1");
            u["username"] = json!("psrt-bot");
            u["bot"] = json!(true);
            json_response(200, u)
        }
        (&Method::GET, ["guilds", g]) => match id(g).and_then(|g| s.guilds.get(&g).map(|x| (g, x)))
        {
            Some((gid, guild)) => {
                let mut v = skeleton("GuildWithCountsResponse");
                v["id"] = json!(gid.to_string());
                v["name"] = json!(guild.name);
                v["roles"] = Value::Array(
                    guild
                        .roles
                        .iter()
                        .map(|(rid, n)| role_json(*rid, n))
                        .collect(),
                );
                json_response(200, v)
            }
            None => error(404, 10004, "Unknown Guild"),
        },
        (&Method::GET, ["guilds", g, "members"]) => {
            let Some(guild) = id(g).and_then(|g| s.guilds.get(&g)) else {
                return error(404, 10004, "Unknown Guild");
            };
            let limit = q("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(1);
            if !(1..=1000).contains(&limit) {
                return error(400, 50035, "Invalid Form Body");
            }
            let after = q("after").and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
            let page: Vec<Value> = guild
                .members
                .range(after.saturating_add(1)..)
                .take(limit)
                .map(|(_, m)| member_json(m))
                .collect();
            json_response(200, Value::Array(page))
        }
        (&Method::GET, ["guilds", g, "members", u]) => {
            let Some(guild) = id(g).and_then(|g| s.guilds.get(&g)) else {
                return error(404, 10004, "Unknown Guild");
            };
            match id(u).and_then(|u| guild.members.get(&u)) {
                Some(m) => json_response(200, member_json(m)),
                None => error(404, 10007, "Unknown Member"),
            }
        }
        (&Method::GET, ["guilds", g, "roles"]) => {
            let Some(guild) = id(g).and_then(|g| s.guilds.get(&g)) else {
                return error(404, 10004, "Unknown Guild");
            };
            json_response(
                200,
                Value::Array(
                    guild
                        .roles
                        .iter()
                        .map(|(rid, n)| role_json(*rid, n))
                        .collect(),
                ),
            )
        }
        (&Method::GET, ["guilds", g, "roles", r]) => {
            let Some(guild) = id(g).and_then(|g| s.guilds.get(&g)) else {
                return error(404, 10004, "Unknown Guild");
            };
            match id(r).and_then(|r| guild.roles.get(&r).map(|n| (r, n))) {
                Some((rid, name)) => json_response(200, role_json(rid, name)),
                None => error(404, 10011, "Unknown Role"),
            }
        }
        (&Method::PUT | &Method::DELETE, ["guilds", g, "members", u, "roles", r]) => {
            let Some(guild) = id(g).and_then(|g| s.guilds.get_mut(&g)) else {
                return error(404, 10004, "Unknown Guild");
            };
            let Some(rid) = id(r).filter(|r| guild.roles.contains_key(r)) else {
                return error(404, 10011, "Unknown Role");
            };
            let Some(member) = id(u).and_then(|u| guild.members.get_mut(&u)) else {
                return error(404, 10007, "Unknown Member");
            };
            if *method == Method::PUT {
                member.roles.insert(rid);
            } else {
                member.roles.remove(&rid);
            }
            s.audit_reasons.push(reason.unwrap_or_default());
            empty(204)
        }
        _ => error(404, 0, "404: Not Found"),
    }
}
