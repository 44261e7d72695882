#!/usr/bin/env node
// Browser test of identity & access: admin creates a store manager, the manager sees exactly one
// store and no 系统/用户 menu, and the creation is in the audit log.
// Usage (repo root): node tests/e2e/identity.mjs <baseURL>
//   E2E_ADMIN_USER (admin)  E2E_ADMIN_PASSWORD (Admin@2026)  E2E_STORE_CODE (S001)
//   E2E_SCREENSHOT_DIR (optional: a screenshot per step, and on failure)
//   E2E_SCREENSHOT (optional: path of the final screenshot)   CHROMIUM (/usr/bin/chromium)
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { antSelect, fail, openDropdown, runCli, screenshotTo, withPage } from './lib.mjs';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node tests/e2e/identity.mjs <baseURL>');
  process.exit(2);
}

const ADMIN_USER = process.env.E2E_ADMIN_USER || 'admin';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || 'Admin@2026';
const STORE_CODE = process.env.E2E_STORE_CODE || 'S001';
const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR || '';
const MANAGER_PASSWORD = 'Store@2026x';
const MANAGER_NEW_PASSWORD = 'Store@2026y'; // only if the server makes the manager change the initial one
const MANAGER_ROLE = '门店经理';
const TIMEOUT_MS = 15_000;

const username = `mgr_${randomBytes(4).toString('hex')}`;

