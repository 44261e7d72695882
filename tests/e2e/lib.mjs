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
