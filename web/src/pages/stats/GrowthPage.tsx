import { useQuery } from '@tanstack/react-query';
import { Table } from 'antd';
import { startTransition, useMemo, useState } from 'react';
import { growthQuery } from '../../api/queries';
import type { Granularity, GrowthItem } from '../../api/types';
import { Loadable } from '../../components/Problem';
import { CsvButton, RangeBar, useStatsRange } from '../../components/StatsControls';
import { useI18n } from '../../i18n';
import { growthOption, sourceOption, sumOf } from '../../lib/charts';
import { csvFileName } from '../../lib/csv';
import { useAccount } from '../AccountContext';
import { ChartCard, EChart, FigureCards, StatsFrame } from './StatsFrame';

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
        {drawn ? <GrowthDetails items={items} labels={labels} path={path} query={query} /> : null}
      </Loadable>
    </>
  );
}

/** Below the headline chart: followers by source, and the table with its CSV. */
function GrowthDetails({
  items,
  labels,
  path,
  query,
}: {
  items: GrowthItem[];
  labels: { newUser: string; cancelUser: string; netUser: string; cumulateUser: string };
  path: string;
  query: { from: string; to: string; granularity: Granularity };
}) {
  const { t } = useI18n();
  const account = useAccount();
  const sources = useMemo(
    () => sourceOption(items, { newUser: labels.newUser, cancelUser: labels.cancelUser, scene: (scene) => t(`scene.${scene}` as 'scene.ADD_SCENE_OTHERS') }),
    [items, labels, t],
  );
  return (
    <>
      <ChartCard title={t('stats.bySource')}>
        <EChart option={sources} height={Math.max(240, 60 + 36 * new Set(items.flatMap((item) => item.userSource.map((source) => source.scene))).size)} testId="source-chart" />
      </ChartCard>
      <ChartCard
        title={t('stats.details')}
        extra={<CsvButton path={path} query={query} fileName={csvFileName({ report: 'followers', appid: account.appid, ...query })} testId="growth-csv" />}
      >
        <Table<GrowthItem>
          rowKey="refDate"
          size="small"
          dataSource={items}
          pagination={{ pageSize: 31, hideOnSinglePage: true, showSizeChanger: false }}
          scroll={{ x: 600 }}
          data-testid="growth-table"
          columns={[
            { title: t('common.date'), dataIndex: 'refDate' },
            { title: labels.newUser, dataIndex: 'newUser', align: 'right' },
            { title: labels.cancelUser, dataIndex: 'cancelUser', align: 'right' },
            { title: labels.netUser, dataIndex: 'netUser', align: 'right' },
            { title: labels.cumulateUser, dataIndex: 'cumulateUser', align: 'right' },
          ]}
        />
      </ChartCard>
    </>
  );
}
