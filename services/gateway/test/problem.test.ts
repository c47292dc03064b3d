import { Metadata, status } from '@grpc/grpc-js';
import { FIELD_VIOLATIONS_KEY } from '@nuanyang/grpc-kit';
import type { FastifyError } from 'fastify';
import { fromServiceError, fromValidation, jsonFieldPath, problemBody, toProblem } from '../src/problem';

const serviceError = (code: status, details = 'what went wrong', violations?: unknown) => {
  const metadata = new Metadata();
  if (violations) metadata.set(FIELD_VIOLATIONS_KEY, JSON.stringify(violations));
  return Object.assign(new Error(details), { code, details, metadata });
};

describe('gRPC status → HTTP problem', () => {
  test.each([
    [status.INVALID_ARGUMENT, 400],
    [status.UNAUTHENTICATED, 401],
    [status.PERMISSION_DENIED, 403],
    [status.NOT_FOUND, 404],
    [status.ALREADY_EXISTS, 409],
    [status.FAILED_PRECONDITION, 409],
    [status.ABORTED, 409],
    [status.RESOURCE_EXHAUSTED, 429],
    [status.UNAVAILABLE, 503],
    [status.DEADLINE_EXCEEDED, 504],
    [status.INTERNAL, 500],
    [status.UNKNOWN, 500],
    [status.DATA_LOSS, 500],
  ])('%s → %s', (code, http) => {
    const problem = fromServiceError(serviceError(code, 'secret internals'));
    expect(problem.statusCode).toBe(http);
    expect(problem.extra.code).toBe(status[code]);
    // Internals are not passed on; neither are the addresses in a connection error.
    if (http >= 500) expect(problem.message).not.toContain('secret internals');
    else expect(problem.message).toBe('secret internals');
  });

  test("an INVALID_ARGUMENT's field violations become errors, in JSON names", () => {
    const problem = fromServiceError(
      serviceError(status.INVALID_ARGUMENT, 'bad', [
        { field: 'needs[0].quantity.amount', description: 'must be > 0' },
        { field: 'vulnerable_groups[2]', description: 'unknown' },
        { field: 'idempotency_key', description: 'is required' },
      ]),
    );
    expect(problem.extra.errors).toEqual([
      { field: 'needs[0].quantity.amount', message: 'must be > 0' },
      { field: 'vulnerableGroups[2]', message: 'unknown' },
      { field: 'idempotencyKey', message: 'is required' },
    ]);
  });

  test.each([
    ['people_affected', 'peopleAffected'],
    ['location.coordinates', 'location.coordinates'],
    ['lines[1].unit_value.minor_units', 'lines[1].unitValue.minorUnits'],
  ])('proto field %s is %s in JSON', (proto, json) => expect(jsonFieldPath(proto)).toBe(json));
});

describe('validation errors → one problem naming every field', () => {
  const validation = (context: string, errors: unknown[]) =>
    Object.assign(new Error('validation'), {
      validation: errors,
      validationContext: context,
    }) as FastifyError;

  test('body: nested paths, missing and unknown properties, enums', () => {
    const problem = fromValidation(
      validation('body', [
        { instancePath: '/needs/0/quantity/amount', keyword: 'type', message: 'must be integer', params: {} },
        { instancePath: '', keyword: 'required', params: { missingProperty: 'channel' } },
        {
          instancePath: '/requester',
          keyword: 'additionalProperties',
          params: { additionalProperty: 'age' },
        },
        {
          instancePath: '/urgency',
          keyword: 'enum',
          params: { allowedValues: ['URGENCY_LOW', 'URGENCY_HIGH'] },
        },
      ]),
    );
    expect(problem.statusCode).toBe(400);
    expect(problem.extra.errors).toEqual([
      { field: 'needs[0].quantity.amount', in: 'body', message: 'must be integer' },
      { field: 'channel', in: 'body', message: 'is required' },
      { field: 'requester.age', in: 'body', message: 'is not a known field' },
      { field: 'urgency', in: 'body', message: 'must be one of URGENCY_LOW, URGENCY_HIGH' },
    ]);
    expect(problem.message).toContain('needs[0].quantity.amount: must be integer');
  });

  test('query string and path', () => {
    const query = fromValidation(
      validation('querystring', [
        { instancePath: '/pageSize', keyword: 'type', message: 'must be integer', params: {} },
      ]),
    );
    expect(query.extra.errors).toEqual([{ field: 'pageSize', in: 'query', message: 'must be integer' }]);
    const path = fromValidation(
      validation('params', [{ instancePath: '/id', keyword: 'minLength', message: 'too short', params: {} }]),
    );
    expect(path.extra.errors?.[0]).toMatchObject({ field: 'id', in: 'path' });
  });
});

describe('anything else', () => {
  test("Fastify's client errors keep their status; unexpected errors are a bare 500", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(toProblem(tooLarge)).toMatchObject({ statusCode: 413, message: 'Request body is too large' });
    const bug = toProblem(new TypeError('x is undefined at handler.ts:12'));
    expect(bug.statusCode).toBe(500);
    expect(bug.message).not.toContain('handler.ts');
  });

  test('the body is RFC 9457 with the instance path', () => {
    const body = problemBody(
      fromServiceError(serviceError(status.NOT_FOUND, 'help request x not found')),
      '/a',
    );
    expect(body).toEqual({
      type: 'https://nuanyang.example.org/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'help request x not found',
      instance: '/a',
      code: 'NOT_FOUND',
    });
  });
});
