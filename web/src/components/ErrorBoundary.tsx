import { Button, Result } from 'antd';
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { useI18n } from '../i18n';

interface State {
  error: Error | null;
}

/**
 * A render error anywhere below shows a page saying so (with a way back), never a blank screen. `resetKey` clears
 * it, so moving to another page of the console recovers.
 */
class Boundary extends Component<{ children: ReactNode; resetKey?: string; fallback: (error: Error, reset: () => void) => ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('console page error', error, info.componentStack);
  }

  componentDidUpdate(previous: { resetKey?: string }) {
    if (this.state.error && previous.resetKey !== this.props.resetKey) this.setState({ error: null });
  }

  render() {
    return this.state.error ? this.props.fallback(this.state.error, () => this.setState({ error: null })) : this.props.children;
  }
}

function Fallback({ error, reset }: { error: Error; reset: () => void }) {
  const { t } = useI18n();
  return (
    <Result
      status="error"
      title={t('common.error')}
      subTitle={
        <>
          {t('common.pageError')}
          <br />
          <code>{error.message}</code>
        </>
      }
      extra={[
        <Button key="retry" type="primary" onClick={reset}>
          {t('common.retry')}
        </Button>,
        <Button key="reload" onClick={() => window.location.reload()}>
          {t('common.reload')}
        </Button>,
        <Button key="home" href="/accounts">
          {t('common.backToAccounts')}
        </Button>,
      ]}
    />
  );
}

export function ErrorBoundary({ children, resetKey }: { children: ReactNode; resetKey?: string }) {
  return (
    <Boundary resetKey={resetKey} fallback={(error, reset) => <Fallback error={error} reset={reset} />}>
      {children}
    </Boundary>
  );
}

/** The last line of defence, outside the i18n provider: plain text in both languages. */
export class RootErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };
  static getDerivedStateFromError(error: Error): State {
    return { error };
  }
  componentDidCatch(error: Error) {
    console.error('console error', error);
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" style={{ padding: 32, fontFamily: 'sans-serif' }}>
        <h1>出错了 · Something went wrong</h1>
        <p>{this.state.error.message}</p>
        <button onClick={() => window.location.reload()}>重新加载 · Reload</button>
      </div>
    );
  }
}
