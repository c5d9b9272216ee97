import { DeleteOutlined, EditOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, Modal, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { api, ApiError } from '../api/client';
import { keys } from '../api/queries';
import type { BlacklistEntry, Follower, FollowerInfo, Items, Page, Tag as FollowerTag } from '../api/types';
import { Loadable, ProblemAlert } from '../components/Problem';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/format';
import { useAccount } from './AccountContext';

const TAG_BATCH = 50;
const BLACKLIST_BATCH = 20;
const PAGE_SIZE = 20;

/** Followers (keyset pages, by tag), one by openid, remarks, tags and the blacklist. */
export default function FollowersPage() {
  const { t } = useI18n();
  return (
    <div data-testid="followers-page">
      <Typography.Title level={3} className="oa-page-title">
        {t('page.followers')}
      </Typography.Title>
      <Tabs
        destroyOnHidden
        items={[
          { key: 'followers', label: t('followers.tab.followers'), children: <FollowerList /> },
          { key: 'tags', label: t('followers.tab.tags'), children: <TagManager /> },
          { key: 'blacklist', label: t('followers.tab.blacklist'), children: <Blacklist /> },
        ]}
      />
    </div>
  );
}

function useTags(accountId: number) {
  return useQuery({ queryKey: keys.tags(accountId), queryFn: async () => (await api<Items<FollowerTag>>('GET', `/v1/accounts/${accountId}/tags`)).items });
}

function FollowerList() {
  const { t, locale } = useI18n();
  const account = useAccount();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const tags = useTags(account.id);
  const [tagId, setTagId] = useState<number | undefined>();
  // Keyset paging: the cursors of the pages seen so far, so "previous" goes back exactly.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selected, setSelected] = useState<string[]>([]);
  const [searching, setSearching] = useState<string | null>(null);
  const [editing, setEditing] = useState<Follower | null>(null);
  const [batchTag, setBatchTag] = useState<number | undefined>();
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: [...keys.followers(account.id), 'page', tagId, cursor],
    enabled: searching === null,
    queryFn: () => api<Page<Follower>>('GET', `/v1/accounts/${account.id}/followers`, { query: { cursor, limit: PAGE_SIZE, tagId } }),
  });
  const found = useQuery({
    queryKey: [...keys.followers(account.id), 'one', searching],
    enabled: searching !== null,
    queryFn: () => api<FollowerInfo>('GET', `/v1/accounts/${account.id}/followers/${encodeURIComponent(searching!)}`),
  });
  const tagNames = useMemo(() => new Map((tags.data ?? []).map((tag) => [tag.id, tag.name])), [tags.data]);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['accounts', account.id] });
  const batch = useMutation({
    mutationFn: async (action: 'tag' | 'untag' | 'blacklist') => {
      if (action === 'blacklist') return (await api<{ changed: number }>('POST', `/v1/accounts/${account.id}/blacklist`, { body: { openids: selected } })).changed;
      const path = `/v1/accounts/${account.id}/tags/${batchTag}/members`;
      if (action === 'tag') return (await api<{ tagged: number }>('POST', path, { body: { openids: selected } })).tagged;
      return (await api<{ untagged: number }>('DELETE', path, { body: { openids: selected } })).untagged;
    },
    onSuccess: (count) => {
      void message.success(t('followers.done', { count }));
      setSelected([]);
      refresh();
    },
  });

  const rows: Follower[] = searching !== null ? (found.data && found.data.subscribe === 1 ? [found.data as Follower] : []) : (page.data?.items ?? []);
  const loading = searching !== null ? found.isPending : page.isPending;
  const error = searching !== null ? found.error : page.error;

  return (
    <Card>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          allowClear
          placeholder={t('followers.searchPlaceholder')}
          enterButton={t('common.search')}
          style={{ width: 340, maxWidth: '100%' }}
          data-testid="follower-search"
          onSearch={(value) => setSearching(value.trim() ? value.trim() : null)}
        />
        <Select
          allowClear
          placeholder={t('followers.filterTag')}
          style={{ width: 200 }}
          value={tagId}
          options={(tags.data ?? []).map((tag) => ({ value: tag.id, label: `${tag.name} (${tag.count})` }))}
          onChange={(value: number | undefined) => {
            setTagId(value);
            setCursors([undefined]);
          }}
        />
      </Space>
      {selected.length > 0 ? (
        <Space wrap style={{ marginBottom: 12 }} data-testid="batch-actions">
          <Typography.Text>{t('followers.selected', { count: selected.length })}</Typography.Text>
          <Select placeholder={t('compose.chooseTag')} style={{ width: 180 }} value={batchTag} onChange={setBatchTag} options={(tags.data ?? []).map((tag) => ({ value: tag.id, label: tag.name }))} />
          <Button disabled={batchTag === undefined || selected.length > TAG_BATCH} onClick={() => batch.mutate('tag')}>
            {t('followers.tagSelected')}
          </Button>
          <Button disabled={batchTag === undefined || selected.length > TAG_BATCH} onClick={() => batch.mutate('untag')}>
            {t('followers.untagSelected')}
          </Button>
          <Button danger icon={<StopOutlined />} disabled={selected.length > BLACKLIST_BATCH} onClick={() => batch.mutate('blacklist')}>
            {t('followers.blacklistSelected')}
          </Button>
          {selected.length > BLACKLIST_BATCH ? <Typography.Text type="warning">{t('followers.batchLimit', { max: BLACKLIST_BATCH })}</Typography.Text> : null}
        </Space>
      ) : null}
      {batch.error ? <ProblemAlert error={batch.error} style={{ marginBottom: 12 }} /> : null}
      {searching !== null && found.data && found.data.subscribe === 0 ? <Alert type="info" showIcon title={t('followers.notFollowing')} style={{ marginBottom: 12 }} /> : null}
      <Loadable loading={loading} error={error instanceof ApiError && error.code === 'FOLLOWER_NOT_FOUND' ? null : error} onRetry={() => void (searching !== null ? found.refetch() : page.refetch())}>
        {error instanceof ApiError && error.code === 'FOLLOWER_NOT_FOUND' ? <ProblemAlert error={error} style={{ marginBottom: 12 }} /> : null}
        <Table<Follower>
          rowKey="openid"
          size="middle"
          dataSource={rows}
          pagination={false}
          scroll={{ x: 960 }}
          data-testid="follower-table"
          rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
          columns={[
            { title: t('followers.openid'), dataIndex: 'openid', render: (openid: string) => <Typography.Text copyable code>{openid}</Typography.Text> },
            { title: t('followers.nickname'), dataIndex: 'nickname' },
            {
              title: t('followers.remark'),
              dataIndex: 'remark',
              render: (remark: string, follower) => (
                <Space size={4}>
                  {remark || <Typography.Text type="secondary">—</Typography.Text>}
                  <Button type="link" size="small" icon={<EditOutlined />} aria-label={t('followers.editRemark')} onClick={() => setEditing(follower)} />
                </Space>
              ),
            },
            { title: t('followers.tags'), dataIndex: 'tagidList', render: (ids: number[]) => ids.map((id) => <Tag key={id}>{tagNames.get(id) ?? id}</Tag>) },
            { title: t('followers.region'), key: 'region', render: (_, follower) => [follower.country, follower.province, follower.city].filter(Boolean).join(' ') },
            { title: t('stats.gender'), dataIndex: 'sex', render: (sex: number) => t(`gender.${sex === 1 || sex === 2 ? sex : 0}` as 'gender.0') },
            { title: t('followers.scene'), dataIndex: 'subscribeScene', render: (scene: string) => t(`scene.${scene}` as 'scene.ADD_SCENE_OTHERS') },
            { title: t('followers.subscribedAt'), dataIndex: 'subscribeTime', render: (seconds: number) => formatDateTime(seconds, locale) },
            { title: t('followers.blacklisted'), dataIndex: 'blacklisted', render: (flag: boolean) => (flag ? <Tag color="red">{t('followers.blacklisted')}</Tag> : null) },
          ]}
        />
        {searching === null ? (
          <Space style={{ marginTop: 12 }}>
            <Button disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              {t('common.previous')}
            </Button>
            <Typography.Text type="secondary">{t('followers.page', { n: cursors.length })}</Typography.Text>
            <Button disabled={!page.data?.nextCursor} onClick={() => setCursors([...cursors, page.data!.nextCursor!])} data-testid="next-page">
              {t('common.next')}
            </Button>
          </Space>
        ) : null}
      </Loadable>
      <RemarkEditor follower={editing} onClose={() => setEditing(null)} onSaved={refresh} />
    </Card>
  );
}

