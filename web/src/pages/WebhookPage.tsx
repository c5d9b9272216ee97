import { DeleteOutlined, KeyOutlined, RedoOutlined, ReloadOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, Radio, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, ApiError } from '../api/client';
import { keys } from '../api/queries';
import type { Delivery, DeliveryAttempt, Page, VerificationOutcome, WebhookConfig, WebhookHealth, WebhookMode } from '../api/types';
import { Loadable, ProblemAlert } from '../components/Problem';
import { useI18n } from '../i18n';
import { formatDateTime, formatPercent } from '../lib/format';
import { useAccount } from './AccountContext';

interface WebhookForm {
  url: string;
  token: string;
  encodingAESKey?: string;
  mode: WebhookMode;
}

/** 服务器配置: the developer server (verified before it is saved), its health, and the delivery log with replay. */
export default function WebhookPage() {
  const { t } = useI18n();
  const account = useAccount();
  const config = useQuery({
    queryKey: keys.webhook(account.id),
    // No server yet is a state of the page, not an error.
    queryFn: () =>
      api<WebhookConfig & { health: WebhookHealth }>('GET', `/v1/accounts/${account.id}/webhook`).catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 'WEBHOOK_NOT_CONFIGURED') return null;
        throw error;
      }),
  });
  return (
    <div data-testid="webhook-page">
      <Typography.Title level={3} className="oa-page-title">
        {t('page.webhook')}
      </Typography.Title>
      <Loadable loading={config.isPending} error={config.error} onRetry={() => void config.refetch()}>
        <Settings current={config.data ?? null} />
        {config.data ? <Health health={config.data.health} /> : null}
        {config.data ? <Deliveries /> : null}
      </Loadable>
    </div>
  );
}

