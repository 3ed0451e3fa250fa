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
  workers: 1,
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
