import { InputError, isError, NotAllowedError } from '@backstage/errors';
import { PermissionsService } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isResourcePermission,
  Permission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { parseRepoUrl } from '@backstage/plugin-scaffolder-node';
import {
  activeFreeze,
  DEFAULT_MANIFEST_PATH,
  evaluateGates,
  formatManifestProblem,
  GateEvaluation,
  getMlGitopsAnnotations,
  mlGitopsDeploymentOverridePermission,
  MlflowModelVersion,
  ModelManifest,
  modelVersionBlockers,
  modelVersionRegistrationBlocker,
  modelVersionRejectionBlocker,
  modelVersionSchema,
  parseModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  BranchHeadsCacheEntry,
  ByteBoundedCache,
  ConfigRepoLocation,
  GithubConfigRepoClient,
  GithubConfigRepoWriter,
  markdownText,
  RegistryAccess,
  registryAccess,
  resolveStorageLocation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { MlGitopsActionsConfig } from './config';
import {
  checkEntityRef,
  checkManifestPath,
  checkRepoNames,
  checkRepoUrl,
  checkText,
} from './inputs';

/** What every ml-gitops action needs; tests pass fakes. @public */
export type MlGitopsActionOptions = {
  integrations: ScmIntegrationRegistry;
  config: MlGitopsActionsConfig;
  catalog: CatalogService;
  /**
   * Decides, with the credentials of whoever started the task, whether they
   * may make the change: hiding a button is not enough, since anyone who
   * can create scaffolder tasks can call the action.
   */
  permissions: PermissionsService;
  credentialsProvider?: GithubCredentialsProvider;
  /** Where the Git clients say that they wait out a GitHub rate limit. */
  logger?: { warn(message: string): void };
};

/** A minimal logger, satisfied by `ctx.logger`. */
type Logger = { info(message: string): void; warn(message: string): void };

type ActionCtx = {
  logger: Logger;
  user?: { ref?: string };
  getInitiatorCredentials(): Promise<
    import('@backstage/backend-plugin-api').BackstageCredentials
  >;
};

/** The branch-list validators the actions' reader keeps, in bytes. */
const VALIDATOR_CACHE_BYTES = 4 * 1024 * 1024;

export function createGitClients(options: MlGitopsActionOptions) {
  const cache = new ByteBoundedCache<BranchHeadsCacheEntry>(
    VALIDATOR_CACHE_BYTES,
  );
  const reader = GithubConfigRepoClient.fromIntegrations({
    integrations: options.integrations,
    credentialsProvider: options.credentialsProvider,
    cache: {
      get: async key => cache.get(key),
      set: async (key, value) => {
        cache.set(key, value);
      },
    },
    // A task may wait out a rate limit that lifts within a minute.
    rateLimitRetry: { maxWaitMs: 60_000, maxRetries: 3 },
    allowedOwners: options.config.allowedOwners,
  });
  const writer = GithubConfigRepoWriter.fromIntegrations({
    integrations: options.integrations,
    credentialsProvider: options.credentialsProvider,
    logger: options.logger,
  });
  return { reader, writer };
}

/** The model a step acts on, resolved from its entity or repo URL. */
export type ModelTarget = {
  entityRef?: string;
  /** The model name from the entity annotation, when known. */
  model?: string;
  registryName?: string;
  manifestPath: string;
  loc: ConfigRepoLocation;
};

/** Accepts `https://github.com/o/r` and the RepoUrlPicker's `github.com?owner=o&repo=r`. */
function normalizeRepoUrl(
  repoUrl: string,
  integrations: ScmIntegrationRegistry,
): string {
  if (/^https?:\/\//.test(repoUrl)) {
    return repoUrl;
  }
  const { host, owner, repo } = parseRepoUrl(repoUrl, integrations);
  if (!owner) {
    throw new InputError(
      `repoUrl "${repoUrl}" names no owner; use e.g. github.com?owner=acme&repo=fraud-detector-config`,
    );
  }
  // A GitHub Enterprise server reached over plain HTTP (its apiBaseUrl says
  // so) serves its repositories over HTTP too.
  const apiBaseUrl = integrations.github.byHost(host)?.config.apiBaseUrl;
  const scheme = apiBaseUrl?.startsWith('http://') ? 'http' : 'https';
  return `${scheme}://${host}/${owner}/${repo}`;
}

/**
 * Refuses, with NotAllowedError, a change the permission policy does not
 * allow the task's initiator (`resourceRef` for entity permissions).
 */
export async function authorizeChange(
  ctx: ActionCtx,
  options: Pick<MlGitopsActionOptions, 'permissions'>,
  permission: Permission,
  what: string,
  resourceRef?: string,
): Promise<void> {
  const credentials = await ctx.getInitiatorCredentials();
  const [decision] = isResourcePermission(permission)
    ? await options.permissions.authorize(
        [{ permission, resourceRef: resourceRef! }],
        { credentials },
      )
    : await options.permissions.authorize([{ permission }], { credentials });
  if (decision?.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(
      `${
        ctx.user?.ref ?? 'The user who started this task'
      } may not ${what}: the permission policy denies ${permission.name}${
        resourceRef ? ` on ${resourceRef}` : ''
      }`,
    );
  }
}

/**
 * The model a change is for, and the check that its initiator may make it:
 * the entity is required (permissions are decided on it), and a `repoUrl`
 * given next to it must be the entity's config repo.
 */
export async function resolveTarget(
  ctx: ActionCtx,
  options: MlGitopsActionOptions,
  reader: GithubConfigRepoClient,
  input: { entityRef?: string; repoUrl?: string; manifestPath?: string },
  permission: {
    permission: ResourcePermission<'catalog-entity'>;
    what: string;
  },
): Promise<ModelTarget> {
  const target = await resolveModel(ctx, options, reader, input);
  if (!target.entityRef) {
    throw new InputError(
      `entityRef is required: ${permission.what} is allowed per model, on its catalog entity (${permission.permission.name}); give the component that carries the ml-gitops annotations rather than repoUrl alone`,
    );
  }
  await authorizeChange(
    ctx,
    options,
    permission.permission,
    `${permission.what} ${target.entityRef}`,
    target.entityRef,
  );
  return target;
}

/**
 * The override permission, when a step asks for `force`: overriding the
 * checks is a right of its own.
 */
export async function authorizeForce(
  ctx: ActionCtx,
  options: Pick<MlGitopsActionOptions, 'permissions'>,
  input: { force?: boolean },
  entityRef: string | undefined,
): Promise<void> {
  if (!input.force) return;
  await authorizeChange(
    ctx,
    options,
    mlGitopsDeploymentOverridePermission,
    `override the checks of ${entityRef} with force`,
    entityRef,
  );
}

/** The model a step acts on, from its entity or (config-repo:create) its repo URL. */
export async function resolveModel(
  ctx: ActionCtx,
  options: MlGitopsActionOptions,
  reader: GithubConfigRepoClient,
  input: { entityRef?: string; repoUrl?: string; manifestPath?: string },
): Promise<ModelTarget> {
  const manifestPath =
    input.manifestPath === undefined
      ? undefined
      : checkManifestPath(input.manifestPath);
  const repoUrl =
    input.repoUrl === undefined ? undefined : checkRepoUrl(input.repoUrl);
  const locate = (url: string, field: string) => {
    const loc = reader.locate(
      normalizeRepoUrl(checkRepoUrl(url, field), options.integrations),
    );
    checkRepoNames(loc.owner, loc.repo, url);
    return loc;
  };
  if (input.entityRef !== undefined) {
    checkEntityRef(input.entityRef);
    const entity = await options.catalog.getEntityByRef(input.entityRef, {
      credentials: await ctx.getInitiatorCredentials(),
    });
    if (!entity) {
      throw new InputError(
        `Entity ${input.entityRef} was not found in the catalog; pick a component that carries the ml-gitops/model annotation`,
      );
    }
    const annotations = getMlGitopsAnnotations(entity);
    if (annotations.problems.length > 0) {
      // The model name goes into branch names and pull request text, the
      // manifest path into API URLs: neither may be anything else.
      throw new InputError(
        `Entity ${
          input.entityRef
        } has unusable ml-gitops annotations: ${annotations.problems.join(
          '; ',
        )}`,
      );
    }
    if (annotations.missing.length > 0 && !repoUrl) {
      throw new InputError(
        `Entity ${
          input.entityRef
        } lacks the annotation(s) ${annotations.missing.join(
          ', ',
        )}; add them to its catalog-info.yaml (see the ml-gitops README)`,
      );
    }
    return {
      entityRef: input.entityRef,
      model: annotations.model,
      registryName: annotations.registry,
      manifestPath:
        manifestPath ??
        checkManifestPath(
          annotations.manifestPath,
          `The ml-gitops/manifest-path annotation of ${input.entityRef}`,
        ),
      loc: repoUrl
        ? sameRepo(
            locate(repoUrl, 'repoUrl'),
            annotations.configRepo,
            input.entityRef,
          )
        : locate(
            annotations.configRepo!,
            `The ml-gitops/config-repo annotation of ${input.entityRef}`,
          ),
    };
  }
  if (!repoUrl) {
    throw new InputError(
      'Give entityRef (a component with the ml-gitops annotations) or repoUrl (the config repo)',
    );
  }
  return {
    manifestPath: manifestPath ?? DEFAULT_MANIFEST_PATH,
    loc: locate(repoUrl, 'repoUrl'),
  };
}

/**
 * A repoUrl given next to an entity must be that entity's config repo:
 * otherwise a permission granted on one model would open pull requests in
 * any repo the integration can write.
 */
function sameRepo(
  loc: ConfigRepoLocation,
  annotated: string | undefined,
  entityRef: string,
): ConfigRepoLocation {
  const key = (url: string) =>
    url
      .toLowerCase()
      .replace(/\.git$/, '')
      .replace(/\/+$/, '');
  if (annotated === undefined) {
    return loc; // the annotation is missing: repoUrl stands in for it
  }
  if (key(loc.url) !== key(annotated.replace(/\.git$/, ''))) {
    throw new InputError(
      `repoUrl ${loc.url} is not the config repo of ${entityRef} (its ml-gitops/config-repo annotation is ${annotated}); leave repoUrl out or fix the annotation`,
    );
  }
  return loc;
}

/** Refuses an environment not in the configured promotion order. */
export function checkEnvironment(
  config: MlGitopsActionsConfig,
  environment: unknown,
  field: string,
): string {
  checkText(environment, field, 100);
  if (!config.environments.includes(environment as string)) {
    throw new InputError(
      `${field} "${environment}" is not a configured environment; choose one of ${config.environments.join(
        ', ',
      )} (mlGitops.environments)`,
    );
  }
  return environment as string;
}

export function checkVersion(version: unknown, field = 'version'): string {
  checkText(version, field, 63);
  if (!modelVersionSchema.safeParse(version).success) {
    throw new InputError(
      `${field} ${JSON.stringify(
        version,
      )} is not a registry version id: use 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (e.g. "13")`,
    );
  }
  return version as string;
}

export function checkForce(input: { force?: unknown; reason?: unknown }) {
  if (input.force !== undefined && typeof input.force !== 'boolean') {
    throw new InputError('force must be true or false');
  }
  if (input.reason !== undefined) {
    checkText(input.reason, 'reason', 1000);
  }
  if (input.force && !(input.reason as string | undefined)?.trim()) {
    throw new InputError(
      'force: true needs a reason saying why the checks are overridden; the pull request states it',
    );
  }
}

/** The manifest at the head of an environment's branch. */
export type BranchManifest = {
  branch: string;
  head: string;
  text: string;
  blobSha: string;
  manifest: ModelManifest;
};

export async function readBranchManifest(
  writer: GithubConfigRepoWriter,
  target: ModelTarget,
  branch: string,
): Promise<BranchManifest> {
  const { loc, manifestPath } = target;
  const head = await writer.getBranchHead(loc, branch);
  if (!head) {
    throw new InputError(
      `The config repo ${loc.url} has no branch "${branch}"; every environment needs a branch of the same name`,
    );
  }
  const file = await writer.getFile(loc, manifestPath, head);
  if (!file) {
    throw new InputError(
      `${manifestPath} does not exist on branch ${branch} of ${loc.url}; check the ml-gitops/manifest-path annotation`,
    );
  }
  const parsed = parseModelManifest(file.text, { path: manifestPath });
  if (!parsed.ok) {
    throw new InputError(
      `${manifestPath} on branch ${branch} is invalid, fix it first: ${parsed.problems
        .map(formatManifestProblem)
        .join('; ')}`,
    );
  }
  return {
    branch,
    head,
    text: file.text,
    blobSha: file.blobSha,
    manifest: parsed.manifest,
  };
}

/** What the registry says about a version, and why it must not ship. */
export type RegistryFacts = {
  registry: string;
  url?: string;
  version?: MlflowModelVersion;
  metrics: Record<string, number>;
  gate: GateEvaluation;
  /** Reasons to refuse; empty when the version may be deployed. */
  blockers: string[];
  /**
   * The blockers `force` cannot override: a version MLflow has not finished
   * registering (PENDING_REGISTRATION) or failed to register
   * (FAILED_REGISTRATION) has no model a server could load, and a rejected
   * version needs un-rejecting first.
   */
  unforceable?: string[];
};

/**
 * Refuses a version change to a frozen environment (a rollback is the one
 * change a freeze allows, and it does not come here).
 */
export function refuseFrozen(
  manifest: ModelManifest,
  environment: string,
  what: string,
): void {
  const freeze = activeFreeze(manifest);
  if (freeze) {
    throw new InputError(
      `${environment} is frozen${
        freeze.until ? ` until ${freeze.until}` : ''
      }: "${
        freeze.reason
      }". While it is frozen only a rollback changes its version; unfreeze it with ml-gitops:environment:unfreeze to ${what}`,
    );
  }
}

/** An error's message, for logs and refusals. */
export function errorMessage(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

export type { RegistryAccess } from '@ml-gitops/plugin-ml-gitops-node';

/**
 * The registry named by the entity's annotation or the manifest, or the only
 * configured one, with a client when it is of a supported type.
 */
export function registryFor(
  config: MlGitopsActionsConfig,
  options: { registryName?: string; manifest: Pick<ModelManifest, 'registry'> },
): RegistryAccess {
  return registryAccess(config.registries, options);
}

export async function checkRegistry(
  config: MlGitopsActionsConfig,
  options: {
    registryName?: string;
    model: string;
    version: string;
    manifest: ModelManifest;
  },
): Promise<RegistryFacts> {
  const gates = options.manifest.gates?.metrics;
  const noGate = evaluateGates(undefined, {});
  const registry = registryFor(config, options);
  const client = registry.client;
  if (!client) {
    return {
      registry: registry.name,
      ...(registry.url ? { url: registry.url } : {}),
      metrics: {},
      gate: noGate,
      blockers: [registry.problem!],
    };
  }
  const id = `${options.model} version ${options.version}`;
  try {
    const version = await client.getModelVersion(
      options.model,
      options.version,
    );
    if (!version) {
      return {
        registry: registry.name,
        url: registry.url,
        metrics: {},
        gate: evaluateGates(gates, {}),
        blockers: [
          `${id} does not exist in the registry ${registry.name} (${registry.url}); register it first or pick an existing version`,
        ],
      };
    }
    const run = version.runId ? await client.getRun(version.runId) : undefined;
    const metrics = run?.metrics ?? {};
    const gate = evaluateGates(gates, metrics);
    const blockers = [
      ...modelVersionBlockers(version),
      ...gate.results
        .filter(r => r.status !== 'passed')
        .map(r => `the gate fails: ${r.message}`),
    ];
    // Neither a version without a registered model nor a rejected one
    // (un-rejecting it is a right of its own) can be forced.
    const unforceable = [
      modelVersionRegistrationBlocker(version),
      modelVersionRejectionBlocker(version),
    ].filter((b): b is string => Boolean(b));
    return {
      registry: registry.name,
      url: registry.url,
      version,
      metrics,
      gate,
      blockers,
      ...(unforceable.length > 0 ? { unforceable } : {}),
    };
  } catch (error) {
    return {
      registry: registry.name,
      url: registry.url,
      metrics: {},
      // Not known to pass: the blocker below refuses unless overridden.
      gate: { outcome: gates ? 'unknown' : 'none', results: [] },
      blockers: [
        `the registry could not be checked: ${
          isError(error) ? error.message : String(error)
        }`,
      ],
    };
  }
}

/**
 * Where the registry keeps `version`, as KServe reads it: the value of the
 * manifest's `storage_uri` (an addition to the design contract). Throws an
 * `InputError` saying what to configure when the location is not one KServe
 * reads, or the registry cannot say; `force` cannot override this, as the
 * cluster would serve other bytes than the version named.
 */
export async function resolveStorageUri(
  config: MlGitopsActionsConfig,
  options: {
    registryName?: string;
    manifest: Pick<ModelManifest, 'registry'>;
    model: string;
    version: string;
  },
): Promise<string> {
  return resolveStorageLocation(
    registryFor(config, options),
    options.model,
    options.version,
  );
}

/**
 * The `storage_uri` to write together with `version` when the manifest
 * declares one ({@link resolveStorageUri}); undefined when it does not (a
 * config repo whose chart loads the model otherwise).
 */
export async function storageUriFor(
  config: MlGitopsActionsConfig,
  options: {
    registryName?: string;
    manifest: ModelManifest;
    model: string;
    version: string;
  },
): Promise<string | undefined> {
  return options.manifest.storage_uri === undefined
    ? undefined
    : resolveStorageUri(config, options);
}

/** Throws unless there are no blockers or they are overridden with a reason. */
export function enforce(
  what: string,
  blockers: string[],
  input: { force?: boolean; reason?: string },
  logger: Logger,
  unforceable: string[] = [],
) {
  if (blockers.length === 0) {
    return;
  }
  if (input.force && unforceable.length > 0) {
    throw new InputError(
      `Refusing to ${what}: ${unforceable.join(
        '; ',
      )}. force cannot override this: only a READY version has a model to serve, and only ml-gitops:version:unreject clears a rejection.`,
    );
  }
  if (!input.force) {
    throw new InputError(
      `Refusing to ${what}: ${blockers.join(
        '; ',
      )}. Fix this, or set force: true with a reason to override.`,
    );
  }
  logger.warn(
    `Overriding with force (reason: ${input.reason}): ${blockers.join('; ')}`,
  );
}

/** Markdown of the registry facts and gate, for pull request bodies. */
export function registrySection(facts: RegistryFacts): string {
  const lines: string[] = [];
  const v = facts.version;
  lines.push(
    `**Registry** ${facts.registry}${facts.url ? ` (${facts.url})` : ''}`,
  );
  if (v) {
    lines.push(
      '',
      `- status: ${markdownText(v.status)}${
        v.stage ? `, stage: ${markdownText(v.stage)}` : ''
      }${
        v.aliases.length
          ? `, aliases: ${v.aliases.map(markdownText).join(', ')}`
          : ''
      }`,
    );
    if (v.runId) lines.push(`- run: ${markdownText(v.runId)}`);
    if (v.createdAt) lines.push(`- registered: ${markdownText(v.createdAt)}`);
  }
  lines.push('', `**Gate**: ${facts.gate.outcome}`);
  if (facts.gate.results.length > 0) {
    lines.push('', '| metric | value | gate | result |', '|---|---|---|---|');
    for (const r of facts.gate.results) {
      const bounds = [
        r.min !== undefined ? `>= ${r.min}` : '',
        r.max !== undefined ? `<= ${r.max}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(
        `| ${markdownText(r.metric)} | ${r.value ?? 'n/a'} | ${bounds} | ${
          r.status
        } |`,
      );
    }
  }
  return lines.join('\n');
}

export function forceWarning(
  blockers: string[],
  input: { force?: boolean; reason?: string },
): string {
  if (!input.force || blockers.length === 0) {
    return '';
  }
  return [
    '> [!WARNING]',
    `> The checks were overridden with \`force: true\`. Reason: ${markdownText(
      input.reason ?? '',
    )}`,
    ...blockers.map(b => `> - ${markdownText(b)}`),
    '',
    '',
  ].join('\n');
}
