import { useMemo } from 'react';
import { Checkbox, Col, Empty, Row, Space, Typography } from 'antd';
import type { Permission } from '../api/identity';
import { moduleLabel } from '../hooks/useRefData';

export interface PermissionPickerProps {
  permissions: Permission[];
  value?: string[];
  onChange?: (v: string[]) => void;
  disabled?: boolean;
}

/** Permissions grouped by module, a 全选 box per module (a form control: value / onChange). */
export default function PermissionPicker({ permissions, value = [], onChange, disabled }: PermissionPickerProps) {
  const groups = useMemo(() => {
    const m = new Map<string, Permission[]>();
    for (const p of permissions) {
      const key = p.module || p.code.split('.')[0] || '';
      m.set(key, [...(m.get(key) ?? []), p]);
    }
    return [...m.entries()];
  }, [permissions]);
  const selected = new Set(value);
  const set = (codes: string[], on: boolean) => {
    const next = new Set(selected);
    for (const c of codes) {
      if (on) next.add(c);
      else next.delete(c);
    }
    // keep the catalogue order
    const order = permissions.map((p) => p.code);
    const known = order.filter((c) => next.has(c));
    const unknown = [...next].filter((c) => !order.includes(c));
    onChange?.([...known, ...unknown]);
  };

  if (!permissions.length) return <Empty description="暂无可选权限" image={Empty.PRESENTED_IMAGE_SIMPLE} />;

  return (
    <Space direction="vertical" style={{ width: '100%' }} size={12} data-testid="permission-picker">
      {groups.map(([mod, perms]) => {
        const codes = perms.map((p) => p.code);
        const n = codes.filter((c) => selected.has(c)).length;
        return (
          <div key={mod} style={{ border: '1px solid #f0f0f0', borderRadius: 6, padding: '8px 12px' }} data-testid={`permission-group-${mod}`}>
            <Checkbox
              checked={n === codes.length}
              indeterminate={n > 0 && n < codes.length}
              disabled={disabled}
              onChange={(e) => set(codes, e.target.checked)}
            >
              <Typography.Text strong>{moduleLabel(mod)}</Typography.Text>
              <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
                {n}/{codes.length}
              </Typography.Text>
            </Checkbox>
            <Row gutter={[8, 4]} style={{ marginTop: 6, paddingLeft: 24 }}>
              {perms.map((p) => (
                <Col key={p.code} xs={24} sm={12}>
                  <Checkbox checked={selected.has(p.code)} disabled={disabled} onChange={(e) => set([p.code], e.target.checked)}>
                    {p.name}
                    {p.name !== p.code && (
                      <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 4 }}>
                        {p.code}
                      </Typography.Text>
                    )}
                  </Checkbox>
                </Col>
              ))}
            </Row>
          </div>
        );
      })}
    </Space>
  );
}
