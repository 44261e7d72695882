import { useEffect, useMemo, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { ProLayout, type MenuDataItem } from '@ant-design/pro-components';
import { Badge, Button, Dropdown, Input, Select, Space, Tooltip, Typography } from 'antd';
import { BellOutlined, KeyOutlined, LogoutOutlined, ShopOutlined, UserOutlined } from '@ant-design/icons';
import { visibleModules } from '../routes';
import { ALL_STORES, useAuth } from '../auth/AuthContext';
import ChangePasswordModal from '../components/ChangePasswordModal';
import { normalizeCode } from '../utils/barcode';

/** "/system/users" → "menu-system-users" (stable test ids for menu entries). */
export const menuTestId = (path: string) => `menu${path.replace(/\//g, '-')}`;

function StoreSwitcher() {
  const { stores, currentStoreId, setCurrentStoreId, canSelectAllStores } = useAuth();
  const options = useMemo(
    () => [
      ...(canSelectAllStores ? [{ value: ALL_STORES, label: '全部门店', code: ALL_STORES }] : []),
      ...stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}`, code: s.code })),
    ],
    [stores, canSelectAllStores],
  );
  const empty = options.length === 0;
  return (
    <Select
      data-testid="store-switcher"
      value={empty ? undefined : currentStoreId ?? ALL_STORES}
      placeholder={empty ? '无可用门店' : '选择门店'}
      disabled={empty}
      onChange={(v: string) => setCurrentStoreId(v === ALL_STORES ? null : v)}
      options={options}
      style={{ width: 200 }}
      prefix={<ShopOutlined />}
      aria-label="门店切换"
      showSearch={options.length > 8}
      optionFilterProp="label"
      classNames={{ popup: { root: 'store-switcher-popup' } }}
      optionRender={(o) => (
        <span data-testid={`store-option-${String(o.data.code)}`} data-store-code={String(o.data.code)}>
          {o.label}
        </span>
      )}
    />
  );
}

/** Header search: products for now (a scanned barcode searches the barcode filter). */
function GlobalSearch() {
  const navigate = useNavigate();
  const { can } = useAuth();
  const [value, setValue] = useState('');
  const search = (raw: string) => {
    const q = normalizeCode(raw) && /^\d{8,14}$/.test(normalizeCode(raw)) ? normalizeCode(raw) : raw.trim();
    if (!q || !can('catalog.sku.read')) return;
    const param = /^\d{8,14}$/.test(q) ? 'barcode' : 'q';
    navigate(`/catalog/sku?${param}=${encodeURIComponent(q)}`);
    setValue('');
  };
  return (
    <Input.Search
      data-testid="global-search"
      placeholder="搜索商品 / 条码 / 订单 / 会员"
      allowClear
      value={value}
      onChange={(e) => setValue(e.target.value)}
      onSearch={search}
      style={{ width: 280 }}
      aria-label="全局搜索"
    />
  );
}

export default function MainLayout() {
  const location = useLocation();
  const navigate = useNavigate();
  const { me, can, logout } = useAuth();
  const [pwdOpen, setPwdOpen] = useState(false);
  const mustChange = !!me?.must_change_password;

  useEffect(() => {
    if (mustChange) setPwdOpen(true);
  }, [mustChange]);

  const menu: MenuDataItem[] = useMemo(
    () =>
      visibleModules(can).map((m) => ({
        path: m.path,
        name: m.name,
        icon: m.icon,
        ...(m.children ? { children: m.children.map((c) => ({ path: c.path, name: c.name })) } : {}),
      })),
    [can],
  );

  return (
    <>
      <ProLayout
        title="UCM-Color 后台"
        logo="/favicon.svg"
        layout="mix"
        splitMenus={false}
        fixSiderbar
        fixedHeader
        siderWidth={208}
        location={{ pathname: location.pathname }}
        route={{ path: '/', children: menu }}
        onMenuHeaderClick={() => navigate('/dashboard')}
        menuItemRender={(item, dom) =>
          item.path ? (
            <Link to={item.path} data-testid={menuTestId(item.path)}>
              {dom}
            </Link>
          ) : (
            dom
          )
        }
        subMenuItemRender={(item, dom) => <span data-testid={menuTestId(item.path ?? '')}>{dom}</span>}
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
          title: (
            <Space size={4}>
              <span data-testid="current-user">{me?.display_name || me?.username}</span>
              {me && me.display_name && me.display_name !== me.username && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {me.username}
                </Typography.Text>
              )}
            </Space>
          ),
          render: (_props, dom) => (
            <Dropdown
              trigger={['hover', 'click']}
              menu={{
                items: [
                  {
                    key: 'password',
                    icon: <KeyOutlined />,
                    label: <span data-testid="user-menu-password">修改密码</span>,
                    onClick: () => setPwdOpen(true),
                  },
                  { type: 'divider' },
                  {
                    key: 'logout',
                    icon: <LogoutOutlined />,
                    label: <span data-testid="user-menu-logout">退出登录</span>,
                    onClick: () => void logout(),
                  },
                ],
              }}
            >
              <span data-testid="user-menu" style={{ cursor: 'pointer' }}>
                {dom}
              </span>
            </Dropdown>
          ),
        }}
      >
        <Outlet />
      </ProLayout>
      <ChangePasswordModal open={pwdOpen} forced={mustChange} onClose={() => setPwdOpen(false)} />
    </>
  );
}
