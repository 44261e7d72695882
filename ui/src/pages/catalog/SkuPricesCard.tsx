import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, DatePicker, Descriptions, Form, Input, Modal, Popconfirm, Radio, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { errorMessage, isApiError } from '../../api/client';
import { cancelPrice, createPrice, listSkuPrices, quotePrice, type PriceKind, type PriceQuote, type PriceRow, type Sku } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import MoneyInput, { moneyRules, normalizeMoney } from '../../components/MoneyInput';
import { useAsync } from '../../hooks/useAsync';
import { useMemberTiers } from '../../hooks/useCatalogRefs';
import { useActorNames, useStoreOptions } from '../../hooks/useRefData';
import { formatDateTime, formatMoney, toApiTime } from '../../utils/format';
import { applyApiErrors } from '../../utils/formErrors';
import { HQ, PRICE_KIND, PRICE_STATE, ruleLabel } from './labels';

interface PriceValues {
  kind: PriceKind;
  tier?: string;
  amount: string;
  starts_at?: Dayjs | null;
  ends_at?: Dayjs | null;
  note?: string;
}

function PriceModal({ open, sku, storeId, storeLabel, onClose, onSaved }: { open: boolean; sku: Sku; storeId: string | null; storeLabel: string; onClose: () => void; onSaved: () => void }) {
  const { message } = App.useApp();
  const { tiers } = useMemberTiers();
  const [form] = Form.useForm<PriceValues>();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const kind = Form.useWatch('kind', form);

  useEffect(() => {
    if (open) {
      form.resetFields();
      setFormError([]);
    }
  }, [open, form]);

  const submit = async (v: PriceValues) => {
    setSubmitting(true);
    setFormError([]);
    try {
      await createPrice(sku.id, {
        store_id: storeId,
        kind: v.kind,
        tier: v.kind === 'member' ? v.tier || null : null,
        amount: normalizeMoney(v.amount) ?? v.amount,
        starts_at: toApiTime(v.starts_at ?? undefined),
        ends_at: toApiTime(v.ends_at ?? undefined) ?? null,
        note: v.note?.trim() ?? '',
      });
      message.success('已保存调价');
      onSaved();
    } catch (err) {
      if (isApiError(err, 'catalog.price.overlap')) {
        form.setFields([{ name: 'starts_at', errors: [err.problem.detail || err.problem.title] }]);
      } else if (isApiError(err, 'catalog.price.guard') || isApiError(err, 'catalog.price.member_above_standard') || isApiError(err, 'catalog.price.not_positive')) {
        form.setFields([{ name: 'amount', errors: [[err.problem.title, err.problem.detail].filter(Boolean).join('：')] }]);
      } else {
        setFormError(applyApiErrors(form, err, ['kind', 'tier', 'amount', 'starts_at', 'ends_at', 'note']));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title={`调价 · ${sku.name}`}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="保存"
      okButtonProps={{ loading: submitting, 'data-testid': 'price-form-submit' }}
      maskClosable={false}
      width={560}
      forceRender
    >
      <Typography.Paragraph type="secondary">
        范围：<Typography.Text strong>{storeLabel}</Typography.Text>
      </Typography.Paragraph>
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} data-testid="price-form-error" />}
      <Form<PriceValues> form={form} labelCol={{ flex: '90px' }} initialValues={{ kind: 'standard' }} onFinish={(v) => void submit(v)} data-testid="price-form">
        <Form.Item name="kind" label="价格类型" rules={[{ required: true }]}>
          <Radio.Group
            optionType="button"
            buttonStyle="solid"
            data-testid="price-form-kind"
            options={(Object.keys(PRICE_KIND) as PriceKind[]).map((k) => ({ value: k, label: PRICE_KIND[k] }))}
          />
        </Form.Item>
        {kind === 'member' && (
          <Form.Item name="tier" label="会员等级" extra="不选 = 所有会员">
            <Select allowClear placeholder="所有会员" options={tiers.map((t) => ({ value: t.code, label: t.name }))} />
          </Form.Item>
        )}
        <Form.Item name="amount" label="价格" rules={moneyRules(true)}>
          <MoneyInput data-testid="price-form-amount" />
        </Form.Item>
        <Form.Item name="starts_at" label="开始时间" extra={kind === 'temporary' ? undefined : '不填 = 立即生效'} rules={kind === 'temporary' ? [{ required: true, message: '请选择开始时间' }] : []}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: 220 }} data-testid="price-form-starts" />
        </Form.Item>
        <Form.Item
          name="ends_at"
          label="结束时间"
          dependencies={['starts_at', 'kind']}
          rules={[
            ...(kind === 'temporary' ? [{ required: true, message: '临时价需要结束时间' }] : []),
            ({ getFieldValue }) => ({
              validator: async (_, v: Dayjs | null | undefined) => {
                const s = getFieldValue('starts_at') as Dayjs | null | undefined;
                if (v && (s ? !v.isAfter(s) : !v.isAfter(dayjs()))) throw new Error('结束时间必须晚于开始时间');
              },
            }),
          ]}
        >
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: 220 }} data-testid="price-form-ends" />
        </Form.Item>
        <Form.Item name="note" label="备注">
          <Input maxLength={100} placeholder="如：周末促销" data-testid="price-form-note" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** 价格: store selector, the price in force now and the timeline with 调价 / 取消. */
