import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Col, Divider, Drawer, Form, Input, InputNumber, Row, Select, Space, Switch, Typography, type InputRef } from 'antd';
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { isApiError } from '../../api/client';
import { createSku, updateSku, type Sku, type SkuInput, type SkuStatus } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import BarcodeInput from '../../components/BarcodeInput';
import CategoryTreeSelect from '../../components/CategoryTreeSelect';
import MoneyInput, { moneyRules, normalizeMoney } from '../../components/MoneyInput';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useBrands, useCategories } from '../../hooks/useCatalogRefs';
import { useStoreOptions } from '../../hooks/useRefData';
import { barcodeProblem, normalizeCode } from '../../utils/barcode';
import { applyApiErrors } from '../../utils/formErrors';
import { newRequestId } from '../../utils/format';
import { HQ, SKU_STATUS_OPTIONS, TAX_RATES, taxLabel } from './labels';

interface Values {
  code: string;
  name: string;
  short_name?: string;
  brand_id?: string;
  category_id?: string;
  unit?: string;
  is_weighed: boolean;
  plu?: string;
  tax_rate: string;
  origin?: string;
  shelf_life_days?: number | null;
  status: SkuStatus;
  scope: string; // HQ or a store id
  packs: { name: string; quantity: string }[];
  barcodes: { code: string; pack_name?: string | null }[];
  standard_price?: string;
  member_price?: string;
}

const FIELDS = [
  'code', 'name', 'short_name', 'brand_id', 'category_id', 'unit', 'is_weighed', 'plu', 'tax_rate', 'origin',
  'shelf_life_days', 'status', 'scope', 'packs', 'barcodes', 'standard_price', 'member_price',
];

const UNITS = ['个', '瓶', '罐', '盒', '袋', '包', '箱', '件', '支', '条', 'kg', '斤'];

const conflictCodes = ['common.version_conflict'];

/**
 * 新建商品 / 编辑商品: master fields, packs, barcodes (scanner: Enter adds the code), and on
 * create the standard / member price. Field errors from the API land on their fields.
 */
