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

export interface ModuleRoute {
  path: string;
  name: string;
  icon: ReactNode;
  /** false = placeholder page ("该模块建设中"). */
  ready: boolean;
}

/** Sidebar order follows plan §8: 仪表盘 / 商品 / 价格 / 库存 / 订单 / 会员 / 营销 / 报表 / 系统. */
export const MODULES: ModuleRoute[] = [
  { path: '/dashboard', name: '仪表盘', icon: <DashboardOutlined />, ready: true },
  { path: '/catalog', name: '商品', icon: <AppstoreOutlined />, ready: false },
  { path: '/prices', name: '价格', icon: <MoneyCollectOutlined />, ready: false },
  { path: '/inventory', name: '库存', icon: <DatabaseOutlined />, ready: false },
  { path: '/orders', name: '订单', icon: <ShoppingCartOutlined />, ready: false },
  { path: '/members', name: '会员', icon: <TeamOutlined />, ready: false },
  { path: '/marketing', name: '营销', icon: <GiftOutlined />, ready: false },
  { path: '/reports', name: '报表', icon: <BarChartOutlined />, ready: false },
  { path: '/system', name: '系统', icon: <SettingOutlined />, ready: false },
];
