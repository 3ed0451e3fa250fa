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

import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { backstageTarget } from '../lib/backstageTarget';
import { describeError, EXIT, UsageError } from '../lib/errors';
import type { CliIo } from '../main';
import {
  ScaffolderClient,
  TaskOutput,
  TaskTimeoutError,
} from './scaffolderClient';

export const DEPLOY_USAGE = `Usage: ml-gitops deploy --entity REF --version VERSION [options]

Opens the pull request that deploys VERSION of a model: runs Backstage's
ml-gitops-deploy template through the scaffolder API, waits for the task and
prints the pull request's URL. The template checks the version in the
registry and the gate before it touches Git. Made for the CI of a model's
code repo, after it registered the version.

Options:
  --entity REF          the model's catalog entity, e.g. component:default/fraud-detector
                        (default: $ML_GITOPS_ENTITY_REF)
  --version VERSION     the registry's version id to deploy, e.g. 13
  --environment NAME    the environment branch (default: the template's, the first environment)
  --backstage-url URL   Backstage's backend base URL (default: $BACKSTAGE_URL)
  --token-env NAME      environment variable holding a Backstage access token
                        (default: BACKSTAGE_TOKEN)
  --template REF        the deploy template (default: template:default/ml-gitops-deploy)
  --timeout SECONDS     how long to wait for the pull request (default: 600)
  -h, --help            show this help

Exit codes: 0 the pull request is open (its URL is printed),
            1 the deploy task failed (e.g. the version is not in the registry),
            2 usage, configuration or connection error.
`;

const DEFAULT_TEMPLATE = 'template:default/ml-gitops-deploy';
// kind:namespace/name with the catalog's character rules, kind and namespace optional.
const ENTITY_REF =
  /^(?:[A-Za-z][-A-Za-z0-9]*:)?(?:[a-z0-9][-a-z0-9]*\/)?[A-Za-z0-9][-A-Za-z0-9_.]*$/;
// The same rule as model_version in deploy/model.yaml.
const VERSION = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** The pull request link of the deploy template's output. */
export function pullRequestUrl(output: TaskOutput): string | undefined {
  const link = output.links?.find(
    l => l.title === 'Pull request' && typeof l.url === 'string',
  );
  return link?.url;
}

/** `ml-gitops deploy …`; resolves to the exit code. */
export async function deployCommand(
  argv: string[],
  io: CliIo,
): Promise<number> {
  const usageError = (message: string) => {
    io.stderr(`ml-gitops deploy: ${message}\n\n${DEPLOY_USAGE}`);
    return EXIT.error;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        entity: { type: 'string' },
        version: { type: 'string' },
        environment: { type: 'string' },
        'backstage-url': { type: 'string' },
        'token-env': { type: 'string' },
        template: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usageError(describeError(error));
  }
  if (values.help) {
    io.stdout(DEPLOY_USAGE);
    return EXIT.ok;
  }

  const entityRef = values.entity ?? (io.env.ML_GITOPS_ENTITY_REF || undefined);
  if (!entityRef) {
    return usageError(
      '--entity is required (or set ML_GITOPS_ENTITY_REF), e.g. --entity component:default/fraud-detector',
    );
  }
  if (!ENTITY_REF.test(entityRef)) {
    return usageError(
      `--entity ${JSON.stringify(
        entityRef,
      )} is not an entity reference; write kind:namespace/name, e.g. component:default/fraud-detector`,
    );
  }
  if (!values.version) {
    return usageError('--version is required, e.g. --version 13');
  }
  if (!VERSION.test(values.version)) {
    return usageError(
      `--version ${JSON.stringify(
        values.version,
      )} is not a registry version id: letters, digits, -, _ and . only, e.g. 13`,
    );
  }
  if (values.environment !== undefined && !VERSION.test(values.environment)) {
    return usageError(
      `--environment ${JSON.stringify(
        values.environment,
      )} is not a branch name such as dev`,
    );
  }

  const target = backstageTarget(values, io.env, {
    tokenHint: 'in GitHub Actions: a repository secret',
  });
  if (!target.ok) {
    return usageError(target.problem);
  }
  const { url: backstageUrl, token } = target;

  const timeout = values.timeout === undefined ? 600 : Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) {
    return usageError('--timeout takes whole seconds from 1 to 3600');
  }
  const templateRef = values.template ?? DEFAULT_TEMPLATE;

  const client = new ScaffolderClient({
    baseUrl: backstageUrl,
    token,
    fetch: io.fetch ?? fetch,
  });
  const redact = (text: string) => text.split(token).join('***');
  try {
    const taskId = await client.createTask(templateRef, {
      entityRef,
      version: values.version,
      ...(values.environment ? { environment: values.environment } : {}),
    });
    io.stderr(
      `ml-gitops deploy: started ${templateRef} for ${entityRef} version ${values.version} (task ${taskId})\n`,
    );
    const result = await client.waitForTask(taskId, timeout, event => {
      if (event.body.message) {
        io.stderr(
          redact(
            `  ${event.body.stepId ? `[${event.body.stepId}] ` : ''}${
              event.body.message
            }\n`,
          ),
        );
      }
    });
    if (result.status === 'failed') {
      io.stderr(
        redact(
          `ml-gitops deploy: the deploy task ${taskId} failed: ${result.message}\n`,
        ),
      );
      return EXIT.failed;
    }
    const url = pullRequestUrl(result.output);
    if (!url) {
      io.stderr(
        `ml-gitops deploy: task ${taskId} completed, but its output has no "Pull request" link; is ${templateRef} the ml-gitops deploy template?\n`,
      );
      return EXIT.error;
    }
    io.stdout(`${url}\n`);
    const summary = io.env.GITHUB_STEP_SUMMARY;
    if (summary) {
      appendFileSync(
        summary,
        `Deployment pull request for ${entityRef} version ${values.version}: ${url}\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError || error instanceof TaskTimeoutError) {
      io.stderr(redact(`ml-gitops deploy: ${error.message}\n`));
      return EXIT.error;
    }
    throw error;
  }
}
