import { Button, Card, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { sessionStore } from '../api/session';
import { useSession } from '../api/useSession';
import { LanguageSwitch } from '../components/HeaderBar';
import { ProblemAlert } from '../components/Problem';
import { useI18n } from '../i18n';

interface Credentials {
  email: string;
  password: string;
}

async function signIn({ email, password }: Credentials) {
  const { token, expiresIn } = await api<{ token: string; expiresIn: number }>('POST', '/v1/auth/login', { body: { email, password } });
  sessionStore.set({ token, email, expiresAt: Date.now() + expiresIn * 1000 });
}

/** Sign in, or register and then sign in (the API's /v1/auth routes). */
export default function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const { t } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const next = search.get('next')?.startsWith('/') ? search.get('next')! : '/accounts';
  if (session) return <Navigate to={next} replace />;

  const submit = async (values: Credentials) => {
    setBusy(true);
    setError(null);
    try {
      if (mode === 'register') await api('POST', '/v1/auth/register', { body: values });
      await signIn(values);
      void navigate(next, { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="oa-auth">
      <Card
        title={
          <Space orientation="vertical" size={0}>
            <Typography.Title level={3} style={{ margin: 0, color: '#07c160' }}>
              {t('app.title')}
            </Typography.Title>
            <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
              {t('auth.tagline')}
            </Typography.Text>
          </Space>
        }
        extra={<LanguageSwitch />}
      >
        <Typography.Title level={4} style={{ marginTop: 0 }}>
          {mode === 'login' ? t('auth.signIn') : t('auth.register')}
        </Typography.Title>
        {error ? <ProblemAlert error={error} style={{ marginBottom: 16 }} /> : null}
        <Form<Credentials> layout="vertical" onFinish={(values) => void submit(values)} requiredMark={false} data-testid={`${mode}-form`}>
          <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, type: 'email', message: t('auth.emailInvalid') }]}>
            <Input autoComplete="email" inputMode="email" name="email" />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('auth.password')}
            extra={mode === 'register' ? t('auth.passwordHint') : undefined}
            rules={[{ required: true, min: 8, pattern: /\S/, message: t('auth.passwordShort') }]}
          >
            <Input.Password autoComplete={mode === 'login' ? 'current-password' : 'new-password'} name="password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="submit">
            {mode === 'login' ? t('auth.signIn') : t('auth.register')}
          </Button>
        </Form>
        <div style={{ marginTop: 16, textAlign: 'center' }}>
          {mode === 'login' ? (
            <>
              {t('auth.noAccount')} <Link to={`/register${search.toString() ? `?${search}` : ''}`}>{t('auth.register')}</Link>
            </>
          ) : (
            <>
              {t('auth.haveAccount')} <Link to={`/login${search.toString() ? `?${search}` : ''}`}>{t('auth.signIn')}</Link>
            </>
          )}
        </div>
      </Card>
    </div>
  );
}
