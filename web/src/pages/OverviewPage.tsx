import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, Descriptions, Progress, Row, Space, Statistic, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { keys, useAccountDetail, useQuota } from '../api/queries';
import type { BroadcastSummary, GrowthItem, Items, Page } from '../api/types';
import { ProblemAlert, Loadable } from '../components/Problem';
import { useServerToday } from '../components/StatsControls';
import { useI18n } from '../i18n';
import { formatDateTime, formatNumber } from '../lib/format';
import { useAccount, useCan } from './AccountContext';
import { BroadcastStatusTag, broadcastTitle } from './BroadcastsPage';
import { ChooseType } from './ChooseType';
import { TypeTags } from './TypeTags';

/** The account at a glance: type and lock, quota, followers today, the last broadcast. */
export default function OverviewPage() {
  const { t, locale } = useI18n();
  const account = useAccount();
  const detail = useAccountDetail(account.id);
  const quota = useQuota(account.id);
  const today = useServerToday(account.id);
  const growth = useQuery({
    queryKey: [...keys.stats(account.id), 'followers', today.data, today.data, 'day'],
    enabled: today.data !== undefined,
    queryFn: async () => (await api<Items<GrowthItem>>('GET', `/v1/accounts/${account.id}/stats/followers`, { query: { from: today.data, to: today.data } })).items[0],
  });
  const last = useQuery({
    queryKey: [...keys.broadcasts(account.id), 'last'],
    queryFn: async () => (await api<Page<BroadcastSummary>>('GET', `/v1/accounts/${account.id}/broadcasts`, { query: { limit: 1 } })).items[0] ?? null,
  });
  const period = quota.data ? t(`overview.period.${quota.data.period}`) : '';

  return (
    <div data-testid="overview-page">
      <Typography.Title level={3} className="oa-page-title">
        {account.name}
      </Typography.Title>
      <ChooseType account={detail.data ?? account} />
      <Row gutter={[16, 16]} className="oa-cards">
        <Col xs={24} md={12}>
          <Card title={t('overview.account')} style={{ height: '100%' }}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('overview.type')}>
                <Space wrap size={4}>
                  <TypeTags account={detail.data ?? account} />
                </Space>
              </Descriptions.Item>
              <Descriptions.Item label={t('overview.appid')}>
                <Typography.Text copyable>{account.appid}</Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('overview.originalId')}>{account.originalId}</Descriptions.Item>
            </Descriptions>
            <ResetSecret />
          </Card>
        </Col>
        <Col xs={24} md={12}>
          <Card title={t('overview.quota')} style={{ height: '100%' }} data-testid="quota-card">
            <Loadable loading={quota.isPending} error={quota.error} onRetry={() => void quota.refetch()}>
              {quota.data ? (
                <>
                  <Progress
                    percent={quota.data.limit ? Math.round((quota.data.used / quota.data.limit) * 100) : 100}
                    status={quota.data.remaining === 0 ? 'exception' : 'normal'}
                    format={() => `${quota.data.used}/${quota.data.limit}`}
                  />
                  <Typography.Paragraph style={{ marginBottom: 0 }} data-testid="quota-text">
                    {t('overview.quotaUsed', { used: quota.data.used, limit: quota.data.limit, period })}
                    {' · '}
                    {t('overview.quotaResets', { when: formatDateTime(quota.data.resetsAt, locale) })}
                  </Typography.Paragraph>
                </>
              ) : null}
            </Loadable>
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]} className="oa-cards">
        {(
          [
            ['overview.followers', growth.data?.cumulateUser, 'followers-total'],
            ['overview.todayNew', growth.data?.newUser, 'today-new'],
            ['overview.todayCancelled', growth.data?.cancelUser, 'today-cancelled'],
            ['overview.todayNet', growth.data?.netUser, 'today-net'],
          ] as const
        ).map(([label, value, testId]) => (
          <Col xs={12} md={6} key={label}>
            <Card>
              <Statistic title={t(label)} value={value === undefined ? '—' : formatNumber(value, locale)} loading={growth.isPending && !growth.error} data-testid={testId} />
            </Card>
          </Col>
        ))}
      </Row>
      {growth.error || today.error ? <ProblemAlert error={growth.error ?? today.error} style={{ marginBottom: 16 }} /> : null}
      <Card title={t('overview.lastBroadcast')} data-testid="last-broadcast">
        <Loadable loading={last.isPending} error={last.error} onRetry={() => void last.refetch()} empty={last.data === null} emptyText={t('overview.noBroadcast')}>
          {last.data ? (
            <Space wrap>
              <Link to={`/accounts/${account.id}/broadcasts`}>{broadcastTitle(last.data, t)}</Link>
              <BroadcastStatusTag broadcast={last.data} />
              <Typography.Text type="secondary">{formatDateTime(last.data.createdAt, locale)}</Typography.Text>
              <Typography.Text type="secondary">
                {t('broadcasts.sent')}: {formatNumber(last.data.counts.sent, locale)}
              </Typography.Text>
            </Space>
          ) : null}
        </Loadable>
      </Card>
    </div>
  );
}

function ResetSecret() {
  const { t } = useI18n();
  const account = useAccount();
  const mayReset = useCan('account:manage');
  const { modal } = App.useApp();
  const [secret, setSecret] = useState<string | null>(null);
  const reset = useMutation({
    mutationFn: () => api<{ appid: string; appsecret: string }>('POST', `/v1/accounts/${account.id}/secret`),
    onSuccess: (answer) => setSecret(answer.appsecret),
  });
  if (!mayReset) return null;
  return (
    <>
      <Button
        danger
        size="small"
        loading={reset.isPending}
        onClick={() => modal.confirm({ title: t('overview.resetSecret'), content: t('overview.resetSecretConfirm'), onOk: () => reset.mutateAsync() })}
      >
        {t('overview.resetSecret')}
      </Button>
      {reset.error ? <ProblemAlert error={reset.error} style={{ marginTop: 8 }} /> : null}
      {secret ? (
        <Alert
          style={{ marginTop: 8 }}
          type="warning"
          title={t('overview.newSecret')}
          description={
            <Typography.Text code copyable>
              {secret}
            </Typography.Text>
          }
          closable={{ onClose: () => setSecret(null) }}
        />
      ) : null}
    </>
  );
}
