import { useCallback, useEffect, useRef, useState, type HTMLAttributes, type ReactNode } from 'react';
import { Alert, Badge, Button, Card, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { errorMessage } from '../../api/client';
import { getHealth, type Health, type HealthCheck } from '../../api/health';

const REFRESH_MS = 10_000;

/** Human names for the dependency checks reported by /health. */
const CHECK_LABELS: Record<string, string> = {
  oltp: '业务数据库',
  cache: '缓存',
  olap: '分析库',
  search: '搜索',
  events: '事件总线',
  objects: '对象存储',
};

function UpTag({ up }: { up: boolean }) {
  return up ? <Tag color="success">正常</Tag> : <Tag color="error">异常</Tag>;
}

function formatLatency(ms: number | null): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  return `${ms.toFixed(2)} ms`;
}

const columns: TableColumnsType<HealthCheck> = [
  {
    title: '依赖',
    dataIndex: 'name',
    render: (name: string) => (
      <Space size={4}>
        <span>{CHECK_LABELS[name] ?? name}</span>
        <Typography.Text type="secondary" code>
          {name}
        </Typography.Text>
      </Space>
    ),
  },
  { title: '状态', dataIndex: 'up', width: 90, render: (up: boolean) => <UpTag up={up} /> },
  { title: '适配器', dataIndex: 'adapter', render: (a: string | null) => a ?? '—' },
  { title: '延迟', dataIndex: 'latency_ms', width: 110, align: 'right', render: formatLatency },
  {
    title: '说明',
    dataIndex: 'detail',
    ellipsis: { showTitle: false },
    render: (d: string | null) =>
      d ? (
        <Tooltip title={d} placement="topLeft">
          {d}
        </Tooltip>
      ) : (
        '—'
      ),
  },
];

export default function HealthCard({ compact = false }: { compact?: boolean }) {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [checkedAt, setCheckedAt] = useState<dayjs.Dayjs | null>(null);
  const inflight = useRef<AbortController | null>(null);

  const load = useCallback(async () => {
    inflight.current?.abort();
    const ctrl = new AbortController();
    inflight.current = ctrl;
    setLoading(true);
    try {
      const h = await getHealth(ctrl.signal);
      setHealth(h);
      setError(null);
    } catch (err) {
      if (ctrl.signal.aborted) return;
      setError(errorMessage(err));
    } finally {
      if (inflight.current === ctrl) {
        inflight.current = null;
        setLoading(false);
        setCheckedAt(dayjs());
      }
    }
  }, []);

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => {
      window.clearInterval(timer);
      inflight.current?.abort();
    };
  }, [load]);

  const up = health?.status === 'up' && !error;
  let statusNode: ReactNode;
  if (!health && !error) statusNode = <Badge status="processing" text="检查中…" />;
  else if (error) statusNode = <Badge status="error" text="异常（无法获取状态）" />;
  else if (up) statusNode = <Badge status="success" text="正常" />;
  else statusNode = <Badge status="error" text="异常" />;

  if (compact) {
    return (
      <Card size="small" title="系统状态" data-testid="health-card" extra={<Button size="small" type="text" icon={<ReloadOutlined />} loading={loading} onClick={() => void load()} aria-label="刷新" />}>
        <Space direction="vertical" size={8} style={{ width: '100%' }}>
          <span>
            总体状态：<span data-testid="health-status" data-status={error ? 'error' : health?.status ?? 'loading'}>{statusNode}</span>
          </span>
          {error && <Alert type="error" showIcon message={error} data-testid="health-error" />}
          <Space size={[4, 4]} wrap>
            {(health?.checks ?? []).map((c) => (
              <Tooltip key={c.name} title={c.detail ?? `${c.adapter ?? ''} ${formatLatency(c.latency_ms)}`}>
                <Tag color={c.up ? 'success' : 'error'} data-testid={`health-check-${c.name}`} style={{ marginInlineEnd: 0 }}>
                  {CHECK_LABELS[c.name] ?? c.name} {c.up ? '正常' : '异常'}
                </Tag>
              </Tooltip>
            ))}
          </Space>
        </Space>
      </Card>
    );
  }

  return (
    <Card
      title="系统状态"
      extra={
        <Space>
          {checkedAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              更新于 {checkedAt.format('HH:mm:ss')} · 每 10 秒自动刷新
            </Typography.Text>
          )}
          <Button size="small" icon={<ReloadOutlined />} loading={loading} onClick={() => void load()}>
            刷新
          </Button>
        </Space>
      }
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Space size="large" wrap>
          <span>
            总体状态：<span data-testid="health-status" data-status={error ? 'error' : health?.status ?? 'loading'}>{statusNode}</span>
          </span>
          {health?.version && <Typography.Text type="secondary">版本 {health.version}</Typography.Text>}
        </Space>
        {error && <Alert type="error" showIcon message={error} data-testid="health-error" />}
        <Table<HealthCheck>
          size="small"
          rowKey="name"
          columns={columns}
          dataSource={health?.checks ?? []}
          loading={!health && !error}
          pagination={false}
          onRow={(r) => ({ 'data-testid': `health-check-${r.name}` }) as HTMLAttributes<HTMLElement>}
        />
      </Space>
    </Card>
  );
}
