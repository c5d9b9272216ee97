import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './api/client';
import { useSession } from './api/useSession';
import { ErrorBoundary } from './components/ErrorBoundary';
import { PageSpinner } from './components/Problem';
import 'antd/dist/antd.css';
import { I18nProvider, useI18n } from './i18n';
import { AccountShell } from './pages/registry';
import { warmUp } from './warmup';

// Each page is its own chunk: the sign-in page loads none of the charts, the editor or the tables.
const AuthPage = lazy(() => import('./pages/AuthPage'));
const AccountsPage = lazy(() => import('./pages/AccountsPage'));
const NotFound = lazy(() => import('./pages/NotFound'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change by asking again; a network blip or a 503 may.
      retry: (count, error) => count < 2 && error instanceof ApiError && (error.status === 0 || error.status >= 500),
      refetchOnWindowFocus: false,
      staleTime: 10_000,
    },
  },
});

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
    <ConfigProvider locale={locale === 'zh' ? zhCN : enUS} theme={{ zeroRuntime: true, token: { colorPrimary: '#07c160', borderRadius: 6 } }}>
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

warmUp(window.location, queryClient);

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
