import { useCallback, useRef, useState, type Key } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Checkbox, Col, Input, Modal, Popconfirm, Result, Row, Segmented, Select, Space, Spin, Statistic, Tag, Typography, type InputRef } from 'antd';
import { errorMessage, isApiError } from '../../api/client';
import {
  approveStocktake,
  cancelStocktake,
  getStocktake,
  listStocktakeLines,
  putCounts,
  putLineReasons,
  recountStocktake,
  submitStocktake,
  type Stocktake,
  type StocktakeLine,
  type VarianceReason,
} from '../../api/inventory';
import BarcodeInput from '../../components/BarcodeInput';
import ListTable from '../../components/ListTable';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useAsync } from '../../hooks/useAsync';
import { useCursorList } from '../../hooks/useCursorList';
import { formatDateTime, formatMoney } from '../../utils/format';
import { STOCKTAKE_STATUS, VARIANCE_REASONS, fmtDelta, fmtQty, fmtSigned, isNegative, isZero } from './labels';
import ScannerFileModal from './ScannerFileModal';
import { useInventoryStores } from './useInventoryStores';

type Only = 'all' | 'variance' | 'uncounted';

/**
 * One stocktake. Counting: scan goods (each scan counts one more) or type a line's count; book
 * stock stays hidden so the count is honest. Review: every variance gets a reason, lines can be
 * sent back for a recount, and approval posts the gains and losses to the ledger.
 */
