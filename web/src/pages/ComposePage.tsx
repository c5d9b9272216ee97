import { EyeOutlined, SendOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Col, Form, Input, Radio, Row, Select, Space, Tabs, Typography } from 'antd';
import { useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../api/client';
import { keys, useAccountDetail, useQuota } from '../api/queries';
import type { BroadcastSummary, Items, Tag } from '../api/types';
import { ProblemAlert } from '../components/Problem';
import RichTextEditor from '../components/RichTextEditor';
import { useI18n } from '../i18n';
import { emptyArticle, HTTP_URL, MAX_ARTICLES, messageOf, targetOf, type ComposeValues } from '../lib/compose';
import { formatDateTime, newClientMsgId, parseOpenids } from '../lib/format';
import { useAccount, useCan } from './AccountContext';

/** A new broadcast: news (1–8 articles), text or an image; to all, a tag or openids; previewed, then sent. */
export default function ComposePage() {
  const { t, locale } = useI18n();
  const account = useAccount();
  const detail = useAccountDetail(account.id);
  const quota = useQuota(account.id);
  const mayManageFollowers = useCan('followers:manage');
  const tags = useQuery({
    queryKey: keys.tags(account.id),
    enabled: mayManageFollowers,
    queryFn: async () => (await api<Items<Tag>>('GET', `/v1/accounts/${account.id}/tags`)).items,
  });
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<ComposeValues>();
  const type = Form.useWatch('type', form) ?? 'news';
  const targetKind = Form.useWatch('targetKind', form) ?? 'all';
  const watchedArticles = Form.useWatch('articles', form);
  const articles = useMemo(() => watchedArticles ?? [], [watchedArticles]);
  const [activeArticle, setActiveArticle] = useState('0');
  const [previewOpenids, setPreviewOpenids] = useState('');
  // One id per composed message: a send retried after a lost answer returns the broadcast already made.
  const clientMsgId = useRef(newClientMsgId());
  const mayListOpenids = detail.data?.capabilities.includes('mass_send_openids') ?? false;
  const period = quota.data ? t(`overview.period.${quota.data.period}`) : '';

  const send = useMutation({
    mutationFn: (values: ComposeValues) =>
      api<BroadcastSummary>('POST', `/v1/accounts/${account.id}/broadcasts`, { body: { target: targetOf(values), message: messageOf(values), clientMsgId: clientMsgId.current } }),
    onSuccess: (broadcast) => {
      clientMsgId.current = newClientMsgId();
      void message.success(broadcast.duplicate ? t('compose.duplicate') : t('compose.sent'));
      void queryClient.invalidateQueries({ queryKey: keys.broadcasts(account.id) });
      void queryClient.invalidateQueries({ queryKey: keys.quota(account.id) });
      void navigate(`/accounts/${account.id}/broadcasts`);
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: keys.quota(account.id) }),
  });
  const preview = useMutation({
    mutationFn: ({ values, openids }: { values: ComposeValues; openids: string[] }) =>
      api<BroadcastSummary>('POST', `/v1/accounts/${account.id}/broadcasts/preview`, { body: { openids, message: messageOf(values) } }),
    onSuccess: (_, { openids }) => void message.success(t('compose.previewSent', { count: openids.length })),
  });

  /** Validates every field, also on the article tabs not shown, and opens the first tab with a mistake. */
  const validated = async (): Promise<ComposeValues | null> => {
    try {
      await form.validateFields();
      return form.getFieldsValue(true) as ComposeValues;
    } catch (failure) {
      const first = (failure as { errorFields?: Array<{ name: Array<string | number> }> }).errorFields?.[0]?.name;
      if (first?.[0] === 'articles' && typeof first[1] === 'number') setActiveArticle(String(first[1]));
      void message.error(t('compose.invalid'));
      return null;
    }
  };

  const confirmSend = async () => {
    const values = await validated();
    if (!values) return;
    send.reset();
    modal.confirm({
      title: t('compose.sendConfirmTitle'),
      content: quota.data ? t('compose.sendConfirmBody', { remaining: quota.data.remaining, period }) : null,
      okText: t('compose.send'),
      cancelText: t('common.cancel'),
      okButtonProps: { 'data-testid': 'confirm-send' },
      onOk: () => send.mutateAsync(values).catch(() => undefined),
    });
  };

  const sendPreview = async () => {
    const values = await validated();
    const openids = parseOpenids(previewOpenids);
    if (!values || openids.length === 0) return;
    preview.mutate({ values, openids });
  };

  const quotaError = send.error instanceof ApiError && send.error.code === 'QUOTA_EXHAUSTED' ? send.error : null;
  const tabs = useMemo(
    () =>
      articles.map((article, index) => ({
        key: String(index),
        label: article?.title?.trim() ? article.title.slice(0, 12) : t('compose.article', { n: index + 1 }),
        closable: articles.length > 1,
      })),
    [articles, t],
  );

  return (
    <div data-testid="compose-page">
      <Typography.Title level={3} className="oa-page-title">
        {t('page.compose')}
      </Typography.Title>
      {quota.data ? (
        <Alert
          data-testid="compose-quota"
          style={{ marginBottom: 16 }}
          type={quota.data.remaining > 0 ? 'info' : 'warning'}
          showIcon
          title={
            quota.data.remaining > 0
              ? `${t('compose.quotaLeft', { remaining: quota.data.remaining, limit: quota.data.limit, period })} · ${t('compose.quotaResets', { when: formatDateTime(quota.data.resetsAt, locale) })}`
              : t('compose.quotaNone', { period, when: formatDateTime(quota.data.resetsAt, locale) })
          }
        />
      ) : null}
      {quotaError ? (
        <Alert
          data-testid="quota-exhausted"
          role="alert"
          style={{ marginBottom: 16 }}
          type="error"
          showIcon
          title={t('compose.quotaExhausted', { when: formatDateTime(String(quotaError.problem.resetsAt ?? ''), locale) })}
          description={quotaError.problem.detail}
        />
      ) : send.error ? (
        <ProblemAlert error={send.error} style={{ marginBottom: 16 }} />
      ) : null}
      <Form<ComposeValues>
        form={form}
        layout="vertical"
        initialValues={{ type: 'news', articles: [emptyArticle()], targetKind: 'all' }}
        data-testid="compose-form"
      >
        <Card style={{ marginBottom: 16 }}>
          <Form.Item name="type" label={t('compose.messageType')}>
            <Radio.Group optionType="button" buttonStyle="solid" options={(['news', 'text', 'image'] as const).map((value) => ({ value, label: t(`compose.type.${value}`) }))} />
          </Form.Item>
          <div hidden={type !== 'news'}>
            <Form.List name="articles">
              {(fields, { add, remove }) => (
                <Tabs
                  type="editable-card"
                  activeKey={activeArticle}
                  onChange={setActiveArticle}
                  hideAdd={fields.length >= MAX_ARTICLES}
                  addIcon={<span data-testid="add-article">+ {t('compose.addArticle')}</span>}
                  onEdit={(target, action) => {
                    if (action === 'add') {
                      add(emptyArticle());
                      setActiveArticle(String(fields.length));
                    } else if (fields.length > 1) {
                      const index = Number(target);
                      remove(index);
                      setActiveArticle(String(Math.max(0, Math.min(index, fields.length - 2))));
                    }
                  }}
                  items={fields.map((field, index) => ({
                    ...tabs[index]!,
                    key: String(index),
                    forceRender: true,
                    children: <ArticleFields name={field.name} enabled={type === 'news'} />,
                  }))}
                />
              )}
            </Form.List>
            <Typography.Text type="secondary">{t('compose.maxArticles')}</Typography.Text>
          </div>
          {type === 'text' ? (
            <Form.Item name="text" label={t('compose.text')} rules={[{ required: true, whitespace: true, message: t('compose.required') }, { max: 2048 }]}>
              <Input.TextArea rows={6} showCount maxLength={2048} />
            </Form.Item>
          ) : null}
          {type === 'image' ? (
            <Form.Item name="imageUrl" label={t('compose.imageUrl')} rules={[{ required: true, pattern: HTTP_URL, message: t('compose.urlInvalid') }]}>
              <Input placeholder="https://" inputMode="url" />
            </Form.Item>
          ) : null}
        </Card>
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={12}>
            <Card title={t('compose.target')} style={{ height: '100%' }}>
              <Form.Item name="targetKind" noStyle>
                <Radio.Group>
                  <Space orientation="vertical">
                    <Radio value="all" data-testid="target-all">
                      {t('compose.target.all')}
                    </Radio>
                    <Radio value="tag" disabled={!mayManageFollowers}>
                      {t('compose.target.tag')}
                    </Radio>
                    <Radio value="openids" disabled={!mayListOpenids}>
                      {t('compose.target.openids')}
                    </Radio>
                  </Space>
                </Radio.Group>
              </Form.Item>
              {!mayListOpenids ? (
                <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
                  {t('compose.target.openidsNotAllowed')}
                </Typography.Paragraph>
              ) : null}
              {targetKind === 'tag' ? (
                <Form.Item name="tagId" label={t('compose.chooseTag')} rules={[{ required: true, message: t('compose.required') }]} style={{ marginTop: 12 }}>
                  <Select loading={tags.isPending} options={(tags.data ?? []).map((tag) => ({ value: tag.id, label: `${tag.name} (${tag.count})` }))} />
                </Form.Item>
              ) : null}
              {targetKind === 'openids' ? (
                <Form.Item
                  name="openids"
                  label={t('compose.target.openidsHint')}
                  style={{ marginTop: 12 }}
                  rules={[{ validator: async (_, text: string) => { const count = parseOpenids(text ?? '').length; if (count < 2 || count > 10_000) throw new Error(t('compose.target.openidsHint')); } }]}
                >
                  <Input.TextArea rows={4} />
                </Form.Item>
              ) : null}
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t('compose.preview')} style={{ height: '100%' }}>
              <Typography.Paragraph type="secondary">{t('compose.previewHint')}</Typography.Paragraph>
              <Input.TextArea rows={3} value={previewOpenids} onChange={(event) => setPreviewOpenids(event.target.value)} placeholder="openid" data-testid="preview-openids" />
              {preview.error ? <ProblemAlert error={preview.error} style={{ marginTop: 8 }} /> : null}
              <Button icon={<EyeOutlined />} style={{ marginTop: 8 }} onClick={() => void sendPreview()} loading={preview.isPending} disabled={parseOpenids(previewOpenids).length === 0} data-testid="send-preview">
                {t('compose.previewTo')}
              </Button>
            </Card>
          </Col>
        </Row>
        <div style={{ marginTop: 16, display: 'flex', justifyContent: 'flex-end' }}>
          <Button type="primary" size="large" icon={<SendOutlined />} onClick={() => void confirmSend()} loading={send.isPending} data-testid="send">
            {t('compose.send')}
          </Button>
        </div>
      </Form>
    </div>
  );
}

