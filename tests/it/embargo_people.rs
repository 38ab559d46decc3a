//! Issue 12's pairing test: the embargo holds for people, not only for an
//! advisory's text. For every unpublished advisory, its coordinator, its
//! collaborators and its reporter are planted (login, name, address), and a
//! former member with access, and an outsider. Then sync, advisories,
//! deadlines and inactivity run as the workflows run them, with trace logs
//! (`-vv`, `PSRT_LOG=trace`), as text and as `--json`, dry and writing. No
//! output line holds both the GHSA id of an unpublished advisory and one of
//! those people; no JSON record holding such an id holds one either; and the
//! ledger file holds none of them, nor a sha1, sha256 or md5 of one. The
//! people also comment on every report (issue 25): no comment's text (a
//! planted marker) and no author reaches any output, log or the ledger.
//!
//! It scans all output, whatever the commands print: it keeps working when
//! a command's output changes.

use chrono::{Duration, Utc};
use md5::Md5;
use psrt_fakes::github::FakeAdvisory;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::common::*;

const GUILD: u64 = 1_234_567_890_123_456_789;
const ROLE: u64 = 2_345_678_901_234_567_890;
const LIST: &str = "security.people.example.org";
/// Planted in every comment's text: never in any output, log or the ledger.
const COMMENT_MARKER: &str = "EMBARGO-COMMENT-MARKER";

/// A planted person: login, name, address (any may be absent).
struct Person {
    login: &'static str,
    name: Option<&'static str>,
    email: Option<&'static str>,
}

const PEOPLE: &[Person] = &[
    Person {
        login: "plant-coord-1",
        name: Some("Pat Plantcoord"),
        email: Some("pat.plantcoord@example.org"),
    },
    Person {
        login: "plant-coord-2",
        name: Some("Quinn Plantcoordtwo"),
        email: Some("quinn.plantcoordtwo@example.org"),
    },
    Person {
        login: "plant-collab-1",
        name: Some("Robin Plantcollab"),
        email: Some("robin.plantcollab@example.org"),
    },
    Person {
        login: "plant-former",
        name: Some("Sasha Plantformer"),
        email: Some("sasha.plantformer@example.org"),
    },
    Person {
        login: "plant-outsider",
        name: None,
        email: None,
    },
    Person {
        login: "plant-reporter",
        name: None,
        email: None,
    },
];

/// What identifies a person in text: login, name, surname, address.
fn identifiers(p: &Person) -> Vec<String> {
    let mut out = vec![p.login.to_owned()];
    if let Some(n) = p.name {
        out.push(n.to_owned());
        out.extend(n.split_whitespace().skip(1).map(str::to_owned));
    }
    if let Some(e) = p.email {
        out.push(e.to_owned());
        out.push(e.split('@').next().unwrap_or_default().to_owned());
    }
    out
}

pub(crate) fn roster_yaml() -> String {
    format!(
        r#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython]
  eligibility_teams: [python-core]
mailman:
  list: {LIST}
discord:
  guild: "{GUILD}"
  role: "{ROLE}"
email:
  from: "PSRT <psrt-bot@example.org>"
last_inactivity_report: 2026-01-01
members:
  - name: Ada Admin
    github: ada
    email: ada@example.org
    discord: "300000000000000001"
    roles: [admin]
  - name: Bo Admin
    github: bo
    email: bo@example.org
    discord: "300000000000000002"
    roles: [admin]
  - name: Pat Plantcoord
    github: plant-coord-1
    email: pat.plantcoord@example.org
    discord: "300000000000000003"
  - name: Quinn Plantcoordtwo
    github: plant-coord-2
    email: quinn.plantcoordtwo@example.org
    discord: "300000000000000004"
  - name: Robin Plantcollab
    github: plant-collab-1
    email: robin.plantcollab@example.org
    discord: "300000000000000005"
  - name: Cy Steady
    github: cy
    email: cy@example.org
  - name: Di Steady
    github: di
    email: di@example.org
  - name: Ed Steady
    github: ed
    email: ed@example.org
emeritus:
  - name: Sasha Plantformer
    github: plant-former
    left: 2026-02-01
    reason: resigned
"#
    )
}

