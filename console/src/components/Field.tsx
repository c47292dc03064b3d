import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { namesField } from './ErrorNotice';

/** A labelled input; marked invalid when the last error names its field. */
export function Field({
  label,
  name,
  error,
  children,
}: {
  label: string;
  name?: string;
  error?: unknown;
  children: ReactNode;
}) {
  const invalid = name !== undefined && namesField(error, name);
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control comes in as children
    <label className={invalid ? 'field invalid' : 'field'} data-field={name}>
      <span>{label}</span>
      {children}
    </label>
  );
}

interface SelectProps {
  value: string;
  options: string[];
  label: (key: string) => string;
  onChange: (value: string) => void;
  /** Label of an empty first entry (no filter). */
  all?: string;
  name?: string;
}

/** A select over enum keys with translated labels and an optional "all" entry. */
export function Select({ value, options, label, onChange, all, name }: SelectProps) {
  return (
    <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
      {all !== undefined && <option value="">{all}</option>}
      {options.map((o) => (
        <option key={o} value={o}>
          {label(o)}
        </option>
      ))}
    </select>
  );
}

/** A list filter: a labelled select whose first entry, "all", sets no filter. */
export function Filter({ title, ...select }: { title: string } & Omit<SelectProps, 'all'>) {
  const { t } = useTranslation();
  return (
    <Field label={title}>
      <Select {...select} all={t('common.all')} />
    </Field>
  );
}
