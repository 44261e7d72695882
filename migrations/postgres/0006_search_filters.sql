-- Search at catalog scale (issue 4: 100,000 SKUs, P95 under 50 ms) for the PostgreSQL adapter.
--
-- Row-level security on search_document keeps the planner from using an index for any
-- operator not marked leakproof (trigram %, LIKE, array @>): every title, pinyin or filter
-- match scanned the whole kind. search_match holds, like search_code, only what documents are
-- matched on and no store: the adapter finds and ranks candidates here, with indexes, and
-- joins them back to search_document, where RLS and the store filter decide what the caller
-- sees. The old trigram indexes on search_document could never be used under RLS: dropped.
--
-- grams: the title's characters and character pairs per word (what OpenSearch's cjk analyzer
-- indexes). Chinese product words are two characters, shorter than a trigram, so a GIN lookup
-- on the query's pairs narrows the rows before the ILIKE.
-- facets: 'field=value' for each top-level string field of the document and each string in a
-- top-level list field: one array containment serves equality filters on single fields
-- (brand_id, status) and on multi-valued ones (a SKU's category path).
-- shared: the document is HQ-wide. With the store_id facet it lets the adapter drop other
-- stores' documents before ranking (RLS on search_document still decides what is returned).

create function ucm_search_grams(title text) returns text[]
language sql immutable parallel safe as $$
    select coalesce(array_agg(distinct substr(w.word, i, n)), '{}')
      from regexp_split_to_table(lower(title), '\s+') as w (word),
           generate_series(1, length(w.word)) as i,
           (values (1), (2)) as k (n)
     where i + n - 1 <= length(w.word)
$$;

create table search_match (
    kind     text   not null,
    id       text   not null,
    title    text   not null,
    pinyin   text   not null default '',
    initials text   not null default '',
    grams    text[] generated always as (ucm_search_grams(title)) stored,
    facets   text[] not null default '{}',
    shared   boolean not null default true,
    primary key (kind, id)
);
create index search_match_title_trgm on search_match using gin (title gin_trgm_ops);
create index search_match_pinyin_trgm on search_match using gin (pinyin gin_trgm_ops);
create index search_match_initials_trgm on search_match using gin (initials gin_trgm_ops);
create index search_match_grams on search_match using gin (grams);
create index search_match_facets on search_match using gin (facets);

-- Documents indexed before this migration (the adapter writes both tables from now on).
insert into search_match (kind, id, title, pinyin, initials, shared, facets)
select d.kind, d.id, d.title, d.pinyin, d.initials, d.store_id is null,
       coalesce((select array_agg(distinct f.facet)
                   from (select e.key || '=' || (e.value #>> '{}') as facet
                           from jsonb_each(d.doc) as e
                          where jsonb_typeof(e.value) = 'string'
                            and e.key not in ('id', 'title', 'codes') and e.key ~ '^[a-z_][a-z0-9_]*$'
                         union all
                         select e.key || '=' || (v.value #>> '{}')
                           from jsonb_each(d.doc) as e,
                                jsonb_array_elements(case when jsonb_typeof(e.value) = 'array'
                                                          then e.value else '[]' end) as v
                          where jsonb_typeof(v.value) = 'string'
                            and e.key not in ('id', 'title', 'codes') and e.key ~ '^[a-z_][a-z0-9_]*$'
                         union all
                         select 'store_id=' || d.store_id where d.store_id is not null) as f), '{}')
  from search_document d
 where jsonb_typeof(d.doc) = 'object';

drop index search_document_title_trgm;
drop index search_document_pinyin_trgm;
drop index search_document_initials_trgm;
