import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { PageContainer } from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Dropdown,
  Empty,
  Form,
  Input,
  Popconfirm,
  Progress,
  Result,
  Row,
  Select,
  Space,
  Spin,
  Statistic,
  Steps,
  Table,
  Tabs,
  Tag,
  Typography,
  Upload,
} from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, DownloadOutlined, InboxOutlined, RollbackOutlined } from '@ant-design/icons';
import { errorMessage, isApiError } from '../../api/client';
import { putToPresigned } from '../../api/catalog';
import {
  BUSY,
  IMPORT_STATUS,
  cancelImport,
  commitImport,
  createImport,
  deleteMapping,
  downloadImportErrors,
  getImport,
  importContentType,
  listImportRows,
  listMappings,
  putMapping,
  rollbackImport,
  type ImportJob,
  type ImportKind,
  type ImportRow,
  type RowAction,
  type SavedMapping,
} from '../../api/imports';
import { useAuth } from '../../auth/AuthContext';
import CursorPager, { pagerProps } from '../../components/CursorPager';
import { useAsync } from '../../hooks/useAsync';
import { useCursorList } from '../../hooks/useCursorList';
import { useStoreOptions } from '../../hooks/useRefData';
import { formatDateTime, formatMoney } from '../../utils/format';
import { HQ, SKU_STATUS, taxLabel } from '../catalog/labels';
import { TemplateButton } from './ImportsPage';
import { KINDS, splitStockKey } from './kinds';
import { fmtQty, isNegative, isZero, subQty } from '../inventory/labels';

const STEP_TITLES = ['上传文件', '字段映射', '校验与预览', '提交'];

function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '（空）';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Import row data → "类目：饮料/碳酸饮料；条码：690…；标准价：¥3.50" (the fields a person reads). */
const DATA_FIELDS: [string, string][] = [
  ['brand_name', '品牌'],
  ['category_path', '类目'],
  ['unit', '单位'],
  ['tax_rate', '税率'],
  ['barcodes', '条码'],
  ['pack', '箱规'],
  ['standard_price', '标准价'],
  ['member_price', '会员价'],
  ['status', '状态'],
  ['origin', '产地'],
];

function dataSummary(data: Record<string, unknown> | null): string {
  if (!data) return '';
  const parts: string[] = [];
  for (const [k, label] of DATA_FIELDS) {
    let v = data[k];
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) continue;
    if (k === 'barcodes' && Array.isArray(v)) v = v.map((b) => (typeof b === 'object' && b ? (b as { code?: string }).code : b)).join('；');
    else if (k.endsWith('_price')) v = formatMoney(String(v));
    else if (k === 'status') v = (SKU_STATUS as Record<string, { text: string }>)[String(v)]?.text ?? v;
    else if (k === 'tax_rate') v = taxLabel(String(v));
    else if (Array.isArray(v)) v = v.join('/');
    parts.push(`${label}：${show(v)}`);
  }
  return parts.join('；');
}

function pctOf(job: ImportJob): number {
  const total = job.total_rows ?? 0;
  if (!total) return BUSY.includes(job.status) ? 0 : 100;
  return Math.min(100, Math.floor(((job.processed_rows ?? 0) / total) * 100));
}

