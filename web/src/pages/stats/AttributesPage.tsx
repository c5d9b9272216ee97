import { useQuery } from '@tanstack/react-query';
import { Col, DatePicker, InputNumber, Row, Space, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { keys } from '../../api/queries';
import type { AttributeName, Attributes } from '../../api/types';
import { Loadable } from '../../components/Problem';
import { CsvButton } from '../../components/StatsControls';
import { useI18n } from '../../i18n';
import { attributeBarOption, attributePieOption } from '../../lib/charts';
import { csvFileName } from '../../lib/csv';
import { isDay } from '../../lib/dateRange';
import { formatPercent } from '../../lib/format';
import { useAccount } from '../AccountContext';
import { ChartCard, EChart, FigureCards, StatsFrame } from './StatsFrame';

/** 用户属性: followers at the end of a day by gender, language, country, province and city. */
export default function AttributesPage() {
  const { t } = useI18n();
  return (
    <StatsFrame title={t('page.attributes')} testId="attributes-page">
      {(today) => <AttributesView today={today} />}
    </StatsFrame>
  );
}

function AttributesView({ today }: { today: string }) {
  const { t, locale } = useI18n();
  const account = useAccount();
  const [search, setSearch] = useSearchParams();
  const asked = search.get('date') ?? '';
  const date = isDay(asked) && asked <= today ? asked : today;
  const top = Math.min(100, Math.max(1, Number(search.get('top')) || 10));
  const path = `/v1/accounts/${account.id}/stats/attributes`;
  const query = { date, top };
  const attributes = useQuery({
    queryKey: [...keys.stats(account.id), 'attributes', date, top],
    queryFn: () => api<Attributes>('GET', path, { query }),
  });
  const label = useMemo(
    () => (value: string) => (['male', 'female', 'unknown', 'other'].includes(value) ? t(`attr.${value}` as 'attr.male') : value),
    [t],
  );
  const charts = useMemo(() => {
    if (!attributes.data) return null;
    const bar = (attribute: AttributeName) => attributeBarOption(attributes.data, attribute, t('stats.followers'), label);
    return {
      gender: attributePieOption(attributes.data, 'gender', label),
      language: bar('language'),
      country: bar('country'),
      province: bar('province'),
      city: bar('city'),
    };
  }, [attributes.data, label, t]);
  const set = (key: string, value: string) =>
    setSearch(
      (previous) => {
        const params = new URLSearchParams(previous);
        params.set(key, value);
        return params;
      },
      { replace: true },
    );

  return (
    <>
      <Space wrap className="oa-range-bar">
        <Typography.Text>{t('stats.asOf')}</Typography.Text>
        <DatePicker
          allowClear={false}
          value={dayjs(date)}
          disabledDate={(current) => current.format('YYYY-MM-DD') > today}
          onChange={(value) => value && set('date', value.format('YYYY-MM-DD'))}
        />
        <Typography.Text>{t('stats.top')}</Typography.Text>
        <InputNumber min={1} max={100} value={top} onChange={(value) => value && set('top', String(value))} style={{ width: 80 }} />
      </Space>
      <Loadable loading={attributes.isPending} error={attributes.error} onRetry={() => void attributes.refetch()}>
        {attributes.data && charts ? (
          <>
            <FigureCards figures={[{ key: 'total', label: t('overview.followers'), value: attributes.data.total }]} />
            <Row gutter={16}>
              {(['gender', 'language', 'province', 'city', 'country'] as const).map((attribute) => (
                <Col xs={24} lg={12} key={attribute}>
                  <ChartCard title={t(`stats.${attribute}`)}>
                    <EChart option={charts[attribute]} height={300} testId={`${attribute}-chart`} />
                  </ChartCard>
                </Col>
              ))}
            </Row>
            <ChartCard
              title={t('stats.details')}
              extra={<CsvButton path={path} query={query} fileName={csvFileName({ report: 'attributes', appid: account.appid, date })} testId="attributes-csv" />}
            >
              <Table
                rowKey={(row) => `${row.attribute}/${row.value}`}
                size="small"
                dataSource={attributes.data.items}
                pagination={{ pageSize: 50, hideOnSinglePage: true }}
                data-testid="attributes-table"
                columns={[
                  { title: t('stats.attribute'), dataIndex: 'attribute', render: (attribute: AttributeName) => t(`stats.${attribute}`) },
                  { title: t('stats.value'), dataIndex: 'value', render: label },
                  { title: t('stats.followers'), dataIndex: 'followers', align: 'right' },
                  { title: t('stats.share'), dataIndex: 'share', align: 'right', render: (share: number) => formatPercent(share, locale) },
                ]}
              />
            </ChartCard>
          </>
        ) : null}
      </Loadable>
    </>
  );
}
