import { DISTRICTS, findDistrict, isKnownDistrict } from '@nuanyang/common';

describe('districts', () => {
  it('has unique codes in lower-case ascii', () => {
    const codes = DISTRICTS.map((d) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^[a-z]+$/);
  });
  it('keeps every centre inside the Xi’an area', () => {
    for (const d of DISTRICTS) {
      expect(d.centre.latitude).toBeGreaterThan(33.6);
      expect(d.centre.latitude).toBeLessThan(34.8);
      expect(d.centre.longitude).toBeGreaterThan(107.6);
      expect(d.centre.longitude).toBeLessThan(109.8);
    }
  });
  it('finds known codes and refuses others', () => {
    expect(findDistrict('yanta')?.nameZh).toBe('雁塔区');
    expect(isKnownDistrict('huyi')).toBe(true);
    expect(isKnownDistrict('atlantis')).toBe(false);
    expect(isKnownDistrict('')).toBe(false);
  });
});
