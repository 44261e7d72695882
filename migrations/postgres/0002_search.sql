-- Search documents for the PostgreSQL search adapter (the embedded default of the search port).
-- One generic table for every kind (sku, member, …); the adapter derives pinyin, initials and
-- normalised codes from each document. pg_trgm needs a UTF-8 database with a non-C ctype
-- (C.UTF-8): under locale C it drops Chinese characters from trigrams.

create table search_document (
    kind       text        not null,
    id         text        not null,
    store_id   text,                                -- null: HQ-wide, visible to every store
    title      text        not null,
    codes      text[]      not null default '{}',   -- normalised barcodes / codes
    tags       text[]      not null default '{}',
    pinyin     text        not null default '',     -- 可口可乐 → kekoukele
    initials   text        not null default '',     -- 可口可乐 → kkkl
    doc        jsonb       not null,                -- the document as given
    updated_at timestamptz not null default now(),
    primary key (kind, id)
);
create index search_document_title_trgm on search_document using gin (title gin_trgm_ops);
create index search_document_pinyin_trgm on search_document using gin (pinyin gin_trgm_ops);
create index search_document_initials_trgm on search_document using gin (initials gin_trgm_ops);

-- One row per (document, code), written by the adapter in the same transaction as the
-- document (set-based statements: a per-row trigger or foreign key check gets a plan cached
-- while the table is empty and turns a bulk load quadratic). The column is collated "C", so
-- the primary-key btree serves the exact match and the prefix match (starts_with / ^@ use a
-- btree under C collation since PostgreSQL 15).
create table search_code (
    kind text not null,
    code text collate "C" not null,
    id   text not null,
    primary key (kind, code, id)
);
create index search_code_doc on search_code (kind, id);
