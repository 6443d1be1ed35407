-- The messages received since a time, for the operators' view of each
-- back office's activity.
CREATE INDEX sync_messages_received ON sync_messages (received_ns);
