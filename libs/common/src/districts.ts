/**
 * Xi'an's districts, counties and development zones: the area of the relief action the platform is modelled
 * on. A district code is what requests, stock and volunteers carry; the centre is a fallback for distances
 * when a location has no coordinates.
 */
export interface District {
  code: string;
  nameZh: string;
  nameEn: string;
  centre: { latitude: number; longitude: number };
}

export const DISTRICTS: readonly District[] = [
  {
    code: 'xincheng',
    nameZh: '新城区',
    nameEn: 'Xincheng',
    centre: { latitude: 34.2662, longitude: 108.9608 },
  },
  { code: 'beilin', nameZh: '碑林区', nameEn: 'Beilin', centre: { latitude: 34.2567, longitude: 108.934 } },
  { code: 'lianhu', nameZh: '莲湖区', nameEn: 'Lianhu', centre: { latitude: 34.2651, longitude: 108.944 } },
  { code: 'baqiao', nameZh: '灞桥区', nameEn: 'Baqiao', centre: { latitude: 34.2727, longitude: 109.0643 } },
  {
    code: 'weiyang',
    nameZh: '未央区',
    nameEn: 'Weiyang',
    centre: { latitude: 34.2929, longitude: 108.9469 },
  },
  { code: 'yanta', nameZh: '雁塔区', nameEn: 'Yanta', centre: { latitude: 34.2135, longitude: 108.9487 } },
  {
    code: 'yanliang',
    nameZh: '阎良区',
    nameEn: 'Yanliang',
    centre: { latitude: 34.6622, longitude: 109.2261 },
  },
  {
    code: 'lintong',
    nameZh: '临潼区',
    nameEn: 'Lintong',
    centre: { latitude: 34.3672, longitude: 109.2141 },
  },
  {
    code: 'changan',
    nameZh: '长安区',
    nameEn: "Chang'an",
    centre: { latitude: 34.1585, longitude: 108.9071 },
  },
  {
    code: 'gaoling',
    nameZh: '高陵区',
    nameEn: 'Gaoling',
    centre: { latitude: 34.5349, longitude: 109.0882 },
  },
  { code: 'huyi', nameZh: '鄠邑区', nameEn: 'Huyi', centre: { latitude: 34.1086, longitude: 108.6051 } },
  {
    code: 'lantian',
    nameZh: '蓝田县',
    nameEn: 'Lantian',
    centre: { latitude: 34.1513, longitude: 109.3233 },
  },
  {
    code: 'zhouzhi',
    nameZh: '周至县',
    nameEn: 'Zhouzhi',
    centre: { latitude: 34.1636, longitude: 108.2222 },
  },
  {
    code: 'chanba',
    nameZh: '浐灞生态区',
    nameEn: 'Chanba Ecological District',
    centre: { latitude: 34.3244, longitude: 109.0303 },
  },
  {
    code: 'gaoxin',
    nameZh: '高新区',
    nameEn: 'Hi-tech Zone',
    centre: { latitude: 34.1924, longitude: 108.8829 },
  },
  {
    code: 'jingkai',
    nameZh: '经开区',
    nameEn: 'Economic Development Zone',
    centre: { latitude: 34.3361, longitude: 108.9395 },
  },
  {
    code: 'qujiang',
    nameZh: '曲江新区',
    nameEn: 'Qujiang New District',
    centre: { latitude: 34.1997, longitude: 108.9866 },
  },
];

const byCode = new Map(DISTRICTS.map((d) => [d.code, d]));

export function findDistrict(code: string): District | undefined {
  return byCode.get(code);
}

export function isKnownDistrict(code: string): boolean {
  return byCode.has(code);
}
