//! `psrt demo`: the newcomer's first command.

use crate::common::*;

#[cfg(feature = "demo")] // the production build says it has no demo (tests/it/production.rs)
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
        "going live: psrt pin-ids",
        "+ members[3]    barbara              github_id: 1008  (holds python/python-core)",
        "? members[6]    sofia                NOT recorded: account 1009 holds this login but neither the team nor an eligibility team",
        "psrt pin-ids --apply: recorded 7 github_id(s) in roster.yaml",
        "  access: every member as a collaborating user (a team of python cannot collaborate outside python;",
        "advisories pypa/pip: 1 unpublished report(s) read",
        "  │ 7 collaborating user(s) (every member, each by account id), 0 team(s)",
        "nightly 1/4: psrt sync   (the plan: a dry run)",
        "  + add          barbara           (member)",
        "  ~ role         grace             member → maintainer",
        "  - remove       dennis            (member)",
        "summary: 10 change(s) applied, 0 failed",
        "mailman security.example.org: error: NOT synced: PSRT_MAILMAN_PASSWORD is not set",
        "NOT checked: mailman (see above; nothing was done there)",
        "→ exit status 1: the workflow run fails",
        "PSRT_MODE=aply   → usage error (exit 2)",
        "ada (an admin)                 honoured: --allow-mass-removal by admin ada",
        "a re-run of ada's by ken       refused:",
        "summary: everything is in sync",
        "former members: access removed on 1 unpublished report(s)",
        "- GHSA-rep0-rt00-0001  triage  [accept] ignored: the title carried it when psrt first saw the report",
        "an hour later a member has added [ACCEPT] to GHSA-acc3-pt00-0001's title",
        "GHSA-acc3-pt00-0001  triage  move to draft (a member's command); create the private fork; reserve a CVE id",
        "the same run's log in a workflow (GITHUB_ACTIONS: the log is public",
        "  │   (a public log: psrt names no unpublished report here",
        "the same in a workflow's public log:",
        "state draft, private fork python/cpython-ghsa-acc3-pt00-0001, CVE id set (CVE Services' stand-in reserved 1 id(s))",
        "assign a coordinator (the coordinator was emailed)",
        "Subject: [PSRT] GHSA-8q2v-80d0-ld00 (python/cpython): 10 days to the disclosure deadline",
        "Auto-Submitted: auto-generated",
        "summary: 7 member(s), 1 inactive: margaret",
        // PEP 811: a comment is activity (Sofia's only one this year), on an
        // unpublished report: neither dated nor named.
        "sofia     -           a comment on an unpublished report in the window",
        // The advisory discussion (issue 25): the status comment and a
        // deadline comment as they render, once.
        "discussion: 1 status comment(s) created, 0 edited, 0 already up to date; 1 deadline comment(s) posted",
        "  │ **PSRT status** (kept up to date by psrt; edits to this comment are overwritten)",
        "  │ - **Coordinator:** @alan",
        "  │   - [ ] a CVSS v4 vector (the devguide asks for CVSS v4)",
        "  │ **What members can ask of psrt:**",
        "  │ @alan: 7 days or fewer left before this report's deadline,",
        "an hour later: 0 status comment(s) written, 0 deadline comment(s) posted",
        "opened pull request #1 on branch psrt-inactivity-",
        "+  - name: Margaret Quiet",
        "after the embargo: psrt announce GHSA-4f7x-9m2q-vh3c",
        "Subject: [CVE-2026-3151] Quadratic complexity when folding email headers with many encoded words",
        "There is a MEDIUM severity vulnerability affecting CPython.",
        "CVE-2026-3151.json: CVE JSON 5.1 CNA container, valid against schema/cve-record-5.1-bundled.schema.json",
        "GHSA-4f7x-9m2q-vh3c.json: OSV record, valid against schema/osv-schema.json",
        "after a roster change: psrt publish --open-pr",
        "opened pull request #1 (https://github.com/python/devguide/pull/1) on branch psrt-publish",
        "+Barbara New,barbara,",
        "pull request #2: the approval rule does NOT hold (not approved: 0 of 1 from steering-council)",
        "pull request #2: the approval rule holds (approved: 1 of 1 from steering-council)",
        "commit status psrt/approvals on the head: failure → success",
        "hourly: psrt approvals --all --publish",
        "psrt approvals --all: 3 open pull request(s); 3 to main, 2 of them judged (roster.yaml changes)",
        "  not judged, roster.yaml unchanged: #3",
        "summary: 2 judged (1 pass, 1 fail, 0 could not be judged); 0 write(s) failed;",
        "a stormy night: psrt sync --apply while 30% of requests fail",
        "answered with a fault",
        "the next night, in fair weather:",
        "then everything in sync",
        "\"GHSA-8q2v-80d0-ld00\": {",
        "no failures",
        "docs/operations.md",
        "opened 2 of 2 encrypted contact field(s) with PSRT_CONTACT_KEY",
        "  + grant        barbara           (discord ***0004)",
        // `/psrt` commands: a member accepts and delegates, the reporter is
        // refused, and so is a command on a published report.
        "4 /psrt command(s) answered (2 refused or malformed, nothing changed)",
        "on GHSA-pub1-2026-0001 (published), psrt's one reply:\n  │ This report is published: psrt runs no command on it. Nothing was changed.\nas GitHub now has it: state published",
        "Accepted: this report is a draft now.",
        "Only PSRT members can run psrt commands, each from their own account. Nothing was changed.",
        "@alan is the coordinator of this report now (PEP 811 delegation)",
        "state draft, private fork python/cpython-ghsa-5f3w-n0c0-0rd1, coordinator alan",
        "Subject: [PSRT] GHSA-5f3w-n0c0-0rd1 (python/cpython): /psrt coordinator by ada",
        "- `/psrt coordinator @login`: the coordinator credit moves to that member",
        // The hourly ledger lost and a reply deleted: the command is not run again.
        "the new ledger remembers commands from its first run; the next run: 1 /psrt command(s) answered (1 refused),",
        "the report still in triage (the accept is not run again); the one reply:",
        "  │ This command was written before psrt's memory of commands began",
    ] {
        assert!(out.contains(want), "`{want}` missing from the demo:\n{out}");
    }
    assert!(
        !out.contains("embargoed: never printed"),
        "the demo prints an advisory summary"
    );
    assert!(!out.contains("=\n"), "quoted-printable shown raw");
    // The example's encrypted fields (Alan's address, Barbara's Discord id):
    // neither the values nor what they decrypt to.
    for secret in ["alan@example.org", "300000000000000004", "age:"] {
        assert!(!r.all().contains(secret), "the demo shows {secret}:\n{out}");
    }
    assert!(
        elapsed < std::time::Duration::from_secs(10),
        "the demo took {elapsed:?}"
    );
}
