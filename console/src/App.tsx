import { useTranslation } from 'react-i18next';
import { setLanguage } from './i18n';
import { SCREEN_ROLES, SCREENS, type Screen, useScreen } from './router';
import { Dashboard } from './screens/Dashboard';
import { Login } from './screens/Login';
import { Matches } from './screens/Matches';
import { Requests } from './screens/Requests';
import { Stock } from './screens/Stock';
import { Tasks } from './screens/Tasks';
import { Verification } from './screens/Verification';
import { useSession } from './session';

const VIEWS: Record<Screen, () => React.JSX.Element> = {
  dashboard: Dashboard,
  requests: Requests,
  verification: Verification,
  matches: Matches,
  stock: Stock,
  tasks: Tasks,
};

export function App() {
  const { t, i18n } = useTranslation();
  const { principal, signOut, can } = useSession();
  const allowed = SCREENS.filter((s) => can(...SCREEN_ROLES[s]));
  // The dashboard for those who may read reports; otherwise their first screen (a volunteer's task board).
  const home: Screen = allowed.includes('dashboard') ? 'dashboard' : (allowed[0] ?? 'dashboard');
  const [screen, go] = useScreen(home);
  const View = VIEWS[allowed.includes(screen) ? screen : home];

  const languageSwitch = (
    <button
      type="button"
      className="link"
      data-testid="language"
      onClick={() => setLanguage(i18n.language === 'en' ? 'zh' : 'en')}
    >
      {t('app.language')}
    </button>
  );

  if (!principal) {
    return (
      <div className="app">
        <header className="topbar">
          <h1>
            {t('app.title')} <small>{t('app.subtitle')}</small>
          </h1>
          {languageSwitch}
        </header>
        <Login />
      </div>
    );
  }

  return (
    <div className="app">
      <header className="topbar">
        <h1>
          {t('app.title')} <small>{t('app.subtitle')}</small>
        </h1>
        <nav>
          {allowed.map((s) => (
            <a
              key={s}
              href={`#/${s}`}
              className={s === screen ? 'active' : ''}
              data-testid={`nav-${s}`}
              onClick={() => go(s)}
            >
              {t(`nav.${s}`)}
            </a>
          ))}
        </nav>
        <div className="who">
          <span data-testid="principal">
            {t('login.signedInAs', {
              subject: principal.subject,
              org: principal.organisationId,
              roles: principal.roles.map((r) => t(`role.${r}`)).join('、'),
            })}
          </span>
          {languageSwitch}
          <button type="button" className="link" onClick={signOut}>
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <main>
        <View />
      </main>
    </div>
  );
}
