//! Prism, the validating proxy: GitHub's and Discord's official OpenAPI
//! descriptions in front of psrt's fakes. `scripts/test` installs it (npm,
//! pinned) and generates the GitHub subset; the tests that need it are
//! `#[ignore]`d so that a bare `cargo test` says so instead of failing, and
//! `scripts/test` runs them with `--include-ignored`.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Prism {
    pub url: String,
    child: Child,
    log: PathBuf,
}

fn required(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: run scripts/test, which installs Prism and generates the API descriptions"))
}

impl Prism {
    /// Starts `prism proxy --errors` for `spec` (an env var naming the file) in front of `upstream`.
    pub fn start(spec_var: &str, upstream: &str) -> Prism {
        Prism::start_on(spec_var, upstream, free_port)
    }

    /// As `start`, on the ports `port` gives: a port another process took
    /// between its choice and Prism's start (the tests, and other builds on
    /// the machine, bind ports all the time) is given up for the next one.
    fn start_on(spec_var: &str, upstream: &str, mut port: impl FnMut() -> u16) -> Prism {
        let prism = required("PSRT_PRISM");
        let spec = required(spec_var);
        let mut log = String::new();
        for _ in 0..5 {
            match Prism::try_start(&prism, &spec, upstream, port()) {
                Ok(p) => return p,
                Err(text) if text.contains("EADDRINUSE") => log = text,
                Err(text) => panic!("Prism did not start:\n{text}"),
            }
        }
        panic!("Prism did not start, five ports in use:\n{log}");
    }

    fn try_start(prism: &str, spec: &str, upstream: &str, port: u16) -> Result<Prism, String> {
        let log =
            std::env::temp_dir().join(format!("psrt-prism-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("node")
            .args([
                prism,
                "proxy",
                "--errors",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                spec,
                upstream,
            ])
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .stdin(Stdio::null())
            .spawn()
            .expect("node runs Prism");
        let mut p = Prism {
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let text = p.log_text();
            if text.contains("Prism is listening") {
                return Ok(p);
            }
            if text.contains("EADDRINUSE") || p.child.try_wait().is_ok_and(|s| s.is_some()) {
                return Err(text); // dropping `p` stops Prism
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(p.log_text())
    }

    pub fn log_text(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Every request/response violation Prism reported.
    pub fn violations(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter(|l| l.contains("✖") || l.to_ascii_lowercase().contains("violation"))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A port taken before Prism binds it: Prism starts on another.
#[test]
#[ignore = "needs Prism: run scripts/test"]
fn a_port_taken_before_prism_binds_it_is_given_up_for_another() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let mut ports = [taken_port, free_port()].into_iter();
    // Upstream need not answer: Prism starts without it.
    let p = Prism::start_on("PSRT_DISCORD_SPEC", "http://127.0.0.1:9", || {
        ports.next().unwrap_or_else(free_port)
    });
    assert!(!p.url.ends_with(&format!(":{taken_port}")), "{}", p.url);
    drop(taken);
}