export default function SkuFormDrawer({
  open,
  sku,
  onClose,
  onSaved,
  onRefresh,
}: {
  open: boolean;
  /** null = create */
  sku: Sku | null;
  onClose: () => void;
  onSaved: (s: Sku) => void;
  /** Reload the SKU after a version conflict. */
  onRefresh?: () => void;
}) {
  const { message } = App.useApp();
  const { allStores, currentStoreId } = useAuth();
  const { tree } = useCategories();
  const { brands } = useBrands();
  const { stores } = useStoreOptions();
  const [form] = Form.useForm<Values>();
  const [submitting, setSubmitting] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const [scan, setScan] = useState('');
  const scanRef = useRef<InputRef>(null);
  const idem = useRef<string>(newRequestId());
  const weighed = Form.useWatch('is_weighed', form);
  const packs = Form.useWatch('packs', form) as Values['packs'] | undefined;

  useEffect(() => {
    if (!open) return;
    setConflict(false);
    setFormError([]);
    setScan('');
    idem.current = newRequestId();
    form.resetFields();
    if (sku) {
      form.setFieldsValue({
        code: sku.code,
        name: sku.name,
        short_name: sku.short_name ?? undefined,
        brand_id: sku.brand_id ?? undefined,
        category_id: sku.category_id ?? undefined,
        unit: sku.unit ?? undefined,
        is_weighed: sku.is_weighed,
        plu: sku.plu ?? undefined,
        tax_rate: sku.tax_rate,
        origin: sku.origin ?? undefined,
        shelf_life_days: sku.shelf_life_days ?? undefined,
        status: sku.status,
        scope: sku.store_id ?? HQ,
        packs: sku.packs.map((p) => ({ name: p.name, quantity: p.quantity })),
        barcodes: sku.barcodes.map((b) => ({ code: b.code, pack_name: b.pack_name })),
      });
    } else {
      form.setFieldsValue({ scope: allStores ? HQ : currentStoreId ?? stores[0]?.id });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, sku?.id, sku?.version]);

  /** Scanner: Enter in the scan box appends the code to the barcode list. */
  const addScanned = (raw: string) => {
    const code = normalizeCode(raw);
    if (!code) return;
    const list = (form.getFieldValue('barcodes') as Values['barcodes'] | undefined) ?? [];
    if (list.some((b) => b.code === code)) {
      message.warning(`条码 ${code} 已在列表中`);
    } else {
      const problem = barcodeProblem(code);
      if (problem) {
        message.error(`${code}：${problem}`);
        return;
      }
      form.setFieldValue('barcodes', [...list, { code, pack_name: null }]);
    }
    setScan('');
    scanRef.current?.focus();
  };

  const submit = async (v: Values) => {
    setSubmitting(true);
    setFormError([]);
    const body: SkuInput = {
      code: v.code.trim(),
      name: v.name.trim(),
      short_name: v.short_name?.trim() ?? '',
      brand_id: v.brand_id ?? null,
      category_id: v.category_id ?? null,
      unit: v.unit ?? null,
      is_weighed: !!v.is_weighed,
      plu: v.is_weighed ? v.plu?.trim() || null : null,
      tax_rate: v.tax_rate,
      origin: v.origin?.trim() ?? '',
      shelf_life_days: v.shelf_life_days ?? null,
      status: v.status,
      attributes: sku?.attributes ?? {},
      store_id: v.scope === HQ ? null : v.scope,
      packs: (v.packs ?? []).map((p) => ({ name: p.name.trim(), quantity: String(p.quantity).trim() })),
      barcodes: (v.barcodes ?? []).map((b) => ({ code: normalizeCode(b.code), pack_name: b.pack_name || null })),
    };
    try {
      let saved: Sku;
      if (sku) {
        saved = await updateSku(sku.id, { ...body, version: sku.version });
      } else {
        saved = await createSku(
          { ...body, standard_price: normalizeMoney(v.standard_price), member_price: normalizeMoney(v.member_price) },
          idem.current,
        );
      }
      message.success(sku ? '已保存' : `已创建商品 ${saved.code}`);
      onSaved(saved);
    } catch (err) {
      if (isApiError(err) && err.status === 409 && conflictCodes.includes(err.code)) {
        setConflict(true);
      } else if (isApiError(err, 'catalog.sku.duplicate')) {
        form.setFields([{ name: 'code', errors: [err.problem.detail || err.problem.title] }]);
      } else if (isApiError(err, 'catalog.category.unknown')) {
        form.setFields([{ name: 'category_id', errors: [err.problem.title] }]);
      } else if (isApiError(err, 'catalog.brand.unknown')) {
        form.setFields([{ name: 'brand_id', errors: [err.problem.title] }]);
      } else {
        const rest = applyApiErrors(form, err, FIELDS, { store_id: 'scope' });
        if (isApiError(err) && err.problem.detail && !rest.includes(err.problem.detail)) rest.push(err.problem.detail);
        setFormError(rest);
      }
    } finally {
      setSubmitting(false);
    }
  };

  const packOptions = (packs ?? []).filter((p) => p?.name).map((p) => ({ value: p.name, label: `${p.name}（${p.quantity}）` }));

  return (
    <Drawer
      title={sku ? `编辑商品 · ${sku.code}` : '新建商品'}
      open={open}
      onClose={onClose}
      width={760}
      maskClosable={false}
      forceRender
      data-testid="sku-form"
      extra={
        <Space>
          <Button onClick={onClose}>取消</Button>
          <Button type="primary" loading={submitting} disabled={conflict} onClick={() => form.submit()} data-testid="sku-form-submit">
            {sku ? '保存' : '创建'}
          </Button>
        </Space>
      }
    >
      {conflict && <VersionConflictAlert onRefresh={() => onRefresh?.()} />}
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} data-testid="sku-form-error" />}
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={(v) => void submit(v)}
        initialValues={{ is_weighed: false, tax_rate: '0.13', status: 'active', packs: [], barcodes: [] }}
        requiredMark
      >
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="code" label="商品编码" rules={[{ required: true, message: '请输入商品编码' }, { pattern: /^[A-Za-z0-9_-]{1,32}$/, message: '编码为 1–32 位字母、数字、_ 或 -' }]}>
              <Input disabled={!!sku} data-testid="sku-form-code" placeholder="如 690001" />
            </Form.Item>
          </Col>
          <Col span={16}>
            <Form.Item name="name" label="商品名称" rules={[{ required: true, message: '请输入商品名称' }, { max: 100, message: '最多 100 字' }]}>
              <Input data-testid="sku-form-name" placeholder="如 可口可乐 330ml" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="short_name" label="简称">
              <Input maxLength={30} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="brand_id" label="品牌">
              <Select allowClear showSearch optionFilterProp="label" placeholder="选择品牌" options={brands.map((b) => ({ value: b.id, label: b.name }))} data-testid="sku-form-brand" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="category_id" label="类目" rules={[{ required: true, message: '请选择类目' }]}>
              <CategoryTreeSelect tree={tree} data-testid="sku-form-category" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="unit" label="单位" rules={[{ required: true, message: '请选择单位' }]}>
              <Select showSearch options={UNITS.map((u) => ({ value: u, label: u }))} placeholder="如 瓶" data-testid="sku-form-unit" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="tax_rate" label="税率" rules={[{ required: true, message: '请选择税率' }]}>
              <Select options={TAX_RATES.map((r) => ({ value: r, label: taxLabel(r) }))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="status" label="状态" rules={[{ required: true }]}>
              <Select options={SKU_STATUS_OPTIONS} data-testid="sku-form-status" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="is_weighed" label="称重商品" valuePropName="checked">
              <Switch checkedChildren="称重" unCheckedChildren="计件" />
            </Form.Item>
          </Col>
          {weighed && (
            <Col span={8}>
              <Form.Item name="plu" label="PLU" rules={[{ required: true, message: '称重商品需要 PLU' }, { pattern: /^\d{1,5}$/, message: 'PLU 为 1–5 位数字' }]}>
                <Input maxLength={5} />
              </Form.Item>
            </Col>
          )}
          <Col span={8}>
            <Form.Item name="origin" label="产地">
              <Input />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="shelf_life_days" label="保质期（天）">
              <InputNumber min={0} max={36500} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={16}>
            <Form.Item name="scope" label="适用范围" rules={[{ required: true, message: '请选择范围' }]} extra={sku ? '范围创建后不可修改' : '总部商品所有门店可售；门店商品仅该门店'}>
              <Select
                disabled={!!sku}
                data-testid="sku-form-scope"
                options={[
                  ...(allStores ? [{ value: HQ, label: '总部通用' }] : []),
                  ...stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}（门店商品）` })),
                ]}
              />
            </Form.Item>
          </Col>
        </Row>

        <Divider orientation="left" plain>
          包装
        </Divider>
        <Form.List name="packs">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f, i) => (
                <Space key={f.key} align="baseline" style={{ display: 'flex' }}>
                  <Form.Item name={[f.name, 'name']} rules={[{ required: true, message: '包装名称' }]}>
                    <Input placeholder="包装，如 箱" style={{ width: 160 }} data-testid={`sku-form-pack-${i}-name`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'quantity']} rules={[{ required: true, message: '数量' }, { pattern: /^\d+(\.\d{1,3})?$/, message: '数量格式不正确' }]}>
                    <Input placeholder="含基本单位数，如 24" style={{ width: 160 }} data-testid={`sku-form-pack-${i}-qty`} />
                  </Form.Item>
                  <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} aria-label="删除包装" />
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ name: '', quantity: '' })}>
                添加包装
              </Button>
            </>
          )}
        </Form.List>

        <Divider orientation="left" plain>
          条码
        </Divider>
        <Form.Item label="扫码添加" extra="用扫码枪扫描或输入条码后按回车，自动加入下方列表（校验位不对会提示）">
          <BarcodeInput ref={scanRef} value={scan} onChange={setScan} onScan={addScanned} placeholder="扫描条码…" data-testid="sku-form-scan" style={{ maxWidth: 320 }} />
        </Form.Item>
        <Form.List name="barcodes">
          {(fields, { add, remove }, { errors }) => (
            <>
              {fields.map((f, i) => (
                <Space key={f.key} align="baseline" style={{ display: 'flex' }}>
                  <Form.Item
                    name={[f.name, 'code']}
                    rules={[
                      {
                        validator: async (_, v: string | undefined) => {
                          const p = barcodeProblem(normalizeCode(v ?? ''));
                          if (p) throw new Error(p);
                        },
                      },
                    ]}
                  >
                    <BarcodeInput style={{ width: 240 }} data-testid={`sku-form-barcode-${i}`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'pack_name']}>
                    <Select allowClear placeholder="基本单位" style={{ width: 160 }} options={packOptions} />
                  </Form.Item>
                  <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} aria-label="删除条码" />
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ code: '', pack_name: null })}>
                手工添加条码
              </Button>
              <Form.ErrorList errors={errors} />
            </>
          )}
        </Form.List>

        {!sku && (
          <>
            <Divider orientation="left" plain>
              价格
            </Divider>
            <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
              立即生效于所选范围；以后调价请在商品详情的「价格」中操作。
            </Typography.Paragraph>
            <Row gutter={16}>
              <Col span={12}>
                <Form.Item name="standard_price" label="标准价" rules={moneyRules(false, '标准价')}>
                  <MoneyInput data-testid="sku-form-standard-price" />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item
                  name="member_price"
                  label="会员价"
                  dependencies={['standard_price']}
                  rules={[
                    ...moneyRules(false, '会员价'),
                    ({ getFieldValue }) => ({
                      validator: async (_, v: string | undefined) => {
                        const std = getFieldValue('standard_price') as string | undefined;
                        if (v && std && Number(v) > Number(std)) throw new Error('会员价不能高于标准价');
                      },
                    }),
                  ]}
                >
                  <MoneyInput data-testid="sku-form-member-price" />
                </Form.Item>
              </Col>
            </Row>
          </>
        )}
      </Form>
    </Drawer>
  );
}
