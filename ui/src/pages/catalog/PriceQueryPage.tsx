import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Form, Result, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { SearchOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { errorMessage, isApiError } from '../../api/client';
import { quotePrice, type PriceCandidate, type PriceQuote } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import SkuSelect from '../../components/SkuSelect';
import { useMemberTiers } from '../../hooks/useCatalogRefs';
import { useStoreOptions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { formatDateTime, formatMoney, fromApiTime, toApiTime } from '../../utils/format';
import { HQ, ruleLabel } from './labels';

const KEYS = ['sku_id', 'store_id', 'at', 'tier'] as const;

interface Values {
  sku_id?: string;
  store_id?: string;
  at?: Dayjs | null;
  tier?: string;
}

/** 价格查询: the price of a SKU at a store, at a time, for a member tier — and the rule that gave it. */
export default function PriceQueryPage() {
  const { allStores, currentStoreId } = useAuth();
  const { stores, byId } = useStoreOptions();
  const { tiers } = useMemberTiers();
  const { filters, setFilters } = useUrlFilters(KEYS);
  const [form] = Form.useForm<Values>();
  const [quote, setQuote] = useState<PriceQuote | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [none, setNone] = useState(false);
  const [loading, setLoading] = useState(false);
  const key = JSON.stringify(filters);

  // The URL is the query: fill the form from it and ask the server.
  useEffect(() => {
    form.setFieldsValue({
      sku_id: filters.sku_id,
      store_id: filters.store_id ?? (filters.sku_id ? HQ : currentStoreId ?? (allStores ? HQ : stores[0]?.id)),
      at: fromApiTime(filters.at) ?? dayjs(),
      tier: filters.tier,
    });
    if (!filters.sku_id) {
      setQuote(null);
      return;
    }
    let live = true;
    setLoading(true);
    setError(null);
    setNone(false);
    quotePrice({
      sku_id: filters.sku_id,
      store_id: filters.store_id && filters.store_id !== HQ ? filters.store_id : null,
      at: filters.at ?? toApiTime(dayjs()),
      tier: filters.tier || null,
    })
      .then((q) => live && setQuote(q))
      .catch((err) => {
        if (!live) return;
        setQuote(null);
        if (isApiError(err, 'catalog.price.none')) setNone(true);
        else setError(errorMessage(err));
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const submit = (v: Values) =>
    setFilters({ sku_id: v.sku_id, store_id: v.store_id, at: toApiTime(v.at ?? dayjs()), tier: v.tier });

  const storeName = (id: string | null) => (id ? (byId.get(id) ? `${byId.get(id)!.code} ${byId.get(id)!.name}` : id) : '总部');

  return (
    <PageContainer title="价格查询" subTitle="某商品在某门店、某时刻、某会员等级下的售价，以及给出它的规则">
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form<Values> form={form} layout="inline" onFinish={submit} data-testid="price-query">
          <Form.Item name="sku_id" label="商品" rules={[{ required: true, message: '请选择商品' }]}>
            <SkuSelect style={{ width: 320 }} data-testid="price-query-sku" />
          </Form.Item>
          <Form.Item name="store_id" label="门店">
            <Select
              style={{ width: 200 }}
              showSearch
              optionFilterProp="label"
              data-testid="price-query-store"
              options={[...(allStores ? [{ value: HQ, label: '总部价' }] : []), ...stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` }))]}
            />
          </Form.Item>
          <Form.Item name="at" label="时间">
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" allowClear={false} data-testid="price-query-at" />
          </Form.Item>
          <Form.Item name="tier" label="会员等级">
            <Select allowClear placeholder="非会员" style={{ width: 140 }} options={tiers.map((t) => ({ value: t.code, label: t.name }))} data-testid="price-query-tier" />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit" icon={<SearchOutlined />} loading={loading} data-testid="price-query-submit">
              查询
            </Button>
          </Form.Item>
        </Form>
      </Card>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      {none && (
        <div data-testid="price-query-none">
          <Result status="warning" title="该商品在此门店没有标准价" subTitle="请先在商品详情的「价格」中设置标准价" />
        </div>
      )}
      {quote && (
        <Card data-testid="price-result" data-rule={quote.rule} data-amount={quote.amount}>
          <Row gutter={32}>
            <Col>
              <Statistic title="售价" value={formatMoney(quote.amount)} valueStyle={{ color: '#cf1322', fontSize: 36 }} />
            </Col>
            <Col flex="auto">
              <Descriptions column={{ xs: 1, md: 2 }} size="small">
                <Descriptions.Item label="生效规则">
                  <Tag color={quote.rule === 'standard' ? 'blue' : 'orange'} data-testid="price-result-rule">
                    {ruleLabel(quote.rule)}
                  </Tag>
                </Descriptions.Item>
                <Descriptions.Item label="标准价">{formatMoney(quote.standard_amount)}</Descriptions.Item>
                <Descriptions.Item label="门店">{storeName(quote.store_id)}</Descriptions.Item>
                <Descriptions.Item label="时间">{formatDateTime(quote.at, 'YYYY-MM-DD HH:mm')}</Descriptions.Item>
                <Descriptions.Item label="会员等级">{quote.tier ? tiers.find((t) => t.code === quote.tier)?.name ?? quote.tier : '非会员'}</Descriptions.Item>
                <Descriptions.Item label="商品">
                  <Link to={`/catalog/sku/${quote.sku_id}`}>查看商品与价格时间线</Link>
                </Descriptions.Item>
              </Descriptions>
            </Col>
          </Row>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            候选价格
          </Typography.Title>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
            顾客支付其中最低的价格。
          </Typography.Paragraph>
          <Table<PriceCandidate>
            size="small"
            rowKey={(c) => `${c.rule}:${c.price_id ?? ''}`}
            pagination={false}
            dataSource={quote.candidates ?? []}
            data-testid="price-candidates"
            columns={[
              { title: '规则', dataIndex: 'rule', render: (r: string) => <Space>{ruleLabel(r)}{r === quote.rule && <Tag color="success">采用</Tag>}</Space> },
              { title: '价格', dataIndex: 'amount', align: 'right', render: (a: string) => formatMoney(a) },
              { title: '来源', dataIndex: 'store_id', render: (s: string | null) => (s ? <Tag color="green">{storeName(s)}</Tag> : <Tag color="gold">总部</Tag>) },
            ]}
          />
        </Card>
      )}
    </PageContainer>
  );
}
