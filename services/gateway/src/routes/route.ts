import type { Role } from '@nuanyang/auth';
import type { CallOpts } from '@nuanyang/grpc-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceClients } from '../clients';
import type { FieldInfo, JsonSchema, ProtoSchemas } from '../schemas';
import { type TObject, type TSchema, Type } from '../typebox';

/**
 * One REST operation over one unary RPC. The route table of each service lists these; everything else
 * (schemas, validation, the call, the JSON) is derived from the RPC's request and response messages:
 * path parameters fill the request fields of the same name, the rest comes from the query string (GET) or
 * the JSON body (POST, PUT), and the response is the RPC's response message as proto3 JSON.
 */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT';
  /** Under /api/v1; path parameters are named like the request fields they fill, e.g. `:taskId`. */
  url: string;
  /** The RPC's name in the .proto, e.g. `CreateHelpRequest`. */
  rpc: string;
  summary: string;
  description?: string;
  /** Roles allowed (any of them); absent: any authenticated caller. The service checks again, finer. */
  roles?: readonly Role[];
  /** Body fields the contract requires. */
  required?: string[];
  /** Creates a resource: 201, or 200 when the service answered a retry with the first result (`replayed`). */
  creates?: boolean;
}

/** The route table of one service. */
export interface ServiceRoutes {
  service: keyof ServiceClients;
  /** Proto package, e.g. `nuanyang.intake.v1`. */
  protoPackage: string;
  /** The generated module: its `<Rpc>Request` and `<Rpc>Response` codecs (fromJSON, toJSON). */
  codecs: object;
  /** OpenAPI tag. */
  tag: string;
  routes: RouteSpec[];
}

interface Codec {
  fromJSON(object: unknown): unknown;
  toJSON(message: unknown): unknown;
}

export const API_PREFIX = '/api/v1';

/** Request fields that become several query parameters: paging and report filters. */
const FLATTENED = new Set(['nuanyang.common.v1.PageRequest', 'nuanyang.reporting.v1.ReportFilter']);

/** Problem responses every API route may give, for the OpenAPI document. */
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
});
export const ERROR_RESPONSES = {
  400: problem('Invalid request: `errors` names each field'),
  401: problem('Missing or invalid bearer token'),
  403: problem('The token has none of the roles the operation needs'),
  404: problem('Not found'),
  409: problem('Conflict: the resource is in a state that refuses the change, or already exists'),
  429: problem('Rate limit reached: see Retry-After'),
  503: problem('A service is unavailable'),
  504: problem('A service did not answer in time'),
};

/** `/help-requests/:id/cancel` → `['id']`. */
export const pathParams = (url: string): string[] => [...url.matchAll(/:(\w+)/g)].map((m) => m[1] as string);

export const paramsSchema = (names: string[]): TObject =>
  Type.Object(Object.fromEntries(names.map((n) => [n, Type.String({ minLength: 1, maxLength: 200 })])));

/**
 * The query parameters of a request message: its scalar, enum and timestamp fields (repeated ones may be
 * given several times), with PageRequest (`pageSize`, `pageToken`) and ReportFilter (`from`, `to`,
 * `districts`, `category`, `organisationId`) spread out. `where` records where each parameter goes.
 */
export function queryOf(
  schemas: ProtoSchemas,
  fields: FieldInfo[],
): { schema: TObject; where: Map<string, string[]> } {
  const properties: Record<string, TSchema> = {};
  const where = new Map<string, string[]>();
  for (const field of fields) {
    if (field.kind === 'message' && FLATTENED.has(field.typeName as string)) {
      for (const inner of schemas.fields(field.typeName as string)) {
        properties[inner.name] = Type.Optional(schemas.querySchema(inner));
        where.set(inner.name, [field.name, inner.name]);
      }
    } else if (field.kind !== 'message' && field.kind !== 'bytes') {
      properties[field.name] = Type.Optional(schemas.querySchema(field));
      where.set(field.name, [field.name]);
    }
  }
  return { schema: Type.Object(properties, { additionalProperties: false }), where };
}

