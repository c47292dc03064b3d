import path from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { type TSchema, Type } from './typebox';

/**
 * JSON schemas of the services' messages, derived at start-up from the same .proto files the generated code
 * comes from, so the HTTP bodies, the validation and the OpenAPI document cannot drift from the contracts.
 * They describe the proto3 JSON that ts-proto's toJSON writes and fromJSON reads: lowerCamelCase names,
 * enums by name, int64 as numbers (forceLong=number), Timestamps as RFC 3339 strings (useDate=true).
 * Every message and enum is one shared schema, `$id` = its full proto name, referenced as `<name>#`.
 */
export type JsonSchema = Record<string, unknown>;

const PROTO_ROOT = process.env.PROTO_ROOT ?? path.resolve(__dirname, '../../../proto');

export const PROTO_FILES = [
  'nuanyang/intake/v1/intake.proto',
  'nuanyang/verification/v1/verification.proto',
  'nuanyang/inventory/v1/inventory.proto',
  'nuanyang/matching/v1/matching.proto',
  'nuanyang/volunteer/v1/volunteer.proto',
  'nuanyang/reporting/v1/reporting.proto',
];

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}

/** What a field of a request message is, enough to turn it into a query parameter or a body property. */
export interface FieldInfo {
  name: string;
  repeated: boolean;
  /** `string`, `integer`, `number`, `boolean`, `timestamp`, `enum`, `message`. */
  kind: 'string' | 'integer' | 'number' | 'boolean' | 'timestamp' | 'bytes' | 'enum' | 'message';
  /** Full name of the enum or message type. */
  typeName?: string;
}

const SCALARS: Record<string, FieldInfo['kind']> = {
  TYPE_STRING: 'string',
  TYPE_BOOL: 'boolean',
  TYPE_DOUBLE: 'number',
  TYPE_FLOAT: 'number',
  TYPE_BYTES: 'bytes',
};

/** The schema of one field, without repetition. */
function fieldSchema(field: FieldInfo): JsonSchema {
  switch (field.kind) {
    case 'timestamp':
      return { type: 'string', format: 'date-time' };
    case 'bytes':
      return { type: 'string', contentEncoding: 'base64' };
    case 'enum':
    case 'message':
      return { $ref: `${field.typeName}#` };
    default:
      return { type: field.kind };
  }
}

export class ProtoSchemas {
  private readonly messages = new Map<string, FieldInfo[]>();
  private readonly enums = new Map<string, string[]>();

  constructor(files: string[] = PROTO_FILES, root: string = PROTO_ROOT) {
    const definitions = loadSync(files, { includeDirs: [root] }) as unknown as Record<
      string,
      { format?: string; type?: { field?: FieldDescriptor[]; value?: { name: string }[] } }
    >;
    const names = new Set(Object.keys(definitions));
    // proto-loader keeps type names as written in the .proto: resolve them by protobuf's scoping rules.
    const resolve = (scope: string, typeName: string): string => {
      if (typeName.startsWith('.')) return typeName.slice(1);
      const parts = scope.split('.');
      for (let n = parts.length; n >= 0; n--) {
        const candidate = [...parts.slice(0, n), typeName].join('.');
        if (names.has(candidate)) return candidate;
      }
      throw new Error(`proto schemas: cannot resolve ${typeName} from ${scope}`);
    };
    for (const [name, def] of Object.entries(definitions)) {
      if (def.format === 'Protocol Buffer 3 EnumDescriptorProto') {
        this.enums.set(
          name,
          (def.type?.value ?? []).map((v) => v.name),
        );
      } else if (def.format === 'Protocol Buffer 3 DescriptorProto') {
        const scope = name.slice(0, name.lastIndexOf('.'));
        this.messages.set(
          name,
          (def.type?.field ?? []).map((f) => {
            const repeated = f.label === 'LABEL_REPEATED';
            if (f.type === 'TYPE_ENUM' || f.type === 'TYPE_MESSAGE') {
              const typeName = resolve(scope, f.typeName);
              const kind =
                typeName === 'google.protobuf.Timestamp'
                  ? 'timestamp'
                  : f.type === 'TYPE_ENUM'
                    ? 'enum'
                    : 'message';
              return { name: f.name, repeated, kind, typeName };
            }
            return { name: f.name, repeated, kind: SCALARS[f.type] ?? 'integer' };
          }),
        );
      }
    }
  }

  /** The fields of a message, in declaration order. */
  fields(message: string): FieldInfo[] {
    const fields = this.messages.get(message);
    if (!fields) throw new Error(`proto schemas: no message ${message}`);
    return fields;
  }

  enumValues(name: string): string[] {
    const values = this.enums.get(name);
    if (!values) throw new Error(`proto schemas: no enum ${name}`);
    return values;
  }

  has(message: string): boolean {
    return this.messages.has(message);
  }

  /** The schema of a field, repeated or not. */
  propertySchema(field: FieldInfo): JsonSchema {
    const one = fieldSchema(field);
    return field.repeated ? { type: 'array', items: one } : one;
  }

  /**
   * An object schema for `message`: every field optional (proto3 has no required fields; the services
   * check them and name the field), unknown properties refused, `omit` left out, `required` required.
   */
  objectSchema(message: string, opts: { omit?: string[]; required?: string[] } = {}): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    for (const field of this.fields(message)) {
      if (!opts.omit?.includes(field.name)) properties[field.name] = this.propertySchema(field);
    }
    for (const r of opts.required ?? []) {
      if (!(r in properties)) throw new Error(`proto schemas: ${message} has no field ${r}`);
    }
    return {
      type: 'object',
      properties,
      additionalProperties: false,
      ...(opts.required?.length ? { required: opts.required } : {}),
    };
  }

  /** A query-parameter schema (typebox) for a scalar, enum or timestamp field. */
  querySchema(field: FieldInfo): TSchema {
    const one: TSchema =
      field.kind === 'enum'
        ? Type.Unsafe<string>({ type: 'string', enum: this.enumValues(field.typeName as string) })
        : field.kind === 'timestamp'
          ? Type.String({ format: 'date-time' })
          : field.kind === 'integer'
            ? Type.Integer()
            : field.kind === 'number'
              ? Type.Number()
              : field.kind === 'boolean'
                ? Type.Boolean()
                : Type.String();
    return field.repeated ? Type.Array(one) : one;
  }

  /** Every message and enum as a shared schema with `$id`, for `fastify.addSchema`. */
  shared(): JsonSchema[] {
    const out: JsonSchema[] = [];
    for (const [name, values] of this.enums) out.push({ $id: name, type: 'string', enum: values });
    for (const name of this.messages.keys()) {
      if (name === 'google.protobuf.Timestamp') continue;
      out.push({ $id: name, ...this.objectSchema(name) });
    }
    return out;
  }
}