/** Progress bar of a job the server is working on (parsing / committing / rolling back). */
function JobProgress({ job, title }: { job: ImportJob; title: string }) {
  return (
    <Card data-testid="import-progress" data-status={job.status}>
      <Space direction="vertical" style={{ width: '100%' }} align="center">
        <Spin />
        <Typography.Title level={5} style={{ margin: 0 }}>
          {title}
        </Typography.Title>
        <Progress percent={pctOf(job)} status="active" style={{ width: 420 }} />
        <Typography.Text type="secondary">
          已处理 {job.processed_rows ?? 0} / {job.total_rows ?? '?'} 行
        </Typography.Text>
      </Space>
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// Step 1: upload

function UploadStep({ kind, onCreated }: { kind: ImportKind; onCreated: (job: ImportJob) => void }) {
  const { allStores, currentStoreId } = useAuth();
  const { message } = App.useApp();
  const { stores } = useStoreOptions();
  const mappings = useAsync<SavedMapping[]>(() => listMappings(kind), [kind]);
  const [file, setFile] = useState<File | null>(null);
  const [scope, setScope] = useState<string | undefined>(allStores ? HQ : currentStoreId ?? undefined);
  const [mappingId, setMappingId] = useState<string | undefined>();
  const [uploading, setUploading] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!scope && stores[0]) setScope(stores[0].id);
  }, [scope, stores]);

  const start = async () => {
    if (!file) return;
    setError(null);
    setUploading(0);
    try {
      const { job, upload } = await createImport({
        kind,
        filename: file.name,
        content_type: importContentType(file.name),
        store_id: scope && scope !== HQ ? scope : null,
        mapping_id: mappingId ?? null,
      });
      await putToPresigned({ url: upload.url, method: upload.method, content_type: upload.content_type || importContentType(file.name) }, file, setUploading);
      message.success('文件已上传，正在解析');
      onCreated(job);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setUploading(null);
    }
  };

  return (
    <Card data-testid="import-upload">
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="import-upload-error" />}
      <Form layout="vertical" style={{ maxWidth: 640 }}>
        {kind === 'stock' ? (
          <Form.Item
            label="门店"
            required
            extra={
              allStores
                ? '选“多个门店”时，每行按「门店编码」列记到对应门店；选某个门店时，门店编码可不填（填了必须是该门店）'
                : '只能导入所辖门店的库存；门店编码列可不填'
            }
          >
            <Select
              value={scope}
              onChange={setScope}
              showSearch
              optionFilterProp="label"
              data-testid="import-scope"
              options={[...(allStores ? [{ value: HQ, label: '多个门店（按文件中的门店编码）' }] : []), ...stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` }))]}
            />
          </Form.Item>
        ) : (
          <Form.Item label="导入范围" required extra={allStores ? '总部：所有门店可售的商品；门店：仅该门店的门店商品' : '您只能导入所辖门店的门店商品'}>
            <Select
              value={scope}
              onChange={setScope}
              data-testid="import-scope"
              options={[...(allStores ? [{ value: HQ, label: '总部商品' }] : []), ...stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}（门店商品）` }))]}
            />
          </Form.Item>
        )}
        <Form.Item label="使用已保存的映射" extra="表头与标准模板不同时可选；不选则按表头自动识别">
          <Select
            allowClear
            value={mappingId}
            onChange={setMappingId}
            placeholder="自动识别"
            options={(mappings.data ?? []).map((m) => ({ value: m.id, label: m.name }))}
            optionRender={(o) => (
              <Space style={{ width: '100%', justifyContent: 'space-between' }}>
                <span>{o.label}</span>
                <Popconfirm
                  title={`删除映射「${String(o.label)}」？`}
                  okText="删除"
                  okButtonProps={{ danger: true }}
                  onConfirm={() =>
                    void deleteMapping(String(o.value))
                      .then(() => {
                        if (mappingId === o.value) setMappingId(undefined);
                        mappings.reload();
                      })
                      .catch((err) => message.error(errorMessage(err)))
                  }
                >
                  <DeleteOutlined style={{ color: '#999' }} onClick={(e) => e.stopPropagation()} aria-label="删除映射" />
                </Popconfirm>
              </Space>
            )}
          />
        </Form.Item>
        <Form.Item label="文件" required>
          <Upload.Dragger
            accept=".csv,.xlsx"
            multiple={false}
            maxCount={1}
            beforeUpload={(f) => {
              if (!/\.(csv|xlsx)$/i.test(f.name)) {
                message.error('仅支持 .csv 或 .xlsx 文件');
                return Upload.LIST_IGNORE;
              }
              setFile(f);
              return false;
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: 'f', name: file.name, size: file.size, status: 'done' }] : []}
            data-testid="import-file"
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">点击或拖拽 CSV / Excel 文件到这里</p>
            <p className="ant-upload-hint">
              {kind === 'stock'
                ? '第一行为表头：门店编码、商品编码（或条码）、库存数量；库存总览导出的文件改好数量即可导入。提交时按清点数量与当时现有库存的差额过账'
                : '第一行为表头；条码多个用 ; 分隔；类目填编码或路径（如 饮料/碳酸饮料）'}
            </p>
          </Upload.Dragger>
        </Form.Item>
        {uploading !== null && <Progress percent={uploading} size="small" style={{ marginBottom: 16 }} />}
        <Space>
          <Button type="primary" disabled={!file || !scope} loading={uploading !== null} onClick={() => void start()} data-testid="import-start">
            上传并解析
          </Button>
          <TemplateButton kind={kind} />
        </Space>
      </Form>
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// Step 2: mapping

