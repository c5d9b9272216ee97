import { useQuery } from '@tanstack/react-query';
import { Col, DatePicker, Empty, Row, Select, Space, Table } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { api } from '../../api/client';
import { keys } from '../../api/queries';
import type { ArticleDayItem, ArticleTotalItem, Items, ReadDayItem, ReadHourItem } from '../../api/types';
import { Loadable } from '../../components/Problem';
import { CsvButton, RangeBar, useStatsRange } from '../../components/StatsControls';
import { useI18n, type MessageKey } from '../../i18n';
import { funnelOption, funnelStages, hourlyOption, readsOption, sumOf } from '../../lib/charts';
import { csvFileName } from '../../lib/csv';
import { useAccount } from '../AccountContext';
import { ChartCard, EChart, FigureCards, StatsFrame } from './StatsFrame';

const ENGAGEMENT_COLUMNS = ['intPageReadUser', 'intPageReadCount', 'oriPageReadUser', 'oriPageReadCount', 'shareUser', 'shareCount', 'addToFavUser', 'addToFavCount'] as const;

/** 图文分析: reads per day, every article's figures per day, one broadcast's funnel, reads per hour. */
export default function ArticlesPage() {
  const { t } = useI18n();
  return (
    <StatsFrame title={t('page.articles')} testId="articles-page">
      {(today) => <Articles today={today} />}
    </StatsFrame>
  );
}

function Articles({ today }: { today: string }) {
  const { t } = useI18n();
  const account = useAccount();
  const { range, update } = useStatsRange(today);
  const base = `/v1/accounts/${account.id}/stats`;
  const query = { from: range.from, to: range.to };
  const reads = useQuery({
    queryKey: [...keys.stats(account.id), 'reads', range.from, range.to],
    queryFn: async () => (await api<Items<ReadDayItem>>('GET', `${base}/reads`, { query })).items,
  });
  const articles = useQuery({
    queryKey: [...keys.stats(account.id), 'articles', range.from, range.to],
    queryFn: async () => (await api<Items<ArticleDayItem>>('GET', `${base}/articles`, { query })).items,
  });
  const readItems = useMemo(() => reads.data ?? [], [reads.data]);
  const readsChart = useMemo(
    () => readsOption(readItems, { readers: t('stats.intPageReadUser'), reads: t('stats.intPageReadCount'), shares: t('stats.shareCount') }),
    [readItems, t],
  );
  const engagementColumns = ENGAGEMENT_COLUMNS.map((key) => ({ title: t(`stats.${key}` as MessageKey), dataIndex: key, align: 'right' as const }));

  return (
    <>
      <RangeBar today={today} range={range} onChange={update} />
      <Loadable loading={reads.isPending} error={reads.error} onRetry={() => void reads.refetch()}>
        <FigureCards
          figures={[
            { key: 'intPageReadCount', label: `${t('stats.intPageReadCount')} · ${t('stats.sumOverRange')}`, value: sumOf(readItems, (item) => item.intPageReadCount) },
            { key: 'oriPageReadCount', label: `${t('stats.oriPageReadCount')} · ${t('stats.sumOverRange')}`, value: sumOf(readItems, (item) => item.oriPageReadCount) },
            { key: 'shareCount', label: `${t('stats.shareCount')} · ${t('stats.sumOverRange')}`, value: sumOf(readItems, (item) => item.shareCount) },
            { key: 'addToFavCount', label: `${t('stats.addToFavCount')} · ${t('stats.sumOverRange')}`, value: sumOf(readItems, (item) => item.addToFavCount) },
          ]}
        />
        <ChartCard
          title={t('stats.readsPerDay')}
          extra={<CsvButton path={`${base}/reads`} query={query} fileName={csvFileName({ report: 'reads', appid: account.appid, ...query })} testId="reads-csv" />}
        >
          <EChart option={readsChart} testId="reads-chart" />
        </ChartCard>
      </Loadable>
      <Loadable loading={articles.isPending} error={articles.error} onRetry={() => void articles.refetch()}>
        <Row gutter={16}>
          <Col xs={24} lg={12}>
            <Funnel today={today} rows={articles.data ?? []} />
          </Col>
          <Col xs={24} lg={12}>
            <HourlyReads today={today} defaultDate={range.to} />
          </Col>
        </Row>
        <ChartCard
          title={t('stats.articleTable')}
          extra={<CsvButton path={`${base}/articles`} query={query} fileName={csvFileName({ report: 'articles', appid: account.appid, ...query })} testId="articles-csv" />}
        >
          <Table<ArticleDayItem>
            rowKey={(row) => `${row.refDate}/${row.msgDataId}/${row.articleIndex}`}
            size="small"
            dataSource={articles.data ?? []}
            pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
            scroll={{ x: 1200 }}
            data-testid="articles-table"
            columns={[
              { title: t('common.date'), dataIndex: 'refDate', fixed: 'left' },
              { title: t('stats.article'), dataIndex: 'title', ellipsis: true, width: 220 },
              { title: t('stats.articleIndex'), dataIndex: 'articleIndex', align: 'right' },
              ...engagementColumns,
            ]}
          />
        </ChartCard>
      </Loadable>
    </>
  );
}

