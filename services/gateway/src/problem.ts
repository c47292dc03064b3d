import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { FIELD_VIOLATIONS_KEY, type FieldViolation } from '@nuanyang/grpc-kit';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** One field that is wrong: `needs[0].quantity.amount`, in the JSON names of the HTTP API. */
export interface ProblemField {
  field: string;
  /** Where the field is: the JSON body, the query string or the path. */
  in?: 'body' | 'query' | 'path';
  message: string;
}

/** An RFC 9457 problem body. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** gRPC status name when the problem came from a service. */
  code?: string;
  errors?: ProblemField[];
}

export const PROBLEM_TYPE_BASE = 'https://nuanyang.example.org/problems/';

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['invalid-request', 'Invalid request'],
  401: ['unauthenticated', 'Authentication required'],
  403: ['forbidden', 'Not allowed'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Request body too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  500: ['internal', 'Internal error'],
  501: ['not-implemented', 'Not implemented'],
  503: ['unavailable', 'Service unavailable'],
  504: ['timeout', 'Upstream timeout'],
};

/** A failure with an HTTP status and a problem body; thrown anywhere, written by the error handler. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly statusCode: number,
    detail: string,
    readonly extra: { errors?: ProblemField[]; code?: string; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

/**
 * gRPC status → HTTP. FAILED_PRECONDITION (an illegal state change: claiming a task someone else holds,
 * accepting a rejected proposal) is 409 Conflict like ABORTED and ALREADY_EXISTS: the request was valid, the
 * resource's state refused it; retrying after reading the resource again may succeed.
 */
const HTTP_OF: Partial<Record<GrpcStatus, number>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.FAILED_PRECONDITION]: 409,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.UNIMPLEMENTED]: 501,
};

/** `vulnerable_groups[0].quantity` → `vulnerableGroups[0].quantity`: the services name proto fields. */
export function jsonFieldPath(protoPath: string): string {
  return protoPath.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function isServiceError(err: unknown): err is ServiceError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as ServiceError).code === 'number' &&
    'metadata' in err
  );
}

/** A gRPC failure as a problem; internals (INTERNAL, UNKNOWN, DATA_LOSS) are not passed on. */
export function fromServiceError(err: ServiceError): HttpProblem {
  const statusCode = HTTP_OF[err.code] ?? 500;
  const code = GrpcStatus[err.code];
  if (statusCode === 500) return new HttpProblem(500, 'the request failed; see the gateway logs', { code });
  let errors: ProblemField[] | undefined;
  const raw = err.metadata?.get(FIELD_VIOLATIONS_KEY)[0];
  if (err.code === GrpcStatus.INVALID_ARGUMENT && typeof raw === 'string') {
    try {
      errors = (JSON.parse(raw) as FieldViolation[]).map((v) => ({
        field: jsonFieldPath(v.field),
        message: v.description,
      }));
    } catch {
      errors = undefined;
    }
  }
  const detail =
    statusCode === 503
      ? 'a service the request needs is unavailable; retry later'
      : statusCode === 504
        ? 'a service did not answer in time'
        : err.details || code || 'error';
  return new HttpProblem(statusCode, detail, { code, ...(errors ? { errors } : {}) });
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const PLACES: Record<string, ProblemField['in']> = { body: 'body', querystring: 'query', params: 'path' };

/** `/needs/0/quantity/amount` → `needs[0].quantity.amount`. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

/** Fastify's validation error (ajv) as a problem naming every field. */
export function fromValidation(error: FastifyError): HttpProblem {
  const place = PLACES[error.validationContext ?? 'body'] ?? 'body';
  const errors = ((error.validation ?? []) as AjvError[]).map((e): ProblemField => {
    const base = pointerToPath(e.instancePath);
    const child = (e.params.missingProperty ?? e.params.additionalProperty) as string | undefined;
    const field = child ? (base ? `${base}.${child}` : child) : base || '(root)';
    const message =
      e.keyword === 'additionalProperties'
        ? 'is not a known field'
        : e.keyword === 'required'
          ? 'is required'
          : e.keyword === 'enum'
            ? `must be one of ${(e.params.allowedValues as string[]).join(', ')}`
            : (e.message ?? 'is invalid');
    return { field, in: place, message };
  });
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ') || error.message;
  return new HttpProblem(400, detail, { errors });
}

/** Anything thrown while handling a request, as a problem. */
export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (isServiceError(err)) return fromServiceError(err);
  const fe = err as FastifyError;
  if (fe?.validation) return fromValidation(fe);
  // Fastify's own client errors (413 body too large, 415, 400 malformed JSON) keep their status and message.
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpProblem(fe.statusCode, fe.message);
  }
  return new HttpProblem(500, 'the request failed; see the gateway logs');
}

export function problemBody(problem: HttpProblem, instance: string): ProblemBody {
  const [slug, title] = TITLES[problem.statusCode] ?? ['error', 'Error'];
  return {
    type: `${PROBLEM_TYPE_BASE}${slug}`,
    title,
    status: problem.statusCode,
    detail: problem.message,
    instance,
    ...(problem.extra.code ? { code: problem.extra.code } : {}),
    ...(problem.extra.errors ? { errors: problem.extra.errors } : {}),
  };
}

/** Writes a problem as `application/problem+json`. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, err: unknown): FastifyReply {
  const problem = toProblem(err);
  for (const [k, v] of Object.entries(problem.extra.headers ?? {})) reply.header(k, v);
  // 499 (client closed) is nginx's; nobody reads it, but it keeps logs honest.
  return reply
    .code(problem.statusCode)
    .type('application/problem+json')
    .send(JSON.stringify(problemBody(problem, request.url.split('?')[0] ?? request.url)));
}

/** The problem schema for the OpenAPI document. */
export const PROBLEM_SCHEMA = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'gRPC status name, when a service answered' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string', description: 'e.g. needs[0].quantity.amount' },
          in: { type: 'string', enum: ['body', 'query', 'path'] },
          message: { type: 'string' },
        },
        required: ['field', 'message'],
      },
    },
  },
  required: ['type', 'title', 'status'],
} as const;
