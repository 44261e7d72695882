import type { ReactNode } from 'react';
import { Button, Dropdown } from 'antd';
import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';

export type ExportFormat = 'csv' | 'xlsx';

/** The toolbar every list page shares: 导出, and 新建… for callers who may create. */
export function listActions(opts: {
  onExport: (format: ExportFormat) => void;
  exporting?: boolean;
  /** Server exports offering several formats: 导出 becomes a menu (CSV / Excel). */
  formats?: ExportFormat[];
  create?: { label: string; testId: string; onClick: () => void } | false;
  /** Extra buttons between 导出 and 新建 (e.g. 导入). */
  extra?: ReactNode[];
}): ReactNode[] {
  const { onExport, exporting, create, formats, extra = [] } = opts;
  return [
    formats && formats.length > 1 ? (
      <Dropdown
        key="export"
        menu={{
          items: formats.map((f) => ({ key: f, label: <span data-testid={`export-${f}`}>{f === 'csv' ? '导出 CSV' : '导出 Excel (xlsx)'}</span> })),
          onClick: ({ key }) => onExport(key as ExportFormat),
        }}
      >
        <Button icon={<DownloadOutlined />} loading={exporting} data-testid="export">
          导出
        </Button>
      </Dropdown>
    ) : (
      <Button key="export" icon={<DownloadOutlined />} loading={exporting} onClick={() => onExport(formats?.[0] ?? 'csv')} data-testid="export">
        导出
      </Button>
    ),
    ...extra,
    ...(create
      ? [
          <Button key="create" type="primary" icon={<PlusOutlined />} onClick={create.onClick} data-testid={create.testId}>
            {create.label}
          </Button>,
        ]
      : []),
  ];
}
