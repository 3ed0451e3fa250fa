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

/* `yarn workspace sandbox start`: starts every emulator and prints the ports. */

import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_PORTS,
  SANDBOX_CREDENTIALS,
  startSandbox,
  SystemName,
} from './sandbox';

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : Number(v);
}

async function main() {
  const ports: Partial<Record<SystemName | 'admin', number>> = {};
  for (const key of Object.keys(DEFAULT_PORTS) as Array<SystemName | 'admin'>) {
    const v = envNumber(`SANDBOX_${key.toUpperCase()}_PORT`);
    if (v !== undefined) ports[key] = v;
  }
  const dataDir =
    process.env.SANDBOX_DATA_DIR ?? path.resolve(process.cwd(), '.data');
  // The config repos' PR check runs the monorepo's own CLI, as a subprocess
  // (`yarn workspace sandbox start` runs in packages/sandbox).
  const cliBin =
    process.env.SANDBOX_ACTIONS_CLI ??
    path.resolve(process.cwd(), '../cli/bin/ml-gitops');
  const actions =
    process.env.SANDBOX_ACTIONS !== '0' && fs.existsSync(cliBin)
      ? { cliBin }
      : undefined;
  const rolloutSeconds = envNumber('SANDBOX_ROLLOUT_SECONDS');
  if (rolloutSeconds !== undefined && !(rolloutSeconds >= 0)) {
    throw new Error(
      `SANDBOX_ROLLOUT_SECONDS must be a number of seconds, 0 or more (got "${process.env.SANDBOX_ROLLOUT_SECONDS}")`,
    );
  }
  console.log('Seeding the config repos, registry and cluster state…');
  const sandbox = await startSandbox({
    ports,
    dataDir,
    webhookUrl:
      process.env.SANDBOX_WEBHOOK_URL ??
      'http://localhost:7007/api/events/http/github',
    // what app-config.sandbox.yaml verifies; SANDBOX_WEBHOOK_SECRET= (empty) sends unsigned
    webhookSecret:
      (process.env.SANDBOX_WEBHOOK_SECRET ?? 'sandbox-webhook-secret') ||
      undefined,
    gitlabWebhookUrl:
      process.env.SANDBOX_GITLAB_WEBHOOK_URL ??
      'http://localhost:7007/api/events/http/gitlab',
    // the secret token app-config.sandbox.yaml expects; empty sends none
    gitlabWebhookSecret:
      (process.env.SANDBOX_GITLAB_WEBHOOK_SECRET ?? 'sandbox-webhook-secret') ||
      undefined,
    logRequests: process.env.SANDBOX_LOG_REQUESTS === '1',
    mlflowBasicAuth: process.env.SANDBOX_MLFLOW_BASIC_AUTH === '1',
    actions,
    reconcileIntervalSeconds:
      envNumber('SANDBOX_RECONCILE_INTERVAL_SECONDS') ?? 120,
    reconcileJitterSeconds: envNumber('SANDBOX_RECONCILE_JITTER_SECONDS') ?? 60,
    rolloutSeconds,
  });
  const u = sandbox.urls;
  console.log(`ML GitOps sandbox is running (data in ${sandbox.dataDir})
  Git host (GitHub API)  ${u.git}   API ${u.gitApi}   clone ${
    u.git
  }/acme/fraud-detector-config.git
  Argo CD                ${u.argocd}   user ${
    SANDBOX_CREDENTIALS.argocd.username
  } / ${SANDBOX_CREDENTIALS.argocd.password}, token ${
    SANDBOX_CREDENTIALS.argocd.token
  }
  Kubernetes + Flux      ${u.kubernetes}   bearer token ${
    SANDBOX_CREDENTIALS.kubernetes.token
  }
  MLflow                 ${u.mlflow}${
    sandbox.current().mlflowApi.authEnabled
      ? `   basic auth ${SANDBOX_CREDENTIALS.mlflow.username} / ${SANDBOX_CREDENTIALS.mlflow.password}`
      : ''
  }
  Kubeflow Model Registry ${u.kubeflow}   bearer token ${
    SANDBOX_CREDENTIALS.kubeflow.token
  }
  GitLab                 ${u.gitlab}   API ${u.gitlab}/api/v4   token ${
    SANDBOX_CREDENTIALS.gitlab.token
  }   clone ${u.gitlab}/ml-platform/demand-forecaster-config.git
  Actions (PR check)     ${actions ? `runs ${actions.cliBin} validate` : 'off'}
  Test controls          ${u.admin}/_sandbox/state
Press Ctrl+C to stop.`);
  const stop = async () => {
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
