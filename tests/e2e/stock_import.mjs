#!/usr/bin/env node
// Browser test of 库存导入 (the import wizard for kind `stock`) and 库存总览's 历史时点, as the demo
// admin at one store with demo stock:
//   库存/库存导入: download the CSV template (its headers), 新建导入 (多个门店: the file names the
//   store), upload a counted list with an unknown SKU code → the errors step names row and column;
//   the fixed file previews A: now → counted (有差异) and B unchanged (无差异) → commit;
//   库存总览 at the store shows A's counted quantity, a click on its row opens its ledger, and
//   历史时点 set to a minute before the import shows A's old quantity; 回到当前库存 shows now again.
// Usage (repo root): node tests/e2e/stock_import.mjs <baseURL>
//   E2E_ADMIN_USER (admin)  E2E_ADMIN_PASSWORD (Retail@2026)  E2E_SCREENSHOT_DIR / E2E_SCREENSHOT (optional)
//   E2E_STOCK_IMPORT_STORE (S003)  CHROMIUM (/usr/bin/chromium)
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, confirmPopover, fail, loginAs, openMenuPage, pickDateTime, runCli, screenshotTo, withPage } from './lib.mjs';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node tests/e2e/stock_import.mjs <baseURL>');
  process.exit(2);
}

const ADMIN_USER = process.env.E2E_ADMIN_USER || 'admin';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || 'Retail@2026';
const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR || '';
// A store the other browser tests leave alone for the demo products (inventory.mjs moves only its own).
const STORE = process.env.E2E_STOCK_IMPORT_STORE || 'S003';
const ADDED = 7;

const tag = randomBytes(3).toString('hex').toUpperCase();
const unknownCode = `NOSKU${tag}`;
const squash = (s) => s.replace(/\s+/g, ' ').trim();

