//! The PostgreSQL backend's delivery storage: outbox, subscriptions,
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
use crate::postgres::PgStore;
use crate::{Context, DeliveryStore, StoreError};

delivery_store!(PgStore, sqlx::Postgres, sqlx::PgConnection);
