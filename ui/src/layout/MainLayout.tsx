import { useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { ProLayout } from '@ant-design/pro-components';
import { Badge, Button, Dropdown, Input, Select, Tooltip } from 'antd';
import { BellOutlined, LogoutOutlined, SettingOutlined, ShopOutlined, UserOutlined } from '@ant-design/icons';
import { MODULES } from '../routes';

/** Placeholder until the stores API and auth exist. */
const STORE_OPTIONS = [{ value: 'all', label: '全部门店' }];

function StoreSwitcher() {
  const [store, setStore] = useState('all');
  return (
    <Select
      data-testid="store-switcher"
      value={store}
      onChange={setStore}
      options={STORE_OPTIONS}
      style={{ width: 160 }}
      prefix={<ShopOutlined />}
      aria-label="门店切换"
    />
  );
}

function GlobalSearch() {
  return (
    <Input.Search
      data-testid="global-search"
      placeholder="搜索商品 / 条码 / 订单 / 会员"
      allowClear
      style={{ width: 280 }}
      aria-label="全局搜索"
    />
  );
}

export default function MainLayout() {
  const location = useLocation();
  const navigate = useNavigate();

  return (
    <ProLayout
      title="UCM-Color 后台"
      logo="/favicon.svg"
      layout="mix"
      splitMenus={false}
      fixSiderbar
      fixedHeader
      siderWidth={208}
      location={{ pathname: location.pathname }}
      route={{
        path: '/',
        routes: MODULES.map((m) => ({ path: m.path, name: m.name, icon: m.icon })),
      }}
      onMenuHeaderClick={() => navigate('/dashboard')}
      menuItemRender={(item, dom) => (item.path ? <Link to={item.path}>{dom}</Link> : dom)}
      headerContentRender={() => (
        <div style={{ display: 'flex', alignItems: 'center', gap: 12, paddingInline: 16 }}>
          <StoreSwitcher />
          <GlobalSearch />
        </div>
      )}
      actionsRender={() => [
        <Tooltip title="通知" key="notifications">
          <Button
            type="text"
            aria-label="通知"
            data-testid="notifications"
            icon={
              <Badge count={0} size="small">
                <BellOutlined style={{ fontSize: 16 }} />
              </Badge>
            }
          />
        </Tooltip>,
      ]}
      avatarProps={{
        icon: <UserOutlined />,
        size: 'small',
        title: '管理员',
        render: (_props, dom) => (
          <Dropdown
            menu={{
              items: [
                { key: 'profile', icon: <UserOutlined />, label: '个人中心' },
                { key: 'settings', icon: <SettingOutlined />, label: '账户设置' },
                { type: 'divider' },
                { key: 'logout', icon: <LogoutOutlined />, label: '退出登录' },
              ],
            }}
          >
            <span data-testid="user-menu">{dom}</span>
          </Dropdown>
        ),
      }}
    >
      <Outlet />
    </ProLayout>
  );
}
