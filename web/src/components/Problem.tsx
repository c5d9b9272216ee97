import { Alert, Button, Empty, Spin } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n';

/** An error from the API (or anything else) as an alert in the person's language, with the API's detail below. */
export function ProblemAlert({ error, onRetry, style }: { error: unknown; onRetry?: () => void; style?: React.CSSProperties }) {
  const { describeError, t } = useI18n();
  const { title, detail } = describeError(error);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-testid="problem"
      title={title}
      description={detail}
      style={style}
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    />
  );
}

/**
 * The three states of data a page waits for: loading (a spinner), failed (the error, with retry), empty (a note),
 * and otherwise the content.
 */
export function Loadable({
  loading,
  error,
  empty,
  emptyText,
  onRetry,
  children,
}: {
  loading: boolean;
  error: unknown;
  empty?: boolean;
  emptyText?: ReactNode;
  onRetry?: () => void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  if (error) return <ProblemAlert error={error} onRetry={onRetry} />;
  if (loading)
    return (
      <div style={{ padding: 48, textAlign: 'center' }} data-testid="loading">
        <Spin description={t('common.loading')} />
      </div>
    );
  if (empty) return <Empty description={emptyText ?? t('common.empty')} />;
  return <>{children}</>;
}

export function PageSpinner() {
  return (
    <div style={{ padding: 64, textAlign: 'center' }} data-testid="loading">
      <Spin size="large" />
    </div>
  );
}
