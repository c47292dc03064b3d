import { type FormEvent, useState } from 'react';
import { api, newKey } from '../api/client';
import { enumValue, PREFIX, type StockLot } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Field, Select } from '../components/Field';
import { useAction } from '../hooks';
import { CATEGORIES, DISTRICT_CODES, useLabels } from '../labels';
import { useSession } from '../session';

/** Registers a donor's offer of one item (one stock lot); operators name the donor organisation. */
export function OfferForm({ onCreated }: { onCreated: () => void }) {
  const l = useLabels();
  const { can } = useSession();
  const [donor, setDonor] = useState('');
  const [category, setCategory] = useState('instant_food');
  const [itemName, setItemName] = useState('');
  const [amount, setAmount] = useState('10');
  const [unit, setUnit] = useState('箱');
  const [value, setValue] = useState('');
  const [district, setDistrict] = useState('yanta');
  const [community, setCommunity] = useState('');
  const [address, setAddress] = useState('');
  const [contact, setContact] = useState('');
  const [phone, setPhone] = useState('');
  const [key, setKey] = useState(newKey);
  const [lots, setLots] = useState<number>();
  const submit = useAction(
    () =>
      api.post<{ lots?: StockLot[] }>('/offers', {
        idempotencyKey: key,
        ...(can('operator') ? { donorOrganisationId: donor } : {}),
        lines: [
          {
            category: enumValue(category, PREFIX.category),
            itemName,
            quantity: { amount: Number(amount), unit },
            ...(value
              ? { unitValue: { currencyCode: 'CNY', minorUnits: Math.round(Number(value) * 100) } }
              : {}),
          },
        ],
        pickupLocation: { district, community, address },
        pickupContact: { name: contact, phone },
      }),
    (res) => {
      setLots(res.lots?.length ?? 0);
      setKey(newKey());
      onCreated();
    },
  );
  const err = submit.error;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setLots(undefined);
    void submit.run();
  };
  return (
    <form className="card form" onSubmit={onSubmit}>
      <h3>{l.t('stock.offer')}</h3>
      <div className="grid">
        {can('operator') && (
          <Field label={l.t('stock.donorOrg')} name="donorOrganisationId" error={err}>
            <input value={donor} onChange={(e) => setDonor(e.target.value)} />
          </Field>
        )}
        <Field label={l.t('common.category')} name="lines.0.category" error={err}>
          <Select value={category} options={CATEGORIES} label={l.category} onChange={setCategory} />
        </Field>
        <Field label={l.t('common.item')} name="lines.0.itemName" error={err}>
          <input value={itemName} onChange={(e) => setItemName(e.target.value)} />
        </Field>
        <Field label={l.t('common.quantity')} name="lines.0.quantity.amount" error={err}>
          <input type="number" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
        <Field label={l.t('common.unit')} name="lines.0.quantity.unit" error={err}>
          <input value={unit} onChange={(e) => setUnit(e.target.value)} />
        </Field>
        <Field label={l.t('stock.unitValue')} name="lines.0.unitValue" error={err}>
          <input type="number" step="0.01" value={value} onChange={(e) => setValue(e.target.value)} />
        </Field>
        <Field label={l.t('common.district')} name="pickupLocation.district" error={err}>
          <Select value={district} options={DISTRICT_CODES} label={l.district} onChange={setDistrict} />
        </Field>
        <Field label={l.t('common.community')} name="pickupLocation.community" error={err}>
          <input value={community} onChange={(e) => setCommunity(e.target.value)} />
        </Field>
        <Field label={l.t('common.address')} name="pickupLocation.address" error={err}>
          <input value={address} onChange={(e) => setAddress(e.target.value)} />
        </Field>
        <Field label={l.t('stock.contact')} name="pickupContact.name" error={err}>
          <input value={contact} onChange={(e) => setContact(e.target.value)} />
        </Field>
        <Field label={l.t('stock.contactPhone')} name="pickupContact.phone" error={err}>
          <input inputMode="tel" value={phone} onChange={(e) => setPhone(e.target.value)} />
        </Field>
      </div>
      <ErrorNotice error={err} />
      {lots !== undefined && (
        <div className="notice ok" role="status">
          {l.t('stock.offerDone', { count: lots })}
        </div>
      )}
      <button type="submit" className="primary" disabled={submit.running}>
        {l.t('common.save')}
      </button>
    </form>
  );
}
