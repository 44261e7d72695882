import type { ReactNode } from 'react';
import { Button } from 'antd';
import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';

/** The toolbar every list page shares: 导出, and 新建… for callers who may create. */
export function listActions(opts: {
  onExport: () => void;
  exporting?: boolean;
  create?: { label: string; testId: string; onClick: () => void } | false;
}): ReactNode[] {
  const { onExport, exporting, create } = opts;
  return [
    <Button key="export" icon={<DownloadOutlined />} loading={exporting} onClick={onExport}>
      导出
    </Button>,
    ...(create
      ? [
          <Button key="create" type="primary" icon={<PlusOutlined />} onClick={create.onClick} data-testid={create.testId}>
            {create.label}
          </Button>,
        ]
      : []),
  ];
}