function Settings({ current }: { current: (WebhookConfig & { health: WebhookHealth }) | null }) {
  const { t, locale } = useI18n();
  const account = useAccount();
  const queryClient = useQueryClient();
  const { modal } = App.useApp();
  const [form] = Form.useForm<WebhookForm>();
  const [saved, setSaved] = useState<WebhookConfig | null>(null);
  const [newKey, setNewKey] = useState<string | null>(null);
  const invalidate = () => void queryClient.invalidateQueries({ queryKey: keys.webhook(account.id) });
  const save = useMutation({
    mutationFn: (values: WebhookForm) =>
      api<WebhookConfig>('PUT', `/v1/accounts/${account.id}/webhook`, { body: { ...values, encodingAESKey: values.encodingAESKey?.trim() || undefined } }),
    onSuccess: (answer) => {
      setSaved(answer);
      form.setFieldValue('encodingAESKey', '');
      invalidate();
    },
  });
  const remove = useMutation({ mutationFn: () => api('DELETE', `/v1/accounts/${account.id}/webhook`), onSuccess: invalidate });
  const renew = useMutation({
    mutationFn: () => api<WebhookConfig>('POST', `/v1/accounts/${account.id}/webhook/aes-key`),
    onSuccess: (answer) => {
      setNewKey(answer.encodingAESKey);
      invalidate();
    },
  });
  const verification = save.error instanceof ApiError && save.error.code === 'WEBHOOK_VERIFICATION_FAILED' ? (save.error.problem.verification as VerificationOutcome | undefined) : undefined;

  return (
    <Card title={t('page.webhook')} style={{ marginBottom: 16 }}>
      {!current ? <Alert type="info" showIcon title={t('webhook.notConfigured')} style={{ marginBottom: 16 }} /> : null}
      <Form<WebhookForm>
        form={form}
        layout="vertical"
        initialValues={{ url: current?.url ?? '', token: '', mode: current?.mode ?? 'plaintext' }}
        onFinish={(values) => {
          setSaved(null);
          save.mutate(values);
        }}
        style={{ maxWidth: 640 }}
        data-testid="webhook-form"
      >
        <Form.Item name="url" label={t('webhook.url')} rules={[{ required: true, pattern: /^https?:\/\/\S+$/i, message: t('compose.urlInvalid') }]}>
          <Input placeholder="https://example.com/wechat" inputMode="url" />
        </Form.Item>
        <Form.Item name="token" label={t('webhook.token')} extra={t('webhook.tokenHint')} rules={[{ required: true, pattern: /^[A-Za-z0-9]{3,32}$/, message: t('webhook.tokenHint') }]}>
          <Input placeholder={current ? current.token : ''} autoComplete="off" />
        </Form.Item>
        <Form.Item name="encodingAESKey" label={t('webhook.aesKey')} extra={t('webhook.aesKeyHint')} rules={[{ pattern: /^[A-Za-z0-9]{43}$/, message: t('webhook.aesKeyHint') }]}>
          <Input placeholder={current ? current.encodingAESKey : ''} autoComplete="off" />
        </Form.Item>
        <Form.Item name="mode" label={t('webhook.mode')}>
          <Radio.Group options={(['plaintext', 'compatible', 'safe'] as const).map((mode) => ({ value: mode, label: t(`webhook.mode.${mode}`) }))} />
        </Form.Item>
        <Space wrap>
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t('webhook.save')}
          </Button>
          {current ? (
            <>
              <Button icon={<KeyOutlined />} loading={renew.isPending} onClick={() => modal.confirm({ title: t('webhook.renewKey'), content: t('webhook.renewKeyConfirm'), onOk: () => renew.mutateAsync() })}>
                {t('webhook.renewKey')}
              </Button>
              <Button danger icon={<DeleteOutlined />} loading={remove.isPending} onClick={() => modal.confirm({ title: t('webhook.remove'), content: t('webhook.removeConfirm'), okButtonProps: { danger: true }, onOk: () => remove.mutateAsync() })}>
                {t('webhook.remove')}
              </Button>
            </>
          ) : null}
        </Space>
      </Form>
      {save.error ? (
        <Alert
          style={{ marginTop: 16 }}
          type="error"
          showIcon
          role="alert"
          data-testid="verification-failed"
          title={verification ? t('webhook.verifyFailed') : undefined}
          description={
            verification ? (
              <Descriptions size="small" column={1} title={t('webhook.verification')}>
                {verification.status !== undefined ? <Descriptions.Item label={t('webhook.verification.status')}>{verification.status}</Descriptions.Item> : null}
                {verification.firstBytes !== undefined ? (
                  <Descriptions.Item label={t('webhook.verification.answer')}>
                    <Typography.Text code>{verification.firstBytes || '""'}</Typography.Text>
                  </Descriptions.Item>
                ) : null}
                {verification.error ? (
                  <Descriptions.Item label={t('webhook.verification.error')}>
                    {verification.error.code}: {verification.error.message}
                  </Descriptions.Item>
                ) : null}
                <Descriptions.Item label={t('webhook.verification.latency')}>{verification.latencyMs} ms</Descriptions.Item>
              </Descriptions>
            ) : undefined
          }
        />
      ) : null}
      {verification ? null : save.error ? <ProblemAlert error={save.error} style={{ marginTop: 8 }} /> : null}
      {remove.error || renew.error ? <ProblemAlert error={remove.error ?? renew.error} style={{ marginTop: 8 }} /> : null}
      {saved ? (
        <Alert
          style={{ marginTop: 16 }}
          type="success"
          showIcon
          data-testid="webhook-saved"
          title={t('webhook.saved')}
          description={
            <Descriptions size="small" column={1} title={t('webhook.tokenSaved')}>
              <Descriptions.Item label={t('webhook.token')}>
                <Typography.Text code copyable>{saved.token}</Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('webhook.aesKey')}>
                <Typography.Text code copyable>{saved.encodingAESKey}</Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('webhook.verifiedAt')}>{formatDateTime(saved.verifiedAt, locale)}</Descriptions.Item>
            </Descriptions>
          }
        />
      ) : null}
      {newKey ? (
        <Alert style={{ marginTop: 16 }} type="warning" showIcon title={t('webhook.newKey')} description={<Typography.Text code copyable>{newKey}</Typography.Text>} />
      ) : null}
      {current ? (
        <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginTop: 16 }}>
          <Descriptions.Item label={t('webhook.url')}>{current.url}</Descriptions.Item>
          <Descriptions.Item label={t('webhook.mode')}>{t(`webhook.mode.${current.mode}`)}</Descriptions.Item>
          <Descriptions.Item label={t('webhook.token')}>{current.token}</Descriptions.Item>
          <Descriptions.Item label={t('webhook.aesKey')}>{current.encodingAESKey}</Descriptions.Item>
          <Descriptions.Item label={t('webhook.verifiedAt')}>{formatDateTime(current.verifiedAt, locale)}</Descriptions.Item>
        </Descriptions>
      ) : null}
    </Card>
  );
}

function Health({ health }: { health: WebhookHealth }) {
  const { t, locale } = useI18n();
  return (
    <Card title={t('webhook.health', { minutes: health.windowMinutes })} style={{ marginBottom: 16 }} data-testid="webhook-health">
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Statistic title={t('webhook.attempts')} value={health.attempts} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('webhook.successRate')} value={health.successRate === null ? '—' : formatPercent(health.successRate, locale)} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('webhook.latency')} value={health.latencyP50Ms === null ? '—' : `${health.latencyP50Ms} / ${health.latencyP99Ms} ms`} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('webhook.pending')} value={health.pending} />
        </Col>
      </Row>
      {health.lastError ? (
        <Alert
          style={{ marginTop: 16 }}
          type="warning"
          showIcon
          title={`${t('webhook.lastError')} · ${formatDateTime(health.lastError.at, locale)}`}
          description={`${health.lastError.statusCode ?? ''} ${health.lastError.error}`}
        />
      ) : null}
    </Card>
  );
}

