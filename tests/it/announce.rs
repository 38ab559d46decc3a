//! `psrt announce`: the three records for a published advisory, checked
//! against the official schemas; refusal, without a word about the report,
//! for anything unpublished.

use chrono::{DateTime, Duration, TimeZone, Utc};
use psrt_fakes::github::{
    FakeAdvisory, FakeDetails, FakePull, FakeVulnerability, GitHubFake, example_cpython_advisory,
};

use crate::common::*;

pub fn published_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 14, 0, 0).unwrap()
}

/// GitHub with the example CPython advisory published.
pub async fn announce_world() -> (GitHubFake, psrt_fakes::Running, &'static str) {
    let (gh, server) = github().await;
    let id = example_cpython_advisory(&gh, published_at());
    (gh, server, id)
}

pub fn run_announce(dir: &std::path::Path, url: &str, args: &[&str]) -> Run {
    write(
        dir,
        "roster.yaml",
        roster_text(&[("ada", true), ("grace", true), ("alan", false)], ""),
    );
    let mut cmd = psrt();
    cmd.current_dir(dir)
        .args(args)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", url);
    run(&mut cmd)
}

async fn announce(url: String, args: &[&str]) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let r = tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run_announce(&d, &url, &a)
    })
    .await
    .unwrap();
    (dir, r)
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(dir: &std::path::Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&read(dir, name)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn announce_writes_the_email_the_cve_record_and_the_osv_record() {
    let (_gh, server, id) = announce_world().await;
    let (dir, r) = announce(server.url(), &["announce", id, "--out", "out"]).await;
    assert_eq!(r.code, 0, "{}", r.all());
    insta::assert_snapshot!(
        "announce_stdout",
        r.stdout.replace(&dir.path().display().to_string(), "<tmp>")
    );
    let out = dir.path().join("out");
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "CVE-2026-3151.json",
            "GHSA-4f7x-9m2q-vh3c.json",
            "announce.txt"
        ]
    );

    let email = read(&out, "announce.txt");
    insta::assert_snapshot!("announce_email", email);
    assert!(email.contains(
        "Subject: [CVE-2026-3151] Quadratic complexity when folding email headers with many encoded words"
    ));
    assert!(email.contains("There is a MEDIUM severity vulnerability affecting CPython."));
    assert!(email.contains("* https://www.cve.org/CVERecord?id=CVE-2026-3151"));
    assert!(email.contains("* https://github.com/python/cpython/pull/139001"));
    assert!(email.contains("* https://github.com/python/cpython/pull/139050"));

    let cve = json(&out, "CVE-2026-3151.json");
    insta::assert_json_snapshot!("announce_cve_record", cve);
    let verdict = psrt::announce::schema::cna_container(&cve);
    assert!(verdict.is_valid(), "{verdict:#?}");
    // The container also makes a valid whole record (the schema's root).
    let record = serde_json::json!({
        "dataType": "CVE_RECORD", "dataVersion": "5.1",
        "cveMetadata": { "cveId": "CVE-2026-3151", "assignerOrgId": psrt::announce::cve::PSF_ORG_ID, "state": "PUBLISHED" },
        "containers": { "cna": cve.clone() },
    });
    let whole = psrt::announce::schema::cve_record(&record);
    assert!(whole.is_valid(), "{whole:#?}");
    let c = &cve;
    assert_eq!(c["affected"][0]["vendor"], "Python Software Foundation");
    assert_eq!(c["affected"][0]["product"], "CPython");
    assert_eq!(
        c["affected"][0]["versions"],
        serde_json::json!([
            { "version": "0", "lessThan": "3.14.2", "status": "affected", "versionType": "python" },
            { "version": "3.15.0", "lessThan": "3.15.1", "status": "affected", "versionType": "python" }
        ])
    );
    assert_eq!(c["problemTypes"][0]["descriptions"][0]["cweId"], "CWE-407");
    assert_eq!(
        c["metrics"][0]["cvssV4_0"]["vectorString"],
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N"
    );
    assert_eq!(c["metrics"][0]["cvssV4_0"]["baseScore"], 6.9);
    assert_eq!(c["metrics"][0]["cvssV4_0"]["baseSeverity"], "MEDIUM");
    let credits: Vec<(String, String)> = c["credits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["value"].as_str().unwrap().into(),
                x["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        credits,
        [
            ("quinn-sec".into(), "finder".into()),
            ("ada".into(), "coordinator".into()),
            ("grace".into(), "remediation developer".into()),
            ("alan".into(), "remediation reviewer".into()),
        ],
        "a declined credit is not published"
    );

    let osv = json(&out, "GHSA-4f7x-9m2q-vh3c.json");
    insta::assert_json_snapshot!("announce_osv_record", osv);
    let verdict = psrt::announce::schema::osv_record(&osv);
    assert!(verdict.is_valid(), "{verdict:#?}");
    assert_eq!(osv["id"], id);
    assert_eq!(osv["aliases"], serde_json::json!(["CVE-2026-3151"]));
    assert_eq!(osv["severity"][0]["type"], "CVSS_V4");
    let git = &osv["affected"][0]["ranges"][0];
    assert_eq!(git["type"], "GIT");
    assert_eq!(git["repo"], "https://github.com/python/cpython");
    assert_eq!(
        git["events"].as_array().unwrap().len(),
        3,
        "introduced 0, two fixes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_osv_id_and_a_pypi_package_give_ecosystem_and_git_ranges() {
    let (gh, server) = github().await;
    let at = published_at();
    gh.commit(
        "pypa/pip",
        "fix-vcs",
        &[("src/pip/vcs.py", "# fixed\n")],
        "fix",
    );
    gh.update_repo("pypa/pip", |r| {
        r.pulls.push(FakePull {
            number: 13500,
            title: "Quote VCS revisions".into(),
            body: String::new(),
            head: "fix-vcs".into(),
            base: "main".into(),
            state: "merged".into(),
            user: "sofia".into(),
            created_at: at - Duration::days(3),
            requested_users: vec![],
            requested_teams: vec![],
        })
    });
    let mut a = FakeAdvisory::new(
        "pypa/pip",
        "GHSA-8rq2-xw3c-p7vh",
        "published",
        at - Duration::days(30),
    );
    a.summary = "Option injection through Mercurial revisions in VCS URLs".into();
    a.description = "pip passed the revision of a Mercurial URL to `hg` unquoted. Fixed in https://github.com/pypa/pip/pull/13500.".into();
    a.published_at = Some(at);
    a.updated_at = at;
    gh.advisory(a);
    gh.advisory_details(
        "GHSA-8rq2-xw3c-p7vh",
        FakeDetails {
            cve_id: Some("CVE-2026-4001".into()),
            cvss_v4: Some("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into()),
            cwes: vec![("CWE-88".into(), "Improper Neutralization of Argument Delimiters in a Command ('Argument Injection')".into())],
            vulnerabilities: vec![FakeVulnerability::new("pip", "pip", ">= 21.0, < 25.3", Some("25.3"))],
            ..Default::default()
        },
    );
    let (dir, r) = announce(
        server.url(),
        &[
            "--repo",
            "pypa/pip",
            "announce",
            "GHSA-8rq2-xw3c-p7vh",
            "--osv-id",
            "PSF-2026-7",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.all());
    let osv = json(dir.path(), "PSF-2026-7.json");
    assert!(psrt::announce::schema::osv_record(&osv).is_valid());
    assert_eq!(
        osv["aliases"],
        serde_json::json!(["CVE-2026-4001", "GHSA-8rq2-xw3c-p7vh"])
    );
    let affected = &osv["affected"][0];
    assert_eq!(
        affected["package"],
        serde_json::json!({ "ecosystem": "PyPI", "name": "pip", "purl": "pkg:pypi/pip" })
    );
    assert_eq!(affected["ranges"][0]["type"], "ECOSYSTEM");
    assert_eq!(
        affected["ranges"][0]["events"],
        serde_json::json!([{ "introduced": "21.0" }, { "fixed": "25.3" }])
    );
    assert_eq!(affected["ranges"][1]["type"], "GIT");
    assert_eq!(affected["ranges"][1]["repo"], "https://github.com/pypa/pip");
    let cve = json(dir.path(), "CVE-2026-4001.json");
    assert!(psrt::announce::schema::cna_container(&cve).is_valid());
    assert_eq!(cve["affected"][0]["collectionURL"], "https://pypi.org");
    assert_eq!(cve["affected"][0]["packageName"], "pip");
    assert_eq!(cve["affected"][0]["vendor"], "pypa");
    assert!(r.stdout.contains("severity: HIGH 8.5"), "{}", r.stdout);
    // No credits at all: the records simply have none.
    assert!(cve.get("credits").is_none() && osv.get("credits").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_v3_only_advisory_is_scored_as_v3_and_the_note_says_the_devguide_wants_v4() {
    let (gh, server, id) = announce_world().await;
    gh.with(|s| {
        if let Some(d) = s.details.get_mut(id) {
            d.cvss_v4 = None;
            d.cvss_v3 = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L".into());
        }
    });
    let (dir, r) = announce(server.url(), &["announce", id]).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("severity: MEDIUM 5.3 (CVSS 3.1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("the devguide asks for CVSS v4"),
        "{}",
        r.stdout
    );
    let cve = json(dir.path(), "CVE-2026-3151.json");
    assert_eq!(cve["metrics"][0]["cvssV3_1"]["baseScore"], 5.3);
    assert!(cve["metrics"][0].get("cvssV4_0").is_none());
    let osv = json(dir.path(), &format!("{id}.json"));
    assert_eq!(osv["severity"][0]["type"], "CVSS_V3");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_fields_are_errors_that_name_them_and_nothing_is_written() {
    let (gh, server, id) = announce_world().await;
    gh.with(|s| {
        if let Some(d) = s.details.get_mut(id) {
            d.cve_id = None;
            d.cvss_v4 = Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N".into());
            d.vulnerabilities[1].vulnerable_version_range = "> 3.15.0".into();
        }
    });
    let (dir, r) = announce(server.url(), &["announce", id]).await;
    assert_eq!(r.code, 1, "{}", r.all());
    for want in [
        "error[announce]: cve_id: missing: the advisory has no CVE id",
        "error[announce]: cvss_severities.cvss_v4.vector_string: `CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N` is not a CVSS v4.0 vector",
        "error[announce]: vulnerabilities[1].vulnerable_version_range: `> 3.15.0`: an exclusive lower bound",
        "help: ",
        "3 problem(s) in the advisory; nothing was written",
    ] {
        assert!(r.all().contains(want), "`{want}` missing:\n{}", r.all());
    }
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "roster.yaml")
        .collect();
    assert!(written.is_empty(), "{written:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_ghsa_id_is_a_usage_error() {
    let (_gh, server) = github().await;
    let (_dir, r) = announce(server.url(), &["announce", "../../orgs/python"]).await;
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("expected a GHSA id"), "{}", r.stderr);
}

const MARKER: &str = "EMBARGO-MARKER-7d1f";

/// Triage, draft, closed and withdrawn reports, each with the marker in its
/// summary, description, reporter, credits and details.
pub fn plant_unpublished(gh: &GitHubFake) -> Vec<String> {
    let created = published_at() - Duration::days(10);
    let login = format!("{}-login", MARKER.to_ascii_lowercase());
    gh.user(&login);
    let mut ids = Vec::new();
    for (state, id) in [
        ("triage", "GHSA-tr1a-ge00-0001"),
        ("draft", "GHSA-dra0-ft00-0002"),
        ("closed", "GHSA-c1os-ed00-0003"),
        ("withdrawn", "GHSA-w1th-drwn-0004"),
    ] {
        let mut a = FakeAdvisory::new("python/cpython", id, state, created).coordinator("ada");
        a.summary = format!("{MARKER} summary of the {state} report");
        a.description = format!("{MARKER} description: https://github.com/python/cpython/pull/1");
        a.author = Some(login.clone());
        a.credits.push((login.clone(), "finder".into()));
        gh.advisory(a);
        gh.advisory_details(
            id,
            FakeDetails {
                cve_id: Some("CVE-2026-9999".into()),
                cvss_v4: Some(
                    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
                ),
                cwes: vec![("CWE-79".into(), format!("{MARKER} weakness"))],
                vulnerabilities: vec![FakeVulnerability::new(
                    "other",
                    "CPython",
                    "< 3.14.9",
                    Some(MARKER),
                )],
                database_references: Some(vec![format!("https://example.org/{MARKER}")]),
                ..Default::default()
            },
        );
        ids.push(id.to_owned());
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn unpublished_reports_are_refused_without_a_word_about_them() {
    let (gh, server) = github().await;
    gh.repo("python/cpython");
    let ids = plant_unpublished(&gh);
    let mut refusals = Vec::new();
    for id in ids
        .iter()
        .map(String::as_str)
        .chain(["GHSA-n0ne-n0ne-n0ne"])
    {
        gh.knobs.clear_log();
        let (dir, r) = announce(server.url(), &["-vv", "announce", id, "--out", "out"]).await;
        assert_eq!(r.code, 1, "{id}: {}", r.all());
        let all = r.all();
        assert!(
            !all.to_ascii_lowercase()
                .contains(&MARKER.to_ascii_lowercase()),
            "{id} leaked:\n{all}"
        );
        for word in [
            "triage",
            "draft",
            "closed",
            "withdrawn",
            "CVE-2026-9999",
            "ada",
        ] {
            let refusal = all.lines().find(|l| l.starts_with("error:")).unwrap_or("");
            assert!(
                !refusal.contains(word),
                "{id}: the refusal says `{word}`: {refusal}"
            );
        }
        assert!(
            !dir.path().join("out").exists(),
            "{id}: something was written"
        );
        // Only the state was asked for: the full advisory, its database
        // entry and its pull requests were never read.
        let paths: Vec<String> = gh.knobs.log().iter().map(|l| l.path.clone()).collect();
        assert_eq!(
            paths,
            [format!("/repos/python/cpython/security-advisories/{id}")],
            "{id}"
        );
        refusals.push(
            all.lines()
                .find(|l| l.starts_with("error:"))
                .unwrap_or("")
                .replace(id, "<id>"),
        );
    }
    // One message for every case, the unknown id included: nothing to tell them apart.
    refusals.dedup();
    assert_eq!(
        refusals,
        [
            "error: <id> is not a published advisory of python/cpython: psrt announce works on published advisories only (nothing was written)"
        ]
    );
}

/// Every request `psrt announce` makes, through Prism validating against
/// GitHub's official description: the state, the advisory, its database
/// entry and its pull requests, and a refusal.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn announce_operations_match_githubs_description() {
    let (gh, server, id) = announce_world().await;
    let unpublished = plant_unpublished(&gh);
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    let (dir, r) = announce(prism.url.clone(), &["announce", id]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.all(), prism.log_text());
    assert!(dir.path().join("CVE-2026-3151.json").exists());
    let (_dir, r) = announce(prism.url.clone(), &["announce", &unpublished[0]]).await;
    assert_eq!(r.code, 1, "{}", r.all());
    let ops: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path.split('?').next().unwrap_or("")))
        .collect();
    for want in [
        format!("GET /repos/python/cpython/security-advisories/{id}"),
        format!("GET /advisories/{id}"),
        "GET /repos/python/cpython/pulls/139001".to_owned(),
        "GET /repos/python/cpython/pulls/139050".to_owned(),
    ] {
        assert!(ops.contains(&want), "{want} not exercised: {ops:#?}");
    }
    assert_eq!(prism.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_osv_id_cannot_leave_the_output_directory() {
    let (_gh, server, id) = announce_world().await;
    for bad in ["PSF-../../escape", "../x", "PSF/2026", ""] {
        let (dir, r) = announce(server.url(), &["announce", id, "--osv-id", bad]).await;
        assert_eq!(r.code, 2, "{bad}: {}", r.all());
        assert!(r.stderr.contains("expected an OSV id"), "{}", r.stderr);
        assert!(!dir.path().join("announce.txt").exists());
    }
    // A well-formed id with a prefix OSV does not know: the schema refuses it, nothing is written.
    let (dir, r) = announce(server.url(), &["announce", id, "--osv-id", "NOPE-2026-1"]).await;
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("error[schema]: NOPE-2026-1.json: /id:"),
        "{}",
        r.stdout
    );
    assert!(!dir.path().join("announce.txt").exists());
}
