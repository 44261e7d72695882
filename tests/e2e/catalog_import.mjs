#!/usr/bin/env node
// Browser test of the SKU import wizard: admin uploads a CSV with a bad barcode check digit → the
// errors step lists it (row, column, reason); fixed file → preview counts → commit → the product
// list finds the new products by name.
// Usage (repo root): node tests/e2e/catalog_import.mjs <baseURL>
//   E2E_ADMIN_USER (admin)  E2E_ADMIN_PASSWORD (Retail@2026)  E2E_SCREENSHOT_DIR (optional)
//   E2E_SCREENSHOT (optional: path of the final screenshot)   CHROMIUM (/usr/bin/chromium)
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, confirmPopover, ean13, fail, loginAs, openMenuPage, runCli, screenshotTo, withPage } from './lib.mjs';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node tests/e2e/catalog_import.mjs <baseURL>');
  process.exit(2);
}

const ADMIN_USER = process.env.E2E_ADMIN_USER || 'admin';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || 'Retail@2026';
const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR || '';

const tag = randomBytes(3).toString('hex').toUpperCase();
const digits = () => String(randomInt(0, 1e10)).padStart(10, '0');
const codes = [`IM${tag}1`, `IM${tag}2`];
const names = [`导入测试${tag}甲`, `导入测试${tag}乙`];
const goodBarcodes = [ean13(`69${digits()}`), ean13(`69${digits()}`)];
// same body, wrong check digit
const badBarcode = goodBarcodes[0].slice(0, 12) + String((Number(goodBarcodes[0][12]) + 1) % 10);

function csv(rows) {
  const header = ['商品编码', '商品名称', '类目', '单位', '税率', '条码', '标准价', '会员价'];
  return '\ufeff' + [header, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n';
}

await runCli('catalog_import', () =>
  withPage(
    baseURL,
    async (page, { consoleErrors, pageErrors }) => {
      let step = 'start';
      const shots = [];
      const bad = [];
      page.on('response', (r) => {
        if (r.status() === 404 && !r.url().includes('/_objects/')) bad.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      const snap = async (name) => {
        const p = await screenshotTo(page, SHOT_DIR, name).catch(() => null);
        if (p) shots.push(p);
      };
      const tid = (id) => page.getByTestId(id);
      const dir = await mkdtemp(join(tmpdir(), 'ucm-import-'));

      /** 新建导入 → upload `file` → the mapping step (confirm it) → the results step. */
      async function uploadThroughWizard(file) {
        await tid('import-start').waitFor({ state: 'visible' });
        await page.locator('input[type=file]').setInputFiles(file);
        await tid('import-start').click();
        await tid('import-mapping').waitFor({ state: 'visible', timeout: 30_000 });
        await snap(`${step.replace(/\W+/g, '-')}-mapping`);
        await tid('import-mapping-next').click();
        const outcome = await Promise.race([
          tid('import-invalid').waitFor({ state: 'visible', timeout: 30_000 }).then(() => 'invalid'),
          tid('import-preview').waitFor({ state: 'visible', timeout: 30_000 }).then(() => 'ready'),
          tid('import-failed').waitFor({ state: 'visible', timeout: 30_000 }).then(() => 'failed'),
        ]);
        return outcome;
      }

      try {
        step = `log in as ${ADMIN_USER}`;
        await loginAs(page, ADMIN_USER, ADMIN_PASSWORD);

        step = 'setup: a category for the imported products';
        const cat = await apiCall(page, 'POST', '/catalog/categories', { code: `IMC${tag}`, name: `导入测试类目${tag}`, parent_id: null, sort: 900 });
        const catCode = cat.body.code;

        const badFile = join(dir, `sku-bad-${tag}.csv`);
        const goodFile = join(dir, `sku-${tag}.csv`);
        await writeFile(
          badFile,
          csv([
            [codes[0], names[0], catCode, '瓶', '0.13', badBarcode, '3.50', '3.20'],
            [codes[1], names[1], catCode, '瓶', '0.13', goodBarcodes[1], '4.00', ''],
          ]),
        );
        await writeFile(
          goodFile,
          csv([
            [codes[0], names[0], catCode, '瓶', '0.13', goodBarcodes[0], '3.50', '3.20'],
            [codes[1], names[1], catCode, '瓶', '0.13', goodBarcodes[1], '4.00', ''],
          ]),
        );

        step = 'open 商品/商品导入 → 新建导入';
        await openMenuPage(page, 'menu-catalog', 'menu-imports', /\/imports(\?|$)/);
        await tid('import-create').click();

        step = 'upload the file with a bad check digit';
        const first = await uploadThroughWizard(badFile);
        if (first !== 'invalid') throw fail(`the file with a bad barcode was "${first}", expected the errors step`);
        const errorRow = tid('import-error-row').first();
        await errorRow.waitFor({ state: 'visible' });
        const errorRows = await tid('import-error-row').evaluateAll((rows) =>
          rows.map((r) => ({ row: r.getAttribute('data-row'), column: r.getAttribute('data-column'), text: r.innerText.replace(/\s+/g, ' ').trim() })),
        );
        await snap('02-import-errors');
        const statusAfterBad = await tid('import-status').getAttribute('data-status');

        step = 'fix the file and upload again';
        await tid('import-reupload').click();
        const second = await uploadThroughWizard(goodFile);
        if (second !== 'ready') throw fail(`the fixed file was "${second}", expected the preview`);
        const counts = {};
        for (const k of ['create', 'update', 'unchanged']) counts[k] = Number(await tid(`import-count-${k}`).getAttribute('data-count'));
        const previewKeys = await tid('import-row-create').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
        await snap('03-import-preview');

        step = 'commit';
        await tid('import-commit').click();
        await confirmPopover(page);
        await tid('import-done').waitFor({ state: 'visible', timeout: 30_000 });
        const doneText = (await tid('import-done').innerText()).replace(/\s+/g, ' ');
        await snap('04-import-done');

        step = 'the product list finds the new products by name';
        await tid('import-goto-list').click();
        await tid('sku-filter-q').waitFor({ state: 'visible' });
        let listed = [];
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          await tid('sku-filter-q').fill(`导入测试${tag}`);
          await tid('sku-filter-submit').click();
          await page.locator(`[data-testid="sku-table"][data-loading="false"][data-loaded-for*=${JSON.stringify(tag)}]`).waitFor({ state: 'attached' });
          listed = await page.locator('[data-testid^="sku-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid').slice('sku-row-'.length)));
          if (codes.every((c) => listed.includes(c))) break;
          await page.waitForTimeout(1000); // the search index follows the import's events
        }
        await snap('05-sku-list');
        if (!codes.every((c) => listed.includes(c))) throw fail(`the product list shows ${JSON.stringify(listed)} for the name, expected ${codes}`);
        const rowText = (await tid(`sku-row-${codes[0]}`).innerText()).replace(/\s+/g, ' ');

        if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
        if (pageErrors.length) throw fail(`page errors: ${pageErrors.join(' | ')}`);
        return {
          codes,
          names,
          bad_barcode: badBarcode,
          error_rows: errorRows,
          status_after_bad: statusAfterBad,
          counts,
          preview_keys: previewKeys,
          done_text: doneText,
          listed,
          row_text: rowText,
          not_found: bad,
          console_errors: consoleErrors,
          shots,
        };
      } catch (err) {
        await snap('failure');
        const e = fail(`${step}: ${err.message}`, { step, not_found: bad, console_errors: consoleErrors, shots, ...(err.details ?? {}) });
        throw e;
      } finally {
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    },
    { timeoutMs: 30_000 },  // a CI machine under the parallel suites' load
  ),
);