/** UTF-8 with BOM, CRLF: what Excel writes for 「CSV UTF-8」. */
function csv(rows) {
  return '\ufeff' + [['门店编码', '商品编码', '库存数量'], ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n';
}

/** "YYYY-MM-DD HH:mm" of an instant in Asia/Shanghai (UTC+8, no DST). */
function shanghaiMinute(ms) {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

await runCli('stock_import', () =>
  withPage(
    baseURL,
    async (page, { consoleErrors, pageErrors }) => {
      let step = 'start';
      const shots = [];
      const notFound = [];
      page.on('response', (r) => {
        if (r.status() === 404 && !r.url().includes('/_objects/')) notFound.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      const snap = async (name) => {
        const p = await screenshotTo(page, SHOT_DIR, name).catch(() => null);
        if (p) shots.push(p);
      };
      const tid = (id) => page.getByTestId(id);
      /** A list (ListTable) has finished loading what its filters ask for. */
      const listReady = async (testId) => {
        await page.locator(`[data-testid="${testId}"][data-loading="false"][data-loaded-for]:not([data-loaded-for=""])`).waitFor();
      };
      const dir = await mkdtemp(join(tmpdir(), 'ucm-stock-import-'));

      /** 新建导入 page → upload `file` → the mapping step (confirm it) → the results step. */
      async function uploadThroughWizard(file) {
        await tid('import-start').waitFor({ state: 'visible' });
        await page.locator('input[type=file]').setInputFiles(file);
        await tid('import-start').click();
        await tid('import-mapping').waitFor({ state: 'visible', timeout: 30_000 });
        await tid('import-mapping-next').click();
        return Promise.race([
          tid('import-invalid').waitFor({ state: 'visible', timeout: 30_000 }).then(() => 'invalid'),
          tid('import-preview').waitFor({ state: 'visible', timeout: 30_000 }).then(() => 'ready'),
          tid('import-failed').waitFor({ state: 'visible', timeout: 30_000 }).then(() => 'failed'),
        ]);
      }

      try {
        step = `log in as ${ADMIN_USER}`;
        await loginAs(page, ADMIN_USER, ADMIN_PASSWORD);

        step = `setup: two counted products with stock at ${STORE} (from the API)`;
        const stores = (await apiCall(page, 'GET', '/auth/me')).body.stores;
        const store = stores.find((s) => s.code === STORE);
        if (!store) throw fail(`store ${STORE} not among ${stores.map((s) => s.code)}`);
        const stock = (await apiCall(page, 'GET', `/inventory/stock?store_id=${store.id}&limit=100`)).body.items;
        const [a, b] = stock
          .filter((r) => !r.is_weighed && /^\d+$/.test(String(r.on_hand)) && Number(r.on_hand) > 0)
          .sort((x, y) => x.sku_code.localeCompare(y.sku_code));
        if (!a || !b) throw fail(`${STORE} has fewer than two counted products with stock`);
        const oldA = Number(a.on_hand);
        const counted = oldA + ADDED;
        // The picker names minutes: "before the import" is the first minute after A's last movement.
        const last = (await apiCall(page, 'GET', `/inventory/ledger?store_id=${store.id}&sku_id=${a.sku_id}&limit=1`)).body.items[0];
        const lastMs = last ? Date.parse(last.occurred_at) : Date.now() - 60_000;
        const beforeMs = Math.floor(lastMs / 60_000) * 60_000 + 60_000;
        const beforeText = shanghaiMinute(beforeMs);

        const badFile = join(dir, `stock-bad-${tag}.csv`);
        const goodFile = join(dir, `stock-${tag}.csv`);
        await writeFile(badFile, csv([[STORE, a.sku_code, counted], [STORE, unknownCode, 5], [STORE, b.sku_code, b.on_hand]]));
        await writeFile(goodFile, csv([[STORE, a.sku_code, counted], [STORE, b.sku_code, b.on_hand]]));

        step = 'open 库存/库存导入';
        await openMenuPage(page, 'menu-inventory', 'menu-inventory-imports', /\/inventory\/imports(\?|$)/);
        await page.locator('.ant-page-header-heading-title', { hasText: '库存导入' }).first().waitFor({ state: 'visible' });
        await listReady('import-table');
        await snap('01-stock-imports');

        step = 'download the CSV template of the stock kind';
        const csvItem = page.locator('.ant-dropdown:not(.ant-dropdown-hidden) .ant-dropdown-menu-item').filter({ hasText: 'CSV 模板' });
        // the menu opens on hover; if the toolbar moved under the pointer while the list loaded, hover again
        for (let attempt = 0; ; attempt++) {
          await tid('import-template').hover();
          try {
            await csvItem.waitFor({ state: 'visible', timeout: attempt < 2 ? 5_000 : 30_000 });
            break;
          } catch (err) {
            if (attempt >= 2) throw err;
            await page.mouse.move(0, 0);
          }
        }
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), csvItem.click()]);
        const templatePath = join(dir, 'template.csv');
        await download.saveAs(templatePath);
        const templateHeader = (await readFile(templatePath, 'utf8')).replace(/^\ufeff/, '').split(/\r?\n/)[0];

        step = '新建导入 (多个门店) and upload the file with an unknown product code';
        await tid('import-create').click();
        await page.waitForURL(/\/inventory\/imports\/new$/);
        const scopeText = squash(await tid('import-scope').innerText());
        const first = await uploadThroughWizard(badFile);
        if (first !== 'invalid') throw fail(`the file with an unknown product was "${first}", expected the errors step`);
        await tid('import-error-row').first().waitFor({ state: 'visible' });
        const errorRows = await tid('import-error-row').evaluateAll((rows) =>
          rows.map((r) => ({ row: r.getAttribute('data-row'), column: r.getAttribute('data-column'), text: r.innerText.replace(/\s+/g, ' ').trim() })),
        );
        const statusAfterBad = await tid('import-status').getAttribute('data-status');
        await snap('02-stock-import-errors');

        step = 'fix the file and upload again → preview now → counted';
        await tid('import-reupload').click();
        await page.waitForURL(/\/inventory\/imports\/new$/);
        const second = await uploadThroughWizard(goodFile);
        if (second !== 'ready') throw fail(`the fixed file was "${second}", expected the preview`);
        const counts = {};
        for (const k of ['update', 'unchanged']) counts[k] = Number(await tid(`import-count-${k}`).getAttribute('data-count'));
        const diffRow = tid('import-row-update').first();
        await diffRow.waitFor({ state: 'visible' });
        const preview = {
          key: await diffRow.getAttribute('data-key'),
          now: await diffRow.getAttribute('data-now'),
          counted: await diffRow.getAttribute('data-counted'),
          text: squash(await diffRow.innerText()),
        };
        await snap('03-stock-import-preview');

        step = `wait for ${beforeText} (the minute after ${a.sku_code}'s last movement) to pass before committing`;
        const wait = beforeMs + 1_000 - Date.now();
        if (wait > 0) await page.waitForTimeout(wait); // a clock boundary, not a guess: at most a minute

        step = 'commit';
        await tid('import-commit').click();
        await confirmPopover(page);
        await tid('import-done').waitFor({ state: 'visible', timeout: 30_000 });
        const doneText = squash(await tid('import-done').innerText());
        await snap('04-stock-import-done');

        step = 'the done step links to 库存总览';
        await tid('import-goto-list').click();
        await page.waitForURL(/\/inventory\/stock(\?|$)/);

        step = `库存总览 at ${STORE} shows the counted quantity`;
        await page.goto(`/inventory/stock?store_id=${store.id}&q=${encodeURIComponent(a.sku_code)}&limit=200`);
        await listReady('stock-table');
        const row = tid(`stock-row-${a.sku_code}`);
        await row.waitFor({ state: 'visible' });
        const nowShown = { on_hand: await row.getAttribute('data-on-hand'), text: squash(await row.innerText()) };
        await snap('05-stock-now');

        step = 'a click on the row (not on a link) opens its ledger';
        await row.locator('[data-testid="stock-on-hand"]').click();
        await page.waitForURL(/\/inventory\/ledger\?/);
        const ledgerQuery = Object.fromEntries(new URL(page.url()).searchParams);
        await page.goBack();
        await page.waitForURL(/\/inventory\/stock\?/);
        await listReady('stock-table');

        step = `历史时点 ${beforeText} shows the quantity before the import`;
        await pickDateTime(page, tid('stock-at'), beforeText);
        await tid('stock-as-of-banner').waitFor({ state: 'visible' });
        await listReady('stock-asof-table');
        const bannerText = squash(await tid('stock-as-of-text').innerText());
        const pastRow = tid(`stock-asof-row-${a.sku_code}`);
        // keyset pages by SKU: a store with many products may show ours on a later page
        while (!(await pastRow.count())) {
          const next = tid('stock-asof-table').getByTestId('pager-next');
          if (await next.isDisabled()) throw fail(`历史时点 lists no row for ${a.sku_code}`);
          const firstRow = await page.locator('[data-testid^="stock-asof-row-"]').first().getAttribute('data-testid');
          await next.click();
          await page.waitForFunction((before) => {
            const table = document.querySelector('[data-testid="stock-asof-table"]');
            const row = table?.querySelector('[data-testid^="stock-asof-row-"]');
            return table?.getAttribute('data-loading') === 'false' && row && row.getAttribute('data-testid') !== before;
          }, firstRow);
        }
        await pastRow.waitFor({ state: 'visible' });
        const past = { on_hand: await pastRow.getAttribute('data-on-hand'), text: squash(await pastRow.innerText()) };
        const atParam = new URL(page.url()).searchParams.get('at');
        await snap('06-stock-as-of');

        step = '回到当前库存';
        await tid('stock-as-of-back').click();
        await tid('stock-as-of-banner').waitFor({ state: 'detached' });
        await listReady('stock-table');
        const backOnHand = await tid(`stock-row-${a.sku_code}`).getAttribute('data-on-hand');

        if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
        if (pageErrors.length) throw fail(`page errors: ${pageErrors.join(' | ')}`);
        return {
          store_code: STORE,
          store_id: store.id,
          sku: { id: a.sku_id, code: a.sku_code },
          other_code: b.sku_code,
          old: oldA,
          counted,
          unknown_code: unknownCode,
          template_header: templateHeader,
          scope_text: scopeText,
          error_rows: errorRows,
          status_after_bad: statusAfterBad,
          counts,
          preview,
          done_text: doneText,
          now_shown: nowShown,
          ledger_query: ledgerQuery,
          before_text: beforeText,
          at_param: atParam,
          banner_text: bannerText,
          past,
          back_on_hand: backOnHand,
          not_found: notFound,
          console_errors: consoleErrors,
          shots,
        };
      } catch (err) {
        await snap('failure');
        throw fail(`${step}: ${err.message}`, { step, not_found: notFound, console_errors: consoleErrors, shots, ...(err.details ?? {}) });
      } finally {
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    },
    { timeoutMs: 30_000 }, // a CI machine under the parallel suites' load
  ),
);
