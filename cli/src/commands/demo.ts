import { issueToken, type Principal } from '@nuanyang/auth';
import {
  leaveInProgress,
  planScenario,
  type RunResult,
  runScenario,
  type Scenario,
  type StopBefore,
  volunteerUserId,
} from '@nuanyang/scenario';
import type { Command } from 'commander';
import { Context, type Io } from '../context';
import { CliError, describeServiceError, isServiceError } from '../errors';
import { table } from '../format';
import * as parse from '../parse';
import { type Progress, progressBars, progressLines } from '../progress';

interface DemoOptions {
  requests: number;
  seed: number;
  inProgress: number;
  callAttempts: number;
  concurrency: number;
  stageTimeout: number;
  json?: boolean;
}

export const DEMO_DEFAULTS = { requests: 60, seed: 20211223, inProgress: 0.25 } as const;

/** Someone to sign in to the console as, with a token for them. */
export interface DemoIdentity {
  role: Principal['roles'][number];
  /** Who they are in the demo data. */
  name: string;
  subject: string;
  organisationId: string;
  token: string;
}

export function demoCommand(program: Command, io: Io): void {
  program
    .command('demo')
    .description(
      "load demo data shaped like DESIGN.md's story through the services' APIs: organisations, volunteers, " +
        "donors' offers, help requests, verification, supplier acceptance, deliveries; safe to run again",
    )
    .option(
      '--requests <n>',
      'help requests (at least 20)',
      parse.integer(20, 20_000),
      DEMO_DEFAULTS.requests,
    )
    .option(
      '--seed <n>',
      'scenario seed: another seed, other demo data beside',
      parse.integer(0),
      DEMO_DEFAULTS.seed,
    )
    .option(
      '--in-progress <fraction>',
      'fraction of the requests left part-way (awaiting a call, a supplier or a volunteer)',
      parse.fraction,
      DEMO_DEFAULTS.inProgress,
    )
    .option(
      '--call-attempts <n>',
      "verification's MAX_CALL_ATTEMPTS (unanswered calls before unreachable)",
      parse.integer(1, 10),
      3,
    )
    .option('--concurrency <n>', 'calls in flight at once', parse.integer(1, 64), 8)
    .option(
      '--stage-timeout <duration>',
      'how long a stage may wait for the platform without progress',
      parse.duration,
      120,
    )
    .option('--json', 'print the result (ids, expected figures, tokens) as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  nuanyang demo\n  nuanyang demo --requests 300 --seed 7 --in-progress 0.4\n  nuanyang --host 10.0.0.5 --secret "$JWT_SECRET" demo --json',
    )
    .action(async function (this: Command, options: DemoOptions) {
      const context = new Context(this);
      const scenario = planScenario({ requests: options.requests, seed: options.seed });
      const started = Date.now();
      const progress: Progress = io.stderr.isTTY ? progressBars(io.stderr) : progressLines(io.stderr);
      let run: RunResult;
      try {
        run = await runScenario(
          scenario,
          {
            intake: context.address('intake'),
            verification: context.address('verification'),
            inventory: context.address('inventory'),
            matching: context.address('matching'),
            volunteer: context.address('volunteer'),
          },
          {
            jwtSecret: context.secret,
            leaveInProgress: options.inProgress,
            callAttempts: options.callAttempts,
            concurrency: options.concurrency,
            stageTimeoutMs: options.stageTimeout * 1000,
            onProgress: (stage, done, total) => progress.update(stage, done, total),
          },
        );
      } catch (err) {
        throw isServiceError(err) ? new CliError(`demo: ${describeServiceError(err)}`) : err;
      } finally {
        progress.stop();
      }
      const loaded = leaveInProgress(scenario, options.inProgress);
      const identities = demoIdentities(loaded, run, context.secret);
      const waiting = waitingCounts(loaded);
      if (options.json) {
        io.stdout.write(
          `${JSON.stringify(
            {
              seed: scenario.seed,
              requests: scenario.requests.length,
              inProgress: waiting,
              expected: run.truth,
              organisations: Object.fromEntries(run.organisationIds),
              identities,
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      const t = run.truth;
      io.stdout.write(
        [
          `Demo data loaded (scenario seed ${scenario.seed}, ${scenario.requests.length} requests) in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
          `  Left in progress: ${waiting.verification} requests awaiting a verifier's call, ${waiting.acceptance} awaiting ` +
            `their supplier's acceptance, ${waiting.delivery} with a delivery task offered to a volunteer.`,
          `  Figures once reporting has caught up: ${t.collected} collected, ${t.verified} verified, ${t.matched} matched, ` +
            `${t.fulfilled} fulfilled, ${t.peopleHelped} people helped (nuanyang summary).`,
          '  Bearer tokens (12 h) to sign in with:',
          ...table(
            identities.map((i) => [i.role, i.name, i.token]),
            '    ',
            3,
          ),
          '',
        ].join('\n'),
      );
    });
}

function waitingCounts(scenario: Scenario): Record<StopBefore, number> {
  const counts: Record<StopBefore, number> = { verification: 0, acceptance: 0, delivery: 0 };
  for (const r of scenario.requests) if (r.stopBefore) counts[r.stopBefore] += 1;
  return counts;
}

/**
 * One person per role, from the demo data itself: the partner and the supplier are organisations of the
 * scenario (so the supplier sees its proposals waiting), the volunteer is registered in a district where a
 * task is left offered.
 */
export function demoIdentities(scenario: Scenario, run: RunResult, secret: string): DemoIdentity[] {
  const centre = 'coordination-centre';
  const partner = scenario.partners[0]!;
  const donor = scenario.donors[0]!;
  const offeredIn = scenario.requests.find((r) => r.stopBefore === 'delivery')?.district;
  const volunteer =
    scenario.volunteers.find((v) => offeredIn !== undefined && v.districts.includes(offeredIn)) ??
    scenario.volunteers[0]!;
  const org = (name: string) => run.organisationIds.get(name) ?? name;
  const people: Omit<DemoIdentity, 'token'>[] = [
    {
      role: 'operator',
      name: '协调中心值班员 (coordination centre)',
      subject: 'demo-operator',
      organisationId: centre,
    },
    {
      role: 'verifier',
      name: '核实员 (coordination centre)',
      subject: 'demo-verifier',
      organisationId: centre,
    },
    { role: 'partner', name: partner, subject: `${org(partner)}-staff`, organisationId: org(partner) },
    { role: 'supplier', name: donor, subject: `${org(donor)}-staff`, organisationId: org(donor) },
    {
      role: 'volunteer',
      name: `${volunteer.name} (${volunteer.districts.join(', ')})`,
      subject: volunteerUserId(scenario, volunteer.key),
      organisationId: org(scenario.volunteerTeam),
    },
    { role: 'viewer', name: '民政观察员 (civil affairs)', subject: 'demo-viewer', organisationId: centre },
  ];
  return people.map((p) => ({
    ...p,
    token: issueToken({ subject: p.subject, organisationId: p.organisationId, roles: [p.role] }, secret),
  }));
}
