//! The bus on NATS JetStream; the design is described on [`JetStreamBus`].

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::{
    self, AckKind,
    consumer::{AckPolicy, DeliverPolicy, pull},
    context::Publish,
    stream,
};
use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::{
    Bus, Delivery, DeliveryError, Kinds, Published, Received, Subscription, lane_of,
    validate_delivery, validate_token,
};

/// The default stream name.
pub const DEFAULT_STREAM: &str = "MOTCUA_VITAL_EVENTS";

/// How long a pull request stays open on the server. Kept short, since a
/// dropped subscription's last requests outlive it by up to this long.
const PULL_EXPIRES: Duration = Duration::from_secs(3);
/// How often an idle pull request is confirmed alive by the server.
const PULL_HEARTBEAT: Duration = Duration::from_secs(1);
/// How often, and how long apart, the stream is asked for while the
/// cluster elects a leader.
const STREAM_TRIES: u32 = 20;
const STREAM_RETRY: Duration = Duration::from_millis(500);

/// Settings of a [`JetStreamBus`].
#[derive(Debug, Clone)]
pub struct JetStreamConfig {
    /// The NATS server(s), e.g. `nats://127.0.0.1:4222`, or several of a
    /// cluster separated by commas (the client also learns the others
    /// from the one it reaches, and moves to another when it fails).
    pub url: String,
    /// The stream's replicas: 1 on one server, 3 on a cluster of three
    /// (a stream with 3 survives the loss of any one server).
    pub replicas: usize,
    /// The stream's name.
    pub stream: String,
    /// The subject prefix (dot-separated tokens); the stream holds
    /// `<prefix>.>`.
    pub subject_prefix: String,
    /// Number of ordered lanes (at least 1).
    pub lanes: u16,
    /// How long a delivery may stay unacknowledged before it is redelivered.
    pub ack_wait: Duration,
    /// The stream's window for dropping re-published ids.
    pub duplicate_window: Duration,
    /// How long the stream keeps events.
    pub max_age: Duration,
    /// How long to try to reach the server when connecting.
    pub connect_timeout: Duration,
}

