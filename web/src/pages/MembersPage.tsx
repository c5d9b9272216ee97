import { DeleteOutlined, UserAddOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Form, Input, Select, Space, Table, Typography } from 'antd';
import { api } from '../api/client';
import { keys } from '../api/queries';
import type { Items, Member, Role } from '../api/types';
import { useSession } from '../api/useSession';
import { Loadable, ProblemAlert } from '../components/Problem';
import { useI18n } from '../i18n';
import { formatDateTime } from '../lib/format';
import { useAccount } from './AccountContext';

const ROLES: Role[] = ['owner', 'admin', 'analyst'];

/** Members and their roles (owners only): add a registered user by email, change a role, remove a member. */
export default function MembersPage() {
  const { t, locale } = useI18n();
  const account = useAccount();
  const session = useSession();
  const queryClient = useQueryClient();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<{ email: string; role: Role }>();
  const members = useQuery({ queryKey: keys.members(account.id), queryFn: async () => (await api<Items<Member>>('GET', `/v1/accounts/${account.id}/members`)).items });
  const invalidate = () => void queryClient.invalidateQueries({ queryKey: keys.members(account.id) });
  const setMember = useMutation({
    mutationFn: (body: { email: string; role: Role }) => api<Member>('POST', `/v1/accounts/${account.id}/members`, { body }),
    onSuccess: () => {
      form.resetFields();
      void message.success(t('common.saved'));
      invalidate();
      void queryClient.invalidateQueries({ queryKey: keys.accounts });
    },
  });
  const remove = useMutation({ mutationFn: (userId: number) => api('DELETE', `/v1/accounts/${account.id}/members/${userId}`), onSuccess: invalidate });
  const error = setMember.error ?? remove.error;

  return (
    <div data-testid="members-page">
      <Typography.Title level={3} className="oa-page-title">
        {t('page.members')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('members.roles')}</Typography.Paragraph>
      <Card title={t('members.add')} style={{ marginBottom: 16 }}>
        <Form form={form} layout="inline" initialValues={{ role: 'analyst' }} onFinish={(values) => setMember.mutate({ email: values.email.trim(), role: values.role })} data-testid="add-member">
          <Form.Item name="email" rules={[{ required: true, type: 'email', message: t('auth.emailInvalid') }]} style={{ minWidth: 240, flex: 1 }} extra={t('members.addHint')}>
            <Input placeholder={t('members.email')} inputMode="email" />
          </Form.Item>
          <Form.Item name="role">
            <Select style={{ width: 140 }} options={ROLES.map((role) => ({ value: role, label: t(`role.${role}`) }))} />
          </Form.Item>
          <Button type="primary" htmlType="submit" icon={<UserAddOutlined />} loading={setMember.isPending}>
            {t('members.add')}
          </Button>
        </Form>
      </Card>
      {error ? <ProblemAlert error={error} style={{ marginBottom: 12 }} /> : null}
      <Card>
        <Loadable loading={members.isPending} error={members.error} onRetry={() => void members.refetch()}>
          <Table<Member>
            rowKey="userId"
            dataSource={members.data ?? []}
            pagination={false}
            scroll={{ x: 600 }}
            data-testid="member-table"
            columns={[
              { title: t('members.email'), dataIndex: 'email' },
              {
                title: t('members.role'),
                dataIndex: 'role',
                render: (role: Role, member) => (
                  <Select
                    size="small"
                    value={role}
                    style={{ width: 140 }}
                    onChange={(next: Role) => setMember.mutate({ email: member.email, role: next })}
                    options={ROLES.map((value) => ({ value, label: t(`role.${value}`) }))}
                  />
                ),
              },
              { title: t('members.addedAt'), dataIndex: 'addedAt', render: (at: string) => formatDateTime(at, locale) },
              {
                title: t('common.actions'),
                key: 'actions',
                render: (_, member) =>
                  member.email === session?.email ? null : (
                    <Space>
                      <Button
                        size="small"
                        danger
                        icon={<DeleteOutlined />}
                        onClick={() =>
                          modal.confirm({
                            title: t('members.remove'),
                            content: t('members.removeConfirm', { email: member.email }),
                            okButtonProps: { danger: true },
                            onOk: () => remove.mutateAsync(member.userId),
                          })
                        }
                      >
                        {t('members.remove')}
                      </Button>
                    </Space>
                  ),
              },
            ]}
          />
        </Loadable>
      </Card>
    </div>
  );
}
