import { useEffect, useRef, useState, type HTMLAttributes } from 'react';
import { App, Button, Input, Space, Spin, Table, Typography, type InputRef } from 'antd';
import { DeleteOutlined } from '@ant-design/icons';
import { errorMessage, isApiError } from '../../api/client';
import { resolveBarcode, type Sku } from '../../api/catalog';
import BarcodeInput from '../../components/BarcodeInput';
import SkuSelect from '../../components/SkuSelect';
import { addQty } from './labels';

export interface EntryLine {
  sku_id: string;
  sku_code: string;
  sku_name: string;
  unit: string | null;
  is_weighed: boolean;
  /** As typed: "12", "1.25" (weighed) or "-3" (adjustments). */
  quantity: string;
}

/** Adds `qty` of a SKU: a new line at the bottom, or the quantity added to its existing line. */
export function addLine(lines: EntryLine[], sku: Pick<Sku, 'id' | 'code' | 'name' | 'unit' | 'is_weighed'>, qty: string): EntryLine[] {
  const i = lines.findIndex((l) => l.sku_id === sku.id);
  if (i < 0) return [...lines, { sku_id: sku.id, sku_code: sku.code, sku_name: sku.name, unit: sku.unit, is_weighed: sku.is_weighed, quantity: qty }];
  const next = [...lines];
  next[i] = { ...next[i], quantity: addQty(next[i].quantity || '0', qty) ?? next[i].quantity };
  return next;
}

/**
 * Scanner-first line entry: each scan appends the product (or adds one more pack to its line) and
 * the barcode box keeps the focus for the next scan; products without a barcode (fresh, by kg)
 * are picked by search. Quantities stay editable.
 */
export default function ScanLines({ lines, onChange, disabled, testId = 'scan' }: { lines: EntryLine[]; onChange: (l: EntryLine[]) => void; disabled?: boolean; testId?: string }) {
  const { message } = App.useApp();
  const [code, setCode] = useState('');
  const [pendingScans, setPendingScans] = useState(0);
  // a fresh search box after each pick (an empty value leaves antd's Select uncontrolled)
  const [picks, setPicks] = useState(0);
  const scanRef = useRef<InputRef>(null);
  const linesRef = useRef(lines);
  linesRef.current = lines;
  // Scans are looked up one after another (a scanner can be faster than the network) and the box
  // never gets disabled, so it keeps the focus for the next code.
  const queue = useRef<Promise<void>>(Promise.resolve());
  // back from a submit (the form was disabled meanwhile): ready for the next delivery's first scan
  useEffect(() => {
    if (!disabled) scanRef.current?.focus();
  }, [disabled]);

  const lookUp = async (raw: string) => {
    try {
      const hit = await resolveBarcode(raw);
      const next = addLine(linesRef.current, hit.sku, String(hit.quantity ?? '1'));
      linesRef.current = next;
      onChange(next);
      message.success({ content: `${hit.sku.name} +${hit.quantity ?? 1}${hit.pack_name ? `（${hit.pack_name}）` : ''}`, duration: 1.2 });
    } catch (err) {
      message.error(isApiError(err, undefined, 404) ? `找不到条码 ${raw} 对应的商品` : errorMessage(err));
    } finally {
      setPendingScans((n) => n - 1);
    }
  };

  const scan = (raw: string) => {
    setCode('');
    if (!raw) return;
    setPendingScans((n) => n + 1);
    queue.current = queue.current.then(() => lookUp(raw));
  };

  return (
    <div data-testid={testId}>
      <Space wrap style={{ marginBottom: 12 }}>
        <BarcodeInput
          ref={scanRef}
          autoFocus
          size="large"
          style={{ width: 320 }}
          placeholder="扫码枪扫描或输入条码后回车"
          value={code}
          onChange={setCode}
          onScan={scan}
          disabled={disabled}
          suffix={pendingScans > 0 ? <Spin size="small" /> : undefined}
          data-testid={`${testId}-barcode`}
        />
        <SkuSelect
          size="large"
          style={{ width: 360 }}
          placeholder="没有条码？搜索商品名称 / 编码添加"
          key={picks}
          disabled={disabled}
          onChange={(id, sku) => {
            setPicks((n) => n + 1);
            if (id && sku) onChange(addLine(linesRef.current, sku, '1'));
            scanRef.current?.focus();
          }}
          data-testid={`${testId}-sku`}
        />
      </Space>
      <Table<EntryLine>
        size="middle"
        rowKey="sku_id"
        pagination={false}
        dataSource={lines}
        locale={{ emptyText: '还没有商品：请扫码或搜索添加' }}
        onRow={(l) => ({ 'data-testid': `${testId}-line-${l.sku_code}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          { title: '#', key: 'n', width: 48, render: (_, __, i) => i + 1 },
          { title: '商品编码', dataIndex: 'sku_code', key: 'code', render: (v: string) => <Typography.Text style={{ fontFamily: 'monospace' }}>{v}</Typography.Text> },
          { title: '商品名称', dataIndex: 'sku_name', key: 'name' },
          {
            title: '数量',
            key: 'qty',
            width: 180,
            render: (_, l) => (
              <Input
                size="large"
                value={l.quantity}
                inputMode="decimal"
                disabled={disabled}
                style={{ width: 150, fontSize: 18, fontWeight: 600, textAlign: 'right' }}
                suffix={l.unit ?? ''}
                onChange={(e) => onChange(lines.map((x) => (x.sku_id === l.sku_id ? { ...x, quantity: e.target.value.trim() } : x)))}
                data-testid={`${testId}-qty-${l.sku_code}`}
              />
            ),
          },
          {
            title: '',
            key: 'del',
            width: 56,
            render: (_, l) => (
              <Button type="text" danger icon={<DeleteOutlined />} disabled={disabled} aria-label="删除" onClick={() => onChange(lines.filter((x) => x.sku_id !== l.sku_id))} />
            ),
          },
        ]}
      />
    </div>
  );
}

/** Lines as the API takes them (decimal strings: the server parses them exactly). */
export function toApiLines(lines: EntryLine[]): { sku_id: string; quantity: string }[] {
  return lines.map((l) => ({ sku_id: l.sku_id, quantity: l.quantity }));
}
