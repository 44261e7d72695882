import { useEffect, useState, type HTMLAttributes } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Descriptions, Input, Modal, Popconfirm, Result, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { errorMessage, isApiError } from '../../api/client';
import { cancelTransfer, closeTransfer, getTransfer, receiveTransfer, shipTransfer, type Transfer, type TransferLine } from '../../api/inventory';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useAsync } from '../../hooks/useAsync';
import { useActorNames } from '../../hooks/useRefData';
import { formatDateTime } from '../../utils/format';
import { TRANSFER_DISCREPANCY, TRANSFER_STATUS, fmtQty, fromName, isNegative, isZero, subQty, toName } from './labels';
import ProblemAlert from './ProblemAlert';
import { useIdempotencyKey } from './useIdempotencyKey';
import { useInventoryStores } from './useInventoryStores';

/** What is still to arrive (the API's figure; else shipped − received, never below 0). */
const outstanding = (l: TransferLine): string => {
  if (l.qty_outstanding !== undefined) return String(l.qty_outstanding);
  const rest = subQty(l.qty_shipped ?? 0, l.qty_received ?? 0) ?? '0';
  return isNegative(rest) ? '0' : rest;
};

/**
 * One transfer: its lines with requested / shipped / received, and only the actions the caller's
 * side may take now (the API's can_* flags): 发货 at the source, 收货 at the destination, 完结, 取消.
 */
