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
        let prism = required("PSRT_PRISM");
        let spec = required(spec_var);
        let port = free_port();
        let log =
            std::env::temp_dir().join(format!("psrt-prism-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("node")
            .args([
                &prism,
                "proxy",
                "--errors",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                &spec,
                upstream,
            ])
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .stdin(Stdio::null())
            .spawn()
            .expect("node runs Prism");
        let p = Prism {
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if p.log_text().contains("Prism is listening") {
                return p;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Prism did not start:\n{}", p.log_text());
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
