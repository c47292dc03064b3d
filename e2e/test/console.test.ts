import fs from 'node:fs';
import path from 'node:path';
import { type ServiceProcess, spawnService, startNatsServer } from '@nuanyang/testkit';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { eventually, token } from './helpers';

/**
 * The operator console in a real browser (Debian's Chromium, headless, driven by playwright-core) against the
 * gateway and all six services: a request goes from the intake form through the call-back, the supplier's
 * acceptance and a volunteer's delivery, while the dashboard, open the whole time, follows over SSE.
 * A failed step saves a screenshot under .data/test/screenshots/ and names it in the error.
 */

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, '.data/test/screenshots');
const DASHBOARD_PNG = path.join(ROOT, 'docs/console-dashboard.png');
const STEP_MS = 20_000;
/** Generous: on a busy 2-core machine seven processes start slowly. */
const START_MS = 60_000;
const spawn = (name: string, env: Record<string, string>) =>
  spawnService(name, env, { startTimeoutMs: START_MS });

// Centre staff who also take call-backs (the verification service lets only verifiers claim tasks).
const operator = token('operator-console', 'org-centre', 'operator', 'verifier');
const supplier = token('supplier-console', 'org-donor-console', 'supplier');
const volunteerUser = 'volunteer-console';
const volunteer = token(volunteerUser, 'org-fleet', 'volunteer');

