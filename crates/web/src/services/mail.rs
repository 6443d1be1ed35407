//! E-mail of the notices to applicants, from the transactional outbox
//! (`dossier_notices`): a notice is stored in the transaction that changes
//! the dossier, and this mailer sends what is due over SMTP, recording
//! each attempt — sent, or failed and tried again later (1, 2, 4 … up to
//! 60 minutes apart); an address the server refuses for good is not tried
//! again. A notice is sent at least once: a crash between sending and
//! recording sends it again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, Message, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Why the mailer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL cannot be used.
    #[error(
        "the SMTP URL {url:?} cannot be used ({reason}); use smtp://host:port, smtp://host:port?tls=required or smtps://user:password@host"
    )]
    Url {
        /// The URL, without its password.
        url: String,
        /// Why.
        reason: String,
    },
    /// The sender's address is not an address.
    #[error(
        "the sender {0:?} is not an e-mail address (e.g. \"Cổng dịch vụ công <no-reply@example.gov.vn>\")"
    )]
    From(String),
}

/// Sends the notices.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    portal: String,
}

fn without_password(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// How long after `attempts` failures the next try waits.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let minutes = 1i64 << attempts.clamp(0, 6);
    chrono::Duration::minutes(minutes.min(60))
}

impl Mailer {
    /// A mailer through the SMTP server at `url`, sending as `from`;
    /// notices link to the portal at `portal` (its public base URL).
    pub fn new(url: &str, from: &str, portal: &str) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Url {
                url: without_password(url),
                reason: e.to_string(),
            })?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::From(from.to_string()))?;
        Ok(Mailer {
            transport,
            from,
            portal: portal.trim_end_matches('/').to_string(),
        })
    }

    fn message(&self, n: &store::NoticeRow, to: &str) -> Result<Message, String> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| format!("the address {to:?} is not valid: {e}"))?;
        let link = format!("{}/ho-so/{}", self.portal, n.dossier);
        let body = format!(
            "{}\n\nXem hồ sơ: {link}\n\n---\n{}\n\nSee the dossier: {link}\n",
            n.text_vi, n.text_en
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("Hồ sơ {} / Dossier {}", n.dossier, n.dossier))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("the message cannot be built: {e}"))
    }

    /// Sends what is due at `now` (up to `limit`); how many were sent and
    /// how many failed.
    pub async fn deliver_due(
        &self,
        store: &dyn store::Store,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<(usize, usize), store::StoreError> {
        let due = store.dossiers().pending_emails(now, limit).await?;
        let (mut sent, mut failed) = (0, 0);
        for n in due {
            let Some(to) = n.email.as_deref() else {
                continue;
            };
            let outcome = match self.message(&n, to) {
                Ok(m) => self.transport.send(m).await.map(|_| ()).map_err(|e| {
                    let permanent = e.is_permanent();
                    (e.to_string(), permanent)
                }),
                Err(e) => Err((e, true)),
            };
            let at = Utc::now();
            let record = match outcome {
                Ok(()) => {
                    sent += 1;
                    metrics::counter!(crate::metrics::NOTICE_EMAILS, "outcome" => "sent")
                        .increment(1);
                    Ok(())
                }
                Err((error, permanent)) => {
                    failed += 1;
                    metrics::counter!(crate::metrics::NOTICE_EMAILS, "outcome" => "failed")
                        .increment(1);
                    tracing::warn!(notice = n.id, dossier = %n.dossier, %error, permanent, "a notice could not be e-mailed");
                    // refused for good: not tried again (kept, with the reason)
                    let retry = if permanent {
                        at + chrono::Duration::days(36_500)
                    } else {
                        at + backoff(n.attempts)
                    };
                    Err((error, retry))
                }
            };
            store.dossiers().record_email(n.id, at, record).await?;
        }
        Ok((sent, failed))
    }

    /// Sends due notices until the task is aborted, looking every second.
    pub fn spawn(self, store: Arc<dyn store::Store>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.deliver_due(store.as_ref(), Utc::now(), 100).await {
                    Ok((0, 0)) => tokio::time::sleep(Duration::from_secs(1)).await,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "reading the notices to e-mail");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let minutes: Vec<i64> = (0..9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(-3).num_minutes(), 1);
    }

    #[test]
    fn bad_settings_are_refused_with_the_password_hidden() {
        let e = Mailer::new("ftp://user:secret@mail.example", "a@b.vn", "http://x")
            .err()
            .expect("refused");
        let text = e.to_string();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("smtp://"), "{text}");
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address", "http://x").is_err());
        assert!(
            Mailer::new(
                "smtp://127.0.0.1:2525",
                "Cổng <no-reply@example.gov.vn>",
                "http://x"
            )
            .is_ok()
        );
    }
}
