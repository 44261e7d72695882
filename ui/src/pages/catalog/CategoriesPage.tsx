import { useEffect, useMemo, useState } from 'react';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, Input, InputNumber, Modal, Popconfirm, Row, Space, Spin, Tree, TreeSelect, Typography } from 'antd';
import type { TreeProps } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { errorMessage, isApiError } from '../../api/client';
import { createCategory, deleteCategory, updateCategory, type Category } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useCategories, type CategoryNode } from '../../hooks/useCatalogRefs';
import { downloadCsv } from '../../utils/csv';
import { applyApiErrors } from '../../utils/formErrors';

interface Values {
  code?: string;
  name: string;
  parent_id?: string | null;
  sort?: number;
}

/** Ids of `id` and all its descendants (a category cannot move under these). */
function subtreeIds(categories: Category[], id: string): Set<string> {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of categories) {
      if (c.parent_id && out.has(c.parent_id) && !out.has(c.id)) {
        out.add(c.id);
        grew = true;
      }
    }
  }
  return out;
}

function disableNodes(nodes: CategoryNode[], blocked: Set<string>): CategoryNode[] {
  return nodes.map((n) => ({ ...n, disabled: blocked.has(n.value), children: disableNodes(n.children, blocked) }) as CategoryNode);
}

function CategoryModal({
  mode,
  target,
  parentId,
  tree,
  categories,
  onClose,
  onSaved,
}: {
  mode: 'create' | 'edit' | null;
  target: Category | null;
  parentId: string | null;
  tree: CategoryNode[];
  categories: Category[];
  onClose: () => void;
  onSaved: (c: Category) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [submitting, setSubmitting] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);

  useEffect(() => {
    if (!mode) return;
    form.resetFields();
    setConflict(false);
    setFormError([]);
    if (mode === 'edit' && target) form.setFieldsValue({ name: target.name, parent_id: target.parent_id, sort: target.sort });
    else form.setFieldsValue({ parent_id: parentId, sort: 0 });
  }, [mode, target, parentId, form]);

  const parentTree = useMemo(
    () => (mode === 'edit' && target ? disableNodes(tree, subtreeIds(categories, target.id)) : tree),
    [mode, target, tree, categories],
  );

  const submit = async (v: Values) => {
    setSubmitting(true);
    setFormError([]);
    try {
      const saved =
        mode === 'edit' && target
          ? await updateCategory(target.id, { name: v.name.trim(), parent_id: v.parent_id ?? null, sort: v.sort ?? 0, version: target.version })
          : await createCategory({ code: (v.code ?? '').trim(), name: v.name.trim(), parent_id: v.parent_id ?? null, sort: v.sort ?? 0 });
      message.success(mode === 'edit' ? '已保存' : '已创建类目');
      onSaved(saved);
    } catch (err) {
      if (isApiError(err) && err.status === 409 && err.code === 'common.version_conflict') setConflict(true);
      else if (isApiError(err, 'catalog.category.cycle')) form.setFields([{ name: 'parent_id', errors: [err.problem.title] }]);
      else setFormError(applyApiErrors(form, err, ['code', 'name', 'parent_id', 'sort']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title={mode === 'edit' ? `编辑类目 · ${target?.name ?? ''}` : '新建类目'}
      open={!!mode}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="保存"
      okButtonProps={{ loading: submitting, disabled: conflict, 'data-testid': 'category-form-submit' }}
      forceRender
    >
      {conflict && <VersionConflictAlert onRefresh={onClose} />}
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form<Values> form={form} labelCol={{ flex: '90px' }} onFinish={(v) => void submit(v)}>
        {mode === 'create' && (
          <Form.Item name="code" label="类目编码" rules={[{ required: true, message: '请输入类目编码' }, { pattern: /^[A-Za-z0-9_-]{1,32}$/, message: '编码为字母、数字、_ 或 -' }]}>
            <Input placeholder="如 01 或 DRINK" data-testid="category-form-code" />
          </Form.Item>
        )}
        <Form.Item name="name" label="名称" rules={[{ required: true, message: '请输入名称' }, { max: 40, message: '最多 40 字' }]}>
          <Input data-testid="category-form-name" />
        </Form.Item>
        <Form.Item name="parent_id" label="上级类目" extra="不选 = 顶级类目；移动时整棵子树一起移动">
          <TreeSelect allowClear showSearch treeNodeFilterProp="title" treeDefaultExpandAll treeData={parentTree} placeholder="顶级类目" data-testid="category-form-parent" />
        </Form.Item>
        <Form.Item name="sort" label="排序" extra="同级内从小到大">
          <InputNumber min={0} max={9999} precision={0} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** 类目: the tree (drag a node onto another to move it) + the selected category's details. */
export default function CategoriesPage() {
  const { can, allStores } = useAuth();
  const { message } = App.useApp();
  const writable = can('catalog.sku.write') && allStores;
  const cats = useCategories();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [mode, setMode] = useState<'create' | 'edit' | null>(null);
  const [createParent, setCreateParent] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const selected = selectedId ? cats.byId.get(selectedId) ?? null : null;

  const filteredTree = useMemo(() => {
    if (!search.trim()) return cats.tree;
    const q = search.trim().toLowerCase();
    const filter = (nodes: CategoryNode[]): CategoryNode[] =>
      nodes.flatMap((n) => {
        const kids = filter(n.children);
        const hit = n.title.toLowerCase().includes(q) || n.category.code.toLowerCase().includes(q);
        return hit || kids.length ? [{ ...n, children: kids }] : [];
      });
    return filter(cats.tree);
  }, [cats.tree, search]);

  const treeData = useMemo(() => {
    const render = (nodes: CategoryNode[]): NonNullable<TreeProps['treeData']> =>
      nodes.map((n) => ({
        key: n.value,
        title: (
          <span data-testid={`category-node-${n.category.code}`}>
            {n.title}
            <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 6 }}>
              {n.category.sku_count ?? 0}
            </Typography.Text>
          </span>
        ),
        children: render(n.children),
      }));
    return render(filteredTree);
  }, [filteredTree]);

  const onDrop: TreeProps['onDrop'] = async (info) => {
    const dragId = String(info.dragNode.key);
    const dropId = String(info.node.key);
    const drag = cats.byId.get(dragId);
    const drop = cats.byId.get(dropId);
    if (!drag || !drop) return;
    // dropped onto a node → becomes its child; into a gap → a sibling of that node
    const parentId = info.dropToGap ? drop.parent_id : drop.id;
    if (parentId === drag.parent_id && info.dropToGap) {
      // reorder among siblings: take the drop node's sort + 1
      try {
        await updateCategory(drag.id, { name: drag.name, parent_id: parentId, sort: (drop.sort ?? 0) + 1, version: drag.version });
        cats.reload();
      } catch (err) {
        message.error(errorMessage(err));
      }
      return;
    }
    if (parentId && subtreeIds(cats.categories, drag.id).has(parentId)) {
      message.error('不能移动到自身或其下级类目');
      return;
    }
    try {
      await updateCategory(drag.id, { name: drag.name, parent_id: parentId, sort: drag.sort ?? 0, version: drag.version });
      message.success(`已移动「${drag.name}」`);
      cats.reload();
    } catch (err) {
      message.error(errorMessage(err));
      cats.reload();
    }
  };

  const remove = async (c: Category) => {
    try {
      await deleteCategory(c.id);
      message.success('已删除');
      setSelectedId(null);
      cats.reload();
    } catch (err) {
      message.error(errorMessage(err));
    }
  };

  const hasChildren = selected ? cats.categories.some((c) => c.parent_id === selected.id) : false;

  return (
    <PageContainer title="类目" subTitle={writable ? '拖动节点可移动类目（放在节点上 = 成为其子类目）' : undefined}>
      {cats.error && <Alert type="error" showIcon message={cats.error} style={{ marginBottom: 16 }} />}
      <Row gutter={16}>
        <Col xs={24} md={10}>
          <Card
            title="类目树"
            size="small"
            extra={
              <Space>
                <Button size="small" icon={<ReloadOutlined />} onClick={cats.reload} aria-label="刷新" />
                <Button
                  size="small"
                  onClick={() =>
                    downloadCsv(
                      `categories-${Date.now()}.csv`,
                      ['编码', '名称', '路径', '商品数'],
                      cats.categories.map((c) => [c.code, c.name, (c.path ?? []).join('/'), c.sku_count]),
                    )
                  }
                >
                  导出
                </Button>
                {writable && (
                  <Button
                    size="small"
                    type="primary"
                    icon={<PlusOutlined />}
                    data-testid="category-create-root"
                    onClick={() => {
                      setCreateParent(null);
                      setMode('create');
                    }}
                  >
                    顶级类目
                  </Button>
                )}
              </Space>
            }
          >
            <Input.Search placeholder="搜索类目" allowClear value={search} onChange={(e) => setSearch(e.target.value)} style={{ marginBottom: 8 }} />
            {cats.loading && !cats.categories.length ? (
              <Spin />
            ) : treeData.length ? (
              <Tree
                data-testid="category-tree"
                treeData={treeData}
                defaultExpandAll
                key={search + cats.categories.length}
                draggable={writable ? { icon: false } : false}
                blockNode
                selectedKeys={selectedId ? [selectedId] : []}
                onSelect={(_keys, info) => setSelectedId(String(info.node.key))}
                onDrop={(info) => void onDrop(info)}
              />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="暂无类目" />
            )}
          </Card>
        </Col>
        <Col xs={24} md={14}>
          <Card title={selected ? selected.name : '类目详情'} size="small" data-testid="category-detail">
            {!selected ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="在左侧选择一个类目" />
            ) : (
              <>
                <Descriptions column={1} size="small">
                  <Descriptions.Item label="编码">{selected.code}</Descriptions.Item>
                  <Descriptions.Item label="路径">{(selected.path ?? []).join(' / ')}</Descriptions.Item>
                  <Descriptions.Item label="层级">{selected.depth}</Descriptions.Item>
                  <Descriptions.Item label="排序">{selected.sort}</Descriptions.Item>
                  <Descriptions.Item label="商品数">
                    <Link to={`/catalog/sku?category_id=${encodeURIComponent(selected.id)}`}>{selected.sku_count ?? 0}（查看商品）</Link>
                  </Descriptions.Item>
                </Descriptions>
                {writable && (
                  <Space style={{ marginTop: 12 }}>
                    <Button
                      icon={<PlusOutlined />}
                      onClick={() => {
                        setCreateParent(selected.id);
                        setMode('create');
                      }}
                      data-testid="category-create-child"
                    >
                      新建子类目
                    </Button>
                    <Button icon={<EditOutlined />} onClick={() => setMode('edit')} data-testid="category-edit">
                      重命名 / 移动
                    </Button>
                    <Popconfirm
                      title={`删除类目「${selected.name}」？`}
                      description={hasChildren || selected.sku_count ? '有子类目或商品的类目不能删除' : undefined}
                      okText="删除"
                      okButtonProps={{ danger: true }}
                      onConfirm={() => void remove(selected)}
                    >
                      <Button danger icon={<DeleteOutlined />} disabled={hasChildren || selected.sku_count > 0} data-testid="category-delete">
                        删除
                      </Button>
                    </Popconfirm>
                  </Space>
                )}
              </>
            )}
          </Card>
        </Col>
      </Row>
      {writable && (
        <CategoryModal
          mode={mode}
          target={mode === 'edit' ? selected : null}
          parentId={createParent}
          tree={cats.tree}
          categories={cats.categories}
          onClose={() => {
            setMode(null);
            cats.reload();
          }}
          onSaved={(c) => {
            setMode(null);
            setSelectedId(c.id);
            cats.reload();
          }}
        />
      )}
    </PageContainer>
  );
}
