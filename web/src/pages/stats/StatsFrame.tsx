import { Typography } from 'antd';
import { Suspense, type CSSProperties, type ReactNode } from 'react';
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

/*
 * The figure cards and chart cards below are antd's Card and Statistic written as markup with antd's own class names,
 * which its stylesheet draws exactly as it draws the components (styles.css's .oa-card sets the variables those
 * styles read). They are on the first paint of every statistics page, where the components cost far more than what
 * they draw: Card brings Tabs and Skeleton, each registers its theme variables, Row and Col watch the breakpoints.
 * The browser tests read the figures through `.ant-statistic-content`.
 */

/** Key figures above a chart, each with a test id naming its figure: two a row on a phone, up to four from md (768 px). */
export function FigureCards({ figures }: { figures: Array<{ key: string; label: string; value: number | string | undefined }> }) {
  const { locale } = useI18n();
  return (
    <div className="oa-cards oa-figures" style={{ '--oa-figure-columns': Math.min(figures.length, 4) } as CSSProperties}>
      {figures.map((figure) => (
        <div className="oa-card ant-card ant-card-bordered ant-card-small" key={figure.key}>
          <div className="ant-card-body">
            <div className="ant-statistic" data-testid={`figure-${figure.key}`}>
              <div className="ant-statistic-header">
                <div className="ant-statistic-title">{figure.label}</div>
              </div>
              <div className="ant-statistic-content">
                <span className="ant-statistic-content-value">
                  {figure.value === undefined ? '—' : typeof figure.value === 'number' ? formatNumber(figure.value, locale) : figure.value}
                </span>
              </div>
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}

export function ChartCard({ title, extra, children }: { title: ReactNode; extra?: ReactNode; children: ReactNode }) {
  return (
    <div className="oa-card ant-card ant-card-bordered" style={{ marginBottom: 16 }}>
      <div className="ant-card-head">
        <div className="ant-card-head-wrapper">
          <div className="ant-card-head-title">{title}</div>
          {extra ? <div className="ant-card-extra">{extra}</div> : null}
        </div>
      </div>
      <div className="ant-card-body">
        <Suspense fallback={<div style={{ height: 360 }} />}>{children}</Suspense>
      </div>
    </div>
  );
}
