/**
 * typebox 1.x ships ES modules only. Node ≥ 20.19 (the repository's minimum) loads them with require(), but
 * TypeScript 5.9 does not yet type a require of an ES module from a CommonJS package: the types are taken
 * in "import" resolution mode and the value is required. Everything else imports typebox from here.
 */
type TypeBox = typeof import('typebox', { with: { 'resolution-mode': 'import' }});

export type TSchema = import('typebox', { with: { 'resolution-mode': 'import' }}).TSchema;
export type TObject = import('typebox', { with: { 'resolution-mode': 'import' }}).TObject;

export const Type: TypeBox['Type'] = (require('typebox') as TypeBox).Type;
