import { Card, Col, Row, Statistic, Typography } from 'antd';
import { Suspense, type ReactNode } from 'react';
import { Loadable } from '../../components/Problem';
import { useServerToday } from '../../components/StatsControls';
import { useI18n } from '../../i18n';
import { formatNumber } from '../../lib/format';
import { useAccount } from '../AccountContext';

export { EChart } from '../../components/LazyEChart';

/** A statistics page: its title, and its body once the server's today (the end of every default range) is known. */
export function StatsFrame({ title, testId, children }: { title: string; testId: string; children: (today: string) => ReactNode }) {
  const account = useAccount();
  const today = useServerToday(account.id);
  return (
    <div data-testid={testId}>
      <Typography.Title level={3} className="oa-page-title">
        {title}
      </Typography.Title>
      <Loadable loading={today.isPending} error={today.error} onRetry={() => void today.refetch()}>
        {today.data ? children(today.data) : null}
      </Loadable>
    </div>
  );
}

/** Key figures above a chart, each with a test id naming its figure. */
export function FigureCards({ figures }: { figures: Array<{ key: string; label: string; value: number | string | undefined }> }) {
  const { locale } = useI18n();
  return (
    <Row gutter={[16, 16]} className="oa-cards">
      {figures.map((figure) => (
        <Col xs={12} md={24 / Math.min(figures.length, 4)} key={figure.key}>
          <Card size="small">
            <Statistic
              title={figure.label}
              value={figure.value === undefined ? '—' : typeof figure.value === 'number' ? formatNumber(figure.value, locale) : figure.value}
              data-testid={`figure-${figure.key}`}
            />
          </Card>
        </Col>
      ))}
    </Row>
  );
}

export function ChartCard({ title, extra, children }: { title: ReactNode; extra?: ReactNode; children: ReactNode }) {
  return (
    <Card title={title} extra={extra} style={{ marginBottom: 16 }}>
      <Suspense fallback={<div style={{ height: 360 }} />}>{children}</Suspense>
    </Card>
  );
}
