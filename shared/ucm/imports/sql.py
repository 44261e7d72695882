"""Every SQL statement of the import pipeline, in one place."""

from __future__ import annotations

from typing_extensions import LiteralString

_JOB_COLUMNS: LiteralString = """
id, kind, store_id, filename, object_key, content_type, status, object_etag, encoding, headers, mapping,
mapping_id, total_rows, processed_rows, counts, message, created_by, created_at, updated_at, committed_by,
committed_at, rolled_back_by, rolled_back_at, version, target_id
"""

INSERT_JOB: LiteralString = """
insert into import_job (id, kind, store_id, filename, object_key, content_type, mapping_id, created_by, target_id)
values (%(id)s, %(kind)s, %(store_id)s, %(filename)s, %(key)s, %(content_type)s, %(mapping_id)s, %(actor)s,
        %(target_id)s)
returning """ + _JOB_COLUMNS

GET_JOB: LiteralString = "select " + _JOB_COLUMNS + " from import_job where id = %s"
GET_JOB_FOR_UPDATE: LiteralString = "select " + _JOB_COLUMNS + " from import_job where id = %s for update"
JOB_BY_KEY: LiteralString = "select " + _JOB_COLUMNS + " from import_job where object_key = %s for update"

LIST_JOBS: LiteralString = "select " + _JOB_COLUMNS + """
from import_job
where (%(kind)s::text is null or kind = %(kind)s)
  and (%(status)s::text is null or status = %(status)s)
  and (%(after_at)s::timestamptz is null or (created_at, id) < (%(after_at)s, %(after_id)s))
order by created_at desc, id desc
limit %(limit)s
"""

# A long step outlives no function (FC stops it at its timeout, 300 s): a job still marked as
# in the middle of one long after that was cut off. Its transaction was rolled back, so it goes
# back to where it was (nothing written), or failed when the file was being read.
RECOVER: LiteralString = """
update import_job
set status = case status when 'committing' then 'ready' when 'rolling_back' then 'committed' else 'failed' end,
    message = case status when 'parsing' then '读取文件时中断，请重新导入该文件'
                          else '上次操作中途中断，未写入任何数据，可以重试' end,
    updated_at = now(), version = version + 1
where id = %(id)s and status in ('parsing', 'committing', 'rolling_back')
  and updated_at < now() - %(after_s)s * interval '1 second'
"""

STORE_VISIBLE: LiteralString = "select id from store where id = %s"

# Status moves are compare-and-set on the current status: two commits of one job cannot both start.
MOVE: LiteralString = """
update import_job set status = %(to)s, message = %(message)s, updated_at = now(), version = version + 1
where id = %(id)s and status = any(%(from)s)
returning """ + _JOB_COLUMNS

START_PARSING: LiteralString = """
update import_job set status = 'parsing', object_etag = %(etag)s, message = '', total_rows = 0, processed_rows = 0,
       counts = '{}', updated_at = now(), version = version + 1
where id = %(id)s
"""

PROGRESS: LiteralString = """
update import_job set processed_rows = %(done)s, total_rows = greatest(total_rows, %(total)s),
       message = %(message)s, updated_at = now()
where id = %(id)s
"""

PARSED: LiteralString = """
update import_job set status = %(status)s, encoding = %(encoding)s, headers = %(headers)s, mapping = %(mapping)s,
       mapping_id = coalesce(%(mapping_id)s, mapping_id),
       total_rows = %(total)s, processed_rows = %(done)s, counts = %(counts)s, message = %(message)s,
       updated_at = now(), version = version + 1
where id = %(id)s
returning """ + _JOB_COLUMNS

FAILED: LiteralString = """
update import_job set status = %(status)s, message = %(message)s, updated_at = now(), version = version + 1
where id = %(id)s
returning """ + _JOB_COLUMNS

COMMITTED: LiteralString = """
update import_job set status = 'committed', committed_by = %(actor)s, committed_at = now(),
       processed_rows = total_rows, message = %(message)s, updated_at = now(), version = version + 1
where id = %(id)s and status = 'committing'
returning """ + _JOB_COLUMNS

ROLLED_BACK: LiteralString = """
update import_job set status = 'rolled_back', rolled_back_by = %(actor)s, rolled_back_at = now(),
       message = %(message)s, updated_at = now(), version = version + 1
where id = %(id)s and status = 'rolling_back'
returning """ + _JOB_COLUMNS

DELETE_ROWS: LiteralString = "delete from import_row where job_id = %s"
COPY_ROWS: LiteralString = """
copy import_row (job_id, row_no, action, key, data, diff, errors, entity_id, entity_version) from stdin
"""

LIST_ROWS: LiteralString = """
select row_no, action, key, data, diff, errors from import_row
where job_id = %(job)s and (%(action)s::text is null or action = %(action)s) and row_no > %(after)s
order by job_id, row_no
limit %(limit)s
"""

ERROR_ROWS: LiteralString = """
select row_no, errors from import_row where job_id = %s and action = 'error' order by row_no
"""

GET_MAPPING: LiteralString = "select id, kind, name, columns from import_mapping where id = %s"
LIST_MAPPINGS: LiteralString = """
select id, kind, name, columns from import_mapping where (%(kind)s::text is null or kind = %(kind)s) order by kind, name
"""
SAVE_MAPPING: LiteralString = """
insert into import_mapping (kind, name, columns, created_by) values (%s, %s, %s, %s)
on conflict (kind, name) do update set columns = excluded.columns
returning id, kind, name, columns
"""
DELETE_MAPPING: LiteralString = "delete from import_mapping where id = %s returning id, kind, name, columns"