export default function TransferDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const { storeName } = useInventoryStores();
  const { actorName } = useActorNames();
  const t = useAsync<Transfer>(() => getTransfer(id), [id]);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [receiving, setReceiving] = useState(false);
  const [closing, setClosing] = useState(false);

  const act = async (fn: () => Promise<Transfer>, done: string) => {
    setBusy(true);
    try {
      const next = await fn();
      message.success(done);
      if (next && typeof next === 'object' && 'id' in next) t.setData(next);
      t.reload();
      setConflict(false);
    } catch (err) {
      if (isApiError(err, undefined, 409)) setConflict(true);
      else message.error(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (t.loading && !t.data) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (!t.data) return <Result status="404" title="找不到这张调拨单" subTitle={t.error ?? undefined} extra={<Button onClick={() => navigate('/inventory/transfers')}>返回调拨列表</Button>} />;
  const tr = t.data;
  const st = TRANSFER_STATUS[tr.status];
  const lines = tr.lines ?? [];

  return (
    <PageContainer
      title={`调拨单 ${tr.code ?? ''}`}
      onBack={() => navigate('/inventory/transfers')}
      tags={<Tag color={st?.color} data-testid="transfer-status" data-status={tr.status}>{st?.text ?? tr.status}</Tag>}
      extra={[
        tr.can_cancel && (
          <Popconfirm key="cancel" title="取消这张调拨单？" onConfirm={() => void act(() => cancelTransfer(tr.id, tr.version), '已取消')} okText="取消调拨" okButtonProps={{ danger: true }} cancelText="不取消">
            <Button danger disabled={busy} data-testid="transfer-cancel">
              取消调拨
            </Button>
          </Popconfirm>
        ),
        tr.can_ship && (
          <Popconfirm key="ship" title="确认已按申请数量发货？发货后调出店库存减少，调入店显示在途。" onConfirm={() => void act(() => shipTransfer(tr.id, tr.version), '已发货')} okText="确认发货">
            <Button type="primary" size="large" loading={busy} data-testid="transfer-ship">
              发货
            </Button>
          </Popconfirm>
        ),
        tr.can_receive && (
          <Button key="receive" type="primary" size="large" onClick={() => setReceiving(true)} disabled={busy} data-testid="transfer-receive">
            收货
          </Button>
        ),
        tr.can_close && (
          <Button key="close" size="large" onClick={() => setClosing(true)} disabled={busy} data-testid="transfer-close">
            完结
          </Button>
        ),
      ].filter(Boolean)}
    >
      {conflict && <VersionConflictAlert onRefresh={() => { setConflict(false); t.reload(); }} loading={t.loading} />}
      <Card style={{ marginBottom: 16 }}>
        <Descriptions column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label="调出门店">{fromName(tr, storeName)}</Descriptions.Item>
          <Descriptions.Item label="调入门店">{toName(tr, storeName)}</Descriptions.Item>
          <Descriptions.Item label="创建时间">{formatDateTime(tr.created_at)}</Descriptions.Item>
          {tr.shipped_at && <Descriptions.Item label="发货时间">{formatDateTime(tr.shipped_at)}</Descriptions.Item>}
          {tr.closed_at && <Descriptions.Item label="完结时间">{formatDateTime(tr.closed_at)}</Descriptions.Item>}
          <Descriptions.Item label="备注">{tr.note || '—'}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title="商品" style={{ marginBottom: 16 }}>
        <Table<TransferLine>
          rowKey="sku_id"
          pagination={false}
          dataSource={lines}
          onRow={(l) => ({ 'data-testid': `transfer-line-${l.sku_code}`, 'data-shipped': String(l.qty_shipped ?? ''), 'data-received': String(l.qty_received) }) as HTMLAttributes<HTMLElement>}
          columns={[
            { title: '商品', key: 'sku', render: (_, l) => <><Typography.Text style={{ fontFamily: 'monospace' }}>{l.sku_code}</Typography.Text> {l.sku_name}</> },
            { title: '申请', key: 'req', align: 'right', render: (_, l) => <Typography.Text style={{ fontSize: 16 }}>{fmtQty(l.qty_requested)}</Typography.Text> },
            { title: '已发', key: 'ship', align: 'right', render: (_, l) => <Typography.Text style={{ fontSize: 16 }}>{fmtQty(l.qty_shipped)}</Typography.Text> },
            { title: '已收', key: 'recv', align: 'right', render: (_, l) => <Typography.Text strong style={{ fontSize: 16 }}>{fmtQty(l.qty_received)}</Typography.Text> },
            { title: '待收', key: 'rest', align: 'right', render: (_, l) => (tr.status === 'shipped' || tr.status === 'partially_received' ? fmtQty(outstanding(l)) : '—') },
            { title: '单位', key: 'unit', render: (_, l) => l.unit ?? '—' },
            {
              title: '差异',
              key: 'disc',
              render: (_, l) =>
                l.discrepancy_reason ? (
                  <Tag color="orange">
                    {TRANSFER_DISCREPANCY.find((d) => d.value === l.discrepancy_reason)?.label ?? l.discrepancy_reason}
                    {l.qty_lost && !isZero(l.qty_lost) ? ` · 未到 ${fmtQty(l.qty_lost)}` : ''}
                  </Tag>
                ) : (
                  '—'
                ),
            },
          ]}
        />
      </Card>
      {!!tr.receipts?.length && (
        <Card title="收货记录">
          <Table
            rowKey="id"
            pagination={false}
            dataSource={tr.receipts}
            columns={[
              { title: '收货时间', key: 'at', render: (_, r) => formatDateTime(r.created_at) },
              { title: '收货人', key: 'by', render: (_, r) => actorName(r.actor) },
              { title: '商品种数', key: 'n', render: (_, r) => r.lines?.length ?? 0 },
            ]}
          />
        </Card>
      )}
      {receiving && <ReceiveModal transfer={tr} onClose={() => setReceiving(false)} onDone={() => { setReceiving(false); message.success('已收货入库'); t.reload(); }} />}
      {closing && (
        <CloseModal
          transfer={tr}
          busy={busy}
          onClose={() => setClosing(false)}
          onOk={(reason) => {
            setClosing(false);
            void act(() => closeTransfer(tr.id, tr.version, reason), '调拨单已完结');
          }}
        />
      )}
    </PageContainer>
  );
}

interface ReceiveRow {
  sku_id: string;
  quantity: string;
  discrepancy_reason?: string;
  note?: string;
}

/** 收货: each line prefilled with what is still to arrive; a different quantity asks why. */
function ReceiveModal({ transfer, onClose, onDone }: { transfer: Transfer; onClose: () => void; onDone: () => void }) {
  const lines = transfer.lines ?? [];
  const [rows, setRows] = useState<ReceiveRow[]>(() => lines.map((l) => ({ sku_id: l.sku_id, quantity: outstanding(l) })));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const idem = useIdempotencyKey();
  useEffect(() => setError(null), [rows]);

  const set = (sku: string, patch: Partial<ReceiveRow>) => setRows((rs) => rs.map((r) => (r.sku_id === sku ? { ...r, ...patch } : r)));
  const differs = (l: TransferLine) => {
    const r = rows.find((x) => x.sku_id === l.sku_id);
    return !!r && r.quantity !== '' && !isZero(subQty(r.quantity, outstanding(l)) ?? '0');
  };

  const submit = async () => {
    const body = rows
      .filter((r) => r.quantity !== '' && !isZero(r.quantity))
      .map((r) => ({ sku_id: r.sku_id, quantity: r.quantity, discrepancy_reason: r.discrepancy_reason ?? null, note: r.note ?? null }));
    if (!body.length) return;
    setBusy(true);
    try {
      await receiveTransfer(transfer.id, body, idem.keyFor(body));
      idem.done();
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="收货入库" open width={860} onCancel={onClose} onOk={() => void submit()} okText="确认收货" okButtonProps={{ loading: busy, 'data-testid': 'receive-submit' }} data-testid="receive-modal">
      <Typography.Paragraph type="secondary">按实际点收的数量填写；可以分几次收货。数量与发货不一致时请选择原因。</Typography.Paragraph>
      <Table<TransferLine>
        rowKey="sku_id"
        size="small"
        pagination={false}
        dataSource={lines}
        columns={[
          { title: '商品', key: 'sku', render: (_, l) => `${l.sku_code} ${l.sku_name}` },
          { title: '待收', key: 'rest', align: 'right', render: (_, l) => fmtQty(outstanding(l)) },
          {
            title: '本次实收',
            key: 'qty',
            render: (_, l) => (
              <Input
                size="large"
                style={{ width: 120, fontWeight: 600 }}
                inputMode="decimal"
                value={rows.find((r) => r.sku_id === l.sku_id)?.quantity}
                onChange={(e) => set(l.sku_id, { quantity: e.target.value.trim() })}
                suffix={l.unit ?? ''}
                data-testid={`receive-qty-${l.sku_code}`}
              />
            ),
          },
          {
            title: '差异原因',
            key: 'reason',
            render: (_, l) =>
              differs(l) ? (
                <Select
                  style={{ width: 130 }}
                  placeholder="请选择"
                  options={TRANSFER_DISCREPANCY}
                  value={rows.find((r) => r.sku_id === l.sku_id)?.discrepancy_reason}
                  onChange={(v) => set(l.sku_id, { discrepancy_reason: v })}
                  data-testid={`receive-reason-${l.sku_code}`}
                />
              ) : (
                <Typography.Text type="secondary">—</Typography.Text>
              ),
          },
        ]}
      />
      <div style={{ marginTop: 16 }}>
        <ProblemAlert error={error} names={(id) => lines.find((l) => l.sku_id === id)?.sku_name} testId="receive-error" />
      </div>
    </Modal>
  );
}

/** 完结: what never arrived is written off; the reason is kept on the transfer. */
function CloseModal({ transfer, busy, onClose, onOk }: { transfer: Transfer; busy: boolean; onClose: () => void; onOk: (reason?: string) => void }) {
  const [reason, setReason] = useState<string | undefined>();
  const short = (transfer.lines ?? []).some((l) => !isZero(outstanding(l)));
  return (
    <Modal title="完结调拨单" open onCancel={onClose} onOk={() => onOk(reason)} okText="确认完结" okButtonProps={{ loading: busy, disabled: short && !reason, 'data-testid': 'close-submit' }}>
      {short ? (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Alert type="warning" showIcon message="还有商品没有收到：完结后这部分不再等待，按差异记录。" />
          <Select style={{ width: '100%' }} placeholder="请选择差异原因" options={TRANSFER_DISCREPANCY} value={reason} onChange={setReason} data-testid="close-reason" />
        </Space>
      ) : (
        <Typography.Paragraph>所有商品都已收到，完结后调拨单不能再修改。</Typography.Paragraph>
      )}
    </Modal>
  );
}
