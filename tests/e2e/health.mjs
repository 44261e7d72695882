#!/usr/bin/env node
// Browser test: the dashboard's 系统状态 card shows /health as 正常 and lists the oltp check.
// Usage (repo root): node tests/e2e/health.mjs <baseURL>   [E2E_SCREENSHOT=/path/shot.png] [CHROMIUM=/usr/bin/chromium]
import { fail, runCli, withPage } from './lib.mjs';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node tests/e2e/health.mjs <baseURL>');
  process.exit(2);
}

const TIMEOUT_MS = 15_000;

await runCli('health', () =>
  withPage(baseURL, async (page, { consoleErrors, pageErrors }) => {
    const response = await page.goto(baseURL, { waitUntil: 'domcontentloaded', timeout: TIMEOUT_MS });
    if (!response || !response.ok()) {
      throw fail(`GET ${baseURL} answered ${response ? response.status() : 'nothing'}`);
    }
    const status = page.getByTestId('health-status');
    const screenshot = async () => {
      if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true, animations: 'disabled' });
    };
    try {
      await status.filter({ hasText: '正常' }).waitFor({ state: 'visible', timeout: TIMEOUT_MS });
      await page.getByTestId('health-check-oltp').waitFor({ state: 'visible', timeout: TIMEOUT_MS });
    } catch (err) {
      const statusText = (await status.textContent({ timeout: 1000 }).catch(() => null)) ?? null;
      const errorText = (await page.getByTestId('health-error').textContent({ timeout: 500 }).catch(() => null)) ?? null;
      await screenshot().catch(() => {});
      throw fail(`health status not 正常 with oltp row within ${TIMEOUT_MS} ms: ${err.message.split('\n')[0]}`, {
        status_text: statusText,
        error_text: errorText,
        console_errors: consoleErrors,
        page_errors: pageErrors,
      });
    }
    const checks = await page.locator('[data-testid^="health-check-"]').evaluateAll((rows) =>
      rows.map((r) => r.getAttribute('data-testid').slice('health-check-'.length)),
    );
    const oltpRow = (await page.getByTestId('health-check-oltp').innerText()).replace(/\s+/g, ' ').trim();
    await screenshot();
    return {
      url: page.url(),
      status_text: (await status.innerText()).trim(),
      checks,
      oltp: oltpRow,
      screenshot: process.env.E2E_SCREENSHOT || null,
      page_errors: pageErrors,
    };
  }),
);
