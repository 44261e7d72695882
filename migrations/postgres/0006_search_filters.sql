-- Search at catalog scale (issue 4: 100,000 SKUs, P95 under 50 ms) for the PostgreSQL adapter.
--
-- grams: the title's characters and character pairs per word (what OpenSearch's cjk analyzer
-- indexes). Chinese product words are two characters, shorter than a trigram, so their ILIKE
-- cannot use the trigram index; a GIN lookup on the query's pairs narrows the rows first.
--
-- facets: 'key=value' for each top-level string field of the document and each string in a
-- top-level list field, so one indexed array containment serves equality filters on single
-- fields (brand_id, status) and on multi-valued ones (a SKU's category path).
--
-- Both are generated from the document, so existing rows are filled in here and no writer
-- can forget them.

create function ucm_search_grams(title text) returns text[]
language sql immutable parallel safe as $$
    select coalesce(array_agg(distinct substr(w.word, i, n)), '{}')
      from regexp_split_to_table(lower(title), '\s+') as w (word),
           generate_series(1, length(w.word)) as i,
           (values (1), (2)) as k (n)
     where i + n - 1 <= length(w.word)
$$;

create function ucm_search_facets(doc jsonb) returns text[]
language sql immutable parallel safe as $$
    select coalesce(array_agg(distinct f.facet), '{}')
      from (select e.key || '=' || (e.value #>> '{}') as facet
              from jsonb_each(case when jsonb_typeof(doc) = 'object' then doc else '{}' end) as e
             where jsonb_typeof(e.value) = 'string'
            union all
            select e.key || '=' || (v.value #>> '{}')
              from jsonb_each(case when jsonb_typeof(doc) = 'object' then doc else '{}' end) as e,
                   jsonb_array_elements(case when jsonb_typeof(e.value) = 'array' then e.value else '[]' end) as v
             where jsonb_typeof(v.value) = 'string') as f
$$;

alter table search_document
    add column grams  text[] generated always as (ucm_search_grams(title)) stored,
    add column facets text[] generated always as (ucm_search_facets(doc)) stored;

create index search_document_grams on search_document using gin (grams);
create index search_document_facets on search_document using gin (facets);