function RemarkEditor({ follower, onClose, onSaved }: { follower: Follower | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const account = useAccount();
  const [form] = Form.useForm<{ remark: string }>();
  const save = useMutation({
    mutationFn: (remark: string) => api('PUT', `/v1/accounts/${account.id}/followers/${encodeURIComponent(follower!.openid)}/remark`, { body: { remark } }),
    onSuccess: () => {
      onSaved();
      onClose();
    },
  });
  return (
    <Modal
      open={follower !== null}
      title={t('followers.editRemark')}
      onCancel={onClose}
      onOk={() => void form.validateFields().then(({ remark }) => save.mutate(remark ?? ''))}
      confirmLoading={save.isPending}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      destroyOnHidden
    >
      <Form form={form} initialValues={{ remark: follower?.remark ?? '' }} preserve={false}>
        <Form.Item name="remark" rules={[{ max: 30, message: t('followers.remarkMax') }]}>
          <Input maxLength={30} showCount autoFocus />
        </Form.Item>
      </Form>
      {save.error ? <ProblemAlert error={save.error} /> : null}
    </Modal>
  );
}

function TagManager() {
  const { t } = useI18n();
  const account = useAccount();
  const tags = useTags(account.id);
  const queryClient = useQueryClient();
  const { modal } = App.useApp();
  const [name, setName] = useState('');
  const invalidate = () => void queryClient.invalidateQueries({ queryKey: ['accounts', account.id] });
  const create = useMutation({
    mutationFn: () => api('POST', `/v1/accounts/${account.id}/tags`, { body: { name: name.trim() } }),
    onSuccess: () => {
      setName('');
      invalidate();
    },
  });
  const rename = useMutation({
    mutationFn: ({ id, next }: { id: number; next: string }) => api('PATCH', `/v1/accounts/${account.id}/tags/${id}`, { body: { name: next } }),
    onSuccess: invalidate,
  });
  const remove = useMutation({ mutationFn: (id: number) => api('DELETE', `/v1/accounts/${account.id}/tags/${id}`), onSuccess: invalidate });
  const error = create.error ?? rename.error ?? remove.error;
  return (
    <Card>
      <Space.Compact style={{ width: 360, maxWidth: '100%', marginBottom: 12 }}>
        <Input value={name} onChange={(event) => setName(event.target.value)} maxLength={30} placeholder={t('followers.newTag')} onPressEnter={() => name.trim() && create.mutate()} />
        <Button type="primary" icon={<PlusOutlined />} disabled={!name.trim()} loading={create.isPending} onClick={() => create.mutate()}>
          {t('followers.createTag')}
        </Button>
      </Space.Compact>
      {error ? <ProblemAlert error={error} style={{ marginBottom: 12 }} /> : null}
      <Loadable loading={tags.isPending} error={tags.error} onRetry={() => void tags.refetch()} empty={tags.data?.length === 0}>
        <Table<FollowerTag>
          rowKey="id"
          dataSource={tags.data ?? []}
          pagination={false}
          columns={[
            { title: 'ID', dataIndex: 'id', width: 80 },
            {
              title: t('followers.manageTags'),
              dataIndex: 'name',
              render: (value: string, tag) => <Typography.Text editable={{ onChange: (next) => next.trim() && next.trim() !== value && rename.mutate({ id: tag.id, next: next.trim() }), maxLength: 30 }}>{value}</Typography.Text>,
            },
            { title: t('followers.count'), dataIndex: 'count' },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_, tag) => (
                <Button
                  size="small"
                  danger
                  icon={<DeleteOutlined />}
                  onClick={() => modal.confirm({ title: t('common.delete'), content: t('followers.deleteTagConfirm', { name: tag.name }), okButtonProps: { danger: true }, onOk: () => remove.mutateAsync(tag.id) })}
                >
                  {t('common.delete')}
                </Button>
              ),
            },
          ]}
        />
      </Loadable>
    </Card>
  );
}

