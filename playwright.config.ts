/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/*
 * End-to-end tests: Playwright driving the machine's Chromium (Debian's
 * /usr/bin/chromium; Playwright never downloads a browser here) against the
 * running demo. When the backend does not answer on :7007 the demo is
 * started first.
 */
import { defineConfig } from '@playwright/test';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const baseURL = process.env.PLAYWRIGHT_URL ?? 'http://localhost:3000';

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 60_000 },
  // The GitHub lifecycle spec (a model from its new config repo to a
  // production rollback, a freeze and a sealed secret: the longest) mostly
  // waits for checks, merges and polls of its own model; it runs beside the
  // other specs, which run one at a time as they share the demo's example
  // models.
  workers: 2,
  projects: [
    {
      name: 'lifecycle',
      testMatch: /ml-gitops-lifecycle\.spec\.ts$/,
      workers: 1,
    },
    {
      name: 'pages',
      testIgnore: /ml-gitops-lifecycle\.spec\.ts$/,
      workers: 1,
    },
  ],
  forbidOnly: !!process.env.CI,
  // a flaky test is fixed, never retried
  retries: 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'artifacts/e2e-report' }],
  ],
  outputDir: 'artifacts/e2e-results',
  webServer: process.env.PLAYWRIGHT_URL
    ? undefined
    : {
        command: 'bash scripts/demo.sh',
        // Ready when the backend is: the app's dev server listens from its
        // first seconds (and holds requests until its bundle is built), the
        // backend only once every plugin started, and the specs call it
        // from their first line.
        url: 'http://localhost:7007/.backstage/health/v1/readiness',
        reuseExistingServer: !process.env.CI,
        timeout: 300_000,
        stdout: 'ignore',
        stderr: 'pipe',
      },
  use: {
    baseURL,
    browserName: 'chromium',
    launchOptions: {
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    viewport: { width: 1400, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
