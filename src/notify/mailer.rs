//! Sending email: lettre over SMTP.
//!
//! `PSRT_SMTP_URL` is `smtp://[user:pass@]host[:port][?tls=required|opportunistic|none]`
//! (STARTTLS required unless the URL says otherwise; port 587) or
//! `smtps://…` (TLS from the first byte; port 465). `PSRT_SMTP_CA_FILE` adds a
//! trusted root for a private relay (and the tests). The URL is a secret: no
//! message ever repeats it.

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Mailboxes, Message, header::ContentType};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncTransport, Tokio1Executor};

use crate::config::SmtpEnv;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS, refusing a server that does not offer it (the default).
    Required,
    /// STARTTLS when offered.
    Opportunistic,
    /// TLS from the first byte (`smtps://`).
    Wrapper,
    /// No TLS at all (`?tls=none`, for a local relay).
    None,
}

/// A parsed `PSRT_SMTP_URL`. Its `Debug` hides the password.
#[derive(Clone)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl SmtpUrl {
    /// Parses the URL; errors describe the problem without repeating the URL.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let bad = |why: &str| anyhow::anyhow!("PSRT_SMTP_URL is not usable: {why}");
        let u = url::Url::parse(url)
            .map_err(|_| bad("not a URL (expected smtp://user:pass@host:587)"))?;
        let wrapper = match u.scheme() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(bad("the scheme must be smtp:// or smtps://")),
        };
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let mut tls = if wrapper {
            TlsMode::Wrapper
        } else {
            TlsMode::Required
        };
        for (k, v) in u.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "required") if !wrapper => tls = TlsMode::Required,
                ("tls", "opportunistic") if !wrapper => tls = TlsMode::Opportunistic,
                ("tls", "none") if !wrapper => tls = TlsMode::None,
                ("tls", _) => {
                    return Err(bad(
                        "tls= takes required, opportunistic or none (and smtps:// takes none of them)",
                    ));
                }
                _ => return Err(bad("unknown query parameter (only tls= is understood)")),
            }
        }
        let port = u.port().unwrap_or(if wrapper { 465 } else { 587 });
        let decode = |s: &str| percent_decode(s);
        let user = Some(decode(u.username())).filter(|s| !s.is_empty());
        let password = u.password().map(decode);
        Ok(Self {
            host,
            port,
            tls,
            user,
            password,
        })
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation replies.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// An email ready to build: addresses, subject, text.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(env: &SmtpEnv, from: &str) -> anyhow::Result<Self> {
        let url = SmtpUrl::parse(env.url.expose())?;
        let from: Mailbox = from
            .parse()
            .map_err(|_| anyhow::anyhow!("roster email.from `{from}` is not a sender address"))?;
        let tls_params = || -> anyhow::Result<TlsParameters> {
            let mut b = TlsParameters::builder(url.host.clone());
            if let Some(path) = &env.ca_file {
                let pem = std::fs::read(path)
                    .with_context(|| format!("cannot read PSRT_SMTP_CA_FILE {}", path.display()))?;
                let cert = Certificate::from_pem(&pem).map_err(|_| {
                    anyhow::anyhow!(
                        "PSRT_SMTP_CA_FILE {} is not a PEM certificate",
                        path.display()
                    )
                })?;
                b = b.add_root_certificate(cert);
            }
            b.build()
                .map_err(|e| anyhow::anyhow!("TLS settings for SMTP: {e}"))
        };
        let tls = match url.tls {
            TlsMode::Required => Tls::Required(tls_params()?),
            TlsMode::Opportunistic => Tls::Opportunistic(tls_params()?),
            TlsMode::Wrapper => Tls::Wrapper(tls_params()?),
            TlsMode::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
            .port(url.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&url.user, &url.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Connects, reads the greeting, says EHLO, starts TLS as the URL asks
    /// (STARTTLS by default), logs in, and quits: sends nothing. What
    /// `psrt audit --credentials` verifies.
    pub async fn check(&self) -> anyhow::Result<()> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(anyhow::anyhow!("SMTP: the server did not answer NOOP")),
            Err(e) => Err(anyhow::anyhow!("SMTP: {}", explain(&e))),
        }
    }

    pub fn build(&self, email: &Email) -> anyhow::Result<Message> {
        build_message(&self.from, email, None)
    }

    pub async fn send(&self, email: &Email) -> anyhow::Result<()> {
        self.deliver(self.build(email)?).await
    }

    /// Sends a message that has a stable identity (a report and a ledger
    /// key): its `Message-ID` is derived from them, so that the one message
    /// a killed run may send twice is the same message twice, which mail
    /// clients show once.
    pub async fn send_once(&self, email: &Email, identity: &str) -> anyhow::Result<()> {
        let id = message_id(identity, self.from.email.domain());
        self.deliver(build_message(&self.from, email, Some(id))?)
            .await
    }

    async fn deliver(&self, msg: Message) -> anyhow::Result<()> {
        self.transport
            .send(msg)
            .await
            .map_err(|e| anyhow::anyhow!("SMTP: {}", explain(&e)))?;
        Ok(())
    }
}