impl JetStreamConfig {
    /// The defaults, for the server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        JetStreamConfig {
            url: url.into(),
            replicas: 1,
            stream: DEFAULT_STREAM.to_owned(),
            subject_prefix: "vital".to_owned(),
            lanes: 16,
            ack_wait: Duration::from_secs(30),
            duplicate_window: Duration::from_secs(120),
            max_age: Duration::from_secs(7 * 24 * 3600),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Bus`] on NATS JetStream.
///
/// # Design
///
/// * One stream (by default `MOTCUA_VITAL_EVENTS`) holds every event under
///   the subject `<prefix>.<lane>.<kind>`, where `<lane>` is
///   [`lane_of`]`(person id, lanes)`. Events are published with the
///   `Nats-Msg-Id` header set to the event id, so the stream's duplicate
///   window stores a re-published event once.
/// * A consumer named `c` is `lanes` durable pull consumers `c-lane<n>`, each
///   filtered to `<prefix>.<n>.*`, with explicit acks, an ack wait, unlimited
///   redeliveries and **max ack pending = 1**. JetStream therefore hands out
///   the next message of a lane only after the previous one was
///   acknowledged, and redelivers an unacknowledged one (before anything
///   newer) once the ack wait has passed: the events of one person, which
///   all sit on one lane, are delivered in publication order, at least once.
///   Lanes progress independently, so one slow person holds up only the
///   people sharing their lane.
/// * The kinds filter is applied by the subscription (events of other kinds
///   are acknowledged and skipped), since a server before 2.10 can filter a
///   consumer on one subject only.
/// * A redelivery that crosses the subscriber's ack of the same event (the
///   ack wait ran out just as it was acked) is recognised by its stream
///   sequence and dropped, so it never shows up after later events of its
///   lane. Redeliveries the subscription cannot recognise (after a restart)
///   are what the consumer's [`Deduplicator`](crate::Deduplicator) is for.
/// * Each lane is pulled one message at a time with short-lived pull
///   requests. A dropped subscription gives back (naks) what it held once its
///   last pull requests have expired, a few seconds later, so a resubscribing
///   consumer gets it then instead of after the ack wait.
/// * Publishers and consumers must agree on the prefix and the number of
///   lanes; changing the number of lanes needs the lanes to be drained first.
/// * The stream keeps events for [`JetStreamConfig::max_age`] (limits
///   retention), so a consumer that is away for less than that catches up.
#[derive(Debug, Clone)]
pub struct JetStreamBus {
    client: async_nats::Client,
    context: jetstream::Context,
    stream: stream::Stream,
    config: JetStreamConfig,
}

/// Maps a client error to [`DeliveryError::JetStream`].
fn js<E: std::fmt::Display>(op: &'static str) -> impl FnOnce(E) -> DeliveryError {
    move |e| DeliveryError::JetStream {
        op,
        message: e.to_string(),
    }
}

impl JetStreamBus {
    /// Connects to the server and creates the stream if it does not exist.
    pub async fn connect(config: JetStreamConfig) -> Result<Self, DeliveryError> {
        let config = JetStreamConfig {
            lanes: config.lanes.max(1),
            ..config
        };
        for token in config.subject_prefix.split('.') {
            validate_token("subject prefix token", token)?;
        }
        validate_token("stream name", &config.stream)?;
        let servers = config
            .url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<async_nats::ServerAddr>()
                    .map_err(|e| DeliveryError::Connect {
                        url: s.to_owned(),
                        message: format!("not a NATS server address: {e}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if servers.is_empty() {
            return Err(DeliveryError::Connect {
                url: config.url.clone(),
                message: "no NATS server given (nats://HOST:PORT, several separated by commas)"
                    .to_owned(),
            });
        }
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(config.connect_timeout)
            .connect(servers)
            .await
            .map_err(|e| DeliveryError::Connect {
                url: config.url.clone(),
                message: e.to_string(),
            })?;
        let context = jetstream::new(client.clone());
        let wanted = stream::Config {
            name: config.stream.clone(),
            subjects: vec![format!("{}.>", config.subject_prefix)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            max_age: config.max_age,
            duplicate_window: config.duplicate_window,
            num_replicas: config.replicas.max(1),
            ..Default::default()
        };
        // a cluster electing its leader (a server just lost) answers
        // nothing for a few seconds: asked again meanwhile
        let mut tries = 0;
        let stream = loop {
            match context.get_or_create_stream(wanted.clone()).await {
                Ok(stream) => break stream,
                Err(e) if tries < STREAM_TRIES => {
                    tries += 1;
                    tracing::info!(error = %e, "JetStream not ready; asking again");
                    tokio::time::sleep(STREAM_RETRY).await;
                }
                Err(e) => return Err(js("create stream")(e)),
            }
        };
        Ok(JetStreamBus {
            client,
            context,
            stream,
            config,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &JetStreamConfig {
        &self.config
    }

    /// Deletes the stream with every event and consumer in it.
    pub async fn delete_stream(&self) -> Result<(), DeliveryError> {
        self.context
            .delete_stream(&self.config.stream)
            .await
            .map_err(js("delete stream"))?;
        Ok(())
    }

    /// What the stream holds now: its events, and the servers holding a
    /// copy of it that are current (the leader and its current replicas).
    pub async fn held(&self) -> Result<(u64, usize), DeliveryError> {
        let mut stream = self
            .context
            .get_stream(&self.config.stream)
            .await
            .map_err(js("read the stream"))?;
        let info = stream.info().await.map_err(js("read the stream"))?;
        let copies = info.cluster.as_ref().map_or(1, |c| {
            usize::from(c.leader.is_some())
                + c.replicas
                    .iter()
                    .filter(|r| r.current && !r.offline)
                    .count()
        });
        Ok((info.state.messages, copies))
    }

    fn durable_name(consumer: &str, lane: u16) -> String {
        format!("{consumer}-lane{lane}")
    }
}

#[async_trait]
impl Bus for JetStreamBus {
    async fn publish(&self, delivery: &Delivery) -> Result<Published, DeliveryError> {
        validate_delivery(delivery)?;
        let lane = lane_of(&delivery.subject, self.config.lanes);
        let subject = format!("{}.{lane}.{}", self.config.subject_prefix, delivery.kind);
        let body = serde_json::to_vec(delivery)?;
        let ack = self
            .context
            .send_publish(
                subject,
                Publish::build()
                    .payload(body.into())
                    .message_id(&delivery.id),
            )
            .await
            .map_err(js("publish"))?
            .await
            .map_err(js("publish acknowledgement"))?;
        Ok(Published {
            duplicate: ack.duplicate,
        })
    }

    async fn open_subscription(
        &self,
        consumer: &str,
        kinds: &Kinds,
    ) -> Result<Box<dyn Subscription>, DeliveryError> {
        let lanes = self.config.lanes;
        let (tx, rx) = mpsc::channel(usize::from(lanes));
        let mut subscription = JetStreamSubscription {
            client: self.client.clone(),
            rx: Some(rx),
            tasks: Vec::with_capacity(usize::from(lanes)),
            pending: HashMap::new(),
            acked: HashMap::new(),
            kinds: kinds.clone(),
        };
        for lane in 0..lanes {
            let durable = Self::durable_name(consumer, lane);
            let pull_consumer = self
                .stream
                .get_or_create_consumer(
                    &durable,
                    pull::Config {
                        durable_name: Some(durable.clone()),
                        filter_subject: format!("{}.{lane}.*", self.config.subject_prefix),
                        ack_policy: AckPolicy::Explicit,
                        ack_wait: self.config.ack_wait,
                        max_ack_pending: 1,
                        deliver_policy: DeliverPolicy::New,
                        ..Default::default()
                    },
                )
                .await
                .map_err(js("create consumer"))?;
            let mut messages = pull_consumer
                .stream()
                .max_messages_per_batch(1)
                .expires(PULL_EXPIRES)
                .heartbeat(PULL_HEARTBEAT)
                .messages()
                .await
                .map_err(js("pull"))?;
            let tx = tx.clone();
            subscription.tasks.push(tokio::spawn(async move {
                while let Some(item) = messages.next().await {
                    match item {
                        Ok(message) => {
                            if tx.send(message).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => tracing::warn!(consumer = %durable, error = %e, "pull failed"),
                    }
                }
            }));
        }
        Ok(Box::new(subscription))
    }

    async fn remove_consumer(&self, consumer: &str) -> Result<bool, DeliveryError> {
        validate_token("consumer name", consumer)?;
        let mut found = false;
        for lane in 0..self.config.lanes {
            let durable = Self::durable_name(consumer, lane);
            match self.stream.delete_consumer(&durable).await {
                Ok(_) => found = true,
                Err(e)
                    if matches!(
                        e.kind(),
                        jetstream::stream::ConsumerErrorKind::JetStream(ref j)
                            if j.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND
                    ) => {}
                Err(e) => return Err(js("delete consumer")(e)),
            }
        }
        Ok(found)
    }

    async fn has_consumer(&self, consumer: &str) -> Result<bool, DeliveryError> {
        validate_token("consumer name", consumer)?;
        match self
            .stream
            .consumer_info(Self::durable_name(consumer, 0))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == jetstream::context::ConsumerInfoErrorKind::NotFound => Ok(false),
            Err(e) => Err(js("consumer info")(e)),
        }
    }
}

/// A subscription on a [`JetStreamBus`]: one pulling task per lane feeding
/// one channel.
struct JetStreamSubscription {
    client: async_nats::Client,
    /// `None` only while being dropped
    rx: Option<mpsc::Receiver<jetstream::Message>>,
    tasks: Vec<JoinHandle<()>>,
    /// messages handed out and not yet acked, by event id
    pending: HashMap<String, Vec<jetstream::Message>>,
    /// per lane consumer, the highest stream sequence acknowledged
    acked: HashMap<String, u64>,
    kinds: Kinds,
}

impl JetStreamSubscription {
    /// The messages of event `id` handed out and not yet acked, no longer
    /// kept as such.
    fn take_pending(&mut self, id: &str) -> Result<Vec<jetstream::Message>, DeliveryError> {
        self.pending
            .remove(id)
            .ok_or_else(|| DeliveryError::NotInFlight(id.to_owned()))
    }
}

#[async_trait]
impl Subscription for JetStreamSubscription {
    async fn recv(&mut self, wait: Duration) -> Result<Option<Received>, DeliveryError> {
        let end = Instant::now() + wait;
        loop {
            let rx = self.rx.as_mut().ok_or(DeliveryError::Closed)?;
            let message = match tokio::time::timeout_at(end, rx.recv()).await {
                Err(_) => return Ok(None),
                Ok(None) => return Err(DeliveryError::Closed),
                Ok(Some(message)) => message,
            };
            let Some((lane, sequence, attempt)) = position(&message) else {
                tracing::error!(subject = %message.subject, "message without JetStream metadata");
                continue;
            };
            if self
                .acked
                .get(&lane)
                .is_some_and(|acked| sequence <= *acked)
            {
                // a redelivery that crossed our ack of the same event: the
                // event is done, and handing it out again would put it
                // after later events of the same lane
                tracing::debug!(lane, sequence, "stale redelivery dropped");
                continue;
            }
            let delivery: Delivery = match serde_json::from_slice(&message.payload) {
                Ok(delivery) => delivery,
                Err(e) => {
                    // a message that can never be read would block its lane
                    // for ever: take it out of circulation
                    tracing::error!(subject = %message.subject, error = %e,
                        "malformed delivery terminated");
                    message
                        .ack_with(AckKind::Term)
                        .await
                        .map_err(js("terminate"))?;
                    continue;
                }
            };
            if !self.kinds.matches(&delivery.kind) {
                message.ack().await.map_err(js("ack"))?;
                continue;
            }
            self.pending
                .entry(delivery.id.clone())
                .or_default()
                .push(message);
            return Ok(Some(Received { delivery, attempt }));
        }
    }

    async fn ack(&mut self, id: &str) -> Result<(), DeliveryError> {
        let messages = self.take_pending(id)?;
        for message in messages {
            if let Some((lane, sequence, _)) = position(&message) {
                let acked = self.acked.entry(lane).or_default();
                *acked = (*acked).max(sequence);
            }
            message.double_ack().await.map_err(js("ack"))?;
        }
        Ok(())
    }

    async fn nak(&mut self, id: &str) -> Result<(), DeliveryError> {
        let messages = self.take_pending(id)?;
        for message in messages {
            message
                .ack_with(AckKind::Nak(None))
                .await
                .map_err(js("nak"))?;
        }
        Ok(())
    }
}

/// A message's lane consumer, stream sequence and delivery count.
fn position(message: &jetstream::Message) -> Option<(String, u64, u64)> {
    let info = message.info().ok()?;
    let attempt = u64::try_from(info.delivered).unwrap_or(1).max(1);
    Some((info.consumer.to_owned(), info.stream_sequence, attempt))
}

impl Drop for JetStreamSubscription {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        let tasks = std::mem::take(&mut self.tasks);
        let mut held: Vec<jetstream::Message> = self.pending.drain().flat_map(|(_, m)| m).collect();
        let Some(mut rx) = self.rx.take() else {
            return;
        };
        let client = self.client.clone();
        // Give back what this subscription held, so that it is redelivered
        // within seconds rather than after the ack wait. The pulling tasks'
        // last pull requests may outlive them on the server by up to their
        // expiry, and a redelivery handed to one of them would be lost until
        // the ack wait passes: so the tasks are stopped, the requests left
        // to expire, and only then are the held messages nak'd.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for task in tasks {
                    // a cancelled task's error is what is expected here
                    let _ = task.await;
                }
                rx.close();
                while let Ok(message) = rx.try_recv() {
                    held.push(message);
                }
                tokio::time::sleep(PULL_EXPIRES + Duration::from_millis(250)).await;
                if let Err(e) = client.flush().await {
                    tracing::debug!(error = %e, "flush on drop failed");
                }
                for message in held {
                    if let Err(e) = message.ack_with(AckKind::Nak(None)).await {
                        tracing::debug!(error = %e, "nak on drop failed");
                    }
                }
            });
        }
    }
}
