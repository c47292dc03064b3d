import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../session';

/** Sign in by pasting a bearer token (the CLI's `nuanyang token` issues one per organisation and roles). */
export function Login() {
  const { t } = useTranslation();
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [invalid, setInvalid] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setInvalid(!signIn(token));
  };
  return (
    <form className="card login" onSubmit={submit}>
      <h2>{t('login.title')}</h2>
      <label className="field">
        <span>{t('login.token')}</span>
        <textarea name="token" rows={4} value={token} onChange={(e) => setToken(e.target.value)} required />
      </label>
      <p className="hint">{t('login.hint')}</p>
      {invalid && (
        <div className="notice error" role="alert">
          {t('login.invalid')}
        </div>
      )}
      <button type="submit" className="primary">
        {t('login.submit')}
      </button>
    </form>
  );
}
