import { useQuery } from '@tanstack/react-query';
import { Table } from 'antd';
import { useMemo } from 'react';
import { api } from '../../api/client';
import { keys } from '../../api/queries';
import type { ActivationItem, Items } from '../../api/types';
import { Loadable } from '../../components/Problem';
import { CsvButton, RangeBar, useStatsRange } from '../../components/StatsControls';
import { useI18n } from '../../i18n';
import { activationOption, distributionOption, sumOf } from '../../lib/charts';
import { csvFileName } from '../../lib/csv';
import { useAccount } from '../AccountContext';
import { ChartCard, EChart, FigureCards, StatsFrame } from './StatsFrame';

/** 消息分析: senders, messages and messages per sender, and senders by how many messages they sent. */
export default function ActivationPage() {
  const { t } = useI18n();
  return (
    <StatsFrame title={t('page.activation')} testId="activation-page">
      {(today) => <Activation today={today} />}
    </StatsFrame>
  );
}

function Activation({ today }: { today: string }) {
  const { t } = useI18n();
  const account = useAccount();
  const { range, granularity, update } = useStatsRange(today);
  const path = `/v1/accounts/${account.id}/stats/activation`;
  const query = { from: range.from, to: range.to, granularity };
  const activation = useQuery({
    queryKey: [...keys.stats(account.id), 'activation', range.from, range.to, granularity],
    queryFn: async () => (await api<Items<ActivationItem>>('GET', path, { query })).items,
  });
  const items = useMemo(() => activation.data ?? [], [activation.data]);
  const labels = useMemo(() => ({ msgUser: t('stats.msgUser'), msgCount: t('stats.msgCount'), avgPerUser: t('stats.avgPerUser') }), [t]);
  const lines = useMemo(() => activationOption(items, labels), [items, labels]);
  const distribution = useMemo(() => distributionOption(items, (bucket) => t(`stats.distribution.${bucket}`)), [items, t]);
  const distributionColumns = (['0', '1-5', '6-10', '>10'] as const).map((bucket) => ({
    title: `${t('stats.distribution')}: ${t(`stats.distribution.${bucket}`)}`,
    key: bucket,
    align: 'right' as const,
    render: (_: unknown, item: ActivationItem) => item.distribution[bucket],
  }));

  return (
    <>
      <RangeBar today={today} range={range} onChange={update} granularity={granularity} onGranularity={(value) => update({ granularity: value })} />
      <Loadable loading={activation.isPending} error={activation.error} onRetry={() => void activation.refetch()}>
        <FigureCards
          figures={[
            { key: 'msgCount', label: `${labels.msgCount} · ${t('stats.sumOverRange')}`, value: sumOf(items, (item) => item.msgCount) },
            { key: 'msgUserLast', label: `${labels.msgUser} · ${items.at(-1)?.refDate ?? ''}`, value: items.at(-1)?.msgUser },
          ]}
        />
        <ChartCard title={t('page.activation')}>
          <EChart option={lines} testId="activation-chart" />
        </ChartCard>
        <ChartCard title={t('stats.distribution')}>
          <EChart option={distribution} height={300} testId="distribution-chart" />
        </ChartCard>
        <ChartCard
          title={t('stats.details')}
          extra={<CsvButton path={path} query={query} fileName={csvFileName({ report: 'activation', appid: account.appid, ...query })} testId="activation-csv" />}
        >
          <Table<ActivationItem>
            rowKey="refDate"
            size="small"
            dataSource={items}
            pagination={{ pageSize: 31, hideOnSinglePage: true, showSizeChanger: false }}
            scroll={{ x: 900 }}
            data-testid="activation-table"
            columns={[
              { title: t('common.date'), dataIndex: 'refDate' },
              { title: labels.msgUser, dataIndex: 'msgUser', align: 'right' },
              { title: labels.msgCount, dataIndex: 'msgCount', align: 'right' },
              { title: labels.avgPerUser, dataIndex: 'avgPerUser', align: 'right' },
              ...distributionColumns,
            ]}
          />
        </ChartCard>
      </Loadable>
    </>
  );
}
