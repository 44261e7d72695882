import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, Button, Dropdown, Form, Progress, Select, Space, Tag, Typography } from 'antd';
import { FileExcelOutlined } from '@ant-design/icons';
import { errorMessage, fetchAll } from '../../api/client';
import { BUSY, IMPORT_STATUS, downloadTemplate, listImports, type ImportJob, type ImportKind, type ImportStatus } from '../../api/imports';
import FilterBar from '../../components/FilterBar';
import { listActions } from '../../components/ListActions';
import ListTable from '../../components/ListTable';
import { useCursorList } from '../../hooks/useCursorList';
import { useActorNames, useStoreOptions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { downloadCsv } from '../../utils/csv';
import { formatDateTime } from '../../utils/format';
import { KINDS } from './kinds';

const FILTER_KEYS = ['status'] as const;

export function ImportProgress({ job }: { job: ImportJob }) {
  const total = job.total_rows ?? 0;
  const done = job.processed_rows ?? 0;
  const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : BUSY.includes(job.status) ? 0 : 100;
  const status = job.status === 'failed' || job.status === 'invalid' ? 'exception' : BUSY.includes(job.status) ? 'active' : 'normal';
  return (
    <Space size={8}>
      <Progress percent={pct} size="small" status={status} style={{ width: 120, margin: 0 }} showInfo={false} />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {done}/{total || '?'} 行
      </Typography.Text>
    </Space>
  );
}

export function TemplateButton({ kind = 'sku' }: { kind?: ImportKind }) {
  const { message } = App.useApp();
  return (
    <Dropdown
      menu={{
        items: [
          { key: 'xlsx', label: 'Excel 模板 (xlsx)' },
          { key: 'csv', label: 'CSV 模板' },
        ],
        onClick: ({ key }) => void downloadTemplate(key as 'csv' | 'xlsx', kind).catch((err) => message.error(errorMessage(err))),
      }}
    >
      <Button icon={<FileExcelOutlined />} data-testid="import-template">
        下载模板
      </Button>
    </Dropdown>
  );
}

/** 商品导入 / 库存导入 (the route's kind): jobs with status and progress; 新建导入 opens the wizard. */
export default function ImportsPage({ kind = 'sku' }: { kind?: ImportKind }) {
  const cfg = KINDS[kind];
  const navigate = useNavigate();
  const { message } = App.useApp();
  const { byId } = useStoreOptions();
  const { actorName } = useActorNames();
  const { filters, filterKey, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) => listImports({ kind, ...filters, limit: p.limit, cursor: p.cursor }, signal),
    [filters, kind],
  );
  const list = useCursorList<ImportJob>(fetchPage, `${kind}:${filterKey}`, limit);
  const [exporting, setExporting] = useState(false);
  const busy = list.items.some((j) => BUSY.includes(j.status));

  // Jobs still being worked on: refresh every 2 s.
  useEffect(() => {
    if (!busy) return;
    const t = window.setTimeout(list.reload, 2000);
    return () => window.clearTimeout(t);
  }, [busy, list.items, list.reload]);

  const columns: ProColumns<ImportJob>[] = [
    {
      title: '文件',
      dataIndex: 'filename',
      key: 'filename',
      render: (_, j) => (
        <Link to={`${cfg.base}/${j.id}`} data-testid={`import-link-${j.id}`}>
          {j.filename}
        </Link>
      ),
    },
    { title: '范围', dataIndex: 'store_id', key: 'store_id', render: (_, j) => (j.store_id ? byId.get(j.store_id)?.name ?? j.store_id : <Tag color="gold">{kind === 'stock' ? '总部（多门店）' : '总部'}</Tag>) },
    { title: '状态', dataIndex: 'status', key: 'status', render: (_, j) => <Tag color={IMPORT_STATUS[j.status]?.color}>{IMPORT_STATUS[j.status]?.text ?? j.status}</Tag> },
    { title: '进度', key: 'progress', render: (_, j) => <ImportProgress job={j} /> },
    {
      title: '结果',
      key: 'counts',
      render: (_, j) =>
        j.counts ? (
          <Space size={4} wrap>
            {kind === 'sku' && <Tag color="green">新增 {j.counts.create}</Tag>}
            <Tag color="blue">{kind === 'stock' ? '有差异' : '更新'} {j.counts.update}</Tag>
            <Tag>不变 {j.counts.unchanged}</Tag>
            {j.counts.error > 0 && <Tag color="red">错误 {j.counts.error}</Tag>}
          </Space>
        ) : (
          '—'
        ),
    },
    { title: '创建人', dataIndex: 'created_by', key: 'created_by', render: (_, j) => actorName(j.created_by) },
    { title: '创建时间', dataIndex: 'created_at', key: 'created_at', render: (_, j) => formatDateTime(j.created_at) },
    { title: '提交时间', dataIndex: 'committed_at', key: 'committed_at', render: (_, j) => formatDateTime(j.committed_at) },
    {
      title: '操作',
      key: 'actions',
      fixed: 'right',
      render: (_, j) => (
        <Button type="link" size="small" onClick={() => navigate(`${cfg.base}/${j.id}`)}>
          {j.status === 'ready' ? '继续' : '查看'}
        </Button>
      ),
    },
  ];

  return (
    <PageContainer title={cfg.title} subTitle={cfg.subTitle}>
      <FilterBar values={{ status: filters.status }} onSearch={(v: { status?: string }) => setFilters({ status: v.status })} onReset={() => setFilters({})} testId="import-filter">
        <Form.Item name="status" label="状态">
          <Select allowClear placeholder="全部" options={(Object.keys(IMPORT_STATUS) as ImportStatus[]).map((k) => ({ value: k, label: IMPORT_STATUS[k].text }))} />
        </Form.Item>
      </FilterBar>
      <ListTable<ImportJob>
        testId="import-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey={kind === 'sku' ? 'ucm.imports.columns' : `ucm.imports.${kind}.columns`}
        headerTitle="导入任务"
        pager={{ limit, setLimit }}
        defaultHidden={['committed_at']}
        toolBar={listActions({
          onExport: () => {
            setExporting(true);
            fetchAll<ImportJob>('/imports', { kind, ...filters })
              .then((all) =>
                downloadCsv(
                  `${cfg.exportName}-${Date.now()}.csv`,
                  ['文件', '状态', '总行数', '新增', kind === 'stock' ? '有差异' : '更新', '不变', '错误', '创建人', '创建时间', '提交时间'],
                  all.map((j) => [
                    j.filename,
                    IMPORT_STATUS[j.status]?.text ?? j.status,
                    j.total_rows,
                    j.counts?.create,
                    j.counts?.update,
                    j.counts?.unchanged,
                    j.counts?.error,
                    j.created_by,
                    formatDateTime(j.created_at),
                    formatDateTime(j.committed_at),
                  ]),
                ),
              )
              .catch((err) => message.error(errorMessage(err)))
              .finally(() => setExporting(false));
          },
          exporting,
          extra: [<TemplateButton key="template" kind={kind} />],
          create: { label: '新建导入', testId: 'import-create', onClick: () => navigate(`${cfg.base}/new`) },
        })}
      />
    </PageContainer>
  );
}
