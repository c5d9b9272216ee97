import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, Layout, List, Modal, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client';
import { keys, useAccounts } from '../api/queries';
import type { CreatedAccount } from '../api/types';
import { HeaderBar } from '../components/HeaderBar';
import { Loadable, ProblemAlert } from '../components/Problem';
import { useI18n } from '../i18n';
import { landingPath } from '../lib/permissions';
import { TypeTags } from './TypeTags';

/** The accounts the admin is a member of, and a new one (whose AppSecret is shown once). */
export default function AccountsPage() {
  const { t } = useI18n();
  const accounts = useAccounts();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [created, setCreated] = useState<CreatedAccount | null>(null);
  const [form] = Form.useForm<{ name: string }>();
  const create = useMutation({
    mutationFn: (name: string) => api<CreatedAccount>('POST', '/v1/accounts', { body: { name } }),
    onSuccess: (account) => {
      form.resetFields();
      setCreated(account);
      void queryClient.invalidateQueries({ queryKey: keys.accounts });
    },
  });

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="oa-header">
        <HeaderBar />
      </Layout.Header>
      <Layout.Content className="oa-content" style={{ maxWidth: 960, width: '100%', margin: '0 auto', boxSizing: 'border-box' }}>
        <Typography.Title level={3} className="oa-page-title">
          {t('accounts.title')}
        </Typography.Title>
        <Card title={t('accounts.create')} style={{ marginBottom: 16 }}>
          {create.error ? <ProblemAlert error={create.error} style={{ marginBottom: 12 }} /> : null}
          <Form form={form} layout="inline" onFinish={({ name }) => create.mutate(name.trim())} data-testid="create-account">
            <Form.Item name="name" rules={[{ required: true, whitespace: true, max: 64, message: t('accounts.nameRequired') }]} style={{ flex: 1, minWidth: 200 }}>
              <Input placeholder={t('accounts.name')} maxLength={64} />
            </Form.Item>
            <Button type="primary" htmlType="submit" icon={<PlusOutlined />} loading={create.isPending}>
              {t('accounts.create')}
            </Button>
          </Form>
        </Card>
        <Card>
          <Loadable loading={accounts.isPending} error={accounts.error} onRetry={() => void accounts.refetch()} empty={accounts.data?.length === 0} emptyText={t('accounts.none')}>
            <List
              data-testid="account-list"
              dataSource={accounts.data ?? []}
              renderItem={(account) => (
                <List.Item
                  actions={[
                    <Link key="open" to={landingPath(account.id, account.role)}>
                      {t('accounts.open')}
                    </Link>,
                  ]}
                >
                  <List.Item.Meta
                    title={<Link to={landingPath(account.id, account.role)}>{account.name}</Link>}
                    description={
                      <Space wrap size={4}>
                        <Typography.Text type="secondary" copyable>
                          {account.appid}
                        </Typography.Text>
                        <TypeTags account={account} />
                        <Tag>{t(`role.${account.role}`)}</Tag>
                      </Space>
                    }
                  />
                </List.Item>
              )}
            />
          </Loadable>
        </Card>
      </Layout.Content>
      <Modal
        open={created !== null}
        title={t('accounts.created')}
        closable={false}
        maskClosable={false}
        cancelButtonProps={{ style: { display: 'none' } }}
        okText={t('accounts.open')}
        onOk={() => {
          const account = created!;
          setCreated(null);
          void navigate(landingPath(account.id, account.role));
        }}
      >
        {created ? (
          <Space orientation="vertical" style={{ width: '100%' }} data-testid="created-account">
            <Typography.Text strong>{created.name}</Typography.Text>
            <Typography.Text>
              AppID: <Typography.Text code copyable data-testid="created-appid">{created.appid}</Typography.Text>
            </Typography.Text>
            <Typography.Text>
              AppSecret: <Typography.Text code copyable data-testid="created-secret">{created.appsecret}</Typography.Text>
            </Typography.Text>
            <Alert type="warning" showIcon title={t('accounts.secretOnce')} />
          </Space>
        ) : null}
      </Modal>
    </Layout>
  );
}
