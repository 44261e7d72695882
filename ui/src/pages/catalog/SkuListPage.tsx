import { useCallback, useMemo, useState, type Key } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, Button, Dropdown, Form, Image, Input, Select, Space, Tag, Tooltip, Typography } from 'antd';
import { DownOutlined, UploadOutlined } from '@ant-design/icons';
import { errorMessage } from '../../api/client';
import { batchSkuStatus, exportSkus, listSkus, type Sku, type SkuStatus } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import BarcodeInput from '../../components/BarcodeInput';
import CategoryTreeSelect from '../../components/CategoryTreeSelect';
import FilterBar from '../../components/FilterBar';
import { listActions, type ExportFormat } from '../../components/ListActions';
import ListTable from '../../components/ListTable';
import SavedViews from '../../components/SavedViews';
import { useBrands, useCategories } from '../../hooks/useCatalogRefs';
import { useCursorList } from '../../hooks/useCursorList';
import { useStoreOptions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { formatDateTime, formatMoney } from '../../utils/format';
import { SKU_STATUS, SKU_STATUS_OPTIONS, ruleLabel, taxLabel } from './labels';
import SkuFormDrawer from './SkuFormDrawer';

const FILTER_KEYS = ['q', 'barcode', 'brand_id', 'category_id', 'status', 'store_id', 'sort'] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;

const SORTS = [
  { value: '-updated_at', label: '最近更新' },
  { value: 'code', label: '按编码' },
  { value: 'name', label: '按名称' },
];

export default function SkuListPage() {
  const { can, allStores } = useAuth();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const writable = can('catalog.sku.write');
  const { tree, byId: catById } = useCategories();
  const { brands } = useBrands();
  const { stores, byId: storesById } = useStoreOptions();
  const { filters, filterKey, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) =>
      // ranked search has its own order: sort applies without q only
      listSkus({ ...filters, sort: filters.q ? undefined : filters.sort, limit: p.limit, cursor: p.cursor }, signal),
    [filters],
  );
  const list = useCursorList<Sku>(fetchPage, filterKey, limit);
  const [selected, setSelected] = useState<Key[]>([]);
  const [creating, setCreating] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [batching, setBatching] = useState(false);
  const store = filters.store_id ? storesById.get(filters.store_id) : undefined;

  const batch = (status: SkuStatus, clear: () => void) => {
    const ids = selected.map(String);
    modal.confirm({
      title: `将 ${ids.length} 个商品设为「${SKU_STATUS[status].text}」？`,
      content: '全部成功或全部不改。',
      okText: '确认',
      onOk: async () => {
        setBatching(true);
        try {
          const r = await batchSkuStatus(ids, status);
          message.success(`已更新 ${r?.updated ?? ids.length} 个商品`);
          clear();
          setSelected([]);
          list.reload();
        } catch (err) {
          message.error(errorMessage(err));
        } finally {
          setBatching(false);
        }
      },
    });
  };

  const doExport = async (format: ExportFormat) => {
    setExporting(true);
    try {
      await exportSkus({ ...filters }, format);
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setExporting(false);
    }
  };

  const columns: ProColumns<Sku>[] = useMemo(
    () => [
      {
        title: '图片',
        key: 'image',
        width: 64,
        render: (_, s) =>
          s.main_image ? (
            <Image src={s.main_image.thumb_url} preview={{ src: s.main_image.url }} width={40} height={40} style={{ objectFit: 'cover', borderRadius: 4 }} />
          ) : (
            <div style={{ width: 40, height: 40, background: '#f5f5f5', borderRadius: 4 }} />
          ),
      },
      {
        title: '商品编码',
        dataIndex: 'code',
        key: 'code',
        render: (_, s) => (
          <Link to={`/catalog/sku/${s.id}`} data-testid={`sku-link-${s.code}`}>
            <Typography.Text strong style={{ fontFamily: 'monospace' }}>
              {s.code}
            </Typography.Text>
          </Link>
        ),
      },
      {
        title: '商品名称',
        dataIndex: 'name',
        key: 'name',
        render: (_, s) => (
          <Space direction="vertical" size={0}>
            <Link to={`/catalog/sku/${s.id}`}>{s.name}</Link>
            {s.store_id && (
              <Tag color="purple" style={{ marginTop: 2 }}>
                门店商品 {storesById.get(s.store_id)?.code ?? ''}
              </Tag>
            )}
          </Space>
        ),
      },
      {
        title: '条码',
        key: 'barcodes',
        render: (_, s) => {
          const [first, ...rest] = s.barcodes;
          if (!first) return <Typography.Text type="secondary">—</Typography.Text>;
          return (
            <Tooltip title={s.barcodes.map((b) => `${b.code}${b.pack_name ? `（${b.pack_name}）` : ''}`).join('\n')}>
              <span style={{ fontFamily: 'monospace' }}>{first.code}</span>
              {rest.length > 0 && <Typography.Text type="secondary"> +{rest.length}</Typography.Text>}
            </Tooltip>
          );
        },
      },
      { title: '品牌', dataIndex: 'brand_name', key: 'brand', render: (_, s) => s.brand_name ?? '—' },
      {
        title: '类目',
        key: 'category',
        render: (_, s) => (s.category_path?.length ? s.category_path.join(' / ') : s.category_name ?? (s.category_id ? catById.get(s.category_id)?.name : null) ?? '—'),
      },
      { title: '单位', dataIndex: 'unit', key: 'unit', render: (_, s) => s.unit ?? '—' },
      {
        title: '状态',
        dataIndex: 'status',
        key: 'status',
        render: (_, s) => <Tag color={SKU_STATUS[s.status]?.color}>{SKU_STATUS[s.status]?.text ?? s.status}</Tag>,
      },
      ...(filters.store_id
        ? [
            {
              title: `${store?.code ?? ''} 售价`,
              key: 'price',
              align: 'right' as const,
              render: (_: unknown, s: Sku) =>
                s.price?.amount ? (
                  <Tooltip title={`规则：${ruleLabel(s.price.rule)}`}>
                    <Typography.Text strong data-testid={`sku-price-${s.code}`}>
                      {formatMoney(s.price.amount)}
                    </Typography.Text>
                    {s.price.rule && s.price.rule !== 'standard' && (
                      <Tag color="orange" style={{ marginLeft: 6 }}>
                        {ruleLabel(s.price.rule)}
                      </Tag>
                    )}
                  </Tooltip>
                ) : (
                  <Typography.Text type="secondary">未定价</Typography.Text>
                ),
            },
            {
              title: '会员价',
              key: 'member_price',
              align: 'right' as const,
              render: (_: unknown, s: Sku) => formatMoney(s.price?.member_amount),
            },
          ]
        : []),
      { title: '税率', dataIndex: 'tax_rate', key: 'tax_rate', render: (_, s) => taxLabel(s.tax_rate) },
      { title: '产地', dataIndex: 'origin', key: 'origin', render: (_, s) => s.origin ?? '—' },
      { title: '更新时间', dataIndex: 'updated_at', key: 'updated_at', render: (_, s) => formatDateTime(s.updated_at) },
      {
        title: '操作',
        key: 'actions',
        render: (_, s) => (
          <Button type="link" size="small" onClick={() => navigate(`/catalog/sku/${s.id}`)}>
            详情
          </Button>
        ),
      },
    ],
    [filters.store_id, store, storesById, catById, navigate],
  );

  const applyFilters = (v: Filters) =>
    setFilters({
      q: v.q?.trim(),
      barcode: v.barcode?.trim(),
      brand_id: v.brand_id,
      category_id: v.category_id,
      status: v.status,
      store_id: v.store_id,
      sort: v.sort,
    });

  return (
    <PageContainer title="商品列表" subTitle="总部商品与您门店的门店商品">
      <FilterBar<Filters> values={{ ...filters }} onSearch={applyFilters} onReset={() => setFilters({})} testId="sku-filter">
        <Form.Item name="q" label="关键字">
          <Input placeholder="名称 / 拼音 / 首字母 / 编码" allowClear data-testid="sku-filter-q" />
        </Form.Item>
        <Form.Item name="barcode" label="条码">
          <BarcodeInput placeholder="扫码或输入条码，回车查询" allowClear data-testid="sku-filter-barcode" />
        </Form.Item>
        <Form.Item name="category_id" label="类目">
          <CategoryTreeSelect tree={tree} placeholder="全部（含子类目）" data-testid="sku-filter-category" />
        </Form.Item>
        <Form.Item name="brand_id" label="品牌">
          <Select allowClear showSearch optionFilterProp="label" placeholder="全部" options={brands.map((b) => ({ value: b.id, label: b.name }))} />
        </Form.Item>
        <Form.Item name="status" label="状态">
          <Select allowClear placeholder="全部" options={SKU_STATUS_OPTIONS} data-testid="sku-filter-status" />
        </Form.Item>
        <Form.Item name="store_id" label="门店" tooltip="选择门店后显示该门店当前售价">
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder="不限（不显示售价）"
            options={stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` }))}
            data-testid="sku-filter-store"
          />
        </Form.Item>
        <Form.Item name="sort" label="排序" tooltip="输入关键字时按相关度排序">
          <Select allowClear placeholder="默认" options={SORTS} />
        </Form.Item>
      </FilterBar>
      <ListTable<Sku>
        testId="sku-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.catalog.sku.columns"
        headerTitle="商品"
        pager={{ limit, setLimit }}
        defaultHidden={['tax_rate', 'origin']}
        rowTestId={(s) => `sku-row-${s.code}`}
        rowAttrs={(s) => ({ 'data-sku-id': s.id })}
        rowSelection={
          writable
            ? {
                selectedRowKeys: selected,
                onChange: setSelected,
                preserveSelectedRowKeys: true,
                // HQ-wide SKUs change status only for global-scope callers
                getCheckboxProps: (s: Sku) => ({ disabled: !allStores && s.store_id === null }),
              }
            : undefined
        }
        batchActions={({ keys, clear }) => (
          <Dropdown
            disabled={batching}
            menu={{
              items: SKU_STATUS_OPTIONS.map((o) => ({ key: o.value, label: <span data-testid={`batch-status-${o.value}`}>设为{o.label}</span> })),
              onClick: ({ key }) => batch(key as SkuStatus, clear),
            }}
          >
            <Button size="small" type="primary" loading={batching} data-testid="batch-status">
              批量改状态（{keys.length}） <DownOutlined />
            </Button>
          </Dropdown>
        )}
        toolBarExtra={<SavedViews<Filters> page="catalog.sku" current={filters} onApply={(s) => applyFilters(s ?? {})} />}
        toolBar={listActions({
          onExport: (f) => void doExport(f),
          exporting,
          formats: ['csv', 'xlsx'],
          extra: writable
            ? [
                <Button key="import" icon={<UploadOutlined />} onClick={() => navigate('/imports/new')} data-testid="sku-import">
                  导入
                </Button>,
              ]
            : [],
          create: writable && { label: '新建商品', testId: 'sku-create', onClick: () => setCreating(true) },
        })}
      />
      {writable && (
        <SkuFormDrawer
          open={creating}
          sku={null}
          onClose={() => setCreating(false)}
          onSaved={(s) => {
            setCreating(false);
            navigate(`/catalog/sku/${s.id}`);
          }}
        />
      )}
    </PageContainer>
  );
}
