import { ExclamationCircleFilled } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Modal, Radio, Space, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api/client';
import { keys } from '../api/queries';
import type { Account, AccountType } from '../api/types';
import { ProblemAlert } from '../components/Problem';
import { useI18n } from '../i18n';
import { useCan } from './AccountContext';

/**
 * The one-time type choice (PUT /v1/accounts/:id/type). The confirmation says in so many words that the choice can
 * never be changed, and its button stays disabled until the owner ticks that they understand.
 */
export function ChooseType({ account }: { account: Account }) {
  const { t } = useI18n();
  const mayChoose = useCan('account:manage');
  const queryClient = useQueryClient();
  const [type, setType] = useState<AccountType>('subscription');
  const [confirming, setConfirming] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const [done, setDone] = useState<AccountType | null>(null);
  const choose = useMutation({
    mutationFn: () => api<Account>('PUT', `/v1/accounts/${account.id}/type`, { body: { type } }),
    onSuccess: (updated) => {
      setConfirming(false);
      setDone(updated.type);
      void queryClient.invalidateQueries({ queryKey: keys.accounts });
    },
  });
  const typeName = t(`type.${type}`);

  if (done) return <Alert type="success" showIcon title={t('chooseType.done', { type: t(`type.${done}`) })} style={{ marginBottom: 16 }} data-testid="type-chosen" />;
  if (account.typeLocked) return null;
  return (
    <Card title={t('chooseType.title')} style={{ marginBottom: 16 }} data-testid="choose-type">
      <Typography.Paragraph>{t('chooseType.intro')}</Typography.Paragraph>
      {mayChoose ? (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Radio.Group value={type} onChange={(event) => setType(event.target.value as AccountType)}>
            <Space orientation="vertical">
              <Radio value="subscription" data-testid="type-subscription">
                {t('chooseType.subscription')}
              </Radio>
              <Radio value="service" data-testid="type-service">
                {t('chooseType.service')}
              </Radio>
            </Space>
          </Radio.Group>
          <Button
            type="primary"
            onClick={() => {
              setUnderstood(false);
              choose.reset();
              setConfirming(true);
            }}
            data-testid="choose-type-button"
          >
            {t('chooseType.button', { type: typeName })}
          </Button>
        </Space>
      ) : (
        <Typography.Text type="secondary">{t('chooseType.ownerOnly')}</Typography.Text>
      )}
      <Modal
        open={confirming}
        title={
          <Space>
            <ExclamationCircleFilled style={{ color: '#faad14' }} />
            {t('chooseType.confirmTitle', { type: typeName })}
          </Space>
        }
        okText={t('chooseType.confirm')}
        okButtonProps={{ danger: true, disabled: !understood, loading: choose.isPending, 'data-testid': 'confirm-type' }}
        cancelText={t('common.cancel')}
        onOk={() => choose.mutate()}
        onCancel={() => setConfirming(false)}
        destroyOnHidden
      >
        <Typography.Paragraph strong data-testid="type-warning">
          {t('chooseType.confirmBody')}
        </Typography.Paragraph>
        <Checkbox checked={understood} onChange={(event) => setUnderstood(event.target.checked)} data-testid="type-understood">
          {t('chooseType.acknowledge')}
        </Checkbox>
        {choose.error ? <ProblemAlert error={choose.error} style={{ marginTop: 12 }} /> : null}
      </Modal>
    </Card>
  );
}
