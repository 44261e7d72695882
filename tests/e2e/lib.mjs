// Shared helpers for browser tests: Debian chromium driven by playwright-core (from ui/node_modules).
// No browser download: the executable comes from $CHROMIUM or /usr/bin/chromium.
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../ui/package.json', import.meta.url));

/** playwright-core's `chromium`, resolved from ui/node_modules (run `npm ci` in ui/ first). */
export function loadChromium() {
  try {
    return require('playwright-core').chromium;
  } catch (err) {
    throw new Error(`playwright-core not found in ui/node_modules — run "npm ci" in ui/ (${err.message})`);
  }
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchOptions(extra = {}) {
  return {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    ...extra,
  };
}

/**
 * Launches chromium with a fresh user data dir, opens one page in zh-CN / Asia/Shanghai,
 * calls `fn(page, ctx)` and always closes the browser and removes the profile.
 * `ctx` = { baseURL, context, consoleErrors, pageErrors, url(path) }.
 */
export async function withPage(baseURL, fn, { viewport = { width: 1440, height: 900 }, timeoutMs = 15_000 } = {}) {
  const chromium = loadChromium();
  const userDataDir = await mkdtemp(join(tmpdir(), 'ucm-e2e-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      ...launchOptions(),
      baseURL,
      viewport,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    context.setDefaultTimeout(timeoutMs);
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors = [];
    const pageErrors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    const url = (path = '/') => new URL(path, baseURL).toString();
    return await fn(page, { baseURL, context, consoleErrors, pageErrors, url });
  } finally {
    if (context) await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** Runs `main()` as a CLI test: prints one JSON line, exits 0 on ok, 1 on failure. */
export async function runCli(name, main) {
  const started = Date.now();
  let result;
  try {
    const details = await main();
    result = { test: name, ok: true, ms: Date.now() - started, ...details };
  } catch (err) {
    result = { test: name, ok: false, ms: Date.now() - started, error: String(err?.message ?? err).split('\n')[0], ...(err?.details ?? {}) };
    if (err?.stack) console.error(err.stack);
  }
  console.log(JSON.stringify(result));
  process.exitCode = result.ok ? 0 : 1;
  return result;
}

/** Error carrying extra fields for the JSON result line. */
export function fail(message, details = {}) {
  const err = new Error(message);
  err.details = details;
  return err;
}

// ---------------------------------------------------------------------------------------------
// Ant Design helpers (shared by the module flows; health.mjs does not need them).

/** The Select / AutoComplete dropdown that is currently open. */
export function openDropdown(page) {
  return page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').last();
}

/**
 * Picks an option of an antd Select: clicks the select, optionally types `search` (showSearch /
 * multiple), then clicks the first visible option whose text contains `optionText` (string or RegExp).
 */
export async function antSelect(page, select, optionText, { search } = {}) {
  await select.click();
  if (search) await page.keyboard.type(search);
  const dropdown = openDropdown(page);
  await dropdown.waitFor({ state: 'visible' });
  const option = dropdown.locator('.ant-select-item-option').filter({ hasText: optionText }).first();
  await option.waitFor({ state: 'visible' });
  try {
    await option.click({ timeout: 5_000 });
  } catch {
    // The dropdown may still be sliding in (pointer checks keep failing): a DOM click selects too.
    await option.dispatchEvent('click');
  }
}

/** Saves a full-page screenshot when `dir` is set; returns the path (or null). */
export async function screenshotTo(page, dir, name) {
  if (!dir) return null;
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

// ---------------------------------------------------------------------------------------------
// Catalog flows (catalog_import.mjs, catalog_price.mjs).

/** Logs in through the form and waits for the layout (no TOTP, no forced password change). */
/**
 * Open a page from the sidebar: expand the module (``menu-<parent>``) if its item is hidden, then
 * click the item (``menu-<item>``) until the URL matches. The submenu animates open and its
 * items move while it does, so a click may land on a neighbour (another page) or on nothing.
 */
export async function openMenuPage(page, parent, item, url) {
  const tid = (id) => page.getByTestId(id);
  for (let attempt = 0; attempt < 4; attempt++) {
    if (!(await tid(item).isVisible())) await tid(parent).click();
    await tid(item).waitFor({ state: 'visible' });
    await tid(item).click();
    if (await page.waitForURL(url, { timeout: 5_000 }).then(() => true, () => false)) return;
  }
  await page.waitForURL(url);
}

export async function loginAs(page, user, password) {
  await page.goto('/login', { waitUntil: 'domcontentloaded' });
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  const outcome = await Promise.race([
    page.getByTestId('user-menu').waitFor({ state: 'visible' }).then(() => 'in'),
    page.getByTestId('login-error').waitFor({ state: 'visible' }).then(() => 'error'),
  ]);
  if (outcome !== 'in') throw fail(`login as ${user} refused: ${(await page.getByTestId('login-error').innerText()).trim()}`);
}

/**
 * Calls the API from the page with the logged-in user's token (test setup: categories, SKUs).
 * Returns {status, body}; throws on a status outside `ok` (default 2xx).
 */
export async function apiCall(page, method, path, body, { ok = (s) => s >= 200 && s < 300 } = {}) {
  const res = await page.evaluate(
    async ([m, p, b]) => {
      const t = JSON.parse(window.localStorage.getItem('ucm.auth.tokens') || '{}').access_token;
      const r = await fetch(p, {
        method: m,
        headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: b === undefined ? undefined : JSON.stringify(b),
      });
      const text = await r.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      return { status: r.status, body: json };
    },
    [method, path, body],
  );
  if (!ok(res.status)) throw fail(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  return res;
}

/** Types a date-time ("YYYY-MM-DD HH:mm") into an antd DatePicker with showTime and confirms it. */
export async function pickDateTime(page, picker, text) {
  // antd puts data-testid on the <input> itself (DatePicker) or on a wrapper
  const isInput = (await picker.evaluate((el) => el.tagName)) === 'INPUT';
  const input = isInput ? picker : picker.locator('input').first();
  await input.click();
  await input.fill(text);
  const panel = page.locator('.ant-picker-dropdown:not(.ant-picker-dropdown-hidden)').last();
  const okBtn = panel.locator('.ant-picker-ok button');
  if (await okBtn.isVisible().catch(() => false)) {
    await okBtn.click();
  } else {
    await input.press('Enter');
  }
  await panel.waitFor({ state: 'hidden' }).catch(() => {});
  const shown = await input.inputValue();
  if (shown !== text) throw fail(`date picker shows "${shown}", wanted "${text}"`);
}

/** A valid EAN-13 with the given 12-digit body (GS1 check digit appended). */
export function ean13(body12) {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body12[11 - i]) * (i % 2 === 0 ? 3 : 1);
  return body12 + String((10 - (sum % 10)) % 10);
}

/** Clicks the OK button of the Popconfirm that is open. */
export async function confirmPopover(page) {
  const pop = page.locator('.ant-popover:not(.ant-popover-hidden) .ant-popconfirm-buttons .ant-btn-primary').last();
  await pop.waitFor({ state: 'visible' });
  await pop.click();
}
