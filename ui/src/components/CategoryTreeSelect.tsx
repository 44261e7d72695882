import { TreeSelect, type TreeSelectProps } from 'antd';
import type { CategoryNode } from '../hooks/useCatalogRefs';

/** A category picker over the category tree (searchable by name). */
export default function CategoryTreeSelect({ tree, ...rest }: { tree: CategoryNode[] } & Omit<TreeSelectProps<string>, 'treeData'>) {
  return (
    <TreeSelect<string>
      allowClear
      showSearch
      treeNodeFilterProp="title"
      treeDefaultExpandAll
      placeholder="选择类目"
      popupMatchSelectWidth={false}
      treeData={tree}
      {...rest}
    />
  );
}
