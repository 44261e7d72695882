import { useEffect, useState } from 'react';
import { PageContainer } from '@ant-design/pro-components';
import { App, Button, Card, Col, Form, Input, Result, Row, Select, Statistic, Typography } from 'antd';
import { postMove, type MoveReason, type MoveResult } from '../../api/inventory';
import { ADJUSTMENT_CODES, MOVE_REASONS, fmtDelta, fmtQty, reasonLabel } from './labels';
import ProblemAlert from './ProblemAlert';
import ScanLines, { toApiLines, type EntryLine } from './ScanLines';
import { useIdempotencyKey } from './useIdempotencyKey';
import { useInventoryStores } from './useInventoryStores';

interface Header {
  store_id?: string;
  reason: MoveReason;
  ref?: string;
  reason_code?: string;
  note?: string;
}

/** 出入库: scan the goods, pick why they come or go, post once (Idempotency-Key per submission). */
export default function MovePage() {
  const { message } = App.useApp();
  const { options, defaultStoreId, storeName } = useInventoryStores();
  const [form] = Form.useForm<Header>();
  const reason = Form.useWatch('reason', form);
  const [lines, setLines] = useState<EntryLine[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<{ result: MoveResult; lines: EntryLine[] } | null>(null);
  const idem = useIdempotencyKey();

  const submit = async (h: Header) => {
    if (!h.store_id) return;
    if (!lines.length) {
      message.warning('请先扫码或搜索添加商品');
      return;
    }
    const body = { store_id: h.store_id, reason: h.reason, lines: toApiLines(lines), ref: h.ref?.trim() || null, note: h.note?.trim() ?? '', reason_code: h.reason === 'adjustment' ? h.reason_code ?? null : null };
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const result = await postMove(body, idem.keyFor(body));
      idem.done();
      setDone({ result, lines });
      setLines([]);
      form.setFieldsValue({ ref: undefined, note: undefined });
      message.success('已记账');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  // an error speaks of the lines it was about
  useEffect(() => setError(null), [lines]);

  // the store list arrives after the first render
  useEffect(() => {
    if (defaultStoreId && !form.getFieldValue('store_id')) form.setFieldsValue({ store_id: defaultStoreId });
  }, [defaultStoreId, form]);

  const names = (id: string) => lines.find((l) => l.sku_id === id)?.sku_name;

  return (
    <PageContainer title="出入库" subTitle="收货、退货、报损与手工调整；扫码枪扫一下加一件">
      <Card style={{ marginBottom: 16 }}>
        <Form<Header> form={form} layout="vertical" initialValues={{ reason: 'purchase_receipt', store_id: defaultStoreId ?? undefined }} onFinish={(v) => void submit(v)} data-testid="move-form">
          <Row gutter={16}>
            <Col xs={24} md={6}>
              <Form.Item name="store_id" label="门店" rules={[{ required: true, message: '请选择门店' }]}>
                <Select size="large" showSearch optionFilterProp="label" options={options} placeholder="选择门店" data-testid="move-store" />
              </Form.Item>
            </Col>
            <Col xs={24} md={6}>
              <Form.Item name="reason" label="类型" rules={[{ required: true }]}>
                <Select size="large" options={MOVE_REASONS} data-testid="move-reason" />
              </Form.Item>
            </Col>
            {reason === 'adjustment' && (
              <Col xs={24} md={4}>
                <Form.Item name="reason_code" label="调整原因" rules={[{ required: true, message: '请选择调整原因' }]}>
                  <Select size="large" options={ADJUSTMENT_CODES} data-testid="move-reason-code" />
                </Form.Item>
              </Col>
            )}
            <Col xs={24} md={4}>
              <Form.Item name="ref" label="单据号" tooltip="采购单号、退货单号等，方便日后查账">
                <Input size="large" maxLength={100} placeholder="选填" data-testid="move-ref" />
              </Form.Item>
            </Col>
            <Col xs={24} md={reason === 'adjustment' ? 4 : 8}>
              <Form.Item name="note" label="备注">
                <Input size="large" maxLength={200} placeholder="选填" data-testid="move-note" />
              </Form.Item>
            </Col>
          </Row>
          {reason === 'adjustment' && (
            <Typography.Paragraph type="secondary">手工调整：正数为增加库存，负数（如 -2）为减少库存。</Typography.Paragraph>
          )}
          <ScanLines lines={lines} onChange={setLines} disabled={busy} testId="move-scan" />
          <ProblemAlert error={error} names={names} testId="move-error" />
          <div style={{ marginTop: 16, textAlign: 'right' }}>
            <Button size="large" onClick={() => setLines([])} disabled={busy || !lines.length} style={{ marginRight: 12 }}>
              清空
            </Button>
            <Button size="large" type="primary" htmlType="submit" loading={busy} disabled={!lines.length} data-testid="move-submit">
              确认{reasonLabel(reason)}（{lines.length} 种商品）
            </Button>
          </div>
        </Form>
      </Card>
      {done && (
        <Card data-testid="move-result" data-move-id={done.result.move_id}>
          <Result status="success" title={`${reasonLabel(done.result.reason)}已记账`} subTitle={`${storeName(done.result.store_id)}${done.result.ref ? ` · 单据 ${done.result.ref}` : ''}`} style={{ padding: 16 }} />
          <Row gutter={[16, 16]}>
            {done.result.lines.map((r) => {
              const l = done.lines.find((x) => x.sku_id === r.sku_id);
              return (
                <Col key={r.sku_id} xs={24} sm={12} lg={8}>
                  <Card size="small" data-testid={`move-result-${l?.sku_code ?? r.sku_id}`} data-on-hand={String(r.on_hand_after)} data-delta={String(r.qty_delta)}>
                    <Typography.Text strong>{l ? `${l.sku_code} ${l.sku_name}` : r.sku_id}</Typography.Text>
                    <Row>
                      <Col span={12}>
                        <Statistic title="本次" value={fmtDelta(r.qty_delta)} suffix={l?.unit ?? ''} />
                      </Col>
                      <Col span={12}>
                        <Statistic title="现有库存" value={fmtQty(r.on_hand_after)} suffix={l?.unit ?? ''} valueStyle={{ fontWeight: 700 }} />
                      </Col>
                    </Row>
                  </Card>
                </Col>
              );
            })}
          </Row>
        </Card>
      )}
    </PageContainer>
  );
}
