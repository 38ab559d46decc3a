//! Stateful local stand-ins for the services psrt talks to. The integration
//! tests run against them (checked against the official API descriptions
//! through a validating proxy), and `psrt demo` runs the nightly job against
//! them. They keep state across requests, page like the real APIs, and can
//! inject latency and faults.

pub mod chaos;
pub mod cve;
pub mod discord;
pub mod github;
pub mod mailman;
pub mod scenario;
pub mod smtp;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};

/// Locks a fake's state; a poisoned lock (a panicking test) still yields it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: Method,
    /// Path and query.
    pub path: String,
    pub status: u16,
    /// The fault injected into this request, if any (the client saw it fail,
    /// or, for a stall or a truncated body, saw no complete answer).
    pub fault: Option<chaos::FaultKind>,
}

impl Logged {
    pub fn is_write(&self) -> bool {
        self.method != Method::GET && self.method != Method::HEAD
    }
}

impl std::fmt::Display for Logged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.method, self.path, self.status)
    }
}

/// A failure to inject: requests matching `method` and `path_contains` (and
/// `query_contains`) are answered with `status` instead, `times` times, after
/// letting `skip` matching requests through.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<Method>,
    pub path_contains: String,
    pub query_contains: Option<String>,
    /// And whose query does not contain this (GitHub's list without a
    /// state filter is the one without `state=`).
    pub query_lacks: Option<String>,
    /// `path_contains` is the whole path (a list, not its items' paths).
    pub whole_path: bool,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub times: usize,
    pub skip: usize,
    /// The request is applied first, then answered with `status` (a gateway
    /// that gave up after the service did it: the answer is lost).
    pub applied: bool,
}

impl Fault {
    pub fn new(method: Method, path_contains: &str, status: u16) -> Self {
        Self {
            method: Some(method),
            path_contains: path_contains.to_owned(),
            query_contains: None,
            query_lacks: None,
            whole_path: false,
            status,
            headers: Vec::new(),
            body: r#"{"message":"injected fault"}"#.to_owned(),
            times: usize::MAX,
            skip: 0,
            applied: false,
        }
    }
    /// Applied, then answered with the fault's status: the answer is lost.
    pub fn after_applying(mut self) -> Self {
        self.applied = true;
        self
    }
    pub fn query(mut self, q: &str) -> Self {
        self.query_contains = Some(q.to_owned());
        self
    }
    /// Only requests whose query does not contain `q`.
    pub fn query_without(mut self, q: &str) -> Self {
        self.query_lacks = Some(q.to_owned());
        self
    }
    /// Only requests whose path is `path_contains` itself.
    pub fn whole_path(mut self) -> Self {
        self.whole_path = true;
        self
    }
    fn matches(&self, method: &Method, path: &str, query: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && if self.whole_path {
                path == self.path_contains
            } else {
                path.contains(&self.path_contains)
            }
            && self
                .query_contains
                .as_ref()
                .is_none_or(|q| query.contains(q.as_str()))
            && self
                .query_lacks
                .as_ref()
                .is_none_or(|q| !query.contains(q.as_str()))
    }
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_owned(), v.into()));
        self
    }
    pub fn body(mut self, b: &str) -> Self {
        self.body = b.to_owned();
        self
    }
}

/// Something that happens in the world right after a request is answered
/// (a report published between two reads of one run): once, on the first
/// request its matcher (a [`Fault`]'s method, path and query; its status
/// unused) matches.
pub type Happening = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct KnobsInner {
    latency: Duration,
    faults: Vec<Fault>,
    after: Vec<(Fault, Happening)>,
    chaos: Option<chaos::Chaos>,
    log: Vec<Logged>,
    /// Requests being answered now (a stalled one is applied late).
    in_flight: usize,
}

/// Instruments shared by every fake: the request log, latency, faults.
#[derive(Clone, Default)]
pub struct Knobs(Arc<Mutex<KnobsInner>>);