export default function StocktakeDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const { storeName } = useInventoryStores();
  const st = useAsync<Stocktake>(() => getStocktake(id), [id]);
  const [only, setOnly] = useState<Only>('all');
  const [q, setQ] = useState('');
  const [limit, setLimit] = useState(50);
  const [tick, setTick] = useState(0);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [selected, setSelected] = useState<Key[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [importing, setImporting] = useState(false);
  const listKey = JSON.stringify({ id, only, q, tick });
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) =>
      listStocktakeLines(id, { only: only === 'all' ? undefined : only, q: q || undefined, limit: p.limit, cursor: p.cursor }, signal),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [listKey],
  );
  const lines = useCursorList<StocktakeLine>(fetchPage, listKey, limit);
  const refresh = () => {
    st.reload();
    setTick((t) => t + 1);
  };

  const act = async (fn: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await fn();
      message.success(done);
      setConflict(false);
      setSelected([]);
      refresh();
      return true;
    } catch (err) {
      if (isApiError(err, undefined, 409)) setConflict(true);
      else message.error(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (st.loading && !st.data) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (!st.data) return <Result status="404" title="找不到这张盘点单" subTitle={st.error ?? undefined} extra={<Button onClick={() => navigate('/inventory/stocktakes')}>返回盘点列表</Button>} />;
  const s = st.data;
  const counting = s.status === 'counting';
  const review = s.status === 'review';
  const editReasons = review && !!s.can_set_reasons;
  const totals = s.totals;
  const status = STOCKTAKE_STATUS[s.status];

  const saveCount = (line: StocktakeLine, raw: string) => {
    const quantity = raw.trim();
    if (!quantity) return;
    void act(() => putCounts(s.id, [{ sku_id: line.sku_id, quantity }], 'set'), `${line.sku_name} 已记为 ${quantity}`);
  };
  const saveReason = (line: StocktakeLine, reason: VarianceReason, note?: string) =>
    void act(() => putLineReasons(s.id, [{ sku_id: line.sku_id, reason, note: note ?? line.note ?? '' }]), '原因已保存');

  const columns: ProColumns<StocktakeLine>[] = [
    { title: '商品', key: 'sku', render: (_, l) => <><Typography.Text style={{ fontFamily: 'monospace' }}>{l.sku_code}</Typography.Text> {l.sku_name}{l.recount && <Tag color="orange" style={{ marginLeft: 6 }}>待复盘</Tag>}</> },
    ...(counting
      ? []
      : [
          {
            title: '账面',
            key: 'expected',
            align: 'right' as const,
            render: (_: unknown, l: StocktakeLine) => <Typography.Text style={{ fontSize: 16 }}>{fmtQty(l.expected_qty ?? l.snapshot_qty)}</Typography.Text>,
          },
        ]),
    {
      title: '实盘',
      key: 'counted',
      align: 'right',
      render: (_, l) =>
        s.can_count ? (
          <CountCell line={l} disabled={busy} onSave={(v) => saveCount(l, v)} />
        ) : (
          <Typography.Text strong style={{ fontSize: 16 }}>{fmtQty(l.counted_qty)}</Typography.Text>
        ),
    },
    ...(counting
      ? []
      : [
          {
            title: '差异',
            key: 'variance',
            align: 'right' as const,
            render: (_: unknown, l: StocktakeLine) =>
              l.variance === null || isZero(l.variance) ? (
                <Typography.Text type="secondary">0</Typography.Text>
              ) : (
                <Typography.Text strong type={isNegative(l.variance) ? 'danger' : 'success'} style={{ fontSize: 16 }} data-testid="stocktake-variance">
                  {fmtDelta(l.variance)}
                </Typography.Text>
              ),
          },
          {
            title: '差异原因',
            key: 'reason',
            render: (_: unknown, l: StocktakeLine) =>
              l.variance === null || isZero(l.variance) ? (
                '—'
              ) : editReasons ? (
                <Space>
                  <Select<VarianceReason>
                    style={{ width: 130 }}
                    placeholder="请选择"
                    status={l.reason ? undefined : 'warning'}
                    options={VARIANCE_REASONS}
                    value={l.reason ?? undefined}
                    disabled={busy}
                    onChange={(v) => saveReason(l, v)}
                    data-testid={`stocktake-reason-${l.sku_code}`}
                  />
                  <Input
                    style={{ width: 180 }}
                    placeholder="说明（选填）"
                    defaultValue={l.note ?? ''}
                    disabled={busy || !l.reason}
                    onBlur={(e) => l.reason && e.target.value !== (l.note ?? '') && saveReason(l, l.reason, e.target.value)}
                    maxLength={200}
                  />
                </Space>
              ) : (
                <>{VARIANCE_REASONS.find((r) => r.value === l.reason)?.label ?? '—'}{l.note ? ` · ${l.note}` : ''}</>
              ),
          },
        ]),
    { title: '单位', key: 'unit', render: (_, l) => l.unit ?? '—' },
  ];

  return (
    <PageContainer
      title={`盘点单 ${s.code}`}
      subTitle={s.store_code ? `${s.store_code} ${s.store_name ?? ''}` : storeName(s.store_id)}
      onBack={() => navigate('/inventory/stocktakes')}
      tags={<Tag color={status?.color} data-testid="stocktake-status" data-status={s.status}>{status?.text ?? s.status}</Tag>}
      extra={[
        s.can_cancel && (
          <Popconfirm key="cancel" title="取消这次盘点？已录入的数量作废，库存不变。" onConfirm={() => void act(() => cancelStocktake(s.id, s.version), '盘点已取消')} okText="取消盘点" okButtonProps={{ danger: true }} cancelText="不取消">
            <Button danger disabled={busy} data-testid="stocktake-cancel">
              取消盘点
            </Button>
          </Popconfirm>
        ),
        s.can_recount && (
          <Button key="recount" disabled={busy || !selected.length} onClick={() => void act(() => recountStocktake(s.id, selected.map(String)), `已退回 ${selected.length} 个商品复盘`)} data-testid="stocktake-recount">
            复盘所选（{selected.length}）
          </Button>
        ),
        s.can_count && (
          <Button key="file" disabled={busy} onClick={() => setImporting(true)} data-testid="stocktake-import">
            导入扫码枪文件
          </Button>
        ),
        s.can_submit && (
          <Button key="submit" type="primary" size="large" disabled={busy} onClick={() => setSubmitting(true)} data-testid="stocktake-submit">
            提交盘点
          </Button>
        ),
        // shown disabled to whoever works on the review while reasons are missing or a second person must approve
        review && (s.can_approve || s.can_set_reasons) && (
          <Popconfirm key="approve" disabled={!s.can_approve} title="审核通过后，盘盈盘亏计入库存，不能撤回。" onConfirm={() => void act(() => approveStocktake(s.id, s.version), '审核通过，库存已更新')} okText="审核通过">
            <Button type="primary" size="large" loading={busy} disabled={!s.can_approve} data-testid="stocktake-approve">
              审核通过
            </Button>
          </Popconfirm>
        ),
      ].filter(Boolean)}
    >
      {conflict && <VersionConflictAlert onRefresh={() => { setConflict(false); refresh(); }} loading={st.loading} />}
      {review && !!totals.reasons_missing && <Alert type="warning" showIcon style={{ marginBottom: 16 }} message={`还有 ${totals.reasons_missing} 个差异商品没有填写原因，填完才能审核`} data-testid="stocktake-reasons-missing" />}
      {review && s.needs_second_approver && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          message={`差异金额 ${formatMoney(totals.variance_value ?? null)} 超过总部设定的 ${formatMoney(s.approval_threshold ?? null)}：须由有审批权限、且不是创建或提交这张盘点单的同事审核`}
          data-testid="stocktake-second-approver"
        />
      )}
      <Card style={{ marginBottom: 16 }} data-testid="stocktake-totals">
        <Row gutter={16}>
          <Col xs={12} md={4}><Statistic title="应盘商品" value={totals.lines} /></Col>
          <Col xs={12} md={4}><Statistic title="已盘" value={totals.counted} /></Col>
          {!counting && <Col xs={12} md={4}><Statistic title="有差异" value={totals.variance_lines} /></Col>}
          {!counting && <Col xs={12} md={4}><Statistic title="盘盈数量" value={fmtSigned(totals.gain_qty, '+')} valueStyle={{ color: '#389e0d' }} /></Col>}
          {!counting && <Col xs={12} md={4}><Statistic title="盘亏数量" value={fmtSigned(totals.loss_qty, '-')} valueStyle={{ color: '#cf1322' }} /></Col>}
          {!counting && <Col xs={12} md={4}><Statistic title="差异金额" value={formatMoney(s.variance_value ?? totals.variance_value ?? null)} /></Col>}
        </Row>
        <Typography.Text type="secondary">
          开始于 {formatDateTime(s.snapshot_at ?? s.created_at)}
          {s.submitted_at && ` · 提交于 ${formatDateTime(s.submitted_at)}`}
          {s.approved_at && ` · 审核于 ${formatDateTime(s.approved_at)}`}
          {s.note && ` · ${s.note}`}
        </Typography.Text>
      </Card>
      {s.can_count && <ScanCounter stocktakeId={s.id} onCounted={() => setTick((t) => t + 1)} onTotals={st.reload} />}
      <Space style={{ marginBottom: 12 }} wrap>
        <Segmented<Only>
          value={only}
          onChange={setOnly}
          options={[{ value: 'all', label: '全部' }, ...(counting ? [] : [{ value: 'variance' as Only, label: '有差异' }]), { value: 'uncounted', label: '未盘' }]}
          data-testid="stocktake-only"
        />
        <Input.Search allowClear placeholder="商品名称 / 编码" onSearch={(v) => setQ(v.trim())} style={{ width: 260 }} data-testid="stocktake-q" />
      </Space>
      <ListTable<StocktakeLine>
        testId="stocktake-lines"
        list={lines}
        columns={columns}
        rowKey="sku_id"
        persistenceKey="ucm.inventory.stocktake.lines.columns"
        pager={{ limit, setLimit }}
        rowTestId={(l) => `stocktake-line-${l.sku_code}`}
        rowAttrs={(l) => ({ 'data-counted': String(l.counted_qty ?? ''), 'data-variance': String(l.variance ?? ''), 'data-expected': String(l.expected_qty ?? l.snapshot_qty) })}
        rowSelection={review ? { selectedRowKeys: selected, onChange: setSelected, preserveSelectedRowKeys: true } : undefined}
      />
      {importing && <ScannerFileModal stocktake={s} onClose={() => setImporting(false)} onDone={() => { setImporting(false); refresh(); }} />}
      {submitting && (
        <SubmitModal
          stocktake={s}
          busy={busy}
          onClose={() => setSubmitting(false)}
          onOk={async (zero) => {
            if (await act(() => submitStocktake(s.id, s.version, zero), '已提交，请核对差异并填写原因')) {
              setSubmitting(false);
              setOnly('variance');
            }
          }}
        />
      )}
    </PageContainer>
  );
}