/// The unpublished advisories, each with its people planted.
fn unpublished() -> Vec<FakeAdvisory> {
    let now = Utc::now();
    let mk = |id: &str, state: &str, age: i64| {
        let mut a = FakeAdvisory::new("python/cpython", id, state, now - Duration::days(age));
        a.author = Some("plant-reporter".into());
        a.credits.push(("plant-reporter".into(), "finder".into()));
        a.summary = "heap overflow reported by Pat Plantcoord".into();
        a
    };
    let mut a = mk("GHSA-ppl1-ppl1-ppl1", "triage", 85).coordinator("plant-coord-1");
    a.collaborating_users = vec!["plant-former".into(), "plant-outsider".into()];
    let mut b = mk("GHSA-ppl2-ppl2-ppl2", "draft", 60).coordinator("plant-coord-2");
    b.collaborating_users = vec!["plant-collab-1".into()];
    b.credits
        .push(("plant-collab-1".into(), "remediation_developer".into()));
    let mut c = mk("GHSA-ppl3-ppl3-ppl3", "triage", 10);
    c.collaborating_users = vec!["plant-outsider".into()];
    let mut d = mk("GHSA-ppl4-ppl4-ppl4", "closed", 40).coordinator("plant-coord-1");
    d.collaborating_users = vec!["plant-former".into()];
    d.closed_at = Some(now - Duration::days(5));
    let mut e = mk("GHSA-ppl5-ppl5-ppl5", "draft", 95).coordinator("plant-former");
    e.collaborating_users = vec!["plant-coord-2".into()];
    vec![a, b, c, d, e]
}

/// Every object in `v` that holds `id` as one of its own values (or in a
/// list of strings directly under it): the records that are about it.
fn records_about<'a>(v: &'a Value, id: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) => {
            let holds = o.values().any(|x| match x {
                Value::String(s) => s.contains(id),
                Value::Array(a) => a.iter().any(|y| y.as_str().is_some_and(|s| s.contains(id))),
                _ => false,
            });
            if holds {
                out.push(v);
            }
            for x in o.values() {
                records_about(x, id, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                records_about(x, id, out);
            }
        }
        _ => {}
    }
}

