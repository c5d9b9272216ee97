import { GlobalOutlined, LogoutOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Button, Select, Tooltip, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { sessionStore } from '../api/session';
import { useSession } from '../api/useSession';
import { useI18n, type Locale } from '../i18n';

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Select<Locale>
      value={locale}
      onChange={setLocale}
      size="small"
      aria-label={t('common.language')}
      data-testid="language"
      suffixIcon={<GlobalOutlined />}
      style={{ width: 96 }}
      options={[
        { value: 'zh', label: '中文' },
        { value: 'en', label: 'English' },
      ]}
    />
  );
}

/** The top bar of every signed-in page: brand, what the page puts in the middle (the account switcher), language, sign out. */
export function HeaderBar({ children }: { children?: ReactNode }) {
  const { t } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signOut = () => {
    sessionStore.set(null);
    queryClient.clear();
    void navigate('/login');
  };
  return (
    <>
      <span className="oa-brand">{t('app.shortTitle')}</span>
      {children}
      <span className="oa-spacer" />
      <LanguageSwitch />
      <Typography.Text type="secondary" className="oa-email">
        {session?.email}
      </Typography.Text>
      <Tooltip title={t('common.signOut')}>
        <Button type="text" icon={<LogoutOutlined />} onClick={signOut} aria-label={t('common.signOut')} data-testid="sign-out" />
      </Tooltip>
    </>
  );
}
