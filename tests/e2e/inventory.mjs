#!/usr/bin/env node
// Browser test of the inventory pages (the issue's words): "receive goods, transfer to another
// store, receive there, run a stocktake with a variance and approve it; the numbers match
// everywhere". As the demo admin, in the UI only (the API only creates the test's own product):
//   出入库 at S001: scan the barcode twice (+1 each), type RECEIVED, post → new on hand shown
//   调拨 S001 → S002 of SENT: create, ship; 库存总览 at both stores (on hand, in transit); receive at S002
//   盘点 at S002: count COUNTED (≠ SENT), submit, give a reason, approve
//   库存总览 and 库存流水 at S002 show the counted quantity.
// Then a scanner's file for a stocktake at S003 (rows of one product summed) and cancelling it,
// a weighed product (kg, no barcode) adjusted by search at S004 and a damage beyond the stock
// refused with nothing written, and each side of a transfer as its store manager: S001's sees 发货 (not 收货), S002's 收货 only.
// Usage (repo root): node tests/e2e/inventory.mjs <baseURL>
//   E2E_ADMIN_USER (admin)  E2E_ADMIN_PASSWORD (Retail@2026)  E2E_SCREENSHOT_DIR / E2E_SCREENSHOT (optional)
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { antSelect, apiCall, confirmPopover, ean13, fail, loginAs, openMenuPage, runCli, screenshotTo, withPage } from './lib.mjs';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node tests/e2e/inventory.mjs <baseURL>');
  process.exit(2);
}

const ADMIN_USER = process.env.E2E_ADMIN_USER || 'admin';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || 'Retail@2026';
const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR || '';
const FROM = 'S001';
const TO = 'S002';
const RECEIVED = 30;
const SENT = 12;
const COUNTED = 10;
const FILE_STORE = 'S003';
const KG_STORE = 'S004';
const KG_CODE = '200002'; // 香蕉 (demo data), sold by kg
const MANAGER_PASSWORD = 'Store@2026x';
const MANAGER_NEW_PASSWORD = 'Store@2026y';

const tag = randomBytes(3).toString('hex').toUpperCase();
const code = `IV${tag}`;
const name = `库存测试${tag}`;
const barcode = ean13(`69${String(randomInt(0, 1e10)).padStart(10, '0')}`);

const squash = (s) => s.replace(/\s+/g, ' ').trim();