describe('operator console', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  const services: ServiceProcess[] = [];
  let gateway: ServiceProcess;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run deploy/local/chromium.sh (make test does)`);
    }
    if (!fs.existsSync(path.join(ROOT, 'console/dist/index.html'))) {
      throw new Error('console/dist is missing: build the console first (make build)');
    }
    nats = await startNatsServer();
    const env = { NATS_URL: nats.url };
    const [intake, verification, inventory] = await Promise.all([
      spawn('intake', env),
      spawn('verification', env),
      spawn('inventory', env),
    ]);
    const [matching, volunteers, reporting] = await Promise.all([
      spawn('matching', { ...env, INVENTORY_ADDRESS: inventory.address }),
      spawn('volunteer', { ...env, INTAKE_ADDRESS: intake.address }),
      spawn('reporting', env),
    ]);
    services.push(intake, verification, inventory, matching, volunteers, reporting);
    gateway = await spawnService(
      'gateway',
      {
        INTAKE_ADDRESS: intake.address,
        VERIFICATION_ADDRESS: verification.address,
        INVENTORY_ADDRESS: inventory.address,
        MATCHING_ADDRESS: matching.address,
        VOLUNTEER_ADDRESS: volunteers.address,
        REPORTING_ADDRESS: reporting.address,
        SSE_HEARTBEAT_MS: '2000',
      },
      { httpReadyPath: '/readyz', startTimeoutMs: START_MS },
    );
    base = `http://${gateway.address}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 4 * START_MS);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await gateway?.stop();
    await Promise.all(services.map((s) => s.stop()));
    await nats?.stop();
  });

  /** A JSON call to the gateway, for what the test sets up outside the browser. */
  async function rest<T>(method: string, url: string, bearer: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** A browser window signed in with `bearer` through the login form. */
  async function signedIn(bearer: string, viewport = { width: 1360, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport, locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(base);
    await page.fill('textarea[name=token]', bearer);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('[data-testid=principal]');
    return page;
  }

  let shots = 0;
  /** Saves the page under .data/test/screenshots/ (ignored); returns the file's path from the repo root. */
  async function shoot(page: Page, name: string): Promise<string> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `console-${++shots}-${name.replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    return path.relative(ROOT, file);
  }

  /** Runs one step; the page is saved after it (to look at) and on failure, and the error says where. */
  async function step<T>(page: Page, name: string, run: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (err) {
      const file = await shoot(page, `failed-${name}`);
      throw new Error(`step "${name}" failed (screenshot: ${file}): ${(err as Error).message}`);
    }
    await shoot(page, name);
    return result;
  }

  /** Clicks the screen's refresh button until `selector` appears (events reach the services asynchronously). */
  async function refreshUntil(page: Page, selector: string): Promise<void> {
    await eventually(
      async () => {
        if ((await page.locator(selector).count()) > 0) return true;
        await page
          .locator('main button', { hasText: /刷新|Refresh/ })
          .first()
          .click();
        await page.waitForTimeout(400);
        return undefined;
      },
      STEP_MS,
      selector,
    );
  }

  const kpi = (page: Page, name: string) => page.locator(`[data-testid=kpi-${name}] .value`).textContent();

  it('takes a request from intake to delivery, and the live dashboard follows', async () => {
    // Set up through the API: a donor's stock in Huyi and a driver who serves Huyi, available now.
    await rest('POST', '/offers', supplier, {
      idempotencyKey: `console-offer-${process.pid}`,
      lines: [
        {
          category: 'ITEM_CATEGORY_INSTANT_FOOD',
          itemName: '自热米饭',
          quantity: { amount: 40, unit: '箱' },
          unitValue: { currencyCode: 'CNY', minorUnits: 6000 },
          expiresAt: new Date(Date.now() + 60 * 86400_000).toISOString(),
        },
      ],
      pickupLocation: { district: 'huyi', community: '甘亭街道', address: '仓库 2 号' },
      pickupContact: { name: '赵经理', phone: '13912340000' },
    });
    await rest('POST', '/volunteers', volunteer, {
      idempotencyKey: `console-volunteer-${process.pid}`,
      contact: { name: '小鲁', phone: '13700002222' },
      skills: ['SKILL_DRIVER', 'SKILL_LOADER'],
      vehicle: { type: 'VEHICLE_TYPE_VAN', capacityKg: 800, hasTravelPass: true },
      districts: ['huyi'],
      availability: [
        {
          start: new Date(Date.now() - 3600_000).toISOString(),
          end: new Date(Date.now() + 6 * 3600_000).toISOString(),
        },
      ],
    });

    // The operator's dashboard stays open from here to the end: it must follow by itself.
    const dashboard = await signedIn(operator);
    await step(dashboard, 'dashboard connects', async () => {
      await dashboard.waitForSelector('[data-testid=live].on', { timeout: STEP_MS });
      expect(await kpi(dashboard, 'fulfilled')).toBe('0');
      // Chinese by default; English one click away, and back.
      const nav = dashboard.locator('[data-testid=nav-dashboard]');
      expect(await nav.textContent()).toBe('数据看板');
      await dashboard.click('[data-testid=language]');
      await nav.getByText('Dashboard').waitFor();
      await dashboard.click('[data-testid=language]');
      await nav.getByText('数据看板').waitFor();
    });

    // The operator records the request taken on the hotline.
    const desk = await dashboard.context().newPage();
    await desk.goto(`${base}/#/requests`);
    const requestId = await step(desk, 'submit request', async () => {
      const form = desk.locator('[data-testid=request-form]');
      await form.locator('input[name="requester.name"]').fill('王秀兰');
      await form.locator('select[name="location.district"]').selectOption('huyi');
      await form.locator('input[name="location.community"]').fill('龙窝村');
      await form.locator('input[name="location.address"]').fill('3 组 12 号');
      await form.locator('select[name=urgency]').selectOption('critical');
      await form.locator('input[name=peopleAffected]').fill('3');
      await form.locator('input[name="needs.0.itemName"]').fill('自热米饭');
      await form.locator('input[name="needs.0.quantity.amount"]').fill('10');
      // A malformed phone first: the problem document names the field, and the form marks its input.
      await form.locator('input[name="requester.phone"]').fill('12345');
      await form.locator('button[type=submit]').click();
      await form.locator('label.field.invalid[data-field="requester.phone"]').waitFor({ timeout: STEP_MS });
      expect(await form.locator('[role=alert] code').textContent()).toContain('requester.phone');
      await form.locator('input[name="requester.phone"]').fill('13987654321');
      await form.locator('button[type=submit]').click();
      const created = desk.locator('[data-testid=request-created]');
      await created.waitFor({ timeout: STEP_MS });
      const id = (await created.getAttribute('data-id')) as string;
      // The queue below the form shows it, with the phone (an operator may see it).
      const row = desk.locator(`[data-testid=request-list] tr[data-id="${id}"]`);
      await row.getByText('13987654321').waitFor({ timeout: STEP_MS });
      return id;
    });
    expect(requestId).toBeTruthy();

    // The verifier's call: claim the task and record it as verified.
    await desk.goto(`${base}/#/verification`);
    await step(desk, 'verify request', async () => {
      const task = `[data-testid=verification-queue] li[data-request="${requestId}"] button`;
      await refreshUntil(desk, task);
      await desk.click(task);
      const workspace = desk.locator('[data-testid=verification-workspace]');
      await workspace.locator('[data-testid=requester-phone]').getByText('13987654321').waitFor();
      await workspace.locator('[data-testid=claim]').click();
      await workspace
        .getByText(/核实中|Claimed/)
        .first()
        .waitFor({ timeout: STEP_MS });
      await workspace.locator('input[name=outcome][value=verified]').check();
      await workspace.locator('textarea[name=note]').fill('电话核实：独居老人，3 人，急需方便食品');
      await workspace.locator('[data-testid=outcome-form] button[type=submit]').click();
      await desk.locator('[data-testid=outcome-recorded]').waitFor({ timeout: STEP_MS });
    });

    // The donor accepts the proposal the matcher made from its stock.
    const donor = await signedIn(supplier);
    await donor.goto(`${base}/#/matches`);
    await step(donor, 'accept match as supplier', async () => {
      const proposal = `[data-testid=proposals] article[data-request="${requestId}"][data-status=proposed]`;
      await refreshUntil(donor, proposal);
      await donor.locator(`${proposal} [data-testid=accept]`).click();
      await donor.locator('[data-testid=decided]').waitFor({ timeout: STEP_MS });
      await donor.locator(proposal).waitFor({ state: 'detached', timeout: STEP_MS });
    });

    // The volunteer, on a phone-sized screen: accept, pick up, deliver with a proof note.
    const phone = await signedIn(volunteer, { width: 390, height: 844 });
    await phone.goto(`${base}/#/tasks`);
    await step(phone, 'deliver as volunteer', async () => {
      const task = `[data-testid=delivery-tasks] article[data-request="${requestId}"]`;
      await refreshUntil(phone, `${task}[data-status=offered]`);
      await phone.locator(`${task} button.primary`).click();
      await phone.locator(`${task}[data-status=accepted]`).waitFor({ timeout: STEP_MS });
      await phone.locator(`${task} [data-testid=recipient]`).getByText('13987654321').waitFor();
      await phone.locator(`${task} button.primary`).click();
      await phone.locator(`${task}[data-status=picked_up]`).waitFor({ timeout: STEP_MS });
      await phone.locator(`${task} button.primary`).click();
      await phone.locator(`${task} textarea[name=proofNote]`).fill('王秀兰本人签收，照片 IMG_0031');
      await phone.locator(`${task} form button[type=submit]`).click();
      await phone.locator(`${task}[data-status=delivered]`).waitFor({ timeout: STEP_MS });
    });

    // The dashboard, never reloaded, shows the fulfilled request.
    await step(dashboard, 'dashboard shows fulfilled', async () => {
      await dashboard.bringToFront();
      await eventually(
        async () => ((await kpi(dashboard, 'fulfilled')) === '1' ? true : undefined),
        30_000,
        'the dashboard to show 1 fulfilled',
      );
      expect(await kpi(dashboard, 'collected')).toBe('1');
      expect(await kpi(dashboard, 'verified')).toBe('1');
      expect(await kpi(dashboard, 'matched')).toBe('1');
    });
    // Let the charts finish their animation, then keep the picture for the README.
    await dashboard.waitForTimeout(1500);
    fs.mkdirSync(path.dirname(DASHBOARD_PNG), { recursive: true });
    await dashboard.screenshot({ path: DASHBOARD_PNG, fullPage: true });
  }, 90_000);
});
