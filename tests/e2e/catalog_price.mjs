#!/usr/bin/env node
// Browser test of price editing: admin opens a product's detail page, adds a temporary price for a
// store with a start and an end → the timeline shows it; 价格查询 at a time inside the window
// answers with the temporary price and names that rule.
// Usage (repo root): node tests/e2e/catalog_price.mjs <baseURL>
//   E2E_ADMIN_USER (admin)  E2E_ADMIN_PASSWORD (Retail@2026)  E2E_STORE_CODE (S001)
//   E2E_SCREENSHOT_DIR (optional)  E2E_SCREENSHOT (optional)  CHROMIUM (/usr/bin/chromium)
import { randomBytes, randomInt } from 'node:crypto';
import { antSelect, apiCall, ean13, fail, loginAs, pickDateTime, runCli, screenshotTo, withPage } from './lib.mjs';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node tests/e2e/catalog_price.mjs <baseURL>');
  process.exit(2);
}

const ADMIN_USER = process.env.E2E_ADMIN_USER || 'admin';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || 'Retail@2026';
const STORE_CODE = process.env.E2E_STORE_CODE || 'S001';
const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR || '';

const tag = randomBytes(3).toString('hex').toUpperCase();
const code = `PR${tag}`;
const name = `调价测试${tag}`;
const STANDARD = '10.00';
const TEMPORARY = '7.50';

/** "YYYY-MM-DD HH:mm" in Asia/Shanghai for a Date. */
function shanghai(d) {
  const p = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d);
  const v = Object.fromEntries(p.map((x) => [x.type, x.value]));
  return `${v.year}-${v.month}-${v.day} ${v.hour}:${v.minute}`;
}

