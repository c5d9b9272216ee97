import { Table } from 'antd';
import { useMemo } from 'react';
import type { Granularity, GrowthItem } from '../../api/types';
import { CsvButton } from '../../components/StatsControls';
import { useI18n } from '../../i18n';
import { sourceOption } from '../../lib/charts';
import { csvFileName } from '../../lib/csv';
import { useAccount } from '../AccountContext';
import { ChartCard, EChart } from './StatsFrame';

/** Below the headline chart: followers by source, and the table with its CSV. */
export default function GrowthDetails({
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
      <ChartCard
        title={t('stats.bySource')}
        extra={<CsvButton path={`${path}/sources`} query={query} fileName={csvFileName({ report: 'followers-sources', appid: account.appid, ...query })} testId="sources-csv" />}
      >
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
