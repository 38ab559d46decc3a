//! Repositories.

use axum::response::Response;
use http::Method;
use serde_json::{Value, json};

use super::{GitHubFake, Req, error, skeleton};
use crate::fakes::json as json_response;

#[derive(Debug, Clone)]
pub struct FakeRepo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
}

impl FakeRepo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

pub(crate) fn repo_json(r: &FakeRepo, base: &str) -> Value {
    let mut v = skeleton("full-repository");
    v["id"] = json!(r.id);
    v["name"] = json!(r.name);
    v["full_name"] = json!(r.full_name());
    v["default_branch"] = json!(r.default_branch);
    v["private"] = json!(false);
    v["visibility"] = json!("public");
    v["node_id"] = json!(format!("R_{}", r.id));
    v["url"] = json!(format!("{base}/repos/{}", r.full_name()));
    if let Some(owner) = v.get_mut("owner") {
        owner["login"] = json!(r.owner);
        owner["type"] = json!("Organization");
    }
    v
}

pub(crate) fn handle(fake: &GitHubFake, req: &Req) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match (&req.method, segs.as_slice()) {
        (&Method::GET, ["repos", owner, name]) => Some(fake.with(|s| match s.repo(owner, name) {
            Some(r) => json_response(200, repo_json(r, &req.base)),
            None => error(404, "Not Found"),
        })),
        _ => None,
    }
}