await runCli('inventory', () =>
  withPage(
    baseURL,
    async (page, { consoleErrors, pageErrors }) => {
      let step = 'start';
      const shots = [];
      const notFound = [];
      page.on('response', (r) => {
        if (r.status() === 404) notFound.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      const snap = async (n) => {
        const p = await screenshotTo(page, SHOT_DIR, n).catch(() => null);
        if (p) shots.push(p);
      };
      const tid = (id) => page.getByTestId(id);
      /** A list (ListTable) has finished loading what its filters ask for. */
      const listReady = async (testId) => {
        await page.locator(`[data-testid="${testId}"][data-loading="false"][data-loaded-for]:not([data-loaded-for=""])`).waitFor();
      };
      /** The stock row of our product at a store, read from the overview page. */
      const stockAt = async (storeId, label) => {
        await page.goto(`/inventory/stock?store_id=${storeId}&q=${encodeURIComponent(code)}`);
        await listReady('stock-table');
        const row = tid(`stock-row-${code}`);
        await row.waitFor({ state: 'visible' });
        await snap(`stock-${label}`);
        return {
          on_hand: await row.getAttribute('data-on-hand'),
          in_transit: await row.getAttribute('data-in-transit'),
          ats: await row.getAttribute('data-ats'),
          text: squash(await row.innerText()),
        };
      };
      /** Status tag of a detail page reaching `status`. */
      const statusIs = (testId, status) => page.locator(`[data-testid="${testId}"][data-status="${status}"]`).waitFor();
      /** Log out and in as someone else. */
      const switchTo = async (user, password = MANAGER_NEW_PASSWORD) => {
        await tid('user-menu').click();
        await tid('user-menu-logout').click();
        await tid('login-username').waitFor({ state: 'visible' });
        await loginAs(page, user, password);
      };

      try {
        step = `log in as ${ADMIN_USER}`;
        await loginAs(page, ADMIN_USER, ADMIN_PASSWORD);
        const stores = (await apiCall(page, 'GET', '/auth/me')).body.stores;
        const storeId = (c) => {
          const s = stores.find((x) => x.code === c);
          if (!s) throw fail(`store ${c} not in the admin's stores`);
          return s.id;
        };
        const fromId = storeId(FROM);
        const toId = storeId(TO);

        step = 'setup: a category and a product with a barcode (catalog API)';
        const cat = await apiCall(page, 'POST', '/catalog/categories', { code: `IVC${tag}`, name: `库存测试类目${tag}`, parent_id: null, sort: 900 });
        const sku = await apiCall(page, 'POST', '/catalog/sku', {
          code, name, category_id: cat.body.id, unit: '瓶', is_weighed: false, tax_rate: '0.13', status: 'active',
          store_id: null, packs: [], barcodes: [{ code: barcode, pack_name: null }], standard_price: '5.00',
        });
        const skuId = sku.body.id;
        // A store has one open stocktake at a time: one left by an earlier run on this runner goes.
        for (const status of ['counting', 'review']) {
          for (const open of (await apiCall(page, 'GET', `/inventory/stocktakes?store_id=${toId}&status=${status}`)).body.items) {
            await apiCall(page, 'POST', `/inventory/stocktakes/${open.id}/cancel`, { version: open.version });
          }
        }

        // ---- 出入库: receive at S001
        step = 'open 出入库 from the menu';
        await openMenuPage(page, 'menu-inventory', 'menu-inventory-move', '**/inventory/move');
        await tid('move-form').waitFor({ state: 'visible' });
        await antSelect(page, tid('move-store'), new RegExp(`^${FROM}\\b`), { search: FROM });

        step = 'scan the barcode twice: one line, quantity 2, the box keeps the focus';
        const scanBox = tid('move-scan-barcode');
        await scanBox.click();
        await page.keyboard.type(barcode);
        await page.keyboard.press('Enter');
        await tid(`move-scan-qty-${code}`).waitFor({ state: 'visible' });
        await page.locator('[data-testid="move-scan-barcode"]:not([disabled])').waitFor();
        await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'move-scan-barcode');
        await page.keyboard.type(barcode); // straight into the focused box, as a scanner would
        await page.keyboard.press('Enter');
        await page.locator(`[data-testid="move-scan-qty-${code}"][value="2"]`).waitFor();
        const scannedTwice = await tid(`move-scan-qty-${code}`).inputValue();
        const scanLines = await page.locator('[data-testid^="move-scan-line-"]').count();

        step = `type the received quantity ${RECEIVED} and post`;
        await tid(`move-scan-qty-${code}`).fill(String(RECEIVED));
        await tid('move-ref').fill(`PO-${tag}`);
        await snap('01-move-form');
        await tid('move-submit').click();
        const moveResult = tid(`move-result-${code}`);
        await moveResult.waitFor({ state: 'visible' });
        const afterReceipt = { on_hand: await moveResult.getAttribute('data-on-hand'), delta: await moveResult.getAttribute('data-delta'), text: squash(await moveResult.innerText()) };
        await snap('02-move-result');

        // ---- 调拨: S001 → S002
        step = 'create a transfer S001 → S002';
        await page.goto(`/inventory/transfers?store_id=${fromId}`);
        await tid('transfer-create').click();
        await tid('transfer-scan-barcode').waitFor({ state: 'visible' });
        await antSelect(page, tid('transfer-form-from'), new RegExp(`^${FROM}\\b`), { search: FROM });
        await antSelect(page, tid('transfer-form-to'), new RegExp(`^${TO}\\b`), { search: TO });
        await tid('transfer-form-note').fill(`e2e ${tag}`);
        await tid('transfer-scan-barcode').click();
        await page.keyboard.type(barcode);
        await page.keyboard.press('Enter');
        await tid(`transfer-scan-qty-${code}`).waitFor({ state: 'visible' });
        await tid(`transfer-scan-qty-${code}`).fill(String(SENT));
        await snap('03-transfer-form');
        await tid('transfer-form-submit').click();
        await page.waitForURL(/\/inventory\/transfers\/[^/?]+$/);
        await statusIs('transfer-status', 'created');
        const transferUrl = page.url();

        step = 'ship it (S001 side)';
        await tid('transfer-ship').click();
        await confirmPopover(page);
        await statusIs('transfer-status', 'shipped');
        await tid(`transfer-line-${code}`).waitFor();
        const shippedLine = await tid(`transfer-line-${code}`).getAttribute('data-shipped');
        await snap('04-transfer-shipped');

        step = '库存总览 at both stores while in transit';
        const fromInTransit = await stockAt(fromId, 'from-shipped');
        const toInTransit = await stockAt(toId, 'to-shipped');

        step = 'open the transfer and receive at S002';
        await page.goto(transferUrl);
        await statusIs('transfer-status', 'shipped');
        await tid('transfer-receive').click();
        await tid(`receive-qty-${code}`).waitFor({ state: 'visible' });
        const prefilled = await tid(`receive-qty-${code}`).inputValue();
        await tid('receive-submit').click();
        await statusIs('transfer-status', 'received');
        const receivedLine = await tid(`transfer-line-${code}`).getAttribute('data-received');
        await snap('05-transfer-received');

        step = '库存总览 at both stores after receipt';
        const fromAfter = await stockAt(fromId, 'from-received');
        const toAfter = await stockAt(toId, 'to-received');

        // ---- 盘点 at S002
        step = 'start a stocktake at S002';
        await page.goto(`/inventory/stocktakes?store_id=${toId}`);
        await tid('stocktake-create').click();
        await tid('stocktake-form-store').waitFor({ state: 'visible' });
        // 盘点范围: the test's own category, so the count covers our product only
        await tid('stocktake-form-categories').click();
        await page.keyboard.type(`库存测试类目${tag}`);
        const treeNode = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-tree-node-content-wrapper').filter({ hasText: `库存测试类目${tag}` }).first();
        await treeNode.waitFor({ state: 'visible' });
        await treeNode.click();
        await page.locator('.ant-modal-title').click(); // closes the tree dropdown, not the dialog
        await tid('stocktake-form-note').fill(`e2e ${tag}`);
        await tid('stocktake-form-submit').click();
        await page.waitForURL(/\/inventory\/stocktakes\/[^/?]+$/);
        await statusIs('stocktake-status', 'counting');
        const stocktakeUrl = page.url();

        step = `count ${COUNTED} of the product`;
        const search = page.locator('input[data-testid="stocktake-q"], [data-testid="stocktake-q"] input').first();
        await search.fill(code);
        await search.press('Enter');
        const countBox = tid(`stocktake-count-${code}`);
        await countBox.waitFor({ state: 'visible' });
        await countBox.fill(String(COUNTED));
        await countBox.press('Enter');
        await page.locator(`[data-testid="stocktake-line-${code}"][data-counted="${COUNTED}"]`).waitFor();
        await snap('06-stocktake-counted');

        step = 'submit the stocktake';
        await tid('stocktake-submit').click();
        await tid('stocktake-submit-ok').click();
        await statusIs('stocktake-status', 'review');
        const line = tid(`stocktake-line-${code}`);
        await page.locator(`[data-testid="stocktake-line-${code}"][data-variance]:not([data-variance=""])`).waitFor();
        const review = { expected: await line.getAttribute('data-expected'), counted: await line.getAttribute('data-counted'), variance: await line.getAttribute('data-variance'), text: squash(await line.innerText()) };

        step = 'give the variance a reason';
        await antSelect(page, tid(`stocktake-reason-${code}`), '破损');
        await tid('stocktake-reasons-missing').waitFor({ state: 'detached' });
        await snap('07-stocktake-review');

        step = 'approve';
        await page.locator('[data-testid="stocktake-approve"]:not([disabled])').waitFor();
        await tid('stocktake-approve').click();
        await confirmPopover(page);
        await statusIs('stocktake-status', 'approved');
        const totalsText = squash(await tid('stocktake-totals').innerText());
        await snap('08-stocktake-approved');

        step = '库存总览 at S002 shows the counted quantity';
        const toCounted = await stockAt(toId, 'to-counted');

        step = 'row click → 库存流水 at S002 for the product';
        await tid(`stock-link-${code}`).click();
        await page.waitForURL(/\/inventory\/ledger\?/);
        await listReady('ledger-table');
        const ledgerRows = page.locator(`[data-testid="ledger-row-${code}"]`);
        await ledgerRows.first().waitFor({ state: 'visible' });
        const ledgerTo = [];
        for (let i = 0; i < (await ledgerRows.count()); i++) {
          const r = ledgerRows.nth(i);
          ledgerTo.push({ reason: await r.getAttribute('data-reason'), delta: await r.getAttribute('data-delta'), after: await r.getAttribute('data-on-hand-after'), text: squash(await r.innerText()) });
        }
        const ledgerUrl = new URL(page.url());
        await snap('09-ledger-to');

        step = '库存流水 at S001 for the product';
        await page.goto(`/inventory/ledger?store_id=${fromId}&sku_id=${skuId}`);
        await listReady('ledger-table');
        await ledgerRows.first().waitFor({ state: 'visible' });
        const ledgerFrom = [];
        for (let i = 0; i < (await ledgerRows.count()); i++) {
          const r = ledgerRows.nth(i);
          ledgerFrom.push({ reason: await r.getAttribute('data-reason'), delta: await r.getAttribute('data-delta'), after: await r.getAttribute('data-on-hand-after'), text: squash(await r.innerText()) });
        }

        // ---- a scanner's file at S003: three scans and one row of 2 → counted 5; then cancelled
        step = 'scanner file: a stocktake at S003 (setup), 导入扫码枪文件';
        const fileStoreId = storeId(FILE_STORE);
        for (const status of ['counting', 'review']) {
          for (const open of (await apiCall(page, 'GET', `/inventory/stocktakes?store_id=${fileStoreId}&status=${status}`)).body.items) {
            await apiCall(page, 'POST', `/inventory/stocktakes/${open.id}/cancel`, { version: open.version });
          }
        }
        const fileTake = await apiCall(page, 'POST', '/inventory/stocktakes', { store_id: fileStoreId, category_ids: [cat.body.id], note: `e2e file ${tag}` });
        const dir = await mkdtemp(join(tmpdir(), 'ucm-e2e-scan-'));
        const scanFile = join(dir, `scanner-${tag}.csv`);
        await writeFile(scanFile, `条码,数量\n${barcode},\n${barcode},\n${barcode},\n${barcode},2\n`);
        await page.goto(`/inventory/stocktakes/${fileTake.body.id}`);
        await statusIs('stocktake-status', 'counting');
        await tid('stocktake-import').click();
        await page.locator('[data-testid="scanner-file"] input[type=file]').setInputFiles(scanFile);
        await page.locator('[data-testid="scanner-file-job"][data-status="ready"], [data-testid="scanner-file-job"][data-status="invalid"], [data-testid="scanner-file-job"][data-status="failed"]').waitFor();
        const fileStatus = await tid('scanner-file-job').getAttribute('data-status');
        if (fileStatus !== 'ready') throw fail(`scanner file ${fileStatus}: ${squash(await tid('scanner-file-job').innerText())}`);
        await tid('scanner-file-commit').click();
        await tid('scanner-file').waitFor({ state: 'hidden' });
        await page.locator(`[data-testid="stocktake-line-${code}"][data-counted]:not([data-counted=""])`).waitFor();
        const fileCounted = await tid(`stocktake-line-${code}`).getAttribute('data-counted');
        await snap('10-scanner-file');
        step = 'scanner file: cancel that stocktake';
        await tid('stocktake-cancel').click();
        await confirmPopover(page);
        await statusIs('stocktake-status', 'cancelled');

        // ---- a weighed product: adjustment by search (no barcode), then a refused damage
        step = `weighed: adjust ${KG_CODE} at ${KG_STORE} by -1.25 kg`;
        const kgStoreId = storeId(KG_STORE);
        const kgBefore = (await apiCall(page, 'GET', `/inventory/stock?store_id=${kgStoreId}&q=${KG_CODE}`)).body.items.find((i) => i.sku_code === KG_CODE);
        if (!kgBefore) throw fail(`${KG_CODE} has no stock at ${KG_STORE} (demo data)`);
        await page.goto('/inventory/move');
        await tid('move-form').waitFor({ state: 'visible' });
        await antSelect(page, tid('move-store'), new RegExp(`^${KG_STORE}\\b`), { search: KG_STORE });
        await antSelect(page, tid('move-reason'), '手工调整');
        await antSelect(page, tid('move-reason-code'), '更正录入错误');
        await tid('move-scan-sku').click();
        await page.keyboard.type(KG_CODE);
        await tid(`sku-option-${KG_CODE}`).click();
        await tid(`move-scan-qty-${KG_CODE}`).fill('-1.25');
        await tid('move-submit').click();
        const kgResult = tid(`move-result-${KG_CODE}`);
        await kgResult.waitFor({ state: 'visible' });
        const kgAdjusted = { before: kgBefore.on_hand, delta: await kgResult.getAttribute('data-delta'), on_hand: await kgResult.getAttribute('data-on-hand') };

        step = 'weighed: a damage beyond the stock is refused, nothing written';
        await antSelect(page, tid('move-reason'), '报损');
        await tid('move-scan-sku').click();
        await page.keyboard.type(KG_CODE);
        await tid(`sku-option-${KG_CODE}`).click();
        await tid(`move-scan-qty-${KG_CODE}`).fill('999');
        await tid('move-submit').click();
        await tid('move-error').waitFor({ state: 'visible' });
        const refused = { code: await tid('move-error').getAttribute('data-code'), text: squash(await tid('move-error').innerText()) };
        const kgAfter = (await apiCall(page, 'GET', `/inventory/stock?store_id=${kgStoreId}&q=${KG_CODE}`)).body.items.find((i) => i.sku_code === KG_CODE);
        Object.assign(kgAdjusted, { refused, after_refusal: kgAfter.on_hand });
        await snap('12-weighed-refused');

        // ---- each side of a transfer, as the store managers of S001 and S002
        step = 'setup: store managers of S001 and S002, a transfer S001 → S002 of 1 (API)';
        const managers = {};
        for (const c of [FROM, TO]) {
          const username = `inv${c.toLowerCase()}${tag.toLowerCase()}`;
          await apiCall(page, 'POST', '/system/users', {
            username, display_name: `${c} 店长`, password: MANAGER_PASSWORD,
            bindings: [{ role_code: 'store_manager', scope_type: 'stores', scope_ids: [storeId(c)] }],
          });
          // the first password is the admin's: the manager sets their own (API), then logs in (UI)
          const changed = await page.evaluate(async ([u, old, neu]) => {
            const login = await fetch('/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: u, password: old }) });
            const t = (await login.json()).access_token;
            const r = await fetch('/auth/password', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${t}` }, body: JSON.stringify({ old_password: old, new_password: neu }) });
            return r.status;
          }, [username, MANAGER_PASSWORD, MANAGER_NEW_PASSWORD]);
          if (changed !== 204) throw fail(`password change for ${username} answered ${changed}`);
          managers[c] = username;
        }
        const sideTransfer = await apiCall(page, 'POST', '/inventory/transfers', { from_store_id: fromId, to_store_id: toId, lines: [{ sku_id: skuId, quantity: 1 }], note: `e2e sides ${tag}` });
        const sideUrl = `/inventory/transfers/${sideTransfer.body.id}`;
        const buttons = async () => ({
          ship: await tid('transfer-ship').isVisible(),
          receive: await tid('transfer-receive').isVisible(),
          cancel: await tid('transfer-cancel').isVisible(),
          close: await tid('transfer-close').isVisible(),
        });

        step = `as ${FROM}'s manager: the created transfer offers 发货, and ship it`;
        await switchTo(managers[FROM]);
        await page.goto(sideUrl);
        await statusIs('transfer-status', 'created');
        await tid('transfer-ship').waitFor({ state: 'visible' });
        const sourceCreated = await buttons();
        await tid('transfer-ship').click();
        await confirmPopover(page);
        await statusIs('transfer-status', 'shipped');
        const sourceShipped = await buttons();

        step = `as ${TO}'s manager: 收货 only, and receive`;
        await switchTo(managers[TO]);
        await page.goto(sideUrl);
        await statusIs('transfer-status', 'shipped');
        await tid('transfer-receive').waitFor({ state: 'visible' });
        const destShipped = await buttons();
        await tid('transfer-receive').click();
        await tid(`receive-qty-${code}`).waitFor({ state: 'visible' });
        await tid('receive-submit').click();
        await statusIs('transfer-status', 'received');
        await snap('11-manager-received');
        const managerStock = await stockAt(toId, 'manager-to');

        if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
        if (pageErrors.length) throw fail(`page errors: ${pageErrors.join(' | ')}`);
        return {
          code, sku_id: skuId, from_store_id: fromId, to_store_id: toId,
          quantities: { received: RECEIVED, sent: SENT, counted: COUNTED },
          scanned_twice: scannedTwice, scan_lines: scanLines,
          after_receipt: afterReceipt,
          shipped_line: shippedLine, prefilled, received_line: receivedLine,
          stock: { from_in_transit: fromInTransit, to_in_transit: toInTransit, from_after: fromAfter, to_after: toAfter, to_counted: toCounted },
          stocktake: { url: stocktakeUrl, review, totals_text: totalsText },
          scanner_file: { rows: 4, counted: fileCounted },
          weighed: kgAdjusted,
          sides: { source_created: sourceCreated, source_shipped: sourceShipped, dest_shipped: destShipped, dest_stock: managerStock },
          ledger_to: ledgerTo, ledger_to_query: Object.fromEntries(ledgerUrl.searchParams), ledger_from: ledgerFrom,
          not_found: notFound, console_errors: consoleErrors, shots,
        };
      } catch (err) {
        await snap('failure');
        throw fail(`${step}: ${err.message}`, { step, not_found: notFound, console_errors: consoleErrors, shots, ...(err.details ?? {}) });
      }
    },
    { timeoutMs: 30_000 },
  ),
);