/** A line's count: type the number, Enter or leaving the box saves it. */
function CountCell({ line, disabled, onSave }: { line: StocktakeLine; disabled: boolean; onSave: (v: string) => void }) {
  const shown = line.counted_qty === null ? '' : fmtQty(line.counted_qty);
  const [v, setV] = useState(shown);
  const [prev, setPrev] = useState(shown);
  if (prev !== shown) {
    setPrev(shown);
    setV(shown);
  }
  // Enter and the blur that follows would both save: one request per typed value
  const sent = useRef<string | null>(null);
  const save = () => {
    const value = v.trim();
    if (!value || value === shown || value === sent.current) return;
    sent.current = value;
    onSave(value);
  };
  return (
    <Input
      size="large"
      inputMode="decimal"
      style={{ width: 140, fontWeight: 600, textAlign: 'right' }}
      placeholder="未盘"
      value={v}
      disabled={disabled}
      onChange={(e) => setV(e.target.value)}
      onPressEnter={save}
      onBlur={save}
      data-testid={`stocktake-count-${line.sku_code}`}
    />
  );
}

/** The scanner box: each scan counts one more of that product (a case barcode counts the case). */
function ScanCounter({ stocktakeId, onCounted, onTotals }: { stocktakeId: string; onCounted: () => void; onTotals: () => void }) {
  const { message } = App.useApp();
  const [code, setCode] = useState('');
  const [qty, setQty] = useState('1');
  const [last, setLast] = useState<string | null>(null);
  const ref = useRef<InputRef>(null);

  const scan = async (barcode: string) => {
    if (!barcode) return;
    try {
      await putCounts(stocktakeId, [{ barcode, quantity: qty.trim() || '1' }], 'add');
      setLast(`${barcode} +${qty.trim() || '1'}`);
      onCounted();
      onTotals();
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setCode('');
      ref.current?.focus();
    }
  };

  return (
    <Card size="small" style={{ marginBottom: 16 }} data-testid="stocktake-scan">
      <Space wrap>
        <BarcodeInput ref={ref} autoFocus size="large" style={{ width: 320 }} placeholder="扫码计数：每扫一次加一" value={code} onChange={setCode} onScan={(c) => void scan(c)} data-testid="stocktake-barcode" />
        <span>每次</span>
        <Input size="large" style={{ width: 90 }} value={qty} onChange={(e) => setQty(e.target.value)} inputMode="decimal" aria-label="每次扫码计数" />
        {last && <Typography.Text type="success">刚刚：{last}</Typography.Text>}
      </Space>
    </Card>
  );
}