/** Puts query parameters where `queryOf` said they go. */
export function fromQuery(
  query: Record<string, unknown>,
  where: Map<string, string[]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    const place = where.get(name);
    if (!place || value === undefined) continue;
    const [outer, inner] = place as [string, string?];
    if (inner === undefined) out[outer] = value;
    else out[outer] = { ...(out[outer] as Record<string, unknown> | undefined), [inner]: value };
  }
  return out;
}

/** Call options for the caller: their own bearer token, so the service checks roles and redacts for them. */
export const callerOpts = (request: FastifyRequest): CallOpts =>
  request.bearer ? { token: request.bearer } : {};

function codec(module: object, name: string): Codec {
  const c = (module as Record<string, Partial<Codec> | undefined>)[name];
  if (typeof c?.fromJSON !== 'function' || typeof c.toJSON !== 'function') {
    throw new Error(`gateway routes: the generated code has no codec ${name}`);
  }
  return c as Codec;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Registers every route of one service's table. */
export function registerServiceRoutes(
  app: FastifyInstance,
  schemas: ProtoSchemas,
  clients: ServiceClients,
  table: ServiceRoutes,
): void {
  for (const spec of table.routes) {
    const requestName = `${table.protoPackage}.${spec.rpc}Request`;
    const responseName = `${table.protoPackage}.${spec.rpc}Response`;
    const requestCodec = codec(table.codecs, `${spec.rpc}Request`);
    const responseCodec = codec(table.codecs, `${spec.rpc}Response`);
    const method = lowerFirst(spec.rpc);
    const client = clients[table.service] as unknown as Record<
      string,
      (req: unknown, opts: CallOpts) => Promise<{ replayed?: boolean }>
    >;
    if (typeof client[method] !== 'function')
      throw new Error(`gateway routes: ${table.service} has no ${method}`);

    const params = pathParams(spec.url);
    const fields = schemas.fields(requestName).filter((f) => !params.includes(f.name));
    for (const p of params) {
      if (!schemas.fields(requestName).some((f) => f.name === p)) {
        throw new Error(`gateway routes: ${spec.url}: ${requestName} has no field ${p}`);
      }
    }
    const query = spec.method === 'GET' ? queryOf(schemas, fields) : undefined;
    const body: JsonSchema | undefined =
      spec.method !== 'GET' && fields.length > 0
        ? schemas.objectSchema(requestName, {
            omit: params,
            ...(spec.required ? { required: spec.required } : {}),
          })
        : undefined;
    const ok = { $ref: `${responseName}#` };

    app.route({
      method: spec.method,
      url: `${API_PREFIX}${spec.url}`,
      config: { auth: true, ...(spec.roles ? { roles: spec.roles } : {}) },
      schema: {
        operationId: method,
        tags: [table.tag],
        summary: spec.summary,
        description: [
          spec.description,
          `gRPC: \`${table.protoPackage}.${table.service.charAt(0).toUpperCase()}${table.service.slice(1)}Service/${spec.rpc}\`.`,
          spec.roles ? `Roles: ${spec.roles.join(', ')}.` : 'Roles: any authenticated caller.',
        ]
          .filter(Boolean)
          .join(' '),
        security: [{ bearerAuth: [] }],
        ...(params.length ? { params: paramsSchema(params) } : {}),
        ...(query ? { querystring: query.schema } : {}),
        ...(body ? { body } : {}),
        response: { ...(spec.creates ? { 200: ok, 201: ok } : { 200: ok }), ...ERROR_RESPONSES },
      },
      handler: async (request, reply) => {
        const input: Record<string, unknown> = query
          ? fromQuery((request.query ?? {}) as Record<string, unknown>, query.where)
          : { ...((request.body as Record<string, unknown> | undefined) ?? {}) };
        Object.assign(input, request.params as Record<string, string>);
        const response = await client[method]?.(requestCodec.fromJSON(input), callerOpts(request));
        reply.code(spec.creates && !response?.replayed ? 201 : 200);
        return responseCodec.toJSON(response);
      },
    });
  }
}
