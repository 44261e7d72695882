-- Every business event, as delivered from Kafka (or in-process) by the events-etl function.
-- ReplacingMergeTree on the event id: a redelivered event collapses into one row.
CREATE TABLE IF NOT EXISTS events
(
    id           UUID,
    type         LowCardinality(String),
    occurred_at  DateTime64(3, 'UTC'),
    store_id     Nullable(String),
    aggregate_id String,
    trace_id     String,
    actor        String,
    data         String,
    ingested_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (type, id);
