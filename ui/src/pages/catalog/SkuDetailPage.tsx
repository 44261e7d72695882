import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, Button, Card, Col, Descriptions, Empty, Result, Row, Space, Spin, Table, Tag, Typography } from 'antd';
import { EditOutlined } from '@ant-design/icons';
import { getSku, type Barcode, type Pack, type Sku } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import { useAsync } from '../../hooks/useAsync';
import { useStoreOptions } from '../../hooks/useRefData';
import { formatDateTime } from '../../utils/format';
import { SKU_STATUS, taxLabel } from './labels';
import SkuFormDrawer from './SkuFormDrawer';
import SkuHistoryCard from './SkuHistoryCard';
import SkuImagesCard from './SkuImagesCard';
import SkuPricesCard from './SkuPricesCard';

const BARCODE_KIND: Record<string, string> = { ean13: 'EAN-13', ean8: 'EAN-8', upca: 'UPC-A', gtin14: 'GTIN-14', internal: '店内码' };

export default function SkuDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { can, allStores } = useAuth();
  const { byId: storesById } = useStoreOptions();
  const sku = useAsync<Sku>(() => getSku(id), [id]);
  const [editing, setEditing] = useState(false);
  const [tick, setTick] = useState(0);
  const s = sku.data;
  // HQ-wide SKUs are maintained by global-scope callers only (403 catalog.sku.hq_only otherwise).
  const writable = can('catalog.sku.write') && (allStores || (!!s && s.store_id !== null));

  if (!s && sku.loading) {
    return (
      <div style={{ padding: 48, textAlign: 'center' }}>
        <Spin />
      </div>
    );
  }
  if (!s) {
    return (
      <Result
        status="404"
        title="商品不存在或不在您的范围内"
        subTitle={sku.error}
        extra={<Button onClick={() => navigate('/catalog/sku')}>返回商品列表</Button>}
      />
    );
  }

  const refresh = () => {
    sku.reload();
    setTick((t) => t + 1);
  };

  return (
    <PageContainer
      title={
        <Space>
          <span data-testid="sku-title">{s.name}</span>
          <Tag color={SKU_STATUS[s.status]?.color}>{SKU_STATUS[s.status]?.text ?? s.status}</Tag>
        </Space>
      }
      subTitle={<span style={{ fontFamily: 'monospace' }}>{s.code}</span>}
      onBack={() => navigate(-1)}
      breadcrumb={{ items: [{ title: <Link to="/catalog/sku">商品列表</Link> }, { title: s.code }] }}
    >
      {sku.error && <Alert type="error" showIcon message={sku.error} style={{ marginBottom: 16 }} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <Card
            title="基本信息"
            data-testid="sku-basic"
            extra={
              writable && (
                <Button icon={<EditOutlined />} onClick={() => setEditing(true)} data-testid="sku-edit">
                  编辑
                </Button>
              )
            }
          >
            <Descriptions column={{ xs: 1, sm: 2 }} size="small">
              <Descriptions.Item label="商品编码">
                <Typography.Text copyable style={{ fontFamily: 'monospace' }}>
                  {s.code}
                </Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label="商品名称">{s.name}</Descriptions.Item>
              <Descriptions.Item label="简称">{s.short_name || '—'}</Descriptions.Item>
              <Descriptions.Item label="品牌">{s.brand_name || '—'}</Descriptions.Item>
              <Descriptions.Item label="类目">{s.category_path?.length ? s.category_path.join(' / ') : s.category_name || '—'}</Descriptions.Item>
              <Descriptions.Item label="单位">{s.unit || '—'}</Descriptions.Item>
              <Descriptions.Item label="称重">{s.is_weighed ? `是（PLU ${s.plu ?? '—'}）` : '否'}</Descriptions.Item>
              <Descriptions.Item label="税率">{taxLabel(s.tax_rate)}</Descriptions.Item>
              <Descriptions.Item label="产地">{s.origin || '—'}</Descriptions.Item>
              <Descriptions.Item label="保质期">{s.shelf_life_days != null ? `${s.shelf_life_days} 天` : '—'}</Descriptions.Item>
              <Descriptions.Item label="范围">
                {s.store_id ? <Tag color="purple">门店商品 {storesById.get(s.store_id)?.name ?? ''}</Tag> : <Tag color="gold">总部通用</Tag>}
              </Descriptions.Item>
              <Descriptions.Item label="版本">{s.version}</Descriptions.Item>
              {Object.entries(s.attributes ?? {}).map(([k, v]) => (
                <Descriptions.Item key={k} label={k}>
                  {String(v)}
                </Descriptions.Item>
              ))}
              <Descriptions.Item label="创建时间">{formatDateTime(s.created_at)}</Descriptions.Item>
              <Descriptions.Item label="更新时间">{formatDateTime(s.updated_at)}</Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card title="条码与包装" data-testid="sku-barcodes" extra={writable && <Button type="link" onClick={() => setEditing(true)}>编辑</Button>}>
            {s.barcodes.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="暂无条码" />
            ) : (
              <Table<Barcode>
                size="small"
                rowKey="code"
                pagination={false}
                dataSource={s.barcodes}
                columns={[
                  { title: '条码', dataIndex: 'code', render: (c: string) => <Typography.Text copyable style={{ fontFamily: 'monospace' }}>{c}</Typography.Text> },
                  { title: '类型', dataIndex: 'kind', render: (k?: string) => (k ? BARCODE_KIND[k] ?? k : '—') },
                  { title: '包装', dataIndex: 'pack_name', render: (p: string | null) => p || `基本单位（${s.unit ?? '—'}）` },
                ]}
              />
            )}
            <Typography.Title level={5} style={{ marginTop: 16 }}>
              包装
            </Typography.Title>
            <Table<Pack>
              size="small"
              rowKey={(p) => p.id ?? p.name}
              pagination={false}
              dataSource={s.packs}
              locale={{ emptyText: '仅基本单位' }}
              columns={[
                { title: '包装', dataIndex: 'name' },
                { title: '含量', dataIndex: 'quantity', render: (q: string) => `${q} ${s.unit ?? ''}` },
              ]}
            />
          </Card>
        </Col>
        <Col span={24}>
          <SkuImagesCard skuId={s.id} writable={writable && can('files.upload')} onChanged={() => setTick((t) => t + 1)} />
        </Col>
        {can('catalog.price.read') && (
          <Col span={24}>
            <SkuPricesCard sku={s} />
          </Col>
        )}
        <Col span={24}>
          <SkuHistoryCard skuId={s.id} refreshKey={`${s.version}:${tick}`} />
        </Col>
      </Row>
      {writable && (
        <SkuFormDrawer
          open={editing}
          sku={s}
          onClose={() => setEditing(false)}
          onRefresh={refresh}
          onSaved={(saved) => {
            setEditing(false);
            sku.setData(saved);
            setTick((t) => t + 1);
          }}
        />
      )}
    </PageContainer>
  );
}
