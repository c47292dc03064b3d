import { hostPort, loadConfig, localAddress, serviceSchema, z } from '@nuanyang/config';

const ms = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

export const loadVolunteerConfig = () =>
  loadConfig(
    serviceSchema('volunteer').extend({
      /** Intake, for the requester's contact and drop-off address of a new delivery task. */
      INTAKE_ADDRESS: hostPort.default(localAddress('intake')),
      /** How long a volunteer has to accept an offered task; then it is offered to the next one. */
      OFFER_TTL_MS: ms(1_000, 15 * 60_000),
      /** From acceptance to delivery; past it the task times out and is offered again. */
      DELIVERY_DUE_MS: ms(1_000, 4 * 3600_000),
      /** How often the sweeper expires offers, times out overdue tasks and offers pending ones again. */
      SWEEP_INTERVAL_MS: ms(100, 10_000),
    }),
  );
export type VolunteerConfig = ReturnType<typeof loadVolunteerConfig>;