impl Knobs {
    pub fn set_latency(&self, d: Duration) {
        lock(&self.0).latency = d;
    }
    pub fn inject(&self, f: Fault) {
        lock(&self.0).faults.push(f);
    }
    pub fn clear_faults(&self) {
        lock(&self.0).faults.clear();
    }
    /// Runs `then` once, right after the first request `when` matches has
    /// been answered (its answer is from before).
    pub fn after(&self, when: Fault, then: impl FnOnce() + Send + 'static) {
        lock(&self.0).after.push((when, Box::new(then)));
    }
    fn take_happening(&self, method: &Method, path: &str, query: &str) -> Option<Happening> {
        let mut inner = lock(&self.0);
        let i = inner
            .after
            .iter()
            .position(|(f, _)| f.matches(method, path, query))?;
        Some(inner.after.remove(i).1)
    }
    /// Random faults on a share of requests (after the targeted ones).
    pub fn set_chaos(&self, chaos: Option<chaos::Chaos>) {
        lock(&self.0).chaos = chaos;
    }
    /// Pauses or resumes the random faults (a referee reads in fair weather).
    pub fn chaos_enabled(&self, on: bool) {
        if let Some(c) = lock(&self.0).chaos.as_mut() {
            c.enabled = on;
        }
    }
    /// Random faults injected so far, by kind.
    pub fn chaos_injected(&self) -> std::collections::BTreeMap<chaos::FaultKind, u64> {
        lock(&self.0)
            .chaos
            .as_ref()
            .map(|c| c.injected.clone())
            .unwrap_or_default()
    }
    pub fn log(&self) -> Vec<Logged> {
        lock(&self.0).log.clone()
    }
    pub fn clear_log(&self) {
        lock(&self.0).log.clear();
    }
    pub fn writes(&self) -> Vec<Logged> {
        self.log().into_iter().filter(Logged::is_write).collect()
    }
    pub fn requests(&self) -> usize {
        lock(&self.0).log.len()
    }
    /// Requests being answered now.
    pub fn in_flight(&self) -> usize {
        lock(&self.0).in_flight
    }
    /// Waits until no request is being answered (a stall applies its
    /// request after the client gave up), at most `limit`.
    pub async fn settle(&self, limit: Duration) {
        let until = tokio::time::Instant::now() + limit;
        while self.in_flight() > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn take_fault(&self, method: &Method, path: &str, query: &str) -> Option<Fault> {
        let mut inner = lock(&self.0);
        let f = inner
            .faults
            .iter_mut()
            .find(|f| f.times > 0 && f.matches(method, path, query))?;
        if f.skip > 0 {
            f.skip -= 1;
            return None;
        }
        f.times -= 1;
        Some(f.clone())
    }
}

/// Counts a request as in flight until it is answered or dropped.
struct InFlight(Knobs);

impl InFlight {
    fn new(knobs: &Knobs) -> Self {
        lock(&knobs.0).in_flight += 1;
        Self(knobs.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = lock(&self.0.0);
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }
}

/// The middleware: latency, faults, logging.
async fn instrument(State(knobs): State<Knobs>, req: Request, next: Next) -> Response {
    let _in_flight = InFlight::new(&knobs);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let full = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let latency = lock(&knobs.0).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut fault = None;
    let mut applied_first = false;
    let weather = match knobs.take_fault(&method, &path, &query) {
        Some(f) => Some(chaos::Weather::Refuse {
            status: {
                applied_first = f.applied;
                f.status
            },
            headers: f.headers,
            body: f.body,
        }),
        None => {
            let request = format!("{method} {full}");
            let hit = lock(&knobs.0)
                .chaos
                .as_mut()
                .and_then(|c| c.weather(&request));
            hit.map(|(kind, w)| {
                fault = Some(kind);
                w
            })
        }
    };
    let response = match weather {
        None => next.run(req).await,
        Some(chaos::Weather::Refuse {
            status,
            headers,
            body,
        }) => {
            if applied_first {
                let _ = next.run(req).await;
            }
            let mut r = Response::builder()
                .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
                .header("content-type", "application/json");
            for (k, v) in &headers {
                r = r.header(k.as_str(), v.as_str());
            }
            r.body(Body::from(body))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Some(chaos::Weather::Reset) => {
            // A body that fails before its first byte: hyper closes the
            // connection without a complete answer.
            let broken = futures::stream::once(async {
                Err::<bytes::Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .header("content-length", "64")
                .body(Body::from_stream(broken))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Some(chaos::Weather::Stall(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(chaos::Weather::Truncate) => {
            let full = next.run(req).await;
            let (parts, body) = full.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            let cut = futures::stream::iter([
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "injected truncation",
                )),
            ]);
            let mut r = Response::from_parts(parts, Body::from_stream(cut));
            if let Ok(v) = bytes.len().max(1).to_string().parse() {
                r.headers_mut().insert(http::header::CONTENT_LENGTH, v);
            }
            r
        }
    };
    let status = response.status().as_u16();
    if let Some(happen) = knobs.take_happening(&method, &path, &query) {
        happen();
    }
    lock(&knobs.0).log.push(Logged {
        method,
        path: full,
        status,
        fault,
    });
    response
}

/// A fake: its state, shared by every clone, and its instruments.
pub struct Fake<S> {
    pub state: Arc<Mutex<S>>,
    pub knobs: Knobs,
}

impl<S> Clone for Fake<S> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            knobs: self.knobs.clone(),
        }
    }
}

impl<S: Send + 'static> Fake<S> {
    pub fn from_state(state: S) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            knobs: Knobs::default(),
        }
    }

    /// Works on the state under its lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut lock(&self.state))
    }

    /// Serves `handler` (which answers every path) on loopback.
    async fn serve_with<H, T>(&self, handler: H) -> std::io::Result<Running>
    where
        H: axum::handler::Handler<T, Fake<S>>,
        T: 'static,
    {
        let router = axum::Router::new()
            .fallback(handler)
            .with_state(self.clone());
        serve(router, self.knobs.clone()).await
    }
}

/// A fake listening on loopback.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `router` (wrapped in the instruments) on 127.0.0.1 at a free port.
pub async fn serve(router: axum::Router, knobs: Knobs) -> std::io::Result<Running> {
    let app = router.layer(axum::middleware::from_fn_with_state(knobs, instrument));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Running {
        addr,
        shutdown: Some(tx),
    })
}

/// A JSON response.
pub(crate) fn json(status: u16, v: serde_json::Value) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(v.to_string()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

pub(crate) fn empty(status: u16) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT))
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Query parameters as pairs.
pub(crate) fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}