/// Replaces anything that looks like an address: an SMTP server may quote the
/// recipient, and an error printed beside a GHSA id must not pair a person
/// with an embargoed report.
pub fn redact_addresses(text: &str) -> String {
    text.split_inclusive(|c: char| c.is_whitespace())
        .map(|word| {
            let core = word.trim_end();
            if core.contains('@')
                && core
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .contains('@')
            {
                format!("<address>{}", &word[core.len()..])
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// lettre's error, with what an admin can do about it, addresses redacted.
fn explain(e: &lettre::transport::smtp::Error) -> String {
    let text = redact_addresses(&e.to_string());
    let lower = text.to_ascii_lowercase();
    let hint = if lower.contains("authentication mechanism") {
        " (the server offers no login on an unencrypted connection: drop ?tls=none)"
    } else if lower.contains("certificate") || lower.contains("issuer") {
        " (the server's certificate is not trusted: for a private relay, set PSRT_SMTP_CA_FILE)"
    } else if lower.contains("starttls") || lower.contains("530") {
        " (the server and PSRT_SMTP_URL disagree about STARTTLS)"
    } else if lower.contains("535") {
        " (the server refused the user and password in PSRT_SMTP_URL)"
    } else if e.is_transient() {
        " (temporary: the next run tries again)"
    } else {
        ""
    };
    format!("{text}{hint}")
}

/// `<psrt.IDENTITY@DOMAIN>`, the identity reduced to what a Message-ID may hold.
pub fn message_id(identity: &str, domain: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '.'
                }
            })
            .collect()
    };
    format!("<psrt.{}@{}>", clean(identity), clean(domain))
}

pub fn build_message(
    from: &Mailbox,
    email: &Email,
    message_id: Option<String>,
) -> anyhow::Result<Message> {
    let parse = |list: &[String]| -> anyhow::Result<Option<Mailboxes>> {
        let mut out = Mailboxes::new();
        for a in list {
            out.push(
                a.parse::<Mailbox>()
                    .map_err(|_| anyhow::anyhow!("an address in the roster is not usable"))?,
            );
        }
        Ok((!list.is_empty()).then_some(out))
    };
    let mut b = Message::builder()
        .from(from.clone())
        .subject(email.subject.clone())
        .date_now()
        .message_id(message_id)
        .header(AutoSubmitted)
        .header(ContentType::TEXT_PLAIN);
    if let Some(to) = parse(&email.to)? {
        b = b.mailbox(lettre::message::header::To::from(to));
    }
    if let Some(cc) = parse(&email.cc)? {
        b = b.mailbox(lettre::message::header::Cc::from(cc));
    }
    b.body(email.body.clone())
        .map_err(|e| anyhow::anyhow!("building the message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_smtp_urls() {
        let u = SmtpUrl::parse("smtp://bot%40x:p%2Fss@mail.example.org").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.tls, u.user.as_deref()),
            ("mail.example.org", 587, TlsMode::Required, Some("bot@x"))
        );
        assert_eq!(u.password.as_deref(), Some("p/ss"));
        assert!(!format!("{u:?}").contains("p/ss"));
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((u.port, u.tls, u.user), (2525, TlsMode::None, None));
        assert_eq!(SmtpUrl::parse("smtps://h").unwrap().port, 465);
        assert_eq!(
            SmtpUrl::parse("smtp://h?tls=opportunistic").unwrap().tls,
            TlsMode::Opportunistic
        );
    }

    #[test]
    fn bad_urls_never_echo_the_secret() {
        for bad in [
            "http://u:hunter2@h",
            "smtp://u:hunter2@h?tls=maybe",
            "smtps://u:hunter2@h?tls=none",
            "hunter2",
            "smtp://u:hunter2@h?x=1",
        ] {
            let e = SmtpUrl::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{e}");
            assert!(e.starts_with("PSRT_SMTP_URL is not usable"), "{e}");
        }
    }

    #[test]
    fn addresses_are_redacted_from_errors() {
        assert_eq!(
            redact_addresses(
                "permanent error (550): 5.1.1 <cy@example.org>: Recipient address rejected"
            ),
            "permanent error (550): 5.1.1 <address> Recipient address rejected"
        );
        assert_eq!(redact_addresses("no address here"), "no address here");
    }

    #[test]
    fn messages_carry_the_headers() {
        let from: Mailbox = "PSRT <psrt@example.org>".parse().unwrap();
        let email = Email {
            to: vec!["a@example.org".into()],
            cc: vec!["b@example.org".into()],
            subject: "s".into(),
            body: "b".into(),
        };
        let raw =
            String::from_utf8(build_message(&from, &email, None).unwrap().formatted()).unwrap();
        for h in [
            "From: PSRT <psrt@example.org>",
            "To: a@example.org",
            "Cc: b@example.org",
            "Auto-Submitted: auto-generated",
            "Message-ID: <",
            "Date: ",
        ] {
            assert!(raw.contains(h), "{h} missing in {raw}");
        }
        let id = message_id("GHSA-aaaa-bbbb-cccc/warn-30", "example.org");
        assert_eq!(id, "<psrt.GHSA-aaaa-bbbb-cccc.warn-30@example.org>");
        let raw =
            String::from_utf8(build_message(&from, &email, Some(id)).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("Message-ID: <psrt.GHSA-aaaa-bbbb-cccc.warn-30@example.org>"),
            "{raw}"
        );
    }
}
