//! A stand-in for the Mailman 3 core REST API 3.1: domains, lists, rosters
//! and members, as psrt uses them. It answers like Mailman 3.3.10 does,
//! pitfalls included (a roster without `entries` when empty, 202 and a token
//! for a subscription that is not pre-approved, 400 for a GET that carries
//! `Content-Type: application/json` without a body). The same integration
//! tests run against it and against the real Mailman, so they cannot drift.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};

use super::{Fake, Running, empty, json as json_response, query_pairs};

#[derive(Debug, Clone)]
pub struct FakeListMember {
    pub member_id: String,
    pub list_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
}

#[derive(Debug, Default)]
pub struct MailmanState {
    pub user: String,
    pub password: String,
    pub domains: Vec<String>,
    /// list_id → fqdn_listname
    pub lists: Vec<(String, String)>,
    pub members: Vec<FakeListMember>,
    next: u64,
}

/// The fake; all clones share its state.
pub type MailmanFake = Fake<MailmanState>;

impl Fake<MailmanState> {
    pub fn new(user: &str, password: &str) -> Self {
        let state = MailmanState {
            user: user.to_owned(),
            password: password.to_owned(),
            ..Default::default()
        };
        Fake::from_state(state)
    }

    pub async fn start(&self) -> std::io::Result<Running> {
        self.serve_with(dispatch).await
    }
}

fn problem(status: u16, title: &str, description: &str) -> Response {
    json_response(
        status,
        json!({ "title": title, "description": description }),
    )
}

fn bad_request(description: &str) -> Response {
    problem(400, "400 Bad Request", description)
}

fn not_found() -> Response {
    problem(404, "404 Not Found", "404 Not Found")
}

fn etag(v: &mut Value) {
    let digest = format!("\"{:040x}\"", v.to_string().len() as u128 * 2654435761);
    v["http_etag"] = json!(digest);
}

fn member_json(m: &FakeListMember, base: &str) -> Value {
    json!({
        "address": format!("{base}/3.1/addresses/{}", m.email),
        "bounce_score": 0,
        "last_warning_sent": "0001-01-01T00:00:00",
        "total_warnings_sent": 0,
        "delivery_mode": "regular",
        "email": m.email,
        "list_id": m.list_id,
        "subscription_mode": "as_address",
        "role": m.role,
        "display_name": m.display_name,
        "self_link": format!("{base}/3.1/members/{}", m.member_id),
        "member_id": m.member_id,
    })
}

fn flag(body: &Value, key: &str) -> bool {
    match body.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.to_ascii_lowercase().as_str(), "true" | "yes" | "1"),
        _ => false,
    }
}

fn looks_like_address(s: &str) -> bool {
    s.parse::<lettre::Address>().is_ok()
}