function ArticleFields({ name, enabled }: { name: number; enabled: boolean }) {
  const { t } = useI18n();
  const required = { required: enabled, whitespace: true, message: t('compose.required') };
  const url = { pattern: HTTP_URL, message: t('compose.urlInvalid') };
  return (
    <Row gutter={16}>
      <Col xs={24} lg={16}>
        <Form.Item name={[name, 'title']} label={t('compose.title')} rules={[required, { max: 64 }]}>
          <Input maxLength={64} showCount data-testid="article-title" />
        </Form.Item>
        <Form.Item
          name={[name, 'content']}
          label={t('compose.body')}
          required={enabled}
          rules={[{ validator: async (_, html: string) => { if (enabled && !html?.replace(/<[^>]*>/g, '').trim() && !/<img/i.test(html ?? '')) throw new Error(t('compose.bodyRequired')); } }]}
        >
          <RichTextEditor />
        </Form.Item>
      </Col>
      <Col xs={24} lg={8}>
        <Form.Item name={[name, 'author']} label={t('compose.author')} rules={[{ max: 64 }]}>
          <Input maxLength={64} data-testid="article-author" />
        </Form.Item>
        <Form.Item name={[name, 'digest']} label={t('compose.digest')} rules={[{ max: 120 }]}>
          <Input.TextArea rows={3} maxLength={120} showCount data-testid="article-digest" />
        </Form.Item>
        <Form.Item name={[name, 'thumbUrl']} label={t('compose.cover')} rules={[required, url]}>
          <Input placeholder="https://" inputMode="url" data-testid="article-cover" />
        </Form.Item>
        <Form.Item name={[name, 'showCoverPic']} valuePropName="checked" style={{ marginBottom: 8 }}>
          <Checkbox>{t('compose.showCover')}</Checkbox>
        </Form.Item>
        <Form.Item name={[name, 'contentSourceUrl']} label={t('compose.sourceUrl')} rules={[url]}>
          <Input placeholder="https://" inputMode="url" data-testid="article-source" />
        </Form.Item>
        <Form.Item name={[name, 'needOpenComment']} valuePropName="checked">
          <Checkbox>{t('compose.openComment')}</Checkbox>
        </Form.Item>
      </Col>
    </Row>
  );
}
