//! An SMTP sink: accepts mail on loopback and keeps it, for `psrt demo` and
//! in-process tests. Plain SMTP only (the real-server tests use aiosmtpd with
//! STARTTLS and AUTH). It can refuse recipients, to test failed sends, wait
//! before acknowledging a message (the window in which a killed sender has
//! sent a message it has not recorded), and fail a seeded share of sessions
//! with the temporary failures real relays give.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::lock;

/// A temporary failure of one SMTP session; the message is never accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SmtpFault {
    /// `421` in the greeting: the service is not available.
    Greeting421,
    /// `451` to `RCPT TO`.
    Recipient451,
    /// `451` after the data: the message is not accepted.
    Data451,
    /// The connection closes in the middle of the data.
    DropInData,
}

struct SmtpChaos {
    rate: f64,
    rng: ChaCha8Rng,
    injected: u64,
}

/// A message as received: envelope and raw text.
#[derive(Debug, Clone)]
pub struct Captured {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Captured {
    /// A header's value (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push(' ');
                    v.push_str(line.trim());
                    continue;
                }
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_owned());
                }
            }
        }
        value
    }
    pub fn body(&self) -> String {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.replace("\r\n", "\n"))
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    messages: Vec<Captured>,
    /// Refuse every RCPT with this reply (e.g. "550 no such user").
    refuse: Option<String>,
    /// Wait this long between storing a message and acknowledging it.
    ack_delay: std::time::Duration,
    chaos: Option<SmtpChaos>,
}

#[derive(Clone, Default)]
pub struct SmtpSink(Arc<Mutex<Inner>>);

pub struct RunningSink {
    pub port: u16,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl SmtpSink {
    pub fn messages(&self) -> Vec<Captured> {
        lock(&self.0).messages.clone()
    }
    pub fn clear(&self) {
        lock(&self.0).messages.clear();
    }
    pub fn refuse(&self, reply: Option<&str>) {
        lock(&self.0).refuse = reply.map(str::to_owned);
    }
    /// Waits `d` after storing each message before saying `250`.
    pub fn set_ack_delay(&self, d: std::time::Duration) {
        lock(&self.0).ack_delay = d;
    }
    /// Fails a share `rate` of sessions (seeded) with a temporary failure;
    /// `None` stops it.
    pub fn set_chaos(&self, seed_rate: Option<(u64, f64)>) {
        lock(&self.0).chaos = seed_rate.map(|(seed, rate)| SmtpChaos {
            rate,
            rng: ChaCha8Rng::seed_from_u64(seed),
            injected: 0,
        });
    }
    /// Sessions failed so far by the chaos.
    pub fn chaos_injected(&self) -> u64 {
        lock(&self.0).chaos.as_ref().map_or(0, |c| c.injected)
    }
    fn next_fault(&self) -> Option<SmtpFault> {
        let mut inner = lock(&self.0);
        let c = inner.chaos.as_mut()?;
        if !c.rng.gen_bool(c.rate.clamp(0.0, 1.0)) {
            return None;
        }
        c.injected += 1;
        Some(
            [
                SmtpFault::Greeting421,
                SmtpFault::Recipient451,
                SmtpFault::Data451,
                SmtpFault::DropInData,
            ][c.rng.gen_range(0..4)],
        )
    }

    pub async fn start(&self) -> std::io::Result<RunningSink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let sink = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let sink = sink.clone();
                        tokio::spawn(async move { let _ = sink.session(stream).await; });
                    }
                }
            }
        });
        Ok(RunningSink { port, _stop: tx })
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (r, mut w) = stream.into_split();
        let mut lines = BufReader::new(r).lines();
        let fault = self.next_fault();
        if fault == Some(SmtpFault::Greeting421) {
            w.write_all(b"421 4.3.2 Service not available, closing channel\r\n")
                .await?;
            return Ok(());
        }
        w.write_all(b"220 localhost psrt SMTP sink\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply: String = if upper.starts_with("EHLO") {
                "250-localhost\r\n250-8BITMIME\r\n250 SIZE 10485760".into()
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                "250 OK".into()
            } else if upper.starts_with("RSET") {
                from.clear();
                to.clear();
                "250 OK".into()
            } else if upper.starts_with("MAIL FROM:") {
                from = addr(&line[10..]);
                to.clear();
                "250 OK".into()
            } else if upper.starts_with("RCPT TO:") && fault == Some(SmtpFault::Recipient451) {
                "451 4.3.0 Temporary failure, try again later".into()
            } else if upper.starts_with("RCPT TO:") {
                match lock(&self.0).refuse.clone() {
                    Some(r) => r,
                    None => {
                        to.push(addr(&line[8..]));
                        "250 OK".into()
                    }
                }
            } else if upper == "DATA" {
                w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                let mut complete = false;
                while let Some(l) = lines.next_line().await? {
                    if fault == Some(SmtpFault::DropInData) {
                        return Ok(());
                    }
                    if l == "." {
                        complete = true;
                        break;
                    }
                    data.push_str(
                        l.strip_prefix('.')
                            .filter(|_| l.starts_with(".."))
                            .unwrap_or(&l),
                    );
                    data.push_str("\r\n");
                }
                if !complete {
                    // The client went away in the middle: nothing is delivered.
                    return Ok(());
                }
                if fault == Some(SmtpFault::Data451) {
                    to.clear();
                    "451 4.3.0 Message not accepted, try again later".into()
                } else {
                    let delay = {
                        let mut inner = lock(&self.0);
                        inner.messages.push(Captured {
                            from: from.clone(),
                            to: std::mem::take(&mut to),
                            data,
                        });
                        inner.ack_delay
                    };
                    // Stored, not yet acknowledged: a sender killed now has
                    // sent a message it never hears about.
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    "250 OK queued".into()
                }
            } else if upper.starts_with("QUIT") {
                w.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                "502 Command not implemented".into()
            };
            w.write_all(format!("{reply}\r\n").as_bytes()).await?;
        }
        Ok(())
    }
}

fn addr(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or("")
        .to_owned()
}