async fn dispatch(
    State(fake): State<MailmanFake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let (user, password) = fake.with(|s| (s.user.clone(), s.password.clone()));
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    );
    if headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(expected.as_str())
    {
        return problem(401, "401 Unauthorized", "REST API authorization failed");
    }
    let json_body = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body: Value = if json_body {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) if body.is_empty() => {
                return problem(400, "Invalid JSON", "Could not parse an empty JSON body");
            }
            Err(_) => return problem(400, "Invalid JSON", "Could not parse the JSON body"),
        }
    } else {
        url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let segs: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let query = query_pairs(uri.query());
    let q = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };

    fake.with(|s| match (&method, segs.as_slice()) {
        (&Method::GET, ["3.1", "system", "versions"]) => {
            json_response(200, json!({ "mailman_version": "GNU Mailman 3.3.10 (psrt stand-in)", "api_version": "3.1" }))
        }
        (&Method::POST, ["3.1", "domains"]) => {
            let host = body.get("mail_host").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
            if s.domains.contains(&host) {
                return bad_request(&format!("Duplicate email host: {host}"));
            }
            s.domains.push(host.clone());
            let mut r = empty(201);
            if let Ok(v) = format!("{base}/3.1/domains/{host}").parse() {
                r.headers_mut().insert(http::header::LOCATION, v);
            }
            r
        }
        (&Method::POST, ["3.1", "lists"]) => {
            let fqdn = body.get("fqdn_listname").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
            let Some((local, domain)) = fqdn.split_once('@') else { return bad_request("Invalid Parameter \"fqdn_listname\"") };
            if !s.domains.iter().any(|d| d == domain) {
                return bad_request(&format!("Domain does not exist: {domain}"));
            }
            let list_id = format!("{local}.{domain}");
            if s.lists.iter().any(|(id, _)| *id == list_id) {
                return bad_request("Mailing list exists");
            }
            s.lists.push((list_id.clone(), fqdn));
            let mut r = empty(201);
            if let Ok(v) = format!("{base}/3.1/lists/{list_id}").parse() {
                r.headers_mut().insert(http::header::LOCATION, v);
            }
            r
        }
        (&Method::GET, ["3.1", "lists", list_id]) => match s.lists.iter().find(|(id, _)| id == list_id) {
            Some((id, fqdn)) => {
                let (local, domain) = fqdn.split_once('@').unwrap_or((fqdn, ""));
                let count = s.members.iter().filter(|m| &m.list_id == id && m.role == "member").count();
                let mut v = json!({
                    "advertised": true, "display_name": local, "fqdn_listname": fqdn, "list_id": id,
                    "list_name": local, "mail_host": domain, "member_count": count, "volume": 1,
                    "description": "", "self_link": format!("{base}/3.1/lists/{id}"),
                });
                etag(&mut v);
                json_response(200, v)
            }
            None => not_found(),
        },
        (&Method::GET, ["3.1", "lists", list_id, "roster", role]) => {
            if !s.lists.iter().any(|(id, _)| id == list_id) {
                return not_found();
            }
            let all: Vec<&FakeListMember> = s.members.iter().filter(|m| &m.list_id == list_id && m.role == *role).collect();
            let page = q("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1);
            if page < 1 {
                return problem(400, "Invalid parameter", &format!("The \"page should be greater than 0.\" parameter is invalid. {page}"));
            }
            let count = q("count").and_then(|c| c.parse::<usize>().ok());
            let (start, slice): (usize, Vec<&FakeListMember>) = match count {
                Some(c) => {
                    let start = (page as usize - 1) * c;
                    (start.min(all.len()), all.iter().skip(start).take(c).copied().collect())
                }
                None => (0, all.clone()),
            };
            let mut v = json!({ "start": start, "total_size": all.len() });
            if !slice.is_empty() {
                v["entries"] = Value::Array(slice.iter().map(|m| member_json(m, &base)).collect());
            }
            etag(&mut v);
            json_response(200, v)
        }
        (&Method::POST, ["3.1", "members"]) => {
            let list_id = body.get("list_id").and_then(Value::as_str).unwrap_or("").to_owned();
            if !s.lists.iter().any(|(id, _)| *id == list_id) {
                return bad_request("No such list");
            }
            let subscriber = body.get("subscriber").and_then(Value::as_str).unwrap_or("");
            if !looks_like_address(subscriber) {
                return bad_request("Invalid Parameter \"subscriber\": .");
            }
            let email = subscriber.to_ascii_lowercase();
            let role = body.get("role").and_then(Value::as_str).unwrap_or("member").to_owned();
            let fqdn = s.lists.iter().find(|(id, _)| *id == list_id).map(|(_, f)| f.clone()).unwrap_or_default();
            if s.members.iter().any(|m| m.list_id == list_id && m.email == email && m.role == role) {
                return if role == "member" {
                    problem(409, "409 Conflict", "Member already subscribed")
                } else {
                    bad_request(&format!("{email} is already an {role} of {fqdn}"))
                };
            }
            if role == "member" && !(flag(&body, "pre_verified") && flag(&body, "pre_confirmed") && flag(&body, "pre_approved")) {
                // Mailman starts a confirmation workflow instead of subscribing.
                let mut v = json!({ "token": format!("{:040x}", s.next + 1), "token_owner": "subscriber" });
                s.next += 1;
                etag(&mut v);
                return json_response(202, v);
            }
            s.next += 1;
            let member_id = format!("{:032x}", s.next);
            s.members.push(FakeListMember {
                member_id: member_id.clone(),
                list_id,
                email,
                display_name: body.get("display_name").and_then(Value::as_str).unwrap_or("").to_owned(),
                role,
            });
            let mut r = empty(201);
            if let Ok(v) = format!("{base}/3.1/members/{member_id}").parse() {
                r.headers_mut().insert(http::header::LOCATION, v);
            }
            r
        }
        (&Method::DELETE, ["3.1", "members", member_id]) => {
            let Some(pos) = s.members.iter().position(|m| m.member_id == *member_id) else { return not_found() };
            if s.members[pos].role == "member" && !flag(&body, "pre_approved") {
                let mut v = json!({ "token": format!("{:040x}", s.next + 1), "token_owner": "moderator" });
                s.next += 1;
                etag(&mut v);
                return json_response(202, v);
            }
            s.members.remove(pos);
            empty(204)
        }
        _ => not_found(),
    })
}
