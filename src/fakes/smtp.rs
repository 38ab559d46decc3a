//! An SMTP sink: accepts mail on loopback and keeps it, for `psrt demo` and
//! in-process tests. Plain SMTP only (the real-server tests use aiosmtpd with
//! STARTTLS and AUTH). It can refuse recipients, to test failed sends.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::lock;

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
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                    data.push_str(
                        l.strip_prefix('.')
                            .filter(|_| l.starts_with(".."))
                            .unwrap_or(&l),
                    );
                    data.push_str("\r\n");
                }
                lock(&self.0).messages.push(Captured {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 OK queued".into()
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