export default function SkuPricesCard({ sku }: { sku: Sku }) {
  const { can, allStores, currentStoreId } = useAuth();
  const { message } = App.useApp();
  const { stores, byId } = useStoreOptions();
  const { actorName } = useActorNames();
  const [scope, setScope] = useState<string>(() => currentStoreId ?? (allStores ? HQ : ''));
  const storeId = scope === HQ || scope === '' ? null : scope;
  const [pricing, setPricing] = useState(false);
  const timeline = useAsync<PriceRow[]>(() => listSkuPrices(sku.id, storeId), [sku.id, storeId]);
  const quote = useAsync<PriceQuote | null>(
    () =>
      quotePrice({ sku_id: sku.id, store_id: storeId, at: toApiTime(dayjs()) }).catch((err) => {
        if (isApiError(err, 'catalog.price.none') || isApiError(err, undefined, 404)) return null;
        throw err;
      }),
    [sku.id, storeId, timeline.data],
  );
  const writable = can('catalog.price.write') && (storeId !== null || allStores);

  useEffect(() => {
    if (!scope && stores[0]) setScope(stores[0].id);
  }, [scope, stores]);

  const storeLabel = storeId ? (byId.get(storeId) ? `${byId.get(storeId)!.code} ${byId.get(storeId)!.name}` : storeId) : '总部（所有门店）';

  const cancel = async (p: PriceRow) => {
    try {
      await cancelPrice(p.id);
      message.success(p.state === 'current' ? '临时价已结束' : '已取消调价');
      timeline.reload();
    } catch (err) {
      message.error(errorMessage(err));
    }
  };

  const rows = useMemo(() => timeline.data ?? [], [timeline.data]);

  return (
    <Card
      title="价格"
      data-testid="sku-prices"
      extra={
        <Space>
          <Select
            value={scope || undefined}
            onChange={setScope}
            style={{ width: 220 }}
            showSearch
            optionFilterProp="label"
            data-testid="price-store"
            aria-label="门店"
            options={[...(allStores ? [{ value: HQ, label: '总部（所有门店）' }] : []), ...stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` }))]}
            optionRender={(o) => <span data-testid={`price-store-option-${String(o.label).split(' ')[0]}`}>{o.label}</span>}
          />
          <Button icon={<ReloadOutlined />} onClick={timeline.reload} aria-label="刷新" />
          {writable && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setPricing(true)} data-testid="price-add">
              调价
            </Button>
          )}
        </Space>
      }
    >
      <Row gutter={24} style={{ marginBottom: 16 }}>
        <Col>
          <Statistic
            title={`当前售价 · ${storeLabel}`}
            value={quote.data ? formatMoney(quote.data.amount) : quote.loading ? '…' : '未定价'}
            valueStyle={{ color: quote.data ? '#cf1322' : '#999' }}
            data-testid="price-current"
          />
        </Col>
        {quote.data && (
          <Col>
            <Descriptions size="small" column={1} style={{ marginTop: 4 }}>
              <Descriptions.Item label="生效规则">
                <Tag color={quote.data.rule === 'standard' ? 'blue' : 'orange'}>{ruleLabel(quote.data.rule)}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label="标准价">{formatMoney(quote.data.standard_amount)}</Descriptions.Item>
            </Descriptions>
          </Col>
        )}
      </Row>
      {(timeline.error || quote.error) && <Alert type="error" showIcon message={timeline.error || quote.error} style={{ marginBottom: 12 }} />}
      <Table<PriceRow>
        size="small"
        rowKey="id"
        loading={timeline.loading}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        data-testid="price-timeline"
        onRow={(p) => ({ 'data-testid': `price-row-${p.kind}`, 'data-state': p.state, 'data-amount': p.amount } as object)}
        columns={[
          { title: '类型', dataIndex: 'kind', render: (k: PriceKind, p) => <span>{PRICE_KIND[k] ?? k}{p.tier ? ` · ${p.tier}` : ''}</span> },
          { title: '价格', dataIndex: 'amount', align: 'right', render: (a: string) => <Typography.Text strong>{formatMoney(a)}</Typography.Text> },
          { title: '范围', dataIndex: 'store_id', render: (s: string | null) => (s ? <Tag color="green">{byId.get(s)?.code ?? '门店'}</Tag> : <Tag color="gold">总部</Tag>) },
          { title: '开始', dataIndex: 'starts_at', render: (t: string) => formatDateTime(t, 'YYYY-MM-DD HH:mm') },
          { title: '结束', dataIndex: 'ends_at', render: (t: string | null) => (t ? formatDateTime(t, 'YYYY-MM-DD HH:mm') : '—') },
          { title: '状态', dataIndex: 'state', render: (s: PriceRow['state']) => <Tag color={PRICE_STATE[s]?.color} data-testid="price-state">{PRICE_STATE[s]?.text ?? s}</Tag> },
          { title: '备注', dataIndex: 'note', render: (n: string | null) => n || '—' },
          { title: '操作人', dataIndex: 'created_by', render: (n: string | null, p) => <Typography.Text type="secondary">{actorName(n)} · {formatDateTime(p.created_at, 'MM-DD HH:mm')}</Typography.Text> },
          ...(writable
            ? [
                {
                  title: '操作',
                  key: 'actions',
                  render: (_: unknown, p: PriceRow) =>
                    p.state === 'scheduled' || (p.state === 'current' && p.kind === 'temporary') ? (
                      <Popconfirm
                        title={p.state === 'scheduled' ? '取消这次调价？' : '立即结束这个临时价？'}
                        okText="确认"
                        onConfirm={() => void cancel(p)}
                      >
                        <Button type="link" size="small" danger data-testid="price-cancel">
                          {p.state === 'scheduled' ? '取消' : '结束'}
                        </Button>
                      </Popconfirm>
                    ) : null,
                },
              ]
            : []),
        ]}
      />
      {writable && (
        <PriceModal
          open={pricing}
          sku={sku}
          storeId={storeId}
          storeLabel={storeLabel}
          onClose={() => setPricing(false)}
          onSaved={() => {
            setPricing(false);
            timeline.reload();
          }}
        />
      )}
    </Card>
  );
}
