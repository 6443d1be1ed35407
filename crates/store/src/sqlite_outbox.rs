//! The SQLite backend's delivery storage: outbox, subscriptions,
//! de-duplication (the one implementation in [`crate::outbox`]).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use exchange::MemberId;
use registry::VitalEvent;
use tokio::sync::Notify;

use crate::model::{self, EventRow};
use crate::outbox::{
    self, EventSubscription, OUTBOX_COLUMNS, OutboxRow, OutboxTuple, SUBSCRIPTION_COLUMNS,
    SubscriptionTuple, delivery_store,
};
use crate::sqlite::SqliteStore;
use crate::{Context, DeliveryStore, StoreError};

delivery_store!(SqliteStore, sqlx::Sqlite, sqlx::SqliteConnection);
