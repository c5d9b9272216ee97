import { QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { queryClient } from './api/queryClient';
import { useSession } from './api/useSession';
import { ErrorBoundary } from './components/ErrorBoundary';
import { PageSpinner } from './components/Problem';
import 'antd/dist/antd.css';
import { I18nProvider, useI18n } from './i18n';
import { AccountShell, AuthPage } from './pages/registry';
import { THEME } from './theme';

// Each page is its own chunk: the sign-in page loads none of the charts, the editor or the tables (the sign-in page
// and the account shell are in pages/registry.ts, for warmup.ts to load before the first render).
const AccountsPage = lazy(() => import('./pages/AccountsPage'));
const NotFound = lazy(() => import('./pages/NotFound'));

function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

function Themed() {
  const { locale } = useI18n();
  useEffect(() => {
    dayjs.locale(locale === 'zh' ? 'zh-cn' : 'en');
    document.documentElement.lang = locale === 'zh' ? 'zh-CN' : 'en';
  }, [locale]);
  const location = useLocation();
  return (
    <ConfigProvider locale={locale === 'zh' ? zhCN : enUS} theme={THEME}>
      <AntApp>
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<PageSpinner />}>
            <Routes>
              <Route path="/login" element={<AuthPage mode="login" />} />
              <Route path="/register" element={<AuthPage mode="register" />} />
              <Route path="/" element={<Navigate to="/accounts" replace />} />
              <Route
                path="/accounts"
                element={
                  <RequireSession>
                    <AccountsPage />
                  </RequireSession>
                }
              />
              <Route
                path="/accounts/:accountId/*"
                element={
                  <RequireSession>
                    <AccountShell />
                  </RequireSession>
                }
              />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </AntApp>
    </ConfigProvider>
  );
}

export default function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <BrowserRouter>
          <Themed />
        </BrowserRouter>
      </I18nProvider>
    </QueryClientProvider>
  );
}
