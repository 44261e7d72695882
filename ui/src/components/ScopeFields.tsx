import { Form, Radio, Select, Tag } from 'antd';
import type { Region, ScopeType, StoreRef } from '../api/identity';

export const SCOPE_LABELS: Record<ScopeType, string> = { global: '全局', regions: '区域', stores: '门店' };

export interface ScopeFieldsProps {
  /** Name prefix of the fields relative to the enclosing Form.List field (or [] at top level). */
  name: (string | number)[];
  /** Absolute name prefix (for watching / setting values). */
  absName: (string | number)[];
  regions: Region[];
  stores: StoreRef[];
  allowGlobal: boolean;
  testId: string;
}

/** 范围: 全局 / 区域 / 门店 + the regions or stores it covers. */
export default function ScopeFields({ name, absName, regions, stores, allowGlobal, testId }: ScopeFieldsProps) {
  const form = Form.useFormInstance();
  const scopeType = Form.useWatch([...absName, 'scope_type'], form) as ScopeType | undefined;
  return (
    <>
      <Form.Item name={[...name, 'scope_type']} label="范围" rules={[{ required: true, message: '请选择范围' }]}>
        <Radio.Group
          optionType="button"
          buttonStyle="solid"
          data-testid={`${testId}-scope-type`}
          onChange={() => form.setFieldValue([...absName, 'scope_ids'], [])}
          options={(['global', 'regions', 'stores'] as ScopeType[]).map((t) => ({
            value: t,
            label: SCOPE_LABELS[t],
            disabled: t === 'global' && !allowGlobal,
          }))}
        />
      </Form.Item>
      {scopeType === 'regions' && (
        <Form.Item name={[...name, 'scope_ids']} label="区域" rules={[{ required: true, type: 'array', min: 1, message: '请选择区域' }]}>
          <Select
            mode="multiple"
            data-testid={`${testId}-scope-ids`}
            placeholder="选择一个或多个区域"
            optionFilterProp="label"
            options={regions.map((r) => ({ value: r.id, label: `${r.code} ${r.name}` }))}
          />
        </Form.Item>
      )}
      {scopeType === 'stores' && (
        <Form.Item name={[...name, 'scope_ids']} label="门店" rules={[{ required: true, type: 'array', min: 1, message: '请选择门店' }]}>
          <Select
            mode="multiple"
            data-testid={`${testId}-scope-ids`}
            placeholder="选择一个或多个门店（可输入编码搜索）"
            optionFilterProp="label"
            options={stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` }))}
          />
        </Form.Item>
      )}
    </>
  );
}

/** "全局" / "区域：华东" / "门店：S001 上海徐汇店、S002 上海浦东店". */
export function scopeText(
  scopeType: ScopeType,
  ids: string[],
  regionsById: Map<string, Region>,
  storesById: Map<string, StoreRef>,
): string {
  if (scopeType === 'global') return '全局';
  if (scopeType === 'regions') return `区域：${ids.map((id) => regionsById.get(id)?.name ?? id).join('、')}`;
  return `门店：${ids.map((id) => {
    const s = storesById.get(id);
    return s ? `${s.code} ${s.name}` : id;
  }).join('、')}`;
}

export function ScopeTag({ scopeType, ids, regionsById, storesById }: { scopeType: ScopeType; ids: string[]; regionsById: Map<string, Region>; storesById: Map<string, StoreRef> }) {
  const color = scopeType === 'global' ? 'gold' : scopeType === 'regions' ? 'blue' : 'green';
  return <Tag color={color}>{scopeText(scopeType, ids, regionsById, storesById)}</Tag>;
}
