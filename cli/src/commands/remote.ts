import { CliError, describeServiceError, isServiceError } from '../errors';

/** Awaits a call to the service at `address`, turning a gRPC error into one line that says where. */
export async function remote<T>(address: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw isServiceError(err) ? new CliError(describeServiceError(err, address)) : err;
  }
}
