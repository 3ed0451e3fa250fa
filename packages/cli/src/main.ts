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

import path from 'node:path';
import { parseArgs } from 'node:util';
import { auditCommand } from './audit/command';
import { deployCommand } from './deploy/command';
import { describeError, EXIT, UsageError } from './lib/errors';
import {
  parseLabelsOption,
  PullRequestLabels,
  pullRequestNumberFromEnv,
  readEventLabels,
} from './lib/labels';
import {
  hostContexts,
  HostContexts,
  mergeRequestLabels,
} from './lib/hostOptions';
import { formatReport, OUTPUT_FORMATS, OutputFormat } from './output/format';
import { validate } from './validate';
import { REGISTRY_CLIENT_TYPES } from '@ml-gitops/plugin-ml-gitops-common';

/** Where the CLI writes and what it reads from its environment. */
export type CliIo = {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A fetch for the registry (tests); the global one otherwise. */
  fetch?: typeof fetch;
};

export const USAGE = `Usage: ml-gitops validate [DIR] [options]

Checks a config repo (default: the current directory) the way its pull
request check does: the manifest schema, the model version in the registry,
the performance gate, plaintext secrets, integration checks, and with --base
what the pull request changes.

Options:
  --registry-url URL   MLflow tracking server, or Kubeflow Model Registry REST
                       service with --registry-type kubeflow (default:
                       $ML_GITOPS_REGISTRY_URL)
  --registry-type TYPE  mlflow or kubeflow (default: $ML_GITOPS_REGISTRY_TYPE,
                       else mlflow)
  --token-env NAME     environment variable holding the registry's bearer token
                       (default: ML_GITOPS_REGISTRY_TOKEN, used when set)
  --username USER      user for MLflow's basic-auth app (HTTP Basic; default:
                       $ML_GITOPS_REGISTRY_USERNAME); needs a password, and
                       no token
  --password-env NAME  environment variable holding that user's password
                       (default: ML_GITOPS_REGISTRY_PASSWORD)
  --skip-registry      skip the registry and gate checks on purpose
  --skip-integration   do not run checks.integration
  --base REF           compare with this Git ref, e.g. origin/dev
  --environment NAME   environment name for --base (default: the base branch)
  --labels A,B         the pull request's labels, for the freeze check (default
                       in GitHub Actions: read from $GITHUB_EVENT_PATH); a
                       rollback is labelled ml-gitops/rollback
  --github-token-env NAME
                       environment variable holding a GitHub token that can
                       read the pull request's reviews (default: GITHUB_TOKEN,
                       used when set); needed with --base when the pull
                       request loosens a gate or changes checks:, CODEOWNERS
                       or a workflow, which a code owner must approve
  --pr N               the pull request's number (default in GitHub Actions:
                       from $GITHUB_EVENT_PATH or $GITHUB_REF)
  --github-repo OWNER/NAME
                       the repository on GitHub (default: $GITHUB_REPOSITORY;
                       the API is $GITHUB_API_URL or https://api.github.com)
  --gitlab-token-env NAME
                       on GitLab: environment variable holding a token with
                       the read_api scope that can read the merge request's
                       approvals (default: GITLAB_TOKEN, e.g. a masked CI/CD
                       variable; CI_JOB_TOKEN cannot read approvals)
  --merge-request N    the merge request's IID (default in GitLab CI:
                       $CI_MERGE_REQUEST_IID)
  --gitlab-project ID|GROUP/NAME
                       the project on GitLab (default: $CI_PROJECT_ID or
                       $CI_PROJECT_PATH; the API is $CI_API_V4_URL, else
                       $CI_SERVER_URL/api/v4, else https://gitlab.com/api/v4).
                       Approvals are read from GitLab with any of these
                       flags, or in a GitLab CI job ($GITLAB_CI), where the
                       labels default to $CI_MERGE_REQUEST_LABELS and the
                       environment to $CI_MERGE_REQUEST_TARGET_BRANCH_NAME
  --manifest PATH      manifest path in the repo (default: deploy/model.yaml)
  --format FORMAT      text (default), json or github (workflow annotations)
  -h, --help           show this help
  -v, --version        show the version

Exit codes: 0 all checks passed, 1 a check failed,
            2 usage, configuration or I/O error (some checks could not run).

ml-gitops deploy --entity REF --version VERSION opens the deployment pull
request through Backstage; see ml-gitops deploy --help.

ml-gitops audit --at TIME and ml-gitops audit export --from TIME --to TIME
answer what served where and when, from Backstage; see ml-gitops audit --help.
`;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function version(): string {
  try {
    // eslint-disable-next-line @backstage/no-relative-monorepo-imports
    return require('../package.json').version;
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI with the given arguments; resolves to the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const usageError = (message: string) => {
    io.stderr(`ml-gitops: ${message}\n\n${USAGE}`);
    return EXIT.error;
  };
  if (argv[0] === 'deploy') {
    return deployCommand(argv.slice(1), io);
  }
  if (argv[0] === 'audit') {
    return auditCommand(argv.slice(1), io);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'registry-url': { type: 'string' },
        'registry-type': { type: 'string' },
        'token-env': { type: 'string' },
        username: { type: 'string' },
        'password-env': { type: 'string' },
        'skip-registry': { type: 'boolean' },
        'skip-integration': { type: 'boolean' },
        base: { type: 'string' },
        environment: { type: 'string' },
        labels: { type: 'string' },
        'github-token-env': { type: 'string' },
        pr: { type: 'string' },
        'github-repo': { type: 'string' },
        'gitlab-token-env': { type: 'string' },
        'merge-request': { type: 'string' },
        'gitlab-project': { type: 'string' },
        manifest: { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    return usageError(describeError(error));
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  if (values.help || positionals.length === 0) {
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    return usageError('missing command');
  }
  const [command, ...rest] = positionals;
  if (command !== 'validate') {
    return usageError(`unknown command ${JSON.stringify(command)}`);
  }
  if (rest.length > 1) {
    return usageError(`validate takes one directory, got ${rest.length}`);
  }
  const format = (values.format ?? 'text') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) {
    return usageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
  }

  const registryUrl =
    values['registry-url'] ?? (io.env.ML_GITOPS_REGISTRY_URL || undefined);
  const registryType =
    values['registry-type'] ?? (io.env.ML_GITOPS_REGISTRY_TYPE || 'mlflow');
  if (!(REGISTRY_CLIENT_TYPES as readonly string[]).includes(registryType)) {
    return usageError(
      `--registry-type must be one of ${REGISTRY_CLIENT_TYPES.join(
        ', ',
      )}, not ${JSON.stringify(registryType)}`,
    );
  }
  let registryToken: string | undefined;
  const tokenEnv = values['token-env'];
  if (tokenEnv !== undefined) {
    if (!ENV_NAME.test(tokenEnv)) {
      return usageError(
        `--token-env takes the name of an environment variable, not ${JSON.stringify(
          tokenEnv,
        )}`,
      );
    }
    registryToken = io.env[tokenEnv];
    if (!registryToken) {
      return usageError(
        `--token-env ${tokenEnv}: the variable ${tokenEnv} is not set or empty`,
      );
    }
  } else {
    registryToken = io.env.ML_GITOPS_REGISTRY_TOKEN || undefined;
  }
  const registryUsername =
    values.username ?? (io.env.ML_GITOPS_REGISTRY_USERNAME || undefined);
  let registryPassword: string | undefined;
  const passwordEnv = values['password-env'];
  if (passwordEnv !== undefined) {
    if (!ENV_NAME.test(passwordEnv)) {
      return usageError(
        `--password-env takes the name of an environment variable, not the password itself`,
      );
    }
    registryPassword = io.env[passwordEnv];
    if (!registryPassword) {
      return usageError(
        `--password-env ${passwordEnv}: the variable ${passwordEnv} is not set or empty`,
      );
    }
  } else {
    registryPassword = io.env.ML_GITOPS_REGISTRY_PASSWORD || undefined;
  }
  if (registryUsername !== undefined && registryUsername.includes(':')) {
    return usageError(
      '--username must not contain ":" (HTTP Basic credentials cannot carry it)',
    );
  }
  if (registryToken && (registryUsername || registryPassword)) {
    return usageError(
      `give the registry either a token (${
        tokenEnv ? `--token-env ${tokenEnv}` : 'ML_GITOPS_REGISTRY_TOKEN'
      }) or a username and password (--username, --password-env), not both: MLflow's basic-auth app takes only the username and password`,
    );
  }
  if (registryType === 'kubeflow' && (registryUsername || registryPassword)) {
    return usageError(
      'the Kubeflow Model Registry takes a bearer token (ML_GITOPS_REGISTRY_TOKEN or --token-env NAME), not a username and password',
    );
  }
  if (registryUsername && !registryPassword) {
    return usageError(
      `--username needs a password: set ML_GITOPS_REGISTRY_PASSWORD or pass --password-env NAME`,
    );
  }
  if (registryPassword && !registryUsername) {
    return usageError(
      `a registry password is set (${
        passwordEnv ?? 'ML_GITOPS_REGISTRY_PASSWORD'
      }) but no username: pass --username USER or set ML_GITOPS_REGISTRY_USERNAME`,
    );
  }
  if (values.base !== undefined && values.base === '') {
    return usageError('--base needs a ref, e.g. --base origin/dev');
  }
  let hosts: HostContexts;
  try {
    hosts = hostContexts(values, io.env, io.fetch);
  } catch (error) {
    return usageError(describeError(error));
  }
  const { github, gitlab } = hosts;

  try {
    let labels: PullRequestLabels = { names: [], source: 'none' };
    const mrLabels = gitlab && mergeRequestLabels(io.env);
    if (values.labels !== undefined) {
      labels = parseLabelsOption(values.labels);
    } else if (mrLabels) {
      labels = mrLabels;
    } else if (io.env.GITHUB_EVENT_PATH) {
      labels = await readEventLabels(io.env.GITHUB_EVENT_PATH);
    }
    if (!gitlab) {
      github.pullRequest ??= await pullRequestNumberFromEnv(io.env);
    }
    const report = await validate({
      root: path.resolve(io.cwd, rest[0] ?? '.'),
      manifestPath: values.manifest,
      registryUrl,
      registryType,
      registryToken,
      registryUsername,
      registryPassword,
      secretEnvNames: [
        'ML_GITOPS_REGISTRY_TOKEN',
        'ML_GITOPS_REGISTRY_PASSWORD',
        ...(tokenEnv ? [tokenEnv] : []),
        ...(passwordEnv ? [passwordEnv] : []),
        ...hosts.secretEnvNames,
      ],
      skipRegistry: values['skip-registry'],
      skipIntegration: values['skip-integration'],
      base: values.base,
      environment:
        values.environment ??
        (io.env.GITHUB_BASE_REF ||
          (gitlab && io.env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME) ||
          undefined),
      labels,
      fetch: io.fetch,
      github,
      gitlab,
    });
    io.stdout(formatReport(report, format));
    return report.exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      return usageError(error.message);
    }
    io.stderr(
      `ml-gitops: internal error: ${describeError(error)}\n` +
        `${
          io.env.ML_GITOPS_DEBUG && error instanceof Error
            ? `${error.stack}\n`
            : 'Set ML_GITOPS_DEBUG=1 for details.\n'
        }`,
    );
    return EXIT.error;
  }
}