/** 送达 → 图文页 → 原文页 → 分享 of one article of a broadcast read in the range (to date). */
function Funnel({ rows, today }: { rows: ArticleDayItem[]; today: string }) {
  const { t } = useI18n();
  const account = useAccount();
  const choices = useMemo(() => {
    const seen = new Map<string, { msgDataId: number; articleIndex: number; title: string }>();
    for (const row of [...rows].reverse()) {
      const key = `${row.msgDataId}/${row.articleIndex}`;
      if (!seen.has(key)) seen.set(key, { msgDataId: row.msgDataId, articleIndex: row.articleIndex, title: row.title });
    }
    return [...seen.entries()].map(([key, value]) => ({ key, ...value }));
  }, [rows]);
  const [chosen, setChosen] = useState<string | undefined>();
  const current = choices.find((choice) => choice.key === chosen) ?? choices[0];
  const path = `/v1/accounts/${account.id}/stats/articles/${current?.msgDataId}`;
  const totals = useQuery({
    queryKey: [...keys.stats(account.id), 'article-totals', current?.msgDataId, today],
    enabled: current !== undefined,
    queryFn: async () => (await api<Items<ArticleTotalItem>>('GET', path)).items,
  });
  const option = useMemo(() => {
    const latest = (totals.data ?? []).filter((row) => row.articleIndex === current?.articleIndex).at(-1);
    return latest ? funnelOption(funnelStages(latest), (key) => t(`stats.funnel.${key}`)) : null;
  }, [totals.data, current, t]);

  return (
    <ChartCard
      title={t('stats.funnel')}
      extra={
        current ? <CsvButton path={path} query={{}} fileName={csvFileName({ report: 'article', appid: account.appid, extra: String(current.msgDataId), date: today })} testId="funnel-csv" /> : null
      }
    >
      {current ? (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Select
            value={current.key}
            onChange={setChosen}
            style={{ width: '100%' }}
            aria-label={t('stats.funnelArticle')}
            options={choices.map((choice) => ({ value: choice.key, label: `${choice.title} (#${choice.articleIndex})` }))}
            data-testid="funnel-article"
          />
          <Loadable loading={totals.isPending} error={totals.error} onRetry={() => void totals.refetch()}>
            {option ? <EChart option={option} height={300} testId="funnel-chart" /> : null}
          </Loadable>
        </Space>
      ) : (
        <Empty description={t('stats.funnelNone')} />
      )}
    </ChartCard>
  );
}

function HourlyReads({ today, defaultDate }: { today: string; defaultDate: string }) {
  const { t } = useI18n();
  const account = useAccount();
  const [date, setDate] = useState(defaultDate);
  const path = `/v1/accounts/${account.id}/stats/reads/hourly`;
  const hourly = useQuery({
    queryKey: [...keys.stats(account.id), 'reads-hourly', date],
    queryFn: async () => (await api<Items<ReadHourItem>>('GET', path, { query: { date } })).items,
  });
  const option = useMemo(
    () =>
      hourlyOption(hourly.data ?? [], [
        { key: 'intPageReadUser', name: t('stats.intPageReadUser') },
        { key: 'intPageReadCount', name: t('stats.intPageReadCount') },
      ]),
    [hourly.data, t],
  );
  return (
    <ChartCard
      title={t('stats.hourlyReads')}
      extra={
        <Space wrap>
          <DatePicker size="small" allowClear={false} value={dayjs(date)} disabledDate={(current) => current.format('YYYY-MM-DD') > today} onChange={(value) => value && setDate(value.format('YYYY-MM-DD'))} />
          <CsvButton path={path} query={{ date }} fileName={csvFileName({ report: 'reads-hourly', appid: account.appid, date })} testId="hourly-csv" />
        </Space>
      }
    >
      <Loadable loading={hourly.isPending} error={hourly.error} onRetry={() => void hourly.refetch()}>
        <EChart option={option} height={300} testId="hourly-chart" />
      </Loadable>
    </ChartCard>
  );
}
