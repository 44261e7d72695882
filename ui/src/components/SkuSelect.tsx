import { useEffect, useMemo, useRef, useState } from 'react';
import { Select, Space, Typography, type SelectProps } from 'antd';
import { getSku, listSkus, type Sku } from '../api/catalog';

export interface SkuSelectProps extends Omit<SelectProps<string>, 'options' | 'onSearch' | 'filterOption' | 'showSearch' | 'onChange' | 'value'> {
  value?: string;
  onChange?: (id: string, sku?: Sku) => void;
}

/** Searches SKUs on the server (name / pinyin / barcode / code); value = SKU id. */
export default function SkuSelect({ value, onChange, ...rest }: SkuSelectProps) {
  const [options, setOptions] = useState<Sku[]>([]);
  const [loading, setLoading] = useState(false);
  const timer = useRef<number>();
  const ctrl = useRef<AbortController>();

  const search = (q: string) => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      ctrl.current?.abort();
      const c = new AbortController();
      ctrl.current = c;
      setLoading(true);
      listSkus({ q: q.trim() || undefined, limit: 20 }, c.signal)
        .then((p) => setOptions(p.items))
        .catch(() => {})
        .finally(() => {
          if (!c.signal.aborted) setLoading(false);
        });
    }, 250);
  };

  // The selected SKU (deep link) shows its name even before a search.
  useEffect(() => {
    if (value && !options.some((o) => o.id === value)) {
      getSku(value)
        .then((s) => setOptions((o) => [s, ...o.filter((x) => x.id !== s.id)]))
        .catch(() => {});
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);

  const opts = useMemo(
    () =>
      options.map((s) => ({
        value: s.id,
        label: `${s.code} ${s.name}`,
        sku: s,
      })),
    [options],
  );

  return (
    <Select<string>
      showSearch
      allowClear
      value={value}
      placeholder="输入商品名称 / 拼音 / 条码 / 编码搜索"
      filterOption={false}
      onSearch={search}
      onFocus={() => {
        if (!options.length) search('');
      }}
      loading={loading}
      notFoundContent={loading ? '搜索中…' : '无匹配商品'}
      options={opts}
      optionRender={(o) => (
        <Space size={6} data-testid={`sku-option-${String(o.data.sku?.code ?? '')}`}>
          <Typography.Text type="secondary" style={{ fontFamily: 'monospace' }}>
            {o.data.sku?.code}
          </Typography.Text>
          <span>{o.data.sku?.name}</span>
        </Space>
      )}
      onChange={(id: string) => onChange?.(id, options.find((s) => s.id === id))}
      {...rest}
    />
  );
}