function Blacklist() {
  const { t, locale } = useI18n();
  const account = useAccount();
  const queryClient = useQueryClient();
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selected, setSelected] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery({
    queryKey: [...keys.followers(account.id), 'blacklist', cursor],
    queryFn: () => api<Page<BlacklistEntry>>('GET', `/v1/accounts/${account.id}/blacklist`, { query: { cursor, limit: PAGE_SIZE } }),
  });
  const unblock = useMutation({
    mutationFn: () => api<{ changed: number }>('DELETE', `/v1/accounts/${account.id}/blacklist`, { body: { openids: selected } }),
    onSuccess: () => {
      setSelected([]);
      void queryClient.invalidateQueries({ queryKey: ['accounts', account.id] });
    },
  });
  return (
    <Card>
      <Space style={{ marginBottom: 12 }}>
        <Button disabled={selected.length === 0 || selected.length > BLACKLIST_BATCH} loading={unblock.isPending} onClick={() => unblock.mutate()}>
          {t('followers.unblacklist')}
        </Button>
        {selected.length ? <Typography.Text>{t('followers.selected', { count: selected.length })}</Typography.Text> : null}
      </Space>
      {unblock.error ? <ProblemAlert error={unblock.error} style={{ marginBottom: 12 }} /> : null}
      <Loadable loading={list.isPending} error={list.error} onRetry={() => void list.refetch()} empty={list.data?.items.length === 0 && cursors.length === 1}>
        <Table<BlacklistEntry>
          rowKey="openid"
          dataSource={list.data?.items ?? []}
          pagination={false}
          rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
          columns={[
            { title: t('followers.openid'), dataIndex: 'openid', render: (openid: string) => <Typography.Text code>{openid}</Typography.Text> },
            { title: t('followers.blacklistedAt'), dataIndex: 'blacklistedAt', render: (at: string) => formatDateTime(at, locale) },
          ]}
        />
        <Space style={{ marginTop: 12 }}>
          <Button disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            {t('common.previous')}
          </Button>
          <Button disabled={!list.data?.nextCursor} onClick={() => setCursors([...cursors, list.data!.nextCursor!])}>
            {t('common.next')}
          </Button>
        </Space>
      </Loadable>
    </Card>
  );
}