/** Every line needs a count; what was not found on the shelf is confirmed as 0 here. */
function SubmitModal({ stocktake, busy, onClose, onOk }: { stocktake: Stocktake; busy: boolean; onClose: () => void; onOk: (uncountedAsZero: boolean) => void }) {
  const missing = stocktake.totals.uncounted;
  const [zero, setZero] = useState(false);
  return (
    <Modal title="提交盘点" open onCancel={onClose} onOk={() => onOk(missing > 0 && zero)} okText="提交" okButtonProps={{ loading: busy, disabled: missing > 0 && !zero, 'data-testid': 'stocktake-submit-ok' }}>
      {missing > 0 ? (
        <Space direction="vertical">
          <Alert type="warning" showIcon message={`还有 ${missing} 个商品没有盘点`} description="请先盘点（列表可切到「未盘」查看），或确认这些商品货架上确实没有。" />
          <Checkbox checked={zero} onChange={(e) => setZero(e.target.checked)} data-testid="stocktake-zero">
            确认未盘商品按 0 计（会按盘亏处理）
          </Checkbox>
        </Space>
      ) : (
        <Typography.Paragraph>所有商品都已盘点。提交后进入审核，可查看差异并填写原因。</Typography.Paragraph>
      )}
    </Modal>
  );
}
