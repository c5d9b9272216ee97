import { DownloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { App, Button, DatePicker, Segmented, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { apiCsv, type Query } from '../api/client';
import { todayQuery } from '../api/queries';
import type { Granularity } from '../api/types';
import { useI18n } from '../i18n';
import { csvBlob } from '../lib/csv';
import { lastDays, rangeFromSearch, rangeProblem, selectableDay, type DayRange } from '../lib/dateRange';

export function useServerToday(accountId: number) {
  return useQuery(todayQuery(accountId));
}

/** The range and granularity of a statistics page, kept in the address (?from=&to=&granularity=) so a reload keeps them. */
export function useStatsRange(today: string, defaultDays = 30) {
  const [search, setSearch] = useSearchParams();
  const range = useMemo(() => rangeFromSearch(search, today, defaultDays), [search, today, defaultDays]);
  const asked = search.get('granularity');
  const granularity: Granularity = asked === 'week' || asked === 'month' ? asked : 'day';
  const update = useCallback(
    (next: Partial<DayRange & { granularity: Granularity }>) => {
      setSearch(
        (previous) => {
          const params = new URLSearchParams(previous);
          for (const [key, value] of Object.entries(next)) if (value) params.set(key, value);
          return params;
        },
        { replace: true },
      );
    },
    [setSearch],
  );
  return { range, granularity, update };
}

const toDay = (value: Dayjs) => value.format('YYYY-MM-DD');

export function RangeBar({
  today,
  range,
  onChange,
  granularity,
  onGranularity,
}: {
  today: string;
  range: DayRange;
  onChange: (range: DayRange) => void;
  granularity?: Granularity;
  onGranularity?: (granularity: Granularity) => void;
}) {
  const { t } = useI18n();
  const [problem, setProblem] = useState<string | null>(null);
  const presets = [7, 30, 90, 365].map((days) => {
    const preset = lastDays(days, today);
    return { label: t(`stats.last${days}` as 'stats.last7'), value: [dayjs(preset.from), dayjs(preset.to)] as [Dayjs, Dayjs] };
  });
  return (
    <Space wrap align="center" className="oa-range-bar" data-testid="range-bar">
      <DatePicker.RangePicker
        allowClear={false}
        value={[dayjs(range.from), dayjs(range.to)]}
        presets={presets}
        disabledDate={(current, info) => !selectableDay(toDay(current), today, info?.from ? toDay(info.from) : undefined)}
        onChange={(values) => {
          if (!values?.[0] || !values[1]) return;
          const next = { from: toDay(values[0]), to: toDay(values[1]) };
          const why = rangeProblem(next, today);
          setProblem(why ? t(`stats.rangeProblem.${why}`, { today }) : null);
          if (!why) onChange(next);
        }}
      />
      {granularity && onGranularity ? (
        <Segmented
          value={granularity}
          onChange={(value) => onGranularity(value as Granularity)}
          options={(['day', 'week', 'month'] as const).map((value) => ({ value, label: t(`stats.granularity.${value}`) }))}
        />
      ) : null}
      {problem ? (
        <Typography.Text type="danger" role="alert">
          {problem}
        </Typography.Text>
      ) : null}
    </Space>
  );
}

/** Downloads the API's CSV of a report (`format=csv` with the page's own query): exactly the rows on the page. */
export function CsvButton({ path, query, fileName, testId }: { path: string; query: Query; fileName: string; testId?: string }) {
  const { t, describeError } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const url = URL.createObjectURL(csvBlob(await apiCsv(path, query)));
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      const { title, detail } = describeError(error);
      void message.error(detail ? `${title} ${detail}` : title);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button icon={<DownloadOutlined />} loading={busy} onClick={() => void download()} data-testid={testId}>
      {t('stats.downloadCsv')}
    </Button>
  );
}
