//! `psrt demo`: the newcomer's first command.

use crate::common::*;

#[test]
fn the_demo_runs_the_nightly_and_yearly_jobs_offline_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    // From an empty directory, with no credentials at all.
    let r = run(psrt().current_dir(dir.path()).arg("demo"));
    let elapsed = started.elapsed();
    assert_eq!(r.code, 0, "{}", r.all());
    let out = &r.stdout;
    for want in [
        "nightly 1/5: psrt sync   (the plan: a dry run)",
        "  + add          barbara           (member)",
        "  ~ role         grace             member → maintainer",
        "  - remove       dennis            (member)",
        "summary: 10 change(s) applied, 0 failed",
        "summary: everything is in sync",
        "remove 1 former member",
        "assign a coordinator (the coordinator was emailed)",
        "Subject: [PSRT] GHSA-8q2v-80d0-ld00 (python/cpython): 10 days to the disclosure deadline",
        "Auto-Submitted: auto-generated",
        "summary: 7 member(s), 1 inactive: margaret",
        "opened pull request #1 on branch psrt-inactivity-",
        "+  - name: Margaret Quiet",
        "a stormy night: psrt sync --apply while 30% of requests fail",
        "answered with a fault",
        "the next night, in fair weather:",
        "then everything in sync",
        "\"GHSA-8q2v-80d0-ld00\": {",
        "no failures",
        "docs/operations.md",
    ] {
        assert!(out.contains(want), "`{want}` missing from the demo:\n{out}");
    }
    assert!(
        !out.contains("embargoed: never printed"),
        "the demo prints an advisory summary"
    );
    assert!(!out.contains("=\n"), "quoted-printable shown raw");
    assert!(
        elapsed < std::time::Duration::from_secs(10),
        "the demo took {elapsed:?}"
    );
}
