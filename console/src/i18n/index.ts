import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { zh } from './zh';

const LANGUAGE_KEY = 'nuanyang.language';
export type Language = 'zh' | 'en';

/** Chinese by default; the choice is remembered in localStorage. */
export function initI18n(): typeof i18next {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  void i18next.use(initReactI18next).init({
    resources: { zh: { translation: zh }, en: { translation: en } },
    lng: saved === 'en' ? 'en' : 'zh',
    fallbackLng: 'zh',
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = i18next.language === 'en' ? 'en' : 'zh-CN';
  return i18next;
}

export function setLanguage(language: Language): void {
  localStorage.setItem(LANGUAGE_KEY, language);
  void i18next.changeLanguage(language);
  document.documentElement.lang = language === 'en' ? 'en' : 'zh-CN';
}