await runCli('catalog_price', () =>
  withPage(
    baseURL,
    async (page, { consoleErrors, pageErrors }) => {
      let step = 'start';
      const shots = [];
      const bad = [];
      page.on('response', (r) => {
        if (r.status() === 404) bad.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      const snap = async (name_) => {
        const p = await screenshotTo(page, SHOT_DIR, name_).catch(() => null);
        if (p) shots.push(p);
      };
      const tid = (id) => page.getByTestId(id);

      // The window: starts in 2 hours (whole minutes), ends a day later; the query looks 1 hour in.
      const now = Date.now();
      const start = new Date(Math.ceil((now + 2 * 3600_000) / 60_000) * 60_000);
      const end = new Date(start.getTime() + 24 * 3600_000);
      const inside = new Date(start.getTime() + 3600_000);

      try {
        step = `log in as ${ADMIN_USER}`;
        await loginAs(page, ADMIN_USER, ADMIN_PASSWORD);

        step = 'setup: a category and a product with a standard price';
        const cat = await apiCall(page, 'POST', '/catalog/categories', { code: `PRC${tag}`, name: `调价测试类目${tag}`, parent_id: null, sort: 900 });
        const sku = await apiCall(page, 'POST', '/catalog/sku', {
          code,
          name,
          category_id: cat.body.id,
          unit: '瓶',
          is_weighed: false,
          tax_rate: '0.13',
          status: 'active',
          store_id: null,
          packs: [],
          barcodes: [{ code: ean13(`69${String(randomInt(0, 1e10)).padStart(10, '0')}`), pack_name: null }],
          standard_price: STANDARD,
        });
        const skuId = sku.body.id;

        step = 'open the product from the list';
        await page.goto(`/catalog/sku?q=${encodeURIComponent(code)}`);
        const link = tid(`sku-link-${code}`);
        const deadline = Date.now() + 15_000;
        while (!(await link.isVisible().catch(() => false))) {
          if (Date.now() > deadline) throw fail(`${code} not in the product list`);
          await page.waitForTimeout(800);
          await tid('sku-filter-submit').click(); // the search index follows the SKU's event
        }
        await link.click();
        await tid('sku-prices').waitFor({ state: 'visible' });

        step = `pick store ${STORE_CODE} in the price card`;
        await antSelect(page, tid('price-store'), new RegExp(`^${STORE_CODE}\\b`), { search: STORE_CODE });
        await page.locator('[data-testid="price-timeline"] .ant-spin-spinning').waitFor({ state: 'detached' }).catch(() => {});

        step = 'add a temporary price';
        await tid('price-add').click();
        await tid('price-form-kind').getByText('临时价', { exact: true }).click();
        await tid('price-form-amount').fill(TEMPORARY);
        await pickDateTime(page, tid('price-form-starts'), shanghai(start));
        await pickDateTime(page, tid('price-form-ends'), shanghai(end));
        await tid('price-form-note').fill(`e2e ${tag}`);
        await snap('01-price-form');
        await tid('price-form-submit').click();
        await tid('price-form').waitFor({ state: 'hidden' });

        step = 'the timeline shows the temporary price';
        const row = page.locator('[data-testid="price-row-temporary"]').filter({ hasText: `e2e ${tag}` });
        await row.waitFor({ state: 'visible' });
        const timeline = {
          state: await row.getAttribute('data-state'),
          amount: await row.getAttribute('data-amount'),
          text: (await row.innerText()).replace(/\s+/g, ' ').trim(),
        };
        await snap('02-price-timeline');

        step = 'the API has the same row';
        const stores = (await apiCall(page, 'GET', '/auth/me')).body.stores;
        const storeId = stores.find((s) => s.code === STORE_CODE)?.id;
        const prices = await apiCall(page, 'GET', `/catalog/sku/${skuId}/prices?store_id=${storeId}`);
        const apiRows = (prices.body.items ?? prices.body).filter((p) => p.kind === 'temporary');

        step = '价格查询 inside the window';
        if (!(await tid('menu-catalog-price').isVisible())) await tid('menu-prices').click();
        await tid('menu-catalog-price').click();
        await tid('price-query-sku').waitFor({ state: 'visible' });
        await tid('price-query-sku').click();
        await page.keyboard.type(code);
        await tid(`sku-option-${code}`).waitFor({ state: 'visible' });
        await tid(`sku-option-${code}`).click();
        await antSelect(page, tid('price-query-store'), new RegExp(`^${STORE_CODE}\\b`), { search: STORE_CODE });
        await pickDateTime(page, tid('price-query-at'), shanghai(inside));
        await tid('price-query-submit').click();
        const result = tid('price-result');
        await result.waitFor({ state: 'visible' });
        await page.locator('[data-testid="price-result"][data-rule]').waitFor();
        const quote = {
          rule: await result.getAttribute('data-rule'),
          amount: await result.getAttribute('data-amount'),
          rule_text: (await tid('price-result-rule').innerText()).trim(),
          text: (await result.innerText()).replace(/\s+/g, ' ').slice(0, 300),
        };
        await snap('03-price-query');

        step = '价格查询 before the window (standard price)';
        await pickDateTime(page, tid('price-query-at'), shanghai(new Date(now + 5 * 60_000)));
        await tid('price-query-submit').click();
        await page.locator('[data-testid="price-result"][data-rule="standard"]').waitFor();
        const before = { rule: await result.getAttribute('data-rule'), amount: await result.getAttribute('data-amount') };

        if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
        if (pageErrors.length) throw fail(`page errors: ${pageErrors.join(' | ')}`);
        return {
          sku_id: skuId,
          code,
          store: STORE_CODE,
          window: [shanghai(start), shanghai(end)],
          query_at: shanghai(inside),
          timeline,
          api_rows: apiRows.map((p) => ({ amount: p.amount, state: p.state, store_id: p.store_id, starts_at: p.starts_at, ends_at: p.ends_at })),
          store_id: storeId,
          quote,
          before,
          not_found: bad,
          console_errors: consoleErrors,
          shots,
        };
      } catch (err) {
        await snap('failure');
        throw fail(`${step}: ${err.message}`, { step, not_found: bad, console_errors: consoleErrors, shots, ...(err.details ?? {}) });
      }
    },
    { timeoutMs: 20_000 },
  ),
);
