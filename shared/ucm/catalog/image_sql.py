"""SQL of SKU images. RLS on sku and sku_image limits every statement to what the caller may see."""

from typing_extensions import LiteralString

SKU: LiteralString = "select id, store_id from sku where id = %s"
SKU_FOR_UPDATE: LiteralString = "select id, store_id from sku where id = %s for update"

LIST_IMAGES: LiteralString = """
select id, sku_id, object_key, thumb_key, content_type, size, width, height, position, is_main
  from sku_image where sku_id = %s order by position, created_at, id
"""
IMAGE_BY_KEY: LiteralString = """
select id, sku_id, object_key, thumb_key, content_type, size, width, height, position, is_main
  from sku_image where object_key = %s
"""
IMAGE_COUNT: LiteralString = "select count(*)::int as n from sku_image where sku_id = %s"

# Last position; main when the SKU has no main image yet (its first image).
INSERT_IMAGE: LiteralString = """
insert into sku_image (sku_id, store_id, object_key, thumb_key, content_type, size, width, height, position, is_main)
select %(sku_id)s, %(store_id)s, %(key)s, %(thumb)s, %(ctype)s, %(size)s, %(width)s, %(height)s,
       coalesce((select max(position) from sku_image where sku_id = %(sku_id)s), 0) + 1,
       not exists (select 1 from sku_image where sku_id = %(sku_id)s and is_main)
returning id, sku_id, object_key, thumb_key, content_type, size, width, height, position, is_main
"""

REORDER: LiteralString = """
update sku_image i set position = t.n
  from unnest(%s::text[]) with ordinality as t (id, n)
 where i.id = t.id and i.sku_id = %s
"""
CLEAR_MAIN: LiteralString = "update sku_image set is_main = false where sku_id = %s and is_main"
SET_MAIN: LiteralString = "update sku_image set is_main = true where id = %s and sku_id = %s"

DELETE_IMAGE: LiteralString = """
delete from sku_image where id = %s and sku_id = %s
returning id, sku_id, object_key, thumb_key, content_type, size, width, height, position, is_main
"""
COMPACT_POSITIONS: LiteralString = """
update sku_image i set position = t.n
  from (select id, row_number() over (order by position, created_at, id) as n
          from sku_image where sku_id = %s) t
 where i.id = t.id and i.position <> t.n
"""
MAIN_TO_FIRST: LiteralString = """
update sku_image set is_main = true
 where id = (select id from sku_image where sku_id = %s order by position, created_at, id limit 1)
returning id
"""
