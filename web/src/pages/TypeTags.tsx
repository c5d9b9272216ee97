import { LockOutlined, SafetyCertificateOutlined, UnlockOutlined } from '@ant-design/icons';
import { Tag } from 'antd';
import type { Account } from '../api/types';
import { useI18n } from '../i18n';

/** Type, whether the type is locked, and verification, as tags. */
export function TypeTags({ account }: { account: Pick<Account, 'type' | 'typeLocked' | 'verified'> }) {
  const { t } = useI18n();
  return (
    <>
      <Tag color={account.type === 'service' ? 'blue' : 'green'} data-testid="account-type">
        {t(`type.${account.type}`)}
      </Tag>
      <Tag icon={account.typeLocked ? <LockOutlined /> : <UnlockOutlined />} color={account.typeLocked ? 'default' : 'orange'} data-testid="type-lock">
        {account.typeLocked ? t('type.locked') : t('type.unlocked')}
      </Tag>
      <Tag icon={<SafetyCertificateOutlined />} color={account.verified ? 'gold' : 'default'}>
        {account.verified ? t('type.verified') : t('type.unverified')}
      </Tag>
    </>
  );
}