await runCli('identity', () =>
  withPage(
    baseURL,
    async (page, { consoleErrors, pageErrors }) => {
      let step = 'start';
      let storesSeen = [];
      let systemSeen = [];
      const shots = [];
      const snap = async (name) => {
        const p = await screenshotTo(page, SHOT_DIR, name).catch(() => null);
        if (p) shots.push(p);
      };
      const tid = (id) => page.getByTestId(id);

      /** Logs in through the form; handles a forced password change. Returns the password now valid. */
      async function login(user, password, newPassword) {
        await tid('login-username').waitFor({ state: 'visible' });
        await tid('login-username').fill(user);
        await tid('login-password').fill(password);
        await tid('login-submit').click();
        const outcome = await Promise.race([
          tid('user-menu').waitFor({ state: 'visible' }).then(() => 'in'),
          tid('login-error').waitFor({ state: 'visible' }).then(() => 'error'),
          tid('login-totp').waitFor({ state: 'visible' }).then(() => 'totp'),
        ]);
        if (outcome === 'error') throw fail(`login as ${user} refused: ${(await tid('login-error').innerText()).trim()}`);
        if (outcome === 'totp') throw fail(`login as ${user} asks for a TOTP code (not supported by this test)`);
        // must_change_password → the layout opens a modal that cannot be dismissed.
        const forced = await tid('change-password-old')
          .waitFor({ state: 'visible', timeout: 2_000 })
          .then(() => true)
          .catch(() => false);
        if (!forced) return password;
        if (!newPassword) throw fail(`${user} must change the password first`);
        await tid('change-password-old').fill(password);
        await tid('change-password-new').fill(newPassword);
        await tid('change-password-confirm').fill(newPassword);
        await tid('change-password-submit').click();
        await tid('change-password-old').waitFor({ state: 'hidden' });
        // The server may end the session after a password change.
        const back = await Promise.race([
          tid('user-menu').waitFor({ state: 'visible' }).then(() => 'in'),
          tid('login-username').waitFor({ state: 'visible' }).then(() => 'login'),
        ]);
        if (back === 'login') return login(user, newPassword);
        return newPassword;
      }

      async function logout() {
        await tid('user-menu').click();
        await tid('user-menu-logout').click();
        await tid('login-username').waitFor({ state: 'visible' });
      }

      /** Waits until a list shows the rows loaded for filters containing `text` (data-loaded-for). */
      async function listLoadedFor(testId, text) {
        await page.locator(`[data-testid="${testId}"][data-loading="false"][data-loaded-for*=${JSON.stringify(text)}]`).waitFor({ state: 'attached' });
      }

      /** Opens a page under 系统 through the sidebar (expands the 系统 submenu when needed). */
      async function openSystemPage(id) {
        const item = tid(`menu-system-${id}`);
        if (!(await item.isVisible())) {
          await tid('menu-system').click();
        }
        await item.click();
      }

      try {
        // ---- 1. admin logs in and creates a store manager
        step = 'open login page';
        const response = await page.goto(baseURL, { waitUntil: 'domcontentloaded', timeout: TIMEOUT_MS });
        if (!response || !response.ok()) throw fail(`GET ${baseURL} answered ${response ? response.status() : 'nothing'}`);
        await snap('01-login');

        step = `log in as ${ADMIN_USER}`;
        await login(ADMIN_USER, ADMIN_PASSWORD);

        step = 'open 系统/用户';
        await openSystemPage('users');
        await tid('user-create').waitFor({ state: 'visible' });

        step = 'fill 新建用户';
        await tid('user-create').click();
        await tid('user-form-username').waitFor({ state: 'visible' });
        await tid('user-form-username').fill(username);
        await tid('user-form-display-name').fill(`门店经理 ${username}`);
        await tid('user-form-password').fill(MANAGER_PASSWORD);
        await antSelect(page, tid('user-form-binding-0-role'), MANAGER_ROLE);
        await tid('user-form-binding-0-scope-type').getByText('门店', { exact: true }).click();
        await antSelect(page, tid('user-form-binding-0-scope-ids'), new RegExp(`^${STORE_CODE}\\b`), { search: STORE_CODE });
        await page.locator('.ant-modal-title').filter({ hasText: '新建用户' }).click(); // close the dropdown
        await snap('02-user-form');

        step = 'submit 新建用户';
        await tid('user-form-submit').click();
        const outcome = await Promise.race([
          tid('user-form-username').waitFor({ state: 'detached' }).then(() => 'closed'),
          tid('user-form-error').waitFor({ state: 'visible' }).then(() => 'error'),
          page.locator('.ant-modal .ant-form-item-explain-error').first().waitFor({ state: 'visible' }).then(() => 'field'),
        ]);
        if (outcome !== 'closed') {
          const msgs = await page.locator('[data-testid="user-form-error"], .ant-modal .ant-form-item-explain-error').allInnerTexts();
          throw fail(`create user refused: ${msgs.join('; ')}`);
        }

        step = 'find the new user in the list';
        await tid('user-filter-q').fill(username);
        await tid('user-filter-submit').click();
        await listLoadedFor('user-table', username);
        const row = tid(`user-row-${username}`);
        await row.waitFor({ state: 'visible' });
        const userId = await row.getAttribute('data-user-id');
        const rowText = (await row.innerText()).replace(/\s+/g, ' ');
        if (!rowText.includes(MANAGER_ROLE)) throw fail(`the row of ${username} does not show ${MANAGER_ROLE}: ${rowText}`);
        await snap('03-user-list');

        step = `log out ${ADMIN_USER}`;
        await logout();

        // ---- 2. the manager sees one store and no 系统/用户
        step = `log in as ${username}`;
        await login(username, MANAGER_PASSWORD, MANAGER_NEW_PASSWORD);

        step = 'read the store switcher';
        await tid('store-switcher').click();
        const popup = page.locator('.store-switcher-popup:not(.ant-select-dropdown-hidden)');
        await popup.waitFor({ state: 'visible' });
        await popup.locator('[data-testid^="store-option-"]').first().waitFor({ state: 'visible' });
        const options = await popup.locator('[data-testid^="store-option-"]').evaluateAll((els) =>
          els.map((e) => ({ code: e.getAttribute('data-store-code'), text: (e.textContent || '').trim() })),
        );
        await snap('04-manager-stores');
        await page.keyboard.press('Escape');
        await openDropdown(page).waitFor({ state: 'hidden' }).catch(() => {});
        storesSeen = options.map((o) => o.text);
        if (options.length !== 1 || options[0].code !== STORE_CODE) {
          throw fail(`store switcher should offer exactly ${STORE_CODE}, got ${JSON.stringify(options)}`, { stores_seen: storesSeen });
        }

        step = 'check the 系统/用户 menu is hidden';
        await tid('menu-dashboard').waitFor({ state: 'visible' });
        const systemMenu = tid('menu-system');
        const systemItems = page.locator('[data-testid^="menu-system-"]');
        if ((await systemMenu.count()) > 0) {
          // Expand 系统 (its items are rendered once opened); click again if it was open already.
          for (let i = 0; i < 2; i++) {
            await systemMenu.click();
            await systemItems.first().waitFor({ state: 'visible', timeout: 1_500 }).catch(() => {});
            if (await systemItems.first().isVisible()) break;
          }
          systemSeen = await systemItems.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
        }
        if ((await tid('menu-system-users').count()) > 0) throw fail('a store manager sees the 系统/用户 menu item', { stores_seen: storesSeen, system_menu: systemSeen });
        await snap('05-manager-menu');

        step = `log out ${username}`;
        await logout();

        // ---- 3. admin finds the creation in the audit log
        step = `log in again as ${ADMIN_USER}`;
        await login(ADMIN_USER, ADMIN_PASSWORD);

        step = 'open 系统/审计日志';
        await openSystemPage('audit');
        await tid('audit-filter-action').waitFor({ state: 'visible' });

        step = 'filter the audit log by system.user.create';
        await tid('audit-filter-action').fill('system.user.create');
        await page.getByText('审计记录', { exact: false }).first().click(); // close the suggestions (Esc would clear the field)
        await tid('audit-filter-submit').click();
        await page.waitForURL(/action=system\.user\.create/);
        await listLoadedFor('audit-table', 'system.user.create');
        const byId = userId ? page.locator(`[data-testid^="audit-row-"][data-target-id="${userId}"]`) : null;
        const byName = page.locator('[data-testid^="audit-row-"]').filter({ hasText: username });
        const entry = byId ? byId.or(byName) : byName;
        await entry.first().waitFor({ state: 'visible' });
        const actions = await page.locator('[data-testid^="audit-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
        if (actions.some((a) => a !== 'system.user.create')) throw fail(`the audit filter let other actions through: ${[...new Set(actions)].join(', ')}`);
        const auditRow = (await entry.first().innerText()).replace(/\s+/g, ' ').trim();
        await entry.first().locator('.ant-table-row-expand-icon').click().catch(() => {});
        await snap('06-audit');
        if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true, animations: 'disabled' });

        return {
          username,
          user_id: userId,
          stores_seen: storesSeen,
          manager_system_menu: systemSeen,
          audit_found: true,
          audit_row: auditRow,
          screenshots: shots,
          page_errors: pageErrors,
        };
      } catch (err) {
        const dir = SHOT_DIR || tmpdir();
        const shot = await screenshotTo(page, dir, `identity-failure-${Date.now()}`).catch(() => null);
        const details = {
          username,
          step,
          stores_seen: storesSeen,
          url: page.url(),
          screenshot: shot,
          call_log: String(err?.message ?? '')
            .replace(/\u001b\[[0-9;]*m/g, '')
            .split('\n')
            .slice(1, 12)
            .map((l) => l.trim())
            .filter((l) => l && l !== 'Call log:'),
          console_errors: consoleErrors.slice(-10),
          page_errors: pageErrors,
          ...(err?.details ?? {}),
        };
        throw fail(`${step}: ${String(err?.message ?? err).split('\n')[0]}`, details);
      }
    },
    { timeoutMs: TIMEOUT_MS },
  ),
);
