import { Table, Typography } from 'antd';

type Row = { key: string; before: unknown; after: unknown; changed: boolean };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function show(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** before/after of an audit entry as a field table: changed fields first and highlighted. */
export function diffRows(before: unknown, after: unknown): Row[] {
  if (!isObj(before) && !isObj(after)) {
    return [{ key: '(值)', before, after, changed: show(before) !== show(after) }];
  }
  const b = isObj(before) ? before : {};
  const a = isObj(after) ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  const rows = keys.map((k) => ({ key: k, before: b[k], after: a[k], changed: show(b[k]) !== show(a[k]) }));
  return [...rows.filter((r) => r.changed), ...rows.filter((r) => !r.changed)];
}

export default function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const rows = diffRows(before, after);
  const changed = rows.filter((r) => r.changed).length;
  const cell = (v: unknown, tone: 'del' | 'add', isChanged: boolean) =>
    v === undefined ? (
      <Typography.Text type="secondary">—</Typography.Text>
    ) : (
      <Typography.Text
        style={{
          fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
          fontSize: 12,
          wordBreak: 'break-all',
          background: isChanged ? (tone === 'del' ? '#fff1f0' : '#f6ffed') : undefined,
          padding: isChanged ? '0 4px' : undefined,
        }}
        delete={isChanged && tone === 'del' && after !== null && after !== undefined}
      >
        {show(v)}
      </Typography.Text>
    );
  return (
    <div data-testid="audit-diff">
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {before == null && after != null ? '新建' : after == null && before != null ? '删除' : `变更 ${changed} 个字段`}
      </Typography.Text>
      <Table<Row>
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={rows}
        tableLayout="fixed"
        style={{ marginTop: 8, maxWidth: 1000 }}
        columns={[
          { title: '字段', dataIndex: 'key', width: 160, render: (k: string, r) => <Typography.Text strong={r.changed}>{k}</Typography.Text> },
          ...(before != null ? [{ title: '修改前', dataIndex: 'before', render: (v: unknown, r: Row) => cell(v, 'del', r.changed) }] : []),
          ...(after != null ? [{ title: before != null ? '修改后' : '值', dataIndex: 'after', render: (v: unknown, r: Row) => cell(v, 'add', r.changed) }] : []),
        ]}
      />
    </div>
  );
}
