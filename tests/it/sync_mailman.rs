//! The Mailman list, against the real Mailman 3.3.10 core (started by
//! scripts/test; `PSRT_TEST_MAILMAN_URL`) and against psrt's stand-in: the
//! same scenarios run on both, so the stand-in cannot drift from Mailman.

use std::sync::atomic::{AtomicU32, Ordering};

use http::Method;
use psrt::sync::{ChangeResult, Service, Status};

use crate::common::*;

/// A Mailman to test against, with a fresh domain and list for each test.
struct Target {
    url: String,
    user: String,
    password: String,
    list_id: String,
    /// The stand-in, when that is what runs.
    standin: Option<(psrt_fakes::mailman::MailmanFake, psrt_fakes::Running)>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Target {
    async fn standin() -> Target {
        let fake = psrt_fakes::mailman::MailmanFake::new("restadmin", "restpass");
        let server = fake.start().await.unwrap();
        let url = format!("{}/3.1", server.url());
        Target::with_list(
            url,
            "restadmin".into(),
            "restpass".into(),
            Some((fake, server)),
        )
        .await
    }

    async fn real() -> Target {
        let url = std::env::var("PSRT_TEST_MAILMAN_URL")
            .expect("PSRT_TEST_MAILMAN_URL is not set: run scripts/test, which starts Mailman");
        let user = std::env::var("PSRT_TEST_MAILMAN_USER").unwrap_or_else(|_| "restadmin".into());
        let password =
            std::env::var("PSRT_TEST_MAILMAN_PASSWORD").unwrap_or_else(|_| "restpass".into());
        Target::with_list(url, user, password, None).await
    }

    async fn with_list(
        url: String,
        user: String,
        password: String,
        standin: Option<(psrt_fakes::mailman::MailmanFake, psrt_fakes::Running)>,
    ) -> Target {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let domain = format!("t{}-{n}.example.org", std::process::id());
        let t = Target {
            url,
            user,
            password,
            list_id: format!("security.{domain}"),
            standin,
        };
        assert_eq!(
            t.post("/domains", serde_json::json!({ "mail_host": domain }))
                .await,
            201
        );
        assert_eq!(
            t.post(
                "/lists",
                serde_json::json!({ "fqdn_listname": format!("security@{domain}") })
            )
            .await,
            201
        );
        t
    }

    fn client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> u16 {
        self.client()
            .post(format!("{}{path}", self.url))
            .basic_auth(&self.user, Some(&self.password))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn subscribe(&self, email: &str) {
        let body = serde_json::json!({ "list_id": self.list_id, "subscriber": email, "pre_verified": true, "pre_confirmed": true, "pre_approved": true, "send_welcome_message": false });
        let (status, text) = self.post_member(&body).await;
        assert_eq!(status, 201, "seeding {email}: {text}");
    }

    /// `POST /members`, retried on one race of the real Mailman: tests seed
    /// the same addresses into their own lists concurrently, and Mailman
    /// (SQLite) answers 400 to the loser of two first creations of one
    /// address (`UNIQUE constraint failed: address.email`); by the retry the
    /// address exists.
    async fn post_member(&self, body: &serde_json::Value) -> (u16, String) {
        let mut attempt = 0;
        loop {
            let resp = self
                .client()
                .post(format!("{}/members", self.url))
                .basic_auth(&self.user, Some(&self.password))
                .json(body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            attempt += 1;
            if status == 400
                && text.contains("UNIQUE constraint failed: address.email")
                && attempt < 5
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
            return (status, text);
        }
    }

    async fn add_owner(&self, email: &str) {
        let body =
            serde_json::json!({ "list_id": self.list_id, "subscriber": email, "role": "owner" });
        let (status, text) = self.post_member(&body).await;
        assert_eq!(status, 201, "seeding owner {email}: {text}");
    }

    /// Addresses in a roster, sorted.
    async fn roster(&self, role: &str) -> Vec<String> {
        let v: serde_json::Value = self
            .client()
            .get(format!("{}/lists/{}/roster/{role}", self.url, self.list_id))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut out: Vec<String> = v
            .get("entries")
            .and_then(|e| e.as_array())
            .map(|a| {
                a.iter()
                    .map(|e| e["email"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    fn env(&self) -> psrt::config::Env {
        env_for(&[
            ("PSRT_MAILMAN_URL", self.url.clone()),
            ("PSRT_MAILMAN_USER", self.user.clone()),
            ("PSRT_MAILMAN_PASSWORD", self.password.clone()),
        ])
    }

    /// A roster of `members` (login, admin?, email?) managing this list.
    fn roster_with(
        &self,
        members: &[(&str, bool, Option<&str>)],
        extra: &str,
    ) -> psrt::roster::Roster {
        let mut s = format!(
            "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmailman:\n  list: {}\n{extra}members:\n",
            self.list_id
        );
        for (login, admin, email) in members {
            s.push_str(&format!("  - name: {login}\n    github: {login}\n"));
            if let Some(e) = email {
                s.push_str(&format!("    email: {e}\n"));
            }
            if *admin {
                s.push_str("    roles: [admin]\n");
            }
        }
        parse_roster(&s)
    }
}

const MM: &[Service] = &[Service::Mailman];

async fn drift_converges(t: Target) {
    for who in [
        "ALICE@Example.com",
        "bob@example.com",
        "p1@example.com",
        "p2@example.com",
        "p3@example.com",
        "carol@example.com",
    ] {
        t.subscribe(who).await;
    }
    t.add_owner("old-owner@example.org").await;
    t.add_owner("bob@example.com").await;
    let roster = t.roster_with(
        &[
            ("alice", true, Some("alice@example.com")),
            ("bob", true, Some("bob@example.com")),
            ("dave", false, Some("dave@example.com")),
            ("p1", false, Some("p1@example.com")),
            ("p2", false, Some("p2@example.com")),
            ("p3", false, Some("P3@example.com")),
        ],
        "  extra_addresses: [archive@example.org]\n  extra_owners: [infra@example.org]\n",
    );
    let env = t.env();

    let plan = sync(&roster, &env, MM, false, false).await;
    let mm = one(&plan, Service::Mailman);
    assert!(matches!(mm.outcome, Status::Planned), "{mm:?}");
    assert_eq!(
        lines(mm),
        [
            "+ subscribe dave",
            "+ subscribe a***@example.org",
            "~ add-owner alice",
            "~ add-owner i***@example.org",
            "~ remove-owner o***@example.org",
            "- unsubscribe c***@example.com",
        ]
    );

    let applied = sync(&roster, &env, MM, true, false).await;
    let mm = one(&applied, Service::Mailman);
    assert!(!mm.failed(), "{mm:#?}");
    assert!(
        mm.changes
            .iter()
            .all(|c| matches!(c.result, Some(ChangeResult::Applied { note: None }))),
        "{mm:#?}"
    );
    assert_eq!(
        t.roster("member").await,
        [
            "alice@example.com",
            "archive@example.org",
            "bob@example.com",
            "dave@example.com",
            "p1@example.com",
            "p2@example.com",
            "p3@example.com"
        ]
    );
    assert_eq!(
        t.roster("owner").await,
        ["alice@example.com", "bob@example.com", "infra@example.org"]
    );

    if let Some((fake, _)) = &t.standin {
        fake.knobs.clear_log();
    }
    let again = sync(&roster, &env, MM, true, false).await;
    let mm = one(&again, Service::Mailman);
    assert!(mm.changes.is_empty(), "idempotent: {:?}", lines(mm));
    if let Some((fake, _)) = &t.standin {
        assert!(fake.knobs.writes().is_empty());
        assert_eq!(
            fake.knobs.requests(),
            2,
            "a no-op reads one page of members and one of owners"
        );
    }
}

/// Issue 21: fail closed. A member without an address no longer holds
/// back unsubscriptions (the real roster starts with none, so former members
/// would read embargoed reports forever): whoever psrt does not know is
/// unsubscribed; the removal cap stops a mass removal, and only
/// `mailman.keep_unknown` (a migration setting every run warns about)
/// keeps strangers.
async fn a_member_without_an_address_holds_back_nothing(t: Target) {
    for who in [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
        "erin-private@example.com",
        "fay@example.com",
        "gus@example.com",
        "zoe@example.com",
    ] {
        t.subscribe(who).await;
    }
    t.add_owner("alice@example.com").await;
    t.add_owner("bob@example.com").await;
    let mut members = vec![
        ("alice", true, Some("alice@example.com")),
        ("bob", true, Some("bob@example.com")),
        ("dave", false, Some("dave@example.com")),
        ("fay", false, Some("fay@example.com")),
        ("gus", false, Some("gus@example.com")),
        ("erin", false, None),
    ];
    let env = t.env();
    // Three strangers of eight, erin's own address among them (a stranger
    // until the roster has it): unsubscribed although erin has no address
    // in the roster, but three is more than the removal cap allows.
    let roster = t.roster_with(&members, "");
    let blocked = sync(&roster, &env, MM, true, false).await;
    let mm = one(&blocked, Service::Mailman);
    assert_eq!(
        lines(mm),
        [
            "- unsubscribe c***@example.com",
            "- unsubscribe e***@example.com",
            "- unsubscribe z***@example.com"
        ]
    );
    assert!(
        matches!(&mm.outcome, Status::Blocked { .. }) && mm.failed(),
        "{mm:#?}"
    );
    assert!(
        mm.notes
            .iter()
            .any(|n| n.contains("without `email`") && n.contains("erin")),
        "{:?}",
        mm.notes
    );
    assert_eq!(t.roster("member").await.len(), 8, "nothing written");
    // The migration setting keeps them, and says so every run.
    let keeping = t.roster_with(&members, "  keep_unknown: true\n");
    for _ in 0..2 {
        let kept = sync(&keeping, &env, MM, true, false).await;
        let mm = one(&kept, Service::Mailman);
        assert!(!mm.failed(), "{mm:#?}");
        assert!(mm.changes.is_empty(), "{:?}", lines(mm));
        assert!(
            mm.warnings.iter().any(|w| w.starts_with(
                "`mailman.keep_unknown` is set (a migration setting): 3 subscriber(s) psrt does not know stay subscribed"
            )),
            "{:?}",
            mm.warnings
        );
    }
    // With erin's address in the roster, two strangers of eight: within
    // the cap, they go.
    members[5].2 = Some("erin-private@example.com");
    let roster = t.roster_with(&members, "");
    let applied = sync(&roster, &env, MM, true, false).await;
    let mm = one(&applied, Service::Mailman);
    assert!(!mm.failed(), "{mm:#?}");
    assert_eq!(
        lines(mm),
        [
            "- unsubscribe c***@example.com",
            "- unsubscribe z***@example.com"
        ]
    );
    assert!(mm.warnings.is_empty());
    assert_eq!(t.roster("member").await.len(), 6);
}

/// Encrypted addresses (`age:`, opened with the nightly key): the list
/// converges on the decrypted addresses, a second run changes nothing, and
/// without the key or with a wrong one the list is not even read.
async fn encrypted_addresses_converge(t: Target) {
    use psrt::roster::contacts::{ContactKey, field, open};
    let nightly = ContactKey::generate();
    let admin = ContactKey::generate();
    let r = [nightly.recipient(), admin.recipient()];
    let seal = |plain: &str| field::seal(plain, &r).unwrap();
    for who in [
        "stale@example.com",
        "alice.private@example.com",
        "bob.private@example.com",
        "carol@example.com",
    ] {
        t.subscribe(who).await;
    }
    let text = format!(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\ncontacts:\n  recipients: [{}, {}]\nmailman:\n  list: {}\nmembers:\n  - name: Alice\n    github: alice\n    email: \"{}\"\n    roles: [admin]\n  - name: Bob\n    github: bob\n    email: \"{}\"\n    roles: [admin]\n  - name: Carol\n    github: carol\n    email: carol@example.com\n  - name: Dave\n    github: dave\n    email: \"{}\"\n",
        nightly.public(),
        admin.public(),
        t.list_id,
        seal("Alice.Private@example.com"),
        seal("bob.private@example.com"),
        seal("dave.private@example.com"),
    );
    let roster = parse_roster(&text);
    let env = t.env();
    let ctx = psrt::sync::Context {
        env: &env,
        tuning: psrt::github::Tuning::local(),
    };
    let apply = psrt::sync::Options {
        apply: true,
        allow_mass_removal: false,
    };
    let before = t.roster("member").await;
    if let Some((fake, _)) = &t.standin {
        fake.knobs.clear_log();
    }
    for key in [None, Some(ContactKey::generate())] {
        let opened = open(&roster, key.as_ref().map(Ok));
        let reports = psrt::sync::run_opened(&opened, &ctx, MM, apply).await;
        let mm = one(&reports, Service::Mailman);
        assert!(
            matches!(&mm.outcome, Status::Unreachable { reason } if reason.contains("PSRT_CONTACT_KEY")),
            "{mm:?}"
        );
        assert!(mm.failed(), "closed contact fields fail the run: {mm:?}");
    }
    if let Some((fake, _)) = &t.standin {
        assert!(fake.knobs.log().is_empty(), "not even read");
    }
    assert_eq!(t.roster("member").await, before, "untouched");

    let opened = open(&roster, Some(Ok(&nightly)));
    let reports = psrt::sync::run_opened(&opened, &ctx, MM, apply).await;
    let mm = one(&reports, Service::Mailman);
    assert!(!mm.failed(), "{mm:#?}");
    assert_eq!(
        lines(mm),
        [
            "+ subscribe dave",
            "~ add-owner alice",
            "~ add-owner bob",
            "- unsubscribe s***@example.com",
        ]
    );
    let shown = psrt::sync::report::text(&reports, true);
    assert!(
        !shown.contains("private") && !shown.contains("age:"),
        "{shown}"
    );
    assert_eq!(
        t.roster("member").await,
        [
            "alice.private@example.com",
            "bob.private@example.com",
            "carol@example.com",
            "dave.private@example.com"
        ]
    );
    assert_eq!(
        t.roster("owner").await,
        ["alice.private@example.com", "bob.private@example.com"]
    );
    // The admin's key opens the same fields: the second run changes nothing.
    let opened = open(&roster, Some(Ok(&admin)));
    let again = psrt::sync::run_opened(&opened, &ctx, MM, apply).await;
    assert!(
        one(&again, Service::Mailman).changes.is_empty(),
        "{again:?}"
    );
}

async fn an_empty_list_is_filled(t: Target) {
    let roster = t.roster_with(
        &[
            ("alice", true, Some("alice@example.com")),
            ("bob", true, Some("bob@example.com")),
        ],
        "",
    );
    let reports = sync(&roster, &t.env(), MM, true, false).await;
    assert!(!one(&reports, Service::Mailman).failed(), "{reports:#?}");
    assert_eq!(
        t.roster("member").await,
        ["alice@example.com", "bob@example.com"]
    );
    assert_eq!(
        t.roster("owner").await,
        ["alice@example.com", "bob@example.com"]
    );
}

async fn long_rosters_are_read_page_by_page(t: Target) {
    let mut members = Vec::new();
    for i in 0..230 {
        let e = format!("m{i:03}@example.com");
        t.subscribe(&e).await;
        members.push((format!("m{i:03}"), e));
    }
    let list: Vec<(&str, bool, Option<&str>)> = members
        .iter()
        .map(|(l, e)| (l.as_str(), false, Some(e.as_str())))
        .collect();
    let roster = t.roster_with(&list, "  extra_owners: [a@example.org, b@example.org]\n");
    t.add_owner("a@example.org").await;
    t.add_owner("b@example.org").await;
    let reports = sync(&roster, &t.env(), MM, false, false).await;
    let mm = one(&reports, Service::Mailman);
    assert!(mm.changes.is_empty(), "{:?}", lines(mm));
    assert_eq!(mm.current, Some(230));
}

async fn wrong_credentials_and_unknown_lists_are_clear_errors(t: Target) {
    let roster = t.roster_with(
        &[
            ("alice", true, Some("alice@example.com")),
            ("bob", true, Some("bob@example.com")),
        ],
        "",
    );
    let env = env_for(&[
        ("PSRT_MAILMAN_URL", t.url.clone()),
        ("PSRT_MAILMAN_USER", t.user.clone()),
        ("PSRT_MAILMAN_PASSWORD", "wrong".into()),
    ]);
    let reports = sync(&roster, &env, MM, true, false).await;
    let mm = one(&reports, Service::Mailman);
    assert!(
        matches!(&mm.outcome, Status::ReadFailed { error } if error.contains("refused the credentials")),
        "{mm:?}"
    );
    assert!(!mm.failed() || mm.changes.is_empty());

    let mut other = t.roster_with(
        &[
            ("alice", true, Some("alice@example.com")),
            ("bob", true, Some("bob@example.com")),
        ],
        "",
    );
    if let Some(m) = other.mailman.as_mut() {
        m.list = "no-such-list.example.org".into();
    }
    let reports = sync(&other, &t.env(), MM, true, false).await;
    let mm = one(&reports, Service::Mailman);
    assert!(
        matches!(&mm.outcome, Status::ReadFailed { error } if error.contains("no-such-list.example.org does not exist")),
        "{mm:?}"
    );
    assert_eq!(
        t.roster("member").await,
        Vec::<String>::new(),
        "zero writes"
    );
}

async fn a_plan_leaving_too_few_owners_stops(t: Target) {
    for e in [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ] {
        t.subscribe(e).await;
    }
    t.add_owner("a@example.com").await;
    t.add_owner("b@example.com").await;
    // The roster's admins have no address: the owners would be removed.
    let roster = t.roster_with(
        &[
            ("a", false, Some("a@example.com")),
            ("b", false, Some("b@example.com")),
            ("c", true, None),
            ("d", true, None),
        ],
        "",
    );
    let reports = sync(&roster, &t.env(), MM, true, false).await;
    let mm = one(&reports, Service::Mailman);
    assert!(
        matches!(&mm.outcome, Status::Blocked { valves } if valves.iter().any(|v| v.to_string().contains("min_admins"))),
        "{mm:?}"
    );
    assert_eq!(t.roster("owner").await, ["a@example.com", "b@example.com"]);
}

/// Issue 22: two strangers whose addresses mask alike are two lines that
/// read differently (before: `j***@example.org` twice).
async fn addresses_that_mask_alike_are_told_apart(t: Target) {
    for who in [
        "alice@example.com",
        "bob@example.com",
        "jane@example.org",
        "john@example.org",
        "p1@example.com",
        "p2@example.com",
        "p3@example.com",
        "p4@example.com",
    ] {
        t.subscribe(who).await;
    }
    let roster = t.roster_with(
        &[
            ("alice", true, Some("alice@example.com")),
            ("bob", true, Some("bob@example.com")),
            ("p1", false, Some("p1@example.com")),
            ("p2", false, Some("p2@example.com")),
            ("p3", false, Some("p3@example.com")),
            ("p4", false, Some("p4@example.com")),
        ],
        "  extra_owners: [jim@example.org]\n",
    );
    let plan = sync(&roster, &t.env(), MM, false, false).await;
    let mm = one(&plan, Service::Mailman);
    assert_eq!(
        lines(mm),
        [
            "~ add-owner alice",
            "~ add-owner bob",
            // jane, jim, john: numbered in the order of the addresses.
            "~ add-owner j***@example.org (2 of 3)",
            "- unsubscribe j***@example.org (1 of 3)",
            "- unsubscribe j***@example.org (3 of 3)",
        ]
    );
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod standin {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Target::standin().await).await;
                }
            )*
        }
        mod real_mailman {
            $(
                #[tokio::test]
                #[ignore = "needs the real Mailman: run scripts/test"]
                async fn $name() {
                    super::$name(super::Target::real().await).await;
                }
            )*
        }
    };
}

both!(
    drift_converges,
    encrypted_addresses_converge,
    a_member_without_an_address_holds_back_nothing,
    an_empty_list_is_filled,
    long_rosters_are_read_page_by_page,
    wrong_credentials_and_unknown_lists_are_clear_errors,
    a_plan_leaving_too_few_owners_stops,
    addresses_that_mask_alike_are_told_apart,
);

/// Faults only the stand-in can inject: a 500 on the second page.
#[tokio::test]
async fn a_5xx_mid_read_gives_no_plan_and_no_writes() {
    let t = Target::standin().await;
    for i in 0..150 {
        t.subscribe(&format!("m{i}@example.com")).await;
    }
    let (fake, _) = t.standin.as_ref().unwrap();
    fake.knobs
        .inject(psrt_fakes::Fault::new(Method::GET, "/roster/member", 500).query("page=2"));
    fake.knobs.clear_log();
    let roster = t.roster_with(
        &[
            ("alice", true, Some("alice@example.com")),
            ("bob", true, Some("bob@example.com")),
        ],
        "",
    );
    let reports = sync(&roster, &t.env(), MM, true, true).await;
    let mm = one(&reports, Service::Mailman);
    assert!(
        matches!(&mm.outcome, Status::ReadFailed { error } if error.contains("500")),
        "{mm:?}"
    );
    assert!(fake.knobs.writes().is_empty());
}