function MappingStep({ job, onDone, onJob }: { job: ImportJob; onDone: () => void; onJob: (j: ImportJob) => void }) {
  const { message } = App.useApp();
  const headers = job.headers ?? [];
  const fields = job.fields ?? [];
  const initial = useMemo(() => Object.fromEntries(headers.map((h) => [h, job.mapping?.[h] ?? null])), [headers, job.mapping]);
  const [mapping, setMapping] = useState<Record<string, string | null>>(initial);
  const [saveAs, setSaveAs] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setMapping(initial), [initial]);

  const used = new Set(Object.values(mapping).filter(Boolean) as string[]);
  const missing = fields.filter((f) => f.required && !used.has(f.field));
  const dupes = Object.values(mapping).filter((v, i, all) => v && all.indexOf(v) !== i);
  const changed = JSON.stringify(mapping) !== JSON.stringify(initial);

  const next = async () => {
    setError(null);
    if (!changed && !saveAs.trim()) {
      onDone();
      return;
    }
    setSaving(true);
    try {
      const j = await putMapping(job.id, mapping, saveAs.trim() || null);
      if (saveAs.trim()) message.success(`已保存映射「${saveAs.trim()}」`);
      onJob(j);
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card title="字段映射" data-testid="import-mapping" extra={<Typography.Text type="secondary">{job.filename}</Typography.Text>}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      {missing.length > 0 && (
        <Alert type="warning" showIcon style={{ marginBottom: 16 }} message={`必填字段未映射：${missing.map((f) => f.label).join('、')}`} data-testid="import-mapping-missing" />
      )}
      {dupes.length > 0 && <Alert type="warning" showIcon style={{ marginBottom: 16 }} message="多个列映射到了同一字段" />}
      <Table
        size="small"
        rowKey="header"
        pagination={false}
        dataSource={headers.map((h) => ({ header: h }))}
        locale={{ emptyText: '文件没有表头' }}
        columns={[
          { title: '文件中的列', dataIndex: 'header', width: 240, render: (h: string) => <Typography.Text strong>{h}</Typography.Text> },
          {
            title: '对应字段',
            key: 'field',
            render: (_: unknown, r: { header: string }) => (
              <Select
                allowClear
                placeholder="忽略此列"
                style={{ width: 260 }}
                value={mapping[r.header] ?? undefined}
                onChange={(v?: string) => setMapping((m) => ({ ...m, [r.header]: v ?? null }))}
                options={fields.map((f) => ({ value: f.field, label: `${f.label}${f.required ? ' *' : ''}（${f.field}）` }))}
                data-testid={`import-map-${r.header}`}
              />
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 16 }} wrap>
        <Input placeholder="另存为映射（可选），如：供应商A格式" value={saveAs} onChange={(e) => setSaveAs(e.target.value)} style={{ width: 280 }} maxLength={40} />
        <Button type="primary" loading={saving} disabled={missing.length > 0} onClick={() => void next()} data-testid="import-mapping-next">
          {changed ? '应用映射并重新校验' : '下一步：查看校验结果'}
        </Button>
      </Space>
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// Step 3: errors or preview

function useRows(jobId: string, action: RowAction, limit: number) {
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) => listImportRows(jobId, { action, limit: p.limit, cursor: p.cursor }, signal),
    [jobId, action],
  );
  return useCursorList<ImportRow>(fetchPage, `${jobId}:${action}`, limit);
}

interface ErrorLine {
  key: string;
  row_no: number;
  column: string | null;
  value: string | null;
  message: string;
}

function ErrorsTable({ job }: { job: ImportJob }) {
  const [limit, setLimit] = useState(50);
  const list = useRows(job.id, 'error', limit);
  const lines: ErrorLine[] = list.items.flatMap((r) =>
    (r.errors?.length ? r.errors : [{ column: null, field: null, code: '', message: '未知错误', value: null }]).map((e, i) => ({
      key: `${r.row_no}:${i}`,
      row_no: r.row_no,
      column: e.column ?? e.field,
      value: e.value,
      message: e.message,
    })),
  );
  return (
    <>
      {list.error && <Alert type="error" showIcon message={list.error} style={{ marginBottom: 12 }} />}
      <Table<ErrorLine>
        size="small"
        rowKey="key"
        loading={list.loading}
        dataSource={lines}
        pagination={false}
        data-testid="import-errors"
        onRow={(l) => ({ 'data-testid': 'import-error-row', 'data-row': String(l.row_no), 'data-column': l.column ?? '' } as object)}
        columns={[
          { title: '行号', dataIndex: 'row_no', width: 80 },
          { title: '列', dataIndex: 'column', width: 160, render: (c: string | null) => c ?? '—' },
          { title: '值', dataIndex: 'value', width: 200, render: (v: string | null) => <Typography.Text code>{show(v)}</Typography.Text> },
          { title: '原因', dataIndex: 'message', render: (m: string) => <Typography.Text type="danger">{m}</Typography.Text> },
        ]}
        footer={() => (
          <CursorPager {...pagerProps(list, limit, setLimit)} testId="import-errors-pager" />
        )}
      />
    </>
  );
}

/** One action's rows of a job, paged: the table both kinds' previews share; the kind gives the columns. */
function PreviewRows({ job, action, columns, rowAttrs }: { job: ImportJob; action: RowAction; columns: TableColumnsType<ImportRow>; rowAttrs?: (r: ImportRow) => Record<string, string> }) {
  const [limit, setLimit] = useState(50);
  const list = useRows(job.id, action, limit);
  return (
    <>
      {list.error && <Alert type="error" showIcon message={list.error} style={{ marginBottom: 12 }} />}
      <Table<ImportRow>
        size="small"
        rowKey="row_no"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid={`import-rows-${action}`}
        onRow={(r) => ({ 'data-testid': `import-row-${action}`, 'data-key': r.key ?? '', ...rowAttrs?.(r) } as object)}
        columns={columns}
        footer={() => <CursorPager {...pagerProps(list, limit, setLimit)} />}
      />
    </>
  );
}

/** SKU kind: code and name, then the field diff (update), the content (create) or "the same". */
function skuColumns(action: RowAction, labels: Record<string, string>): TableColumnsType<ImportRow> {
  const name = (r: ImportRow) => (r.data && typeof r.data.name === 'string' ? r.data.name : '');
  return [
    { title: '行号', dataIndex: 'row_no', width: 70 },
    { title: '商品编码', dataIndex: 'key', width: 140, render: (k: string | null) => <Typography.Text strong>{k ?? '—'}</Typography.Text> },
    { title: '商品名称', key: 'name', width: 200, render: (_: unknown, r: ImportRow) => name(r) || '—' },
    action === 'update'
      ? {
          title: '变更（原值 → 新值）',
          key: 'diff',
          render: (_: unknown, r: ImportRow) => (
            <Space direction="vertical" size={2} data-testid="import-diff">
              {Object.entries(r.diff ?? {}).map(([f, [a, b]]) => (
                <span key={f}>
                  <Typography.Text type="secondary">{labels[f] ?? f}：</Typography.Text>
                  <Typography.Text delete style={{ background: '#fff1f0', padding: '0 4px' }}>
                    {show(a)}
                  </Typography.Text>
                  {' → '}
                  <Typography.Text style={{ background: '#f6ffed', padding: '0 4px' }}>{show(b)}</Typography.Text>
                </span>
              ))}
            </Space>
          ),
        }
      : {
          title: action === 'create' ? '内容' : '说明',
          key: 'data',
          render: (_: unknown, r: ImportRow) =>
            action === 'create' ? (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {dataSummary(r.data)}
              </Typography.Text>
            ) : (
              <Typography.Text type="secondary">与现有数据相同</Typography.Text>
            ),
        },
  ];
}

/** Stock kind: a row's on hand now and counted (the diff when they differ, else the counted quantity). */
function stockPair(r: ImportRow): [string | null, string | null] {
  const d = r.diff?.on_hand;
  if (d) return [show(d[0]), show(d[1])];
  const counted = r.data && r.data.quantity !== undefined ? String(r.data.quantity) : null;
  return [counted, counted];
}

function stockRowAttrs(r: ImportRow): Record<string, string> {
  const [now, next] = stockPair(r);
  return { 'data-now': now ?? '', 'data-counted': next ?? '' };
}

/** Stock kind: one row per store × SKU with on hand now → counted and the difference to post. */
function stockColumns(action: RowAction): TableColumnsType<ImportRow> {
  return [
    { title: '行号', dataIndex: 'row_no', width: 70 },
    { title: '门店', key: 'store', width: 100, render: (_: unknown, r: ImportRow) => splitStockKey(r.key).store || '—' },
    {
      title: '商品编码 / 条码',
      key: 'sku',
      width: 180,
      render: (_: unknown, r: ImportRow) => <Typography.Text strong>{splitStockKey(r.key).sku || '—'}</Typography.Text>,
    },
    {
      title: '现有库存 → 清点数量',
      key: 'diff',
      render: (_: unknown, r: ImportRow) => {
        const [now, next] = stockPair(r);
        if (action !== 'update') return <Typography.Text data-testid="import-diff">{fmtQty(next)}（与现有相同）</Typography.Text>;
        return (
          <span data-testid="import-diff">
            <Typography.Text style={{ background: '#fff1f0', padding: '0 4px' }}>{fmtQty(now)}</Typography.Text>
            {' → '}
            <Typography.Text strong style={{ background: '#f6ffed', padding: '0 4px' }}>
              {fmtQty(next)}
            </Typography.Text>
          </span>
        );
      },
    },
    {
      title: '将过账差异',
      key: 'delta',
      width: 120,
      align: 'right' as const,
      render: (_: unknown, r: ImportRow) => {
        const [now, next] = stockPair(r);
        const d = now !== null && next !== null ? subQty(next, now) : null;
        if (d === null || isZero(d)) return <Typography.Text type="secondary">0</Typography.Text>;
        return (
          <Typography.Text type={isNegative(d) ? 'danger' : 'success'} strong>
            {isNegative(d) ? d : `+${d}`}
          </Typography.Text>
        );
      },
    },
  ];
}

function ResultsStep({ kind, job, onJob, onMapping }: { kind: ImportKind; job: ImportJob; onJob: (j: ImportJob) => void; onMapping: () => void }) {
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const counts = job.counts ?? { create: 0, update: 0, unchanged: 0, error: 0 };
  const labels = useMemo(() => Object.fromEntries((job.fields ?? []).map((f) => [f.field, f.label])), [job.fields]);
  const span = kind === 'stock' ? 8 : 6;

  const act = async (fn: () => Promise<ImportJob>, ok: string) => {
    setBusy(true);
    setError(null);
    try {
      const j = await fn();
      message.success(ok);
      onJob(j);
    } catch (err) {
      if (isApiError(err, 'imports.not_ready') || (isApiError(err) && err.status === 409)) {
        // the job moved on (another tab, or stale version): show what it is now
        getImport(job.id).then(onJob).catch(() => {});
      }
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const cancelBtn = (
    <Popconfirm title="取消这个导入任务？" okText="取消任务" onConfirm={() => void act(() => cancelImport(job.id), '已取消')}>
      <Button disabled={busy}>取消任务</Button>
    </Popconfirm>
  );

  if (job.status === 'invalid') {
    return (
      <Card data-testid="import-invalid">
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          message={`发现 ${counts.error} 行有错误，整个文件不能提交`}
          description="请按下表修正文件后重新上传（或下载错误报告，在原文件中逐行修改）。"
        />
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
        <Space style={{ marginBottom: 16 }} wrap>
          <Dropdown
            menu={{
              items: [
                { key: 'xlsx', label: 'Excel (xlsx)' },
                { key: 'csv', label: 'CSV' },
              ],
              onClick: ({ key }) => void downloadImportErrors(job.id, key as 'csv' | 'xlsx').catch((err) => message.error(errorMessage(err))),
            }}
          >
            <Button icon={<DownloadOutlined />} data-testid="import-error-report">
              下载错误报告
            </Button>
          </Dropdown>
          <Button onClick={onMapping}>调整映射</Button>
          <Button type="primary" onClick={() => navigate(`${KINDS[kind].base}/new`)} data-testid="import-reupload">
            修正后重新上传
          </Button>
          {cancelBtn}
        </Space>
        <ErrorsTable job={job} />
      </Card>
    );
  }

  return (
    <Card data-testid="import-preview">
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      {kind === 'stock' && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          message="提交时以清点数量为准"
          description="差异按提交那一刻的现有库存重新计算，并记为一笔库存调整（无任何库存记录的门店记为期初）；之后可在库存流水中查到。"
        />
      )}
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={span} style={kind === 'stock' ? { display: 'none' } : undefined}>
          <Card size="small" data-testid="import-count-create" data-count={counts.create}>
            <Statistic title="新增" value={counts.create} valueStyle={{ color: '#389e0d' }} />
          </Card>
        </Col>
        <Col span={span}>
          <Card size="small" data-testid="import-count-update" data-count={counts.update}>
            <Statistic title={kind === 'stock' ? '有差异' : '更新'} value={counts.update} valueStyle={{ color: '#1677ff' }} />
          </Card>
        </Col>
        <Col span={span}>
          <Card size="small" data-testid="import-count-unchanged" data-count={counts.unchanged}>
            <Statistic title={kind === 'stock' ? '无差异' : '不变'} value={counts.unchanged} />
          </Card>
        </Col>
        <Col span={span}>
          <Card size="small">
            <Statistic title="总行数" value={job.total_rows ?? counts.create + counts.update + counts.unchanged} />
          </Card>
        </Col>
      </Row>
      <Tabs
        items={((kind === 'stock' ? ['update', 'unchanged'] : ['create', 'update', 'unchanged']) as RowAction[]).map((a) => ({
          key: a,
          label: (
            <span data-testid={`import-tab-${a}`}>
              {(kind === 'stock' ? { create: '新增', update: '有差异', unchanged: '无差异', error: '错误' } : { create: '新增', update: '更新', unchanged: '不变', error: '错误' })[a]} ({counts[a]})
            </span>
          ),
          children:
            counts[a] === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="无" />
            ) : kind === 'stock' ? (
              <PreviewRows job={job} action={a} columns={stockColumns(a)} rowAttrs={stockRowAttrs} />
            ) : (
              <PreviewRows job={job} action={a} columns={skuColumns(a, labels)} />
            ),
        }))}
      />
      <Space style={{ marginTop: 16 }}>
        <Popconfirm
          title="提交导入？"
          description={
            kind === 'stock'
              ? `将为 ${counts.update} 个门店商品过账库存差异，全部成功或全部不写入。`
              : `将新增 ${counts.create} 个、更新 ${counts.update} 个商品，全部成功或全部不写入。`
          }
          okText="提交"
          onConfirm={() => void act(() => commitImport(job.id, job.version), '已开始提交')}
        >
          <Button type="primary" loading={busy} disabled={counts.create + counts.update === 0} data-testid="import-commit">
            提交导入
          </Button>
        </Popconfirm>
        <Button onClick={onMapping} disabled={busy}>
          调整映射
        </Button>
        {cancelBtn}
      </Space>
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// Step 4: done

function DoneStep({ kind, job, onJob }: { kind: ImportKind; job: ImportJob; onJob: (j: ImportJob) => void }) {
  const result = KINDS[kind].resultLink(job.store_id);
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const counts = job.counts ?? { create: 0, update: 0, unchanged: 0, error: 0 };

  const rollback = async () => {
    setBusy(true);
    setError(null);
    try {
      onJob(await rollbackImport(job.id));
      message.success('已开始回滚');
    } catch (err) {
      setError(isApiError(err, 'imports.rollback.changed_since') ? `${err.problem.title}${err.problem.detail ? `：${err.problem.detail}` : ''}` : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (job.status === 'rolled_back') {
    return (
      <Card data-testid="import-rolled-back">
        <Result status="info" title="已回滚" subTitle={`本次导入的修改已全部撤销（${formatDateTime(job.rolled_back_at)}）`} extra={<Link to={result.to}>{result.label}</Link>} />
      </Card>
    );
  }
  return (
    <Card data-testid="import-done">
    <Result
      status="success"
      title="导入完成"
      subTitle={
        kind === 'stock'
          ? `已按清点数量调整 ${counts.update} 个门店商品的库存，${counts.unchanged} 个无差异 · ${formatDateTime(job.committed_at)}`
          : `新增 ${counts.create} 个，更新 ${counts.update} 个，不变 ${counts.unchanged} 个 · ${formatDateTime(job.committed_at)}`
      }
      extra={
        <Space direction="vertical" align="center">
          {error && <Alert type="error" showIcon message={error} data-testid="import-rollback-error" />}
          <Space>
            <Link to={result.to} data-testid="import-goto-list">
              <Button type="primary">{result.label}</Button>
            </Link>
            <Popconfirm
              title="回滚本次导入？"
              description={
                kind === 'stock'
                  ? '以一笔反向调整恢复导入前的库存；导入后又有出入库的商品会阻止回滚。'
                  : '恢复本次导入改动的所有商品；导入后又被修改过的商品会阻止回滚。'
              }
              okText="回滚"
              okButtonProps={{ danger: true }}
              onConfirm={() => void rollback()}
            >
              <Button danger icon={<RollbackOutlined />} loading={busy} data-testid="import-rollback">
                回滚
              </Button>
            </Popconfirm>
          </Space>
        </Space>
      }
    />
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------

/**
 * 导入向导: {base}/new (upload) and {base}/:id (mapping → errors / preview → commit); the kind
 * comes from the route (/imports: SKUs, /inventory/imports: stock lists).
 */
export default function ImportWizardPage({ kind = 'sku' }: { kind?: ImportKind }) {
  const cfg = KINDS[kind];
  const { id } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const fresh = !!(location.state as { fresh?: boolean } | null)?.fresh;
  const [job, setJob] = useState<ImportJob | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  /** Step 2 shown on request (调整映射) and once right after the upload was parsed. */
  const [showMapping, setShowMapping] = useState(fresh);

  useEffect(() => {
    setJob(null);
    setLoadError(null);
    setShowMapping(fresh);
    if (!id) return;
    const ctrl = new AbortController();
    getImport(id, ctrl.signal)
      .then(setJob)
      .catch((err) => {
        if (!ctrl.signal.aborted) setLoadError(errorMessage(err));
      });
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  // A job of the other kind (a link from elsewhere): show it in its own wizard.
  useEffect(() => {
    if (job && job.kind !== kind && (job.kind === 'sku' || job.kind === 'stock')) navigate(`${KINDS[job.kind].base}/${job.id}`, { replace: true });
  }, [job, kind, navigate]);

  // Poll while the server works on the job.
  useEffect(() => {
    if (!job || !BUSY.includes(job.status)) return;
    const t = window.setTimeout(() => {
      getImport(job.id)
        .then(setJob)
        .catch(() => setJob({ ...job })); // retry on the next tick
    }, 700);
    return () => window.clearTimeout(t);
  }, [job]);

  let step = 0;
  let body: React.ReactNode;
  if (!id) {
    body = <UploadStep kind={kind} onCreated={(j) => navigate(`${cfg.base}/${j.id}`, { replace: true, state: { fresh: true } })} />;
  } else if (loadError) {
    body = <Result status="error" title="无法加载导入任务" subTitle={loadError} extra={<Link to={cfg.base}>返回导入列表</Link>} />;
  } else if (!job) {
    body = (
      <div style={{ padding: 48, textAlign: 'center' }}>
        <Spin />
      </div>
    );
  } else if (job.status === 'awaiting_upload' || job.status === 'parsing') {
    body = <JobProgress job={job} title={job.status === 'parsing' ? '正在解析与校验文件…' : '等待文件上传完成…'} />;
  } else if (job.status === 'failed' || job.status === 'cancelled') {
    step = job.status === 'failed' ? 0 : 2;
    body = (
      <Card data-testid={`import-${job.status}`}>
        <Result
          status={job.status === 'failed' ? 'error' : 'info'}
          title={job.status === 'failed' ? '文件无法读取' : '导入任务已取消'}
          subTitle={job.message ?? undefined}
          extra={
            <Button type="primary" onClick={() => navigate(`${cfg.base}/new`)}>
              重新上传
            </Button>
          }
        />
      </Card>
    );
  } else if ((job.status === 'invalid' || job.status === 'ready') && showMapping) {
    step = 1;
    body = <MappingStep job={job} onJob={setJob} onDone={() => setShowMapping(false)} />;
  } else if (job.status === 'invalid' || job.status === 'ready') {
    step = 2;
    body = <ResultsStep kind={kind} job={job} onJob={setJob} onMapping={() => setShowMapping(true)} />;
  } else if (job.status === 'committing' || job.status === 'rolling_back') {
    step = 3;
    body = <JobProgress job={job} title={job.status === 'committing' ? '正在写入…' : '正在回滚…'} />;
  } else {
    step = 3;
    body = <DoneStep kind={kind} job={job} onJob={setJob} />;
  }

  return (
    <PageContainer
      title={id ? `导入任务 · ${job?.filename ?? ''}` : `新建${cfg.title}`}
      onBack={() => navigate(cfg.base)}
      tags={job ? <Tag color={IMPORT_STATUS[job.status]?.color} data-testid="import-status" data-status={job.status}>{IMPORT_STATUS[job.status]?.text ?? job.status}</Tag> : undefined}
      breadcrumb={{ items: [{ title: <Link to={cfg.base}>{cfg.title}</Link> }, { title: id ? '导入任务' : '新建' }] }}
    >
      <Card style={{ marginBottom: 16 }}>
        <Steps current={step} status={job?.status === 'committed' || job?.status === 'rolled_back' ? 'finish' : job?.status === 'failed' ? 'error' : 'process'} items={STEP_TITLES.map((t) => ({ title: t }))} data-testid="import-steps" />
      </Card>
      {body}
    </PageContainer>
  );
}
