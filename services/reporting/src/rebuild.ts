import { parseArgs } from 'node:util';
import { Bus, PRODUCERS, streamName } from '@nuanyang/bus';
import { createLogger } from '@nuanyang/logger';
import { connectMongo } from '@nuanyang/store';
import { loadReportingConfig } from './config';
import { casesCollectionName, durableName, factsCollectionName, relaySubject } from './read-model';

/**
 * Drops one read-model generation: its facts and closed cases, its relay of facts and its durable consumers.
 * Started with the service's environment (MONGO_URL, MONGO_DATABASE, NATS_URL, READ_MODEL_GENERATION, or
 * `--generation N`).
 *
 *   Rebuild in place: stop reporting, run `node dist/rebuild.js`, start reporting: the durables are
 *   declared again and replay every stream from the start into an empty relay.
 *   Rebuild while serving: roll reporting out with READ_MODEL_GENERATION=N+1 (new durables, new
 *   collection), then `node dist/rebuild.js --generation N` to drop the old data.
 */
async function main(): Promise<void> {
  const log = createLogger('reporting-rebuild');
  const config = loadReportingConfig();
  const { values } = parseArgs({ options: { generation: { type: 'string' } } });
  const generation =
    values.generation === undefined ? config.READ_MODEL_GENERATION : Number(values.generation);
  if (!Number.isInteger(generation) || generation < 1)
    throw new Error('--generation must be a whole number ≥ 1');

  const mongo = await connectMongo(config.MONGO_URL, config.MONGO_DATABASE, log);
  const dropped = await mongo.dropCollection(factsCollectionName(generation)).catch(() => false);
  const casesDropped = await mongo.dropCollection(casesCollectionName(generation)).catch(() => false);
  await mongo.close();
  log.info({ generation, factsDropped: dropped, casesDropped }, 'facts dropped');

  const bus = await Bus.connect(config.NATS_URL, 'reporting-rebuild', log);
  // The JetStream API's purge request, only the relay's subject of this generation.
  const purge = await bus.connection.request(
    `$JS.API.STREAM.PURGE.${streamName('reporting')}`,
    JSON.stringify({ filter: relaySubject(generation) }),
    { timeout: 5000 },
  );
  const relayPurged = (purge.json() as { purged?: number }).purged ?? 0;
  const deleted: string[] = [];
  for (const producer of PRODUCERS) {
    const durable = durableName(generation, producer);
    // The JetStream API's consumer delete request (a missing one answers with an error, ignored).
    const reply = await bus.connection.request(
      `$JS.API.CONSUMER.DELETE.${streamName(producer)}.${durable}`,
      undefined,
      { timeout: 5000 },
    );
    if ((reply.json() as { success?: boolean }).success) deleted.push(durable);
  }
  await bus.close();
  log.info(
    { generation, factsDropped: dropped, casesDropped, relayPurged, durablesDeleted: deleted },
    'read model dropped',
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
