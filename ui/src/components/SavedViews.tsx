import { useState } from 'react';
import { App, Button, Dropdown, Input, Modal, Popconfirm, Space, Typography } from 'antd';
import { DeleteOutlined, FilterOutlined, SaveOutlined } from '@ant-design/icons';
import { errorMessage } from '../api/client';
import { deleteView, listViews, saveView, type SavedView } from '../api/catalog';
import { useAsync } from '../hooks/useAsync';

/**
 * 保存的筛选 (GET/PUT/DELETE /system/views?page=…): pick one to apply its state, save the current
 * filters under a name (same name = overwrite), delete one.
 */
export default function SavedViews<S>({ page, current, onApply, testId = 'saved-views' }: { page: string; current: S; onApply: (s: S) => void; testId?: string }) {
  const { message } = App.useApp();
  const views = useAsync<SavedView<S>[]>(() => listViews<S>(page), [page]);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const [saving, setSaving] = useState(false);

  const save = async () => {
    if (!name.trim()) return;
    setSaving(true);
    try {
      await saveView(page, name.trim(), current);
      message.success(`已保存筛选「${name.trim()}」`);
      setNaming(false);
      setName('');
      views.reload();
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  const remove = async (v: SavedView<S>) => {
    try {
      await deleteView(v.id);
      message.success('已删除');
      views.reload();
    } catch (err) {
      message.error(errorMessage(err));
    }
  };

  const list = views.data ?? [];
  return (
    <Space size={4} data-testid={testId}>
      <Dropdown
        trigger={['click']}
        menu={{
          onClick: ({ key }) => {
            const v = list.find((x) => x.id === key);
            if (v) onApply(v.state);
          },
          items: list.length
            ? list.map((v) => ({
                key: v.id,
                label: (
                  <Space style={{ width: '100%', justifyContent: 'space-between', minWidth: 180 }} data-testid={`${testId}-item`}>
                    <span>{v.name}</span>
                    <Popconfirm title={`删除筛选「${v.name}」？`} onConfirm={() => void remove(v)} onPopupClick={(e) => e.stopPropagation()} okText="删除" okButtonProps={{ danger: true }}>
                      <DeleteOutlined onClick={(e) => e.stopPropagation()} style={{ color: '#999' }} aria-label="删除" data-testid={`${testId}-delete`} />
                    </Popconfirm>
                  </Space>
                ),
              }))
            : [{ key: 'none', disabled: true, label: <Typography.Text type="secondary">{views.error ? `加载失败：${views.error}` : '暂无保存的筛选'}</Typography.Text> }],
        }}
      >
        <Button icon={<FilterOutlined />} data-testid={`${testId}-open`}>
          保存的筛选{list.length ? ` (${list.length})` : ''}
        </Button>
      </Dropdown>
      <Button icon={<SaveOutlined />} onClick={() => setNaming(true)} data-testid={`${testId}-save`}>
        保存当前筛选
      </Button>
      <Modal title="保存当前筛选" open={naming} onCancel={() => setNaming(false)} onOk={() => void save()} okButtonProps={{ loading: saving, disabled: !name.trim() }} destroyOnHidden>
        <Input autoFocus placeholder="名称，如：饮料·在售" value={name} onChange={(e) => setName(e.target.value)} onPressEnter={() => void save()} maxLength={40} />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          同名筛选会被覆盖
        </Typography.Text>
      </Modal>
    </Space>
  );
}
