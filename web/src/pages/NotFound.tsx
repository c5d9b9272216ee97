import { Button, Result } from 'antd';
import { Link } from 'react-router';
import { useI18n } from '../i18n';

export default function NotFound({ text }: { text?: string }) {
  const { t } = useI18n();
  return (
    <Result
      status="404"
      title="404"
      subTitle={text ?? t('common.notFound')}
      extra={
        <Link to="/accounts">
          <Button type="primary">{t('common.backToAccounts')}</Button>
        </Link>
      }
    />
  );
}
