-- Platform foundation: transactional outbox, consumer dedupe, audit log, object uploads.

create extension if not exists pg_trgm;

-- Outbox: written in the same transaction as the business rows; the relay publishes rows
-- with sent_at null in seq order (per aggregate key order follows from that).
create table outbox (
    seq          bigint generated always as identity primary key,
    id           uuid        not null unique,
    topic        text        not null,
    aggregate_id text        not null,
    store_id     text,
    payload      jsonb       not null,
    trace_id     text,
    actor        text,
    occurred_at  timestamptz not null,
    sent_at      timestamptz,
    attempts     integer     not null default 0,
    last_error   text
);
create index outbox_unsent on outbox (seq) where sent_at is null;

-- Consumers record each event id they applied, in the same transaction as its effects,
-- so a redelivered event changes nothing.
create table processed_event (
    consumer     text        not null,
    event_id     text        not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, event_id)
);

-- Audit: who did what, when, to what; append-only (enforced below, not by convention).
create table audit_log (
    id          bigint generated always as identity primary key,
    at          timestamptz not null default now(),
    actor       text        not null,
    action      text        not null,
    target_type text        not null,
    target_id   text        not null,
    store_id    text,
    before      jsonb,
    after       jsonb,
    request_id  text,
    source_ip   text
);
create index audit_log_target on audit_log (target_type, target_id, at desc);
create index audit_log_actor on audit_log (actor, at desc);
create index audit_log_action on audit_log (action, at desc);

create function audit_log_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only' using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_immutable();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_immutable();

-- Objects that landed in the bucket under uploads/ (recorded by the OSS-triggered function).
create table object_upload (
    id           uuid        primary key default gen_random_uuid(),
    bucket       text        not null,
    key          text        not null,
    size         bigint      not null,
    etag         text        not null,
    uploaded_at  timestamptz not null default now(),
    unique (bucket, key, etag)
);
