import { DeleteOutlined, ReloadOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, List, Progress, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api/client';
import { keys } from '../api/queries';
import type { BroadcastSummary, Page } from '../api/types';
import { Loadable, ProblemAlert } from '../components/Problem';
import { useI18n, type I18n } from '../i18n';
import { formatDateTime, formatNumber } from '../lib/format';
import { useAccount, useCan } from './AccountContext';

const STATUS_COLORS = { queued: 'default', SENDING: 'processing', SEND_SUCCESS: 'success', SEND_FAIL: 'error' } as const;

export function BroadcastStatusTag({ broadcast }: { broadcast: BroadcastSummary }) {
  const { t } = useI18n();
  if (broadcast.deletedAt) return <Tag data-testid="broadcast-status">{t('broadcasts.deleted')}</Tag>;
  return (
    <Tag color={STATUS_COLORS[broadcast.status]} data-testid="broadcast-status" data-status={broadcast.status}>
      {t(`broadcasts.status.${broadcast.status}`)}
    </Tag>
  );
}

/** What a broadcast says, in one line: the first article's title, the text, or "Image". */
export function broadcastTitle(broadcast: BroadcastSummary, t: I18n['t']): string {
  const { message } = broadcast;
  if (message.type === 'news') return message.articles?.map((article) => article.title).join(' · ') || t('compose.type.news');
  if (message.type === 'text') return (message.content ?? '').slice(0, 60);
  return t('compose.type.image');
}

const unfinished = (broadcast: BroadcastSummary) => broadcast.status === 'queued' || broadcast.status === 'SENDING';

/**
 * Sent broadcasts, newest first, with their progress (polled every second while one is queued or sending) and
 * counters; a sent broadcast, or one of its articles, can be deleted from the inboxes.
 */
export default function BroadcastsPage() {
  const { t, locale } = useI18n();
  const account = useAccount();
  const mayWrite = useCan('broadcasts:write');
  const { message, modal } = App.useApp();
  const queryClient = useQueryClient();
  const [includePreviews, setIncludePreviews] = useState(false);
  const list = useInfiniteQuery({
    queryKey: [...keys.broadcasts(account.id), 'list', includePreviews],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => api<Page<BroadcastSummary>>('GET', `/v1/accounts/${account.id}/broadcasts`, { query: { cursor: pageParam, limit: 20, includePreviews: includePreviews || undefined } }),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: (query) => (query.state.data?.pages.some((page) => page.items.some(unfinished)) ? 1000 : false),
  });
  const remove = useMutation({
    mutationFn: ({ id, articleIndex }: { id: number; articleIndex?: number }) =>
      api('DELETE', `/v1/accounts/${account.id}/broadcasts/${id}`, { query: { articleIndex } }),
    onSuccess: () => {
      void message.success(t('broadcasts.deletedOk'));
      void queryClient.invalidateQueries({ queryKey: keys.broadcasts(account.id) });
    },
  });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];

  const confirmDelete = (broadcast: BroadcastSummary, articleIndex?: number) =>
    modal.confirm({
      title: articleIndex ? t('broadcasts.deleteArticle') : t('broadcasts.deleteBroadcast'),
      content: articleIndex ? t('broadcasts.deleteArticleConfirm', { n: articleIndex }) : t('broadcasts.deleteConfirm'),
      okButtonProps: { danger: true },
      okText: t('common.delete'),
      cancelText: t('common.cancel'),
      onOk: () => remove.mutateAsync({ id: broadcast.id, articleIndex }),
    });

  const target = (broadcast: BroadcastSummary) =>
    broadcast.target.all ? t('broadcasts.targetAll') : broadcast.target.openids ? t('broadcasts.targetOpenids') : t('broadcasts.targetTag', { tag: broadcast.target.tagId ?? '' });

  return (
    <div data-testid="broadcasts-page">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
        <Typography.Title level={3} className="oa-page-title" style={{ marginBottom: 0 }}>
          {t('page.broadcasts')}
        </Typography.Title>
        <Space>
          <Switch checked={includePreviews} onChange={setIncludePreviews} size="small" /> {t('broadcasts.includePreviews')}
          <Button icon={<ReloadOutlined />} onClick={() => void list.refetch()}>
            {t('common.refresh')}
          </Button>
        </Space>
      </Space>
      {remove.error ? <ProblemAlert error={remove.error} style={{ marginBottom: 12 }} /> : null}
      <Card>
        <Loadable loading={list.isPending} error={list.error} onRetry={() => void list.refetch()} empty={items.length === 0} emptyText={t('broadcasts.none')}>
          <Table<BroadcastSummary>
            rowKey="id"
            dataSource={items}
            pagination={false}
            scroll={{ x: 900 }}
            data-testid="broadcast-table"
            onRow={(broadcast) => ({ 'data-testid': `broadcast-${broadcast.id}` }) as React.HTMLAttributes<HTMLElement>}
            expandable={{
              rowExpandable: (broadcast) => broadcast.message.type === 'news',
              expandedRowRender: (broadcast) => (
                <List
                  size="small"
                  dataSource={broadcast.message.articles ?? []}
                  renderItem={(article) => (
                    <List.Item
                      actions={
                        mayWrite && broadcast.status === 'SEND_SUCCESS' && !broadcast.deletedAt && !article.deleted && !broadcast.preview
                          ? [
                              <Button key="delete" size="small" danger type="link" icon={<DeleteOutlined />} onClick={() => confirmDelete(broadcast, article.index)}>
                                {t('broadcasts.deleteArticle')}
                              </Button>,
                            ]
                          : []
                      }
                    >
                      <List.Item.Meta
                        title={
                          <Space>
                            {article.index}. {article.title}
                            {article.deleted ? <Tag>{t('broadcasts.deleted')}</Tag> : null}
                          </Space>
                        }
                        description={article.digest || article.author}
                      />
                    </List.Item>
                  )}
                />
              ),
            }}
            columns={[
              {
                title: t('broadcasts.content'),
                key: 'content',
                width: 260,
                render: (_, broadcast) => (
                  <Space orientation="vertical" size={0}>
                    <Typography.Text strong ellipsis style={{ maxWidth: 260 }}>
                      {broadcastTitle(broadcast, t)}
                    </Typography.Text>
                    <Typography.Text type="secondary">
                      {t(`compose.type.${broadcast.message.type}`)}
                      {broadcast.preview ? ` · ${t('broadcasts.preview')}` : ''}
                    </Typography.Text>
                  </Space>
                ),
              },
              { title: t('broadcasts.target'), key: 'target', render: (_, broadcast) => target(broadcast) },
              {
                title: t('broadcasts.status'),
                key: 'status',
                render: (_, broadcast) => (
                  <Space orientation="vertical" size={0}>
                    <BroadcastStatusTag broadcast={broadcast} />
                    {broadcast.failReason ? <Typography.Text type="danger">{t('broadcasts.failReason', { reason: broadcast.failReason })}</Typography.Text> : null}
                  </Space>
                ),
              },
              {
                title: t('broadcasts.progress'),
                key: 'progress',
                width: 160,
                render: (_, broadcast) => (
                  <Progress percent={broadcast.progress} size="small" status={broadcast.status === 'SEND_FAIL' ? 'exception' : unfinished(broadcast) ? 'active' : 'normal'} data-testid="broadcast-progress" />
                ),
              },
              {
                title: t('broadcasts.counts'),
                key: 'counts',
                render: (_, { counts }) => (
                  <Space size={4} wrap data-testid="broadcast-counts">
                    <Tooltip title={t('broadcasts.total')}>
                      <Tag>{`${t('broadcasts.total')} ${formatNumber(counts.total, locale)}`}</Tag>
                    </Tooltip>
                    <Tag color="green" data-testid="count-sent">{`${t('broadcasts.sent')} ${formatNumber(counts.sent, locale)}`}</Tag>
                    <Tag>{`${t('broadcasts.filtered')} ${formatNumber(counts.filtered, locale)}`}</Tag>
                    <Tag color={counts.errors ? 'red' : undefined}>{`${t('broadcasts.errors')} ${formatNumber(counts.errors, locale)}`}</Tag>
                  </Space>
                ),
              },
              { title: t('broadcasts.createdAt'), key: 'createdAt', render: (_, broadcast) => formatDateTime(broadcast.createdAt, locale) },
              ...(mayWrite
                ? [
                    {
                      title: t('common.actions'),
                      key: 'actions',
                      render: (_: unknown, broadcast: BroadcastSummary) =>
                        broadcast.status === 'SEND_SUCCESS' && !broadcast.deletedAt && !broadcast.preview ? (
                          <Button size="small" danger icon={<DeleteOutlined />} onClick={() => confirmDelete(broadcast)} data-testid="delete-broadcast">
                            {t('common.delete')}
                          </Button>
                        ) : null,
                    },
                  ]
                : []),
            ]}
          />
          {list.hasNextPage ? (
            <div style={{ textAlign: 'center', marginTop: 12 }}>
              <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
                {t('common.next')}
              </Button>
            </div>
          ) : null}
        </Loadable>
      </Card>
    </div>
  );
}
