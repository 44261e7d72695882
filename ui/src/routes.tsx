import type { ReactNode } from 'react';
import {
  AppstoreOutlined,
  BarChartOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  GiftOutlined,
  MoneyCollectOutlined,
  SettingOutlined,
  ShoppingCartOutlined,
  TeamOutlined,
} from '@ant-design/icons';

export interface SubRoute {
  path: string;
  name: string;
  /** Permission needed to see the menu item and open the page. */
  permission: string;
}

export interface ModuleRoute {
  path: string;
  name: string;
  icon: ReactNode;
  /** false = placeholder page ("该模块建设中"). */
  ready: boolean;
  /** Shown only when the user holds at least one of the children's permissions. */
  children?: SubRoute[];
}

export const SYSTEM_PAGES: SubRoute[] = [
  { path: '/system/users', name: '用户', permission: 'system.user.read' },
  { path: '/system/roles', name: '角色', permission: 'system.role.read' },
  { path: '/system/stores', name: '门店', permission: 'system.store.read' },
  { path: '/system/regions', name: '区域', permission: 'system.store.read' },
  { path: '/system/api-keys', name: 'API 密钥', permission: 'system.apikey.read' },
  { path: '/system/audit', name: '审计日志', permission: 'system.audit.read' },
];

export const CATALOG_PAGES: SubRoute[] = [
  { path: '/catalog/sku', name: '商品列表', permission: 'catalog.sku.read' },
  { path: '/catalog/categories', name: '类目', permission: 'catalog.sku.read' },
  { path: '/catalog/brands', name: '品牌', permission: 'catalog.sku.read' },
  { path: '/imports', name: '商品导入', permission: 'catalog.sku.write' },
];

export const PRICE_PAGES: SubRoute[] = [
  { path: '/catalog/price', name: '价格查询', permission: 'catalog.price.read' },
  { path: '/catalog/price-guards', name: '价格规则', permission: 'catalog.price.read' },
];

export const INVENTORY_PAGES: SubRoute[] = [
  { path: '/inventory/stock', name: '库存总览', permission: 'inventory.read' },
  { path: '/inventory/ledger', name: '库存流水', permission: 'inventory.read' },
  { path: '/inventory/move', name: '出入库', permission: 'inventory.move' },
  { path: '/inventory/transfers', name: '调拨', permission: 'inventory.read' },
  { path: '/inventory/stocktakes', name: '盘点', permission: 'inventory.read' },
  { path: '/inventory/imports', name: '库存导入', permission: 'inventory.move' },
  { path: '/inventory/alerts', name: '预警', permission: 'inventory.read' },
];

/** Sidebar order follows plan §8: 仪表盘 / 商品 / 价格 / 库存 / 订单 / 会员 / 营销 / 报表 / 系统. */
export const MODULES: ModuleRoute[] = [
  { path: '/dashboard', name: '仪表盘', icon: <DashboardOutlined />, ready: true },
  { path: '/catalog', name: '商品', icon: <AppstoreOutlined />, ready: true, children: CATALOG_PAGES },
  { path: '/prices', name: '价格', icon: <MoneyCollectOutlined />, ready: true, children: PRICE_PAGES },
  { path: '/inventory', name: '库存', icon: <DatabaseOutlined />, ready: true, children: INVENTORY_PAGES },
  { path: '/orders', name: '订单', icon: <ShoppingCartOutlined />, ready: false },
  { path: '/members', name: '会员', icon: <TeamOutlined />, ready: false },
  { path: '/marketing', name: '营销', icon: <GiftOutlined />, ready: false },
  { path: '/reports', name: '报表', icon: <BarChartOutlined />, ready: false },
  { path: '/system', name: '系统', icon: <SettingOutlined />, ready: true, children: SYSTEM_PAGES },
];

/** The modules and sub-pages this user may see. */
export function visibleModules(can: (p: string) => boolean): ModuleRoute[] {
  return MODULES.flatMap((m) => {
    if (!m.children) return [m];
    const children = m.children.filter((c) => can(c.permission));
    return children.length ? [{ ...m, children }] : [];
  });
}
