import { useQuery } from '@tanstack/react-query';
import { lazy, startTransition, Suspense, useMemo, useState } from 'react';
import { growthQuery } from '../../api/queries';
import { Loadable } from '../../components/Problem';
import { RangeBar, useStatsRange } from '../../components/StatsControls';
import { useI18n } from '../../i18n';
import { growthOption, sumOf } from '../../lib/charts';
import { useAccount } from '../AccountContext';
import { ChartCard, EChart, FigureCards, StatsFrame } from './StatsFrame';

// The sources chart and the table (antd's Table, a large chunk) are loaded once the headline chart is drawn, so that
// neither their download nor their evaluation delays it.
const GrowthDetails = lazy(() => import('./GrowthDetails'));

/** 用户增长: new, cancelled, net and total followers per day, week or month, and where followers came from. */
export default function GrowthPage() {
  const { t } = useI18n();
  return (
    <StatsFrame title={t('page.growth')} testId="growth-page">
      {(today) => <Growth today={today} />}
    </StatsFrame>
  );
}

function Growth({ today }: { today: string }) {
  const { t } = useI18n();
  const account = useAccount();
  const { range, granularity, update } = useStatsRange(today);
  const path = `/v1/accounts/${account.id}/stats/followers`;
  const query = { from: range.from, to: range.to, granularity };
  const growth = useQuery(growthQuery(account.id, range, granularity));
  // The headline chart is drawn first; the sources and the table follow once it is on the screen.
  const [drawn, setDrawn] = useState(false);
  const items = useMemo(() => growth.data ?? [], [growth.data]);
  const labels = useMemo(
    () => ({ newUser: t('stats.newUser'), cancelUser: t('stats.cancelUser'), netUser: t('stats.netUser'), cumulateUser: t('stats.cumulateUser') }),
    [t],
  );
  const option = useMemo(() => growthOption(items, labels), [items, labels]);

  return (
    <>
      <RangeBar today={today} range={range} onChange={update} granularity={granularity} onGranularity={(value) => update({ granularity: value })} />
      <Loadable loading={growth.isPending} error={growth.error} onRetry={() => void growth.refetch()}>
        <FigureCards
          figures={[
            { key: 'newUser', label: `${labels.newUser} · ${t('stats.sumOverRange')}`, value: sumOf(items, (item) => item.newUser) },
            { key: 'cancelUser', label: `${labels.cancelUser} · ${t('stats.sumOverRange')}`, value: sumOf(items, (item) => item.cancelUser) },
            { key: 'netUser', label: `${labels.netUser} · ${t('stats.sumOverRange')}`, value: sumOf(items, (item) => item.netUser) },
            { key: 'cumulateUser', label: `${labels.cumulateUser} · ${t('stats.atEnd')}`, value: items.at(-1)?.cumulateUser },
          ]}
        />
        <ChartCard title={t('page.growth')}>
          {/* A transition: the rest renders in slices that leave the page responsive as soon as the chart is up. */}
          <EChart option={option} testId="growth-chart" onRendered={() => startTransition(() => setDrawn(true))} />
        </ChartCard>
        {drawn ? (
          <Suspense fallback={null}>
            <GrowthDetails items={items} labels={labels} path={path} query={query} />
          </Suspense>
        ) : null}
      </Loadable>
    </>
  );
}
