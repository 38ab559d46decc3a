//! Every Discord operation psrt uses, through Prism validating against
//! Discord's official OpenAPI description.

use psrt::sync::{Service, Status};

use crate::prism::Prism;
use crate::sync_discord::{GUILD, ROLE, discord, discord_env, discord_id, discord_roster};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn role_sync_operations_match_discords_description() {
    let (fake, server) = discord().await;
    let prism = Prism::start("PSRT_DISCORD_SPEC", &server.url());
    for i in 0..1200 {
        fake.member(
            GUILD,
            discord_id(i),
            &format!("u{i}"),
            if i < 3 || i == 1100 { &[ROLE] } else { &[] },
        );
    }
    let roster = discord_roster(&[
        ("a", true, Some(0)),
        ("b", true, Some(1)),
        ("c", false, Some(2)),
        ("d", false, Some(1150)),
        ("e", false, Some(5)),
    ]);
    let env = discord_env(&prism.url);
    let reports = crate::common::sync(&roster, &env, &[Service::Discord], true, true).await;
    let dc = crate::common::one(&reports, Service::Discord);
    assert!(
        matches!(dc.outcome, Status::Applied),
        "{dc:#?}\n{}",
        prism.log_text()
    );
    assert!(!dc.failed(), "{dc:#?}\n{}", prism.log_text());
    assert_eq!(
        crate::common::lines(dc),
        ["+ grant d", "+ grant e", "- revoke u1100"]
    );
    assert_eq!(prism.violations(), Vec::<String>::new());
}
