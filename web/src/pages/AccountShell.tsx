import {
  BarChartOutlined,
  ApiOutlined,
  MenuOutlined,
  EditOutlined,
  HomeOutlined,
  NotificationOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { Button, Drawer, Grid, Layout, Menu, Select, type MenuProps } from 'antd';
import { Suspense, useMemo, useState, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import { useAccounts } from '../api/queries';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { HeaderBar } from '../components/HeaderBar';
import { Loadable, PageSpinner } from '../components/Problem';
import { useI18n } from '../i18n';
import { landingPath, mayOpen, pageOfPath, pagePath, pagesFor, type AccountPage, type PageKey } from '../lib/permissions';
import { AccountContext } from './AccountContext';
import NotFound from './NotFound';
import { PAGES } from './registry';

const GROUP_ICONS: Record<AccountPage['group'], ReactNode> = {
  home: <HomeOutlined />,
  content: <NotificationOutlined />,
  users: <UserOutlined />,
  stats: <BarChartOutlined />,
  settings: <ApiOutlined />,
};
const PAGE_ICONS: Partial<Record<PageKey, ReactNode>> = { compose: <EditOutlined />, members: <TeamOutlined /> };

/**
 * The pages of one account: a menu of those the admin's role opens, the account switcher, and the page. A page the
 * role may not open is neither in the menu nor reachable by its address.
 */
export default function AccountShell() {
  const { t } = useI18n();
  const { accountId: rawId } = useParams();
  const accountId = Number(rawId);
  const accounts = useAccounts();
  const location = useLocation();
  const navigate = useNavigate();
  const account = accounts.data?.find((candidate) => candidate.id === accountId);
  const current = pageOfPath(location.pathname);
  // Below the large breakpoint (phones, narrow windows) the menu lives in a drawer opened from the header.
  const wide = Grid.useBreakpoint().lg ?? true;
  const [drawerOpen, setDrawerOpen] = useState(false);

  const menuItems = useMemo<MenuProps['items']>(() => {
    if (!account) return [];
    const pages = pagesFor(account.role);
    const groups = [...new Set(pages.map((page) => page.group))];
    return groups.map((group) => {
      const inGroup = pages.filter((page) => page.group === group);
      const item = (page: AccountPage) => ({ key: page.key, icon: PAGE_ICONS[page.key], label: t(`page.${page.key}`), 'data-testid': `menu-${page.key}` });
      if (group === 'home' && inGroup.length === 1) return { ...item(inGroup[0]!), icon: GROUP_ICONS.home };
      return { key: `group-${group}`, type: 'group' as const, label: t(`menu.${group}`), children: inGroup.map(item) };
    });
  }, [account, t]);

  const switcher = (
    <Select
      size="middle"
      value={account?.id}
      aria-label={t('accounts.switcher')}
      data-testid="account-switcher"
      style={{ minWidth: 140, maxWidth: 260 }}
      popupMatchSelectWidth={false}
      options={(accounts.data ?? []).map((candidate) => ({ value: candidate.id, label: candidate.name }))}
      onChange={(id: number) => {
        const target = accounts.data!.find((candidate) => candidate.id === id)!;
        // The same page on the other account when the role there opens it, else that account's first page.
        const same = current && mayOpen(target.role, current) ? pagesFor(target.role).find((page) => page.key === current) : undefined;
        void navigate(same ? pagePath(target.id, same) : landingPath(target.id, target.role));
      }}
    />
  );

  const menu = account ? (
    <Menu
      mode="inline"
      selectedKeys={current ? [current] : []}
      items={menuItems}
      onClick={({ key }) => {
        const page = pagesFor(account.role).find((candidate) => candidate.key === key);
        setDrawerOpen(false);
        if (page) void navigate(pagePath(account.id, page));
      }}
      style={{ borderInlineEnd: 'none' }}
      data-testid="menu"
    />
  ) : null;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="oa-header">
        {!wide && account ? <Button type="text" icon={<MenuOutlined />} onClick={() => setDrawerOpen(true)} aria-label={t('common.menu')} data-testid="menu-button" /> : null}
        <HeaderBar>{switcher}</HeaderBar>
      </Layout.Header>
      <Layout hasSider>
        {account && wide ? (
          <Layout.Sider width={208} theme="light" data-testid="sider">
            {menu}
          </Layout.Sider>
        ) : null}
        {account && !wide ? (
          <Drawer open={drawerOpen} onClose={() => setDrawerOpen(false)} placement="left" size={240} title={account.name} styles={{ body: { padding: 0 } }}>
            {menu}
          </Drawer>
        ) : null}
        <Layout.Content className="oa-content">
          <Loadable loading={accounts.isPending} error={accounts.error} onRetry={() => void accounts.refetch()}>
            {account ? (
              <AccountContext.Provider value={account}>
                <ErrorBoundary resetKey={location.pathname}>
                  <Suspense fallback={<PageSpinner />}>
                    <Routes>
                      {pagesFor(account.role).map((page) => {
                        const Page = PAGES[page.key];
                        return <Route key={page.key} path={page.path || '/'} element={<Page />} />;
                      })}
                      {/* The overview is the account's address: a role without it goes to its first page. */}
                      {!mayOpen(account.role, 'overview') ? <Route path="/" element={<Navigate to={landingPath(account.id, account.role)} replace />} /> : null}
                      <Route path="*" element={<NotFound text={current ? t('common.forbidden') : t('common.notFound')} />} />
                    </Routes>
                  </Suspense>
                </ErrorBoundary>
              </AccountContext.Provider>
            ) : (
              <NotFound text={t('accounts.notMember')} />
            )}
          </Loadable>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