/// The hashes of a value a ledger could hide a person in.
fn hashes(s: &str) -> Vec<String> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let digests: [Vec<u8>; 3] = [
        Sha1::digest(s.as_bytes()).to_vec(),
        Sha256::digest(s.as_bytes()).to_vec(),
        Md5::digest(s.as_bytes()).to_vec(),
    ];
    for d in digests {
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        out.push(hex.to_ascii_uppercase());
        out.push(hex);
        out.push(base64::engine::general_purpose::STANDARD.encode(&d));
        out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn no_output_pairs_a_planted_person_with_an_unpublished_report_and_the_ledger_holds_nobody() {
    // GitHub: the team has drifted (a former member still in it, a member
    // not yet in it), and every report has its people.
    let (gh, server) = github().await;
    for (l, role) in [
        ("ada", "maintainer"),
        ("bo", "maintainer"),
        ("plant-coord-1", "member"),
        ("plant-coord-2", "member"),
        ("plant-former", "member"),
        ("cy", "member"),
        ("di", "member"),
        ("ed", "member"),
    ] {
        gh.add_to_team("psrt", l, role);
    }
    gh.user("plant-collab-1"); // outside the org: invited, collaborates directly
    gh.org_member("plant-outsider");
    gh.org_member("plant-reporter");
    for a in unpublished() {
        gh.advisory(a);
    }
    // The discussion (issue 25): the people comment on every report, with
    // a marker in the text; read by inactivity and by the hourly run.
    for a in unpublished() {
        gh.advisory_comment(
            &a.ghsa_id,
            "plant-collab-1",
            &format!("{COMMENT_MARKER}: Pat Plantcoord reproduced it"),
            Utc::now() - Duration::days(1),
        );
    }
    let mut public = FakeAdvisory::new(
        "python/cpython",
        "GHSA-pubp-pubp-pubp",
        "published",
        Utc::now() - Duration::days(100),
    )
    .coordinator("plant-coord-2");
    public.published_at = Some(Utc::now() - Duration::days(20));
    gh.advisory(public);
    // Mailman and Discord, drifted the same way.
    let mailman = psrt_fakes::mailman::MailmanFake::new("rest", "pw");
    mailman.with(|s| {
        s.domains.push("people.example.org".into());
        s.lists
            .push((LIST.to_owned(), "security@people.example.org".into()));
        for (i, email) in ["ada@example.org", "sasha.plantformer@example.org"]
            .into_iter()
            .enumerate()
        {
            s.members.push(psrt_fakes::mailman::FakeListMember {
                member_id: format!("seed{i}"),
                list_id: LIST.into(),
                email: email.into(),
                display_name: String::new(),
                role: "member".into(),
            });
        }
    });
    let mailman_server = mailman.start().await.unwrap();
    let discord = psrt_fakes::discord::DiscordFake::new("bot-token");
    discord.guild(GUILD, ROLE);
    for i in 1..=6 {
        discord.member(
            GUILD,
            300_000_000_000_000_000 + i,
            &format!("user{i}"),
            if i == 6 { &[ROLE] } else { &[] },
        );
    }
    let discord_server = discord.start().await.unwrap();
    let sink = psrt_fakes::smtp::SmtpSink::default();
    let sink_server = sink.start().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    // A member's account id, so that their `/psrt` commands are obeyed.
    let roster = roster_yaml().replace(
        "    github: plant-coord-1\n",
        &format!(
            "    github: plant-coord-1\n    github_id: {}\n",
            gh.user("plant-coord-1")
        ),
    );
    write(dir.path(), "roster.yaml", &roster);
    start_ledger(dir.path());
    let env: Vec<(&str, String)> = vec![
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
        ("GITHUB_REPOSITORY", "python/psrt".to_owned()),
        ("PSRT_GITHUB_WRITE_PAUSE_MS", "0".to_owned()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", mailman_server.url())),
        ("PSRT_MAILMAN_USER", "rest".to_owned()),
        ("PSRT_MAILMAN_PASSWORD", "pw".to_owned()),
        ("PSRT_DISCORD_API_URL", discord_server.url()),
        ("PSRT_DISCORD_TOKEN", "bot-token".to_owned()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", sink_server.port),
        ),
        ("PSRT_LOG", "trace".to_owned()),
    ];
    // What the workflows run, dry and writing, text and JSON, traced.
    let runs: &[&[&str]] = &[
        &["sync"],
        &["sync", "--json"],
        &["advisories"],
        &["advisories", "--json"],
        &["deadlines"],
        &["deadlines", "--json"],
        &["inactivity"],
        &["inactivity", "--json"],
        &["sync", "--apply"],
        &["advisories", "--apply"],
        &["deadlines", "--send"],
        &["advisories", "--apply", "--json"],
        &["deadlines", "--send", "--json"],
        &["sync", "--apply", "--json"],
    ];
    let mut outputs: Vec<(String, String, String)> = Vec::new();
    for args in runs {
        let mut cmd = psrt();
        cmd.current_dir(dir.path()).arg("-vv").args(*args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let r = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        assert!(
            r.code == 0 || r.code == 1,
            "{args:?}: exit {}\n{}",
            r.code,
            r.all()
        );
        assert!(!r.all().contains("panicked"), "{args:?}\n{}", r.all());
        outputs.push((args.join(" "), r.stdout, r.stderr));
        // After the first hourly run (which only watched the discussions),
        // a new comment on each report: the next one reads them and writes
        // its status comments.
        if *args == ["advisories", "--apply"] {
            // `/psrt` commands (issue 26): a member delegates, the reporter
            // tries to close; both with a marker in the text.
            for a in unpublished() {
                gh.advisory_comment(
                    &a.ghsa_id,
                    "plant-coord-1",
                    &format!("/psrt coordinator @plant-coord-2\n{COMMENT_MARKER}"),
                    Utc::now(),
                );
                gh.advisory_comment(
                    &a.ghsa_id,
                    "plant-reporter",
                    &format!("/psrt close invalid\n{COMMENT_MARKER}"),
                    Utc::now(),
                );
            }
            for a in unpublished() {
                gh.advisory_comment(
                    &a.ghsa_id,
                    "plant-outsider",
                    &format!("{COMMENT_MARKER}: Quinn Plantcoordtwo, can you look?"),
                    Utc::now(),
                );
            }
        }
    }
    // The discussion was read and written: the checks below looked at it.
    let status_comments = unpublished()
        .iter()
        .flat_map(|a| gh.advisory_comments(&a.ghsa_id))
        .filter(|c| c.user == "psrt-bot")
        .count();
    assert!(status_comments > 0, "no status comment was written");
    for (args, out, err) in &outputs {
        assert!(
            !out.contains(COMMENT_MARKER) && !err.contains(COMMENT_MARKER),
            "{args}: a comment's text in the output"
        );
    }
    // The commands were answered (in the reports' private discussions),
    // and no email carries a comment's text.
    let answers = unpublished()
        .iter()
        .flat_map(|a| gh.advisory_comments(&a.ghsa_id))
        .filter(|c| c.user == "psrt-bot" && c.body.starts_with("<!-- psrt:command"))
        .count();
    assert!(answers >= 2, "the commands were not answered");
    for m in sink.messages() {
        assert!(
            !m.data.contains(COMMENT_MARKER),
            "an email carries a comment's text"
        );
    }
    // (Answered by the `--json` run: its count, never who or where.)
    let counted = |o: &str| {
        o.split("\"commands_answered\":").skip(1).any(|rest| {
            rest.trim_start()
                .starts_with(|c: char| c.is_ascii_digit() && c != '0')
        })
    };
    assert!(
        outputs
            .iter()
            .any(|(_, o, _)| o.contains("/psrt command(s) answered") || counted(o)),
        "the commands' count is not in the output"
    );
    // The writes happened: the checks below looked at real work.
    assert!(!sink.messages().is_empty(), "no email was sent");
    assert!(
        gh.team_members("psrt")
            .iter()
            .all(|(l, _)| l != "plant-former"),
        "the sync did not run"
    );
    assert!(
        outputs
            .iter()
            .any(|(_, o, _)| o.contains("GHSA-ppl1-ppl1-ppl1")),
        "the reports were not in the output"
    );

    let ids: Vec<String> = unpublished().iter().map(|a| a.ghsa_id.clone()).collect();
    let people = people();
    let logged: usize = outputs.iter().map(|(_, _, e)| e.lines().count()).sum();
    assert!(
        logged > 50,
        "the trace logs are missing: {logged} lines on stderr"
    );
    let (lines, records, found) = pairings(&outputs, &ids, &people);
    assert!(found.is_empty(), "{}", found.join("\n\n"));
    println!(
        "{lines} output lines and {records} JSON records name an unpublished report; none names a planted person"
    );
    assert!(lines > 10, "only {lines} lines named a report");
    assert!(records > 5, "only {records} JSON records");

    // The ledger: report ids, message kinds and times; nobody.
    let ledger = std::fs::read_to_string(dir.path().join(".psrt/ledger.json")).unwrap();
    assert!(ledger.contains("GHSA-ppl1-ppl1-ppl1"), "{ledger}");
    assert!(!ledger.contains(COMMENT_MARKER), "{ledger}");
    let lower = ledger.to_ascii_lowercase();
    for p in PEOPLE {
        for ident in identifiers(p) {
            assert!(
                !lower.contains(&ident.to_ascii_lowercase()),
                "the ledger holds {} (`{ident}`):\n{ledger}",
                p.login
            );
            for variant in [ident.clone(), ident.to_ascii_lowercase()] {
                for h in hashes(&variant) {
                    assert!(
                        !ledger.contains(&h),
                        "the ledger holds a hash of {} (`{variant}`):\n{ledger}",
                        p.login
                    );
                }
            }
        }
    }
    // Every other file psrt keeps between runs: only the ledger.
    let kept: Vec<String> = walk(&dir.path().join(".psrt"));
    assert_eq!(kept, ["ledger.json"], "psrt kept more than the ledger");
    drop((mailman_server, discord_server, sink_server));
}

/// (person's login, identifier) for every planted person.
fn people() -> Vec<(String, String)> {
    PEOPLE
        .iter()
        .flat_map(|p| identifiers(p).into_iter().map(|i| (p.login.to_owned(), i)))
        .collect()
}

/// Lines and JSON records that pair a report of `ids` with a person:
/// (lines looked at, records looked at, what pairs).
fn pairings(
    outputs: &[(String, String, String)],
    ids: &[String],
    people: &[(String, String)],
) -> (usize, usize, Vec<String>) {
    let (mut lines, mut records, mut found) = (0, 0, Vec::new());
    for (what, stdout, stderr) in outputs {
        for line in stdout.lines().chain(stderr.lines()) {
            let lower = line.to_ascii_lowercase();
            let Some(id) = ids
                .iter()
                .find(|id| lower.contains(&id.to_ascii_lowercase()))
            else {
                continue;
            };
            lines += 1;
            for (who, ident) in people {
                if lower.contains(&ident.to_ascii_lowercase()) {
                    found.push(format!(
                        "`psrt {what}`: a line pairs {id} with {who} (`{ident}`):\n{line}"
                    ));
                }
            }
        }
        if what.contains("--json") {
            let v: Value = match serde_json::from_str(stdout) {
                Ok(v) => v,
                Err(e) => {
                    found.push(format!("`psrt {what}` is not JSON ({e}):\n{stdout}"));
                    continue;
                }
            };
            for id in ids {
                let mut about = Vec::new();
                records_about(&v, id, &mut about);
                for r in about {
                    records += 1;
                    let text = r.to_string().to_ascii_lowercase();
                    for (who, ident) in people {
                        if text.contains(&ident.to_ascii_lowercase()) {
                            found.push(format!(
                                "`psrt {what}`: a record about {id} holds {who} (`{ident}`):\n{r:#}"
                            ));
                        }
                    }
                }
            }
        }
    }
    (lines, records, found)
}

#[test]
fn the_pairing_check_finds_a_pairing_on_a_line_and_in_a_record() {
    let ids = vec!["GHSA-ppl1-ppl1-ppl1".to_owned()];
    let people = people();
    let line = (
        "advisories".to_owned(),
        "~ update GHSA-ppl1-ppl1-ppl1 add plant-coord-1\n".to_owned(),
        String::new(),
    );
    let (_, _, found) = pairings(&[line], &ids, &people);
    assert_eq!(found.len(), 1, "{found:?}");
    // Pretty-printed JSON puts the id and the person on different lines.
    let record = (
        "deadlines --json".to_owned(),
        serde_json::to_string_pretty(&serde_json::json!({
            "reports": [{ "ghsa_id": "GHSA-ppl1-ppl1-ppl1", "to": ["Pat Plantcoord"] }]
        }))
        .unwrap(),
        String::new(),
    );
    let (lines, records, found) = pairings(&[record], &ids, &people);
    assert_eq!((lines, records), (1, 1));
    assert!(!found.is_empty(), "{found:?}");
    // Names on their own lines, apart from any report, are fine.
    let apart = (
        "sync".to_owned(),
        "+ add plant-coord-1\nGHSA-ppl1-ppl1-ppl1: 1 change\n".to_owned(),
        String::new(),
    );
    assert!(pairings(&[apart], &ids, &people).2.is_empty());
}

#[test]
fn the_ledger_check_knows_the_hashes() {
    // From coreutils: `echo -n plant-coord-1 | sha1sum` (and sha256sum, md5sum).
    let h = hashes("plant-coord-1");
    for want in [
        "d02d299fd06844a6fbf4f857bbf0c08f89d3ec11",
        "cd0551384a94999b917a6188dba0863e291ea5fc9b7d49fb0ce3779b286c812d",
        "fcecd7c8ff375b880b373c3591506300",
    ] {
        assert!(h.contains(&want.to_owned()), "{want}");
        assert!(h.contains(&want.to_ascii_uppercase()), "{want}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
