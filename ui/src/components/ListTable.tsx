import type React from 'react';
import type { HTMLAttributes, ReactNode } from 'react';
import { ProTable, type ProColumns } from '@ant-design/pro-components';
import { Alert } from 'antd';
import type { ExpandableConfig, TableRowSelection } from 'antd/es/table/interface';
import CursorPager, { pagerProps } from './CursorPager';

export interface ListState<T> {
  items: T[];
  loading: boolean;
  loadedFor?: string | null;
  error: string | null;
  pageIndex: number;
  hasPrev: boolean;
  hasNext: boolean;
  next: () => void;
  prev: () => void;
  first: () => void;
  reload: () => void;
}

export interface ListTableProps<T> {
  list: ListState<T>;
  columns: ProColumns<T>[];
  rowKey: keyof T & string;
  /** localStorage key for the remembered column settings (shown / order / fixed). */
  persistenceKey: string;
  headerTitle?: ReactNode;
  toolBar?: ReactNode[];
  /** Keyset pagination; omit for short lists the API returns whole. */
  pager?: { limit: number; setLimit: (n: number) => void };
  rowTestId?: (row: T) => string;
  rowAttrs?: (row: T) => Record<string, string>;
  expandable?: ExpandableConfig<T>;
  testId?: string;
  /** Column keys hidden until the user shows them in the column settings. */
  defaultHidden?: string[];
  /** Row selection for batch actions (shown in the table alert bar). */
  rowSelection?: TableRowSelection<T>;
  /** Buttons in the alert bar while rows are selected. */
  batchActions?: (selected: { keys: React.Key[]; clear: () => void }) => ReactNode;
  /** Tools left of the toolbar buttons (e.g. saved filters). */
  toolBarExtra?: ReactNode;
  /** Optional: a click anywhere on a row (not on its links, buttons or inputs) calls this. */
  onRowClick?: (row: T) => void;
}

/**
 * ProTable over a server-side list: remembered column settings (columnsState + persistenceKey),
 * density / reload / column setting in the toolbar, cursor pager in the footer.
 */
export default function ListTable<T extends object>(p: ListTableProps<T>) {
  return (
    <div data-testid={p.testId} data-loading={String(p.list.loading)} data-loaded-for={p.list.loadedFor ?? ''}>
      {p.list.error && <Alert type="error" showIcon message={p.list.error} style={{ marginBottom: 16 }} data-testid="list-error" />}
      <ProTable<T>
        rowKey={p.rowKey}
        columns={p.columns}
        dataSource={p.list.items}
        loading={p.list.loading}
        search={false}
        cardBordered
        size="middle"
        headerTitle={p.headerTitle}
        toolBarRender={() => [...(p.toolBarExtra ? [p.toolBarExtra] : []), ...(p.toolBar ?? [])]}
        rowSelection={p.rowSelection}
        tableAlertOptionRender={
          p.batchActions ? ({ selectedRowKeys, onCleanSelected }) => p.batchActions!({ keys: selectedRowKeys, clear: onCleanSelected }) : undefined
        }
        options={{ reload: () => p.list.reload(), density: true, setting: { draggable: true, checkable: true }, fullScreen: false }}
        columnsState={{
          persistenceKey: p.persistenceKey,
          persistenceType: 'localStorage',
          defaultValue: Object.fromEntries((p.defaultHidden ?? []).map((k) => [k, { show: false }])),
        }}
        pagination={false}
        scroll={{ x: 'max-content' }}
        expandable={p.expandable}
        onRow={(row) =>
          ({
            ...(p.rowTestId ? { 'data-testid': p.rowTestId(row) } : {}),
            ...(p.rowAttrs ? p.rowAttrs(row) : {}),
            ...(p.onRowClick
              ? {
                  style: { cursor: 'pointer' },
                  onClick: (e: React.MouseEvent<HTMLElement>) => {
                    const t = e.target as HTMLElement;
                    if (t.closest('a, button, input, label, .ant-checkbox-wrapper, .ant-select, .ant-table-row-expand-icon')) return;
                    const sel = window.getSelection();
                    if (sel && sel.type === 'Range' && sel.anchorNode && e.currentTarget.contains(sel.anchorNode)) return; // selecting text to copy
                    p.onRowClick!(row);
                  },
                }
              : {}),
          }) as HTMLAttributes<HTMLElement>
        }
        footer={
          p.pager
            ? () => (
                <CursorPager {...pagerProps(p.list, p.pager!.limit, p.pager!.setLimit)} />
              )
            : undefined
        }
      />
    </div>
  );
}
