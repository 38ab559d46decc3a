//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// The `psrt` binary with a clean environment: no credentials leak in from the
/// developer's shell, and nothing thinks it runs under GitHub Actions.
pub fn psrt() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_psrt"));
    for var in [
        "GITHUB_TOKEN",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "PSRT_GITHUB_APP_ID",
        "PSRT_GITHUB_APP_KEY",
        "PSRT_MAILMAN_URL",
        "PSRT_MAILMAN_USER",
        "PSRT_MAILMAN_PASSWORD",
        "PSRT_DISCORD_API_URL",
        "PSRT_DISCORD_TOKEN",
        "PSRT_SMTP_URL",
        "PSRT_SMTP_CA_FILE",
        "PSRT_ROSTER",
        "PSRT_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("psrt runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}
