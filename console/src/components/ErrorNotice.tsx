import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

/** Shows an error; a problem body from the gateway is shown with its title, detail and the fields it names. */
export function ErrorNotice({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (error instanceof ApiError) {
    const { problem } = error;
    return (
      <div className="notice error" role="alert">
        <strong>
          {problem.title ?? t('common.error')} ({error.status})
        </strong>
        {problem.detail && problem.detail !== problem.title && <span> — {problem.detail}</span>}
        {error.fields.length > 0 && (
          <div className="fields">
            {t('common.field')}: <code>{error.fields.join(', ')}</code>
          </div>
        )}
      </div>
    );
  }
  return (
    <div className="notice error" role="alert">
      <strong>{t('common.error')}</strong> — {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

/** True when the error names this field (or one inside it): forms mark the input. */
export function namesField(error: unknown, field: string): boolean {
  return error instanceof ApiError && error.fields.some((f) => f === field || f.startsWith(`${field}.`));
}