const DELIVERY_COLORS = { pending: 'processing', delivered: 'success', failed: 'error' } as const;

function Deliveries() {
  const { t, locale } = useI18n();
  const account = useAccount();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Delivery['status'] | undefined>();
  const [openid, setOpenid] = useState('');
  const log = useInfiniteQuery({
    queryKey: [...keys.webhook(account.id), 'deliveries', status, openid],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => api<Page<Delivery>>('GET', `/v1/accounts/${account.id}/webhook/deliveries`, { query: { status, openid: openid || undefined, cursor: pageParam, limit: 20 } }),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: (query) => (query.state.data?.pages.some((page) => page.items.some((delivery) => delivery.status === 'pending')) ? 2000 : false),
  });
  const replay = useMutation({
    mutationFn: (id: number) => api<Delivery>('POST', `/v1/accounts/${account.id}/webhook/deliveries/${id}/replay`),
    onSuccess: () => {
      void message.success(t('webhook.replayed'));
      void queryClient.invalidateQueries({ queryKey: keys.webhook(account.id) });
    },
  });
  const items = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Card
      title={t('webhook.deliveries')}
      extra={
        <Button size="small" icon={<ReloadOutlined />} onClick={() => void log.refetch()}>
          {t('common.refresh')}
        </Button>
      }
      data-testid="deliveries"
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear
          placeholder={t('webhook.allStatuses')}
          style={{ width: 160 }}
          value={status}
          onChange={setStatus}
          options={(['pending', 'delivered', 'failed'] as const).map((value) => ({ value, label: t(`webhook.status.${value}`) }))}
        />
        <Input.Search allowClear placeholder="openid" style={{ width: 280 }} onSearch={(value) => setOpenid(value.trim())} />
      </Space>
      {replay.error ? <ProblemAlert error={replay.error} style={{ marginBottom: 12 }} /> : null}
      <Loadable loading={log.isPending} error={log.error} onRetry={() => void log.refetch()} empty={items.length === 0}>
        <Table<Delivery>
          rowKey="id"
          size="small"
          dataSource={items}
          pagination={false}
          scroll={{ x: 900 }}
          expandable={{
            expandedRowRender: (delivery) => (
              <Table<DeliveryAttempt>
                size="small"
                rowKey="attemptedAt"
                pagination={false}
                dataSource={delivery.attemptLog}
                columns={[
                  { title: t('common.date'), dataIndex: 'attemptedAt', render: (at: string) => formatDateTime(at, locale) },
                  { title: 'HTTP', dataIndex: 'statusCode' },
                  { title: t('webhook.verification.latency'), dataIndex: 'latencyMs', render: (ms: number) => `${ms} ms` },
                  { title: t('webhook.lastError'), dataIndex: 'error' },
                  { title: t('webhook.answer'), dataIndex: 'responseFirstBytes', render: (text: string | null) => (text ? <Typography.Text code>{text.slice(0, 120)}</Typography.Text> : null) },
                ]}
              />
            ),
          }}
          columns={[
            { title: t('webhook.kind'), dataIndex: 'kind' },
            { title: 'openid', dataIndex: 'openid', render: (value: string | null) => (value ? <Typography.Text code>{value}</Typography.Text> : '—') },
            { title: 'MsgId', dataIndex: 'msgId', render: (value: string | null) => value ?? '—' },
            { title: t('broadcasts.status'), dataIndex: 'status', render: (value: Delivery['status']) => <Tag color={DELIVERY_COLORS[value]}>{t(`webhook.status.${value}`)}</Tag> },
            { title: t('webhook.attempts'), dataIndex: 'attempts', align: 'right' },
            { title: t('webhook.lastError'), dataIndex: 'lastError', ellipsis: true },
            { title: t('webhook.createdAt'), dataIndex: 'createdAt', render: (at: string) => formatDateTime(at, locale) },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_, delivery) => (
                <Button size="small" icon={<RedoOutlined />} loading={replay.isPending && replay.variables === delivery.id} onClick={() => replay.mutate(delivery.id)}>
                  {t('webhook.replay')}
                </Button>
              ),
            },
          ]}
        />
        {log.hasNextPage ? (
          <div style={{ textAlign: 'center', marginTop: 12 }}>
            <Button onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
              {t('common.next')}
            </Button>
          </div>
        ) : null}
      </Loadable>
    </Card>
  );
}
