import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { makeValidator, parseEntityRef } from '@backstage/catalog-model';
import { Config, ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  formatManifestProblem,
  mlGitopsConfigRepoCreatePermission,
  ModelManifest,
  parseModelManifest,
  resolveModelFormat,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ConfigRepoLocation } from '@ml-gitops/plugin-ml-gitops-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { examples } from './configRepoCreate.examples';
import {
  argoApplication,
  CATALOG_INFO_PATH,
  ConfigRepoSpec,
  fluxHelmRelease,
  fluxObjects,
  configRepoFiles,
  VALIDATE_CHECK,
} from './configRepoFiles';
import {
  ArgoCdApplicationsClient,
  registerApplication,
} from './argoCdApplications';
import { FluxRegistrationClient } from './fluxRegistration';
import { GitCli, GitCommandError } from './gitCli';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkNonEmptyText,
  checkText,
  checkVersion,
  credentialFreeUrl,
  redactUrl,
} from './inputs';
import { createGitClients, MlGitopsActionOptions } from './actionOptions';
import { resolveModel } from './modelTarget';
import { checkForce, enforce } from './overrides';
import { authorizeChange } from './permissionChecks';
import {
  checkRegistry,
  registryFor,
  resolveStorageUri,
} from './registryChecks';
import { MlGitopsActionsConfig, validateCheckAppId } from './config';
import yaml from 'yaml';

/** Options of {@link createConfigRepoCreateAction}. @public */
export type ConfigRepoCreateActionOptions = MlGitopsActionOptions & {
  /** The root config: the `kubernetes` clusters Flux objects are registered on. */
  rootConfig?: Config;
  /** For clusters reached through the Kubernetes plugin's proxy. */
  discovery?: DiscoveryService;
  auth?: AuthService;
  /** The fetch of the Kubernetes API client; tests pass their own. */
  kubernetesFetch?: typeof fetch;
  /** The URL git pushes to; defaults to `<repo URL>.git`. Tests use a bare repo. */
  remoteUrl?: (loc: ConfigRepoLocation) => string;
};

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const OWNER =
  /^@[A-Za-z0-9-]{1,39}(\/[A-Za-z0-9_.-]{1,100})?$|^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}$/;
/** An MLflow metric name: letters, digits and _ - . / and space. */
const METRIC = /^[A-Za-z0-9_./-][A-Za-z0-9_. /-]{0,249}$/;

type RepoSettingsInput = {
  model: unknown;
  owners: unknown;
  gates?: Record<string, { min?: unknown; max?: unknown }>;
  registry?: unknown;
  runtime?: unknown;
  replicas?: unknown;
  description?: unknown;
  namespace?: unknown;
  argocdNamespace?: unknown;
  argocdProject?: unknown;
  destinationServer?: unknown;
  destinationName?: unknown;
  operator?: unknown;
  argocdInstance?: unknown;
  fluxCluster?: unknown;
  fluxNamespace?: unknown;
  fluxSecretRef?: unknown;
};

/**
 * Refuses settings that would not make a valid config repo, or that would
 * write something else than intended into its YAML, CODEOWNERS or
 * Applications.
 */
function checkRepoSettings(
  input: RepoSettingsInput,
  config: MlGitopsActionsConfig,
) {
  const model = checkText(input.model, 'model', 63);
  if (!LABEL_VALUE.test(model)) {
    throw new InputError(
      `model "${model}" is not usable as a Kubernetes label value: 1 to 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric`,
    );
  }
  if (!Array.isArray(input.owners) || input.owners.length === 0) {
    throw new InputError('owners must list at least one code owner');
  }
  const badOwners = input.owners.filter(
    o => typeof o !== 'string' || !OWNER.test(o),
  );
  if (badOwners.length > 0) {
    throw new InputError(
      `owners ${badOwners
        .map(o => String(o).slice(0, 100))
        .join(
          ', ',
        )} are not CODEOWNERS entries; use @org/team, @user or an email`,
    );
  }
  const gates = input.gates ?? {};
  const badMetrics = Object.keys(gates).filter(k => !METRIC.test(k));
  if (badMetrics.length > 0) {
    throw new InputError(
      `gates ${badMetrics
        .map(k => JSON.stringify(k.slice(0, 100)))
        .join(
          ', ',
        )} are not registry metric names: letters, digits, "_", "-", ".", "/" and spaces`,
    );
  }
  const emptyGates = Object.keys(gates).filter(
    k => gates[k].min === undefined && gates[k].max === undefined,
  );
  if (emptyGates.length > 0) {
    throw new InputError(`gates ${emptyGates.join(', ')} need a min or a max`);
  }
  const badBounds = Object.keys(gates).filter(k =>
    [gates[k].min, gates[k].max].some(
      b => b !== undefined && !(typeof b === 'number' && Number.isFinite(b)),
    ),
  );
  if (badBounds.length > 0) {
    throw new InputError(
      `gates ${badBounds.join(', ')} need numbers as min and max`,
    );
  }
  if (
    input.registry !== undefined &&
    !config.registries.some(r => r.name === input.registry)
  ) {
    throw new InputError(
      `registry ${JSON.stringify(
        String(input.registry).slice(0, 100),
      )} is not configured; choose one of ${
        config.registries.map(r => r.name).join(', ') || '(none configured)'
      } (mlGitops.registries)`,
    );
  }
  if (input.runtime !== undefined) {
    checkDnsLabel(input.runtime, 'runtime', 'serving runtime');
  }
  if (
    input.replicas !== undefined &&
    !(
      Number.isInteger(input.replicas) &&
      (input.replicas as number) >= 0 &&
      (input.replicas as number) <= 1000
    )
  ) {
    throw new InputError('replicas must be a whole number from 0 to 1000');
  }
  if (input.description !== undefined) {
    checkNonEmptyText(input.description, 'description', 350);
  }
  if (input.namespace !== undefined) {
    const template = checkText(input.namespace, 'namespace', 63);
    for (const environment of config.environments) {
      checkDnsLabel(
        template.replace(/\{environment\}/g, environment),
        `namespace (for ${environment})`,
        'namespace',
      );
    }
  }
  if (input.argocdNamespace !== undefined) {
    checkDnsLabel(input.argocdNamespace, 'argocdNamespace', 'namespace');
  }
  if (input.argocdProject !== undefined) {
    checkDnsSubdomain(input.argocdProject, 'argocdProject', 'Argo CD project');
  }
  if (input.destinationServer !== undefined) {
    const server = checkText(
      input.destinationServer,
      'destinationServer',
      2048,
    );
    if (!credentialFreeUrl(server, ['https:'])) {
      throw new InputError(
        `destinationServer ${redactUrl(
          server,
        )} is not a cluster API URL: give https://host[:port] without credentials, e.g. https://kubernetes.default.svc`,
      );
    }
  }
  if (input.destinationName !== undefined) {
    if (input.destinationServer !== undefined) {
      throw new InputError(
        'give destinationServer or destinationName, not both: Argo CD picks the cluster by one of them',
      );
    }
    checkDnsSubdomain(
      input.destinationName,
      'destinationName',
      'Argo CD cluster name',
    );
  }
  if (input.fluxNamespace !== undefined) {
    checkDnsLabel(input.fluxNamespace, 'fluxNamespace', 'namespace');
  }
  if (input.fluxSecretRef !== undefined) {
    checkDnsSubdomain(input.fluxSecretRef, 'fluxSecretRef', 'Secret name');
  }
  resolveOperator(input, config);
}

/**
 * Which operator deploys the repo, and where its objects are registered:
 * `argocd` (one of `mlGitops.argocd.instances`), `flux` (a cluster of
 * `mlGitops.flux.clusters`) or `none` (the files are committed, nothing is
 * registered). The default is `argocd` when an instance is configured, else
 * `flux` when a Flux cluster is, else `none`.
 */
export function resolveOperator(
  input: {
    operator?: unknown;
    argocdInstance?: unknown;
    fluxCluster?: unknown;
    fluxNamespace?: unknown;
    fluxSecretRef?: unknown;
  },
  config: MlGitopsActionsConfig,
):
  | {
      operator: 'argocd';
      instance: NonNullable<MlGitopsActionsConfig['argocd']>[number];
    }
  | { operator: 'flux'; cluster: string }
  | { operator: 'none' } {
  const instances = config.argocd ?? [];
  const clusters = config.fluxClusters ?? [];
  let fallback = 'none';
  if (instances.length > 0) fallback = 'argocd';
  else if (clusters.length > 0) fallback = 'flux';
  const operator = input.operator ?? fallback;
  if (operator !== 'argocd' && input.argocdInstance !== undefined) {
    throw new InputError(
      `argocdInstance is set but operator is ${String(operator).slice(
        0,
        50,
      )}: drop one of them`,
    );
  }
  const fluxInputs = ['fluxCluster', 'fluxNamespace', 'fluxSecretRef'].filter(
    k => input[k as keyof typeof input] !== undefined,
  );
  if (operator !== 'flux' && fluxInputs.length > 0) {
    throw new InputError(
      `${fluxInputs.join(', ')} ${
        fluxInputs.length > 1 ? 'are' : 'is'
      } set but operator is ${String(operator).slice(
        0,
        50,
      )}: use operator flux, or drop them`,
    );
  }
  if (operator === 'none') return { operator: 'none' };
  if (operator === 'flux') {
    if (clusters.length === 0) {
      throw new InputError(
        'operator flux needs a cluster in mlGitops.flux.clusters; configure one, or use operator none to only commit the Flux objects',
      );
    }
    const name = input.fluxCluster ?? clusters[0];
    if (typeof name !== 'string' || !clusters.includes(name)) {
      throw new InputError(
        `fluxCluster ${JSON.stringify(
          String(name).slice(0, 100),
        )} is not configured; choose one of ${clusters.join(
          ', ',
        )} (mlGitops.flux.clusters)`,
      );
    }
    return { operator: 'flux', cluster: name };
  }
  if (operator !== 'argocd') {
    throw new InputError(
      `operator ${JSON.stringify(
        String(operator).slice(0, 50),
      )} is not known; use argocd, flux or none`,
    );
  }
  if (instances.length === 0) {
    throw new InputError(
      'operator argocd needs an Argo CD instance in mlGitops.argocd.instances; configure one, or use operator none to only commit the Applications',
    );
  }
  const name = input.argocdInstance ?? instances[0].name;
  const instance = instances.find(i => i.name === name);
  if (!instance) {
    throw new InputError(
      `argocdInstance ${JSON.stringify(
        String(name).slice(0, 100),
      )} is not configured; choose one of ${instances
        .map(i => i.name)
        .join(', ')} (mlGitops.argocd.instances)`,
    );
  }
  return { operator: 'argocd', instance };
}

const entityValidator = makeValidator();

/** The owner (and system) of the model's entity, when the repo holds it. */
function checkEntityOwner(
  owner: string | undefined,
  system: string | undefined,
  autoRollback?: boolean,
): { owner: string; system?: string; autoRollback?: boolean } | undefined {
  if (owner === undefined || owner === '') {
    if (system) {
      throw new InputError('entitySystem needs entityOwner');
    }
    if (autoRollback) {
      throw new InputError(
        'autoRollback annotates the catalog entity the repo holds: it needs entityOwner',
      );
    }
    return undefined;
  }
  const refs = [
    ['entityOwner', owner, 'group'],
    ['entitySystem', system, 'system'],
  ] as const;
  for (const [field, value, kind] of refs) {
    if (value === undefined || value === '') continue;
    let valid: boolean;
    try {
      const ref = parseEntityRef(value, {
        defaultKind: kind,
        defaultNamespace: 'default',
      });
      valid =
        entityValidator.isValidKind(ref.kind) &&
        entityValidator.isValidNamespace(ref.namespace) &&
        entityValidator.isValidEntityName(ref.name);
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new InputError(
        `${field} ${JSON.stringify(
          value.slice(0, 100),
        )} is not an entity reference; use e.g. ${kind}:default/ml-platform`,
      );
    }
  }
  return {
    owner,
    ...(system ? { system } : {}),
    ...(autoRollback ? { autoRollback } : {}),
  };
}

/**
 * `ml-gitops:config-repo:create`: creates a model's config repo on GitHub
 * with its environment branches, the manifest, chart, validate workflow,
 * CODEOWNERS, Argo CD Applications (or Flux objects) and branch protection,
 * and registers the Applications with a configured Argo CD instance, or
 * server-side applies the Flux objects on a cluster of mlGitops.flux.clusters.
 *
 * @public
 */
export function createConfigRepoCreateAction(
  options: ConfigRepoCreateActionOptions,
) {
  const { reader, writer } = createGitClients(options);
  const remoteUrl = options.remoteUrl ?? (loc => `${loc.url}.git`);
  return createTemplateAction({
    id: 'ml-gitops:config-repo:create',
    description:
      "Creates a model's config repo on GitHub: one branch per environment holding deploy/model.yaml, the Helm chart, the validate workflow, CODEOWNERS and Argo CD Applications or Flux objects, with branch protection (the last environment needs a code owner's review and the validate check), and registers the Applications with Argo CD or applies the Flux objects (GitRepository and Kustomizations) on a Flux cluster.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoUrl: z =>
          z
            .string()
            .describe(
              'The repo to create: github.com?owner=acme&repo=fraud-detector-config (RepoUrlPicker) or https://github.com/acme/fraud-detector-config',
            ),
        model: z =>
          z
            .string()
            .describe("The model's name in the registry, e.g. fraud-detector"),
        version: z =>
          z
            .string()
            .describe(
              'The registry version every environment starts with, e.g. "1"',
            ),
        registry: z =>
          z
            .string()
            .describe(
              'Which configured registry (mlGitops.registries) holds the model; defaults to the only one',
            )
            .optional(),
        owners: z =>
          z
            .array(z.string())
            .min(1)
            .describe(
              'CODEOWNERS of the repo: @org/team, @user or an email; they review production',
            ),
        gates: z =>
          z
            .record(
              z.string(),
              z.object({
                min: z.number().optional().describe('Inclusive minimum'),
                max: z.number().optional().describe('Inclusive maximum'),
              }),
            )
            .describe(
              'Performance gate: registry metric → { min, max }, e.g. { auc: { min: 0.92 } }',
            )
            .optional(),
        runtime: z =>
          z.string().describe('Serving runtime (default kserve)').optional(),
        replicas: z =>
          z
            .number()
            .int()
            .min(0)
            .describe('Serving replicas (default 2)')
            .optional(),
        description: z =>
          z.string().describe('Description of the repository').optional(),
        visibility: z =>
          z
            .enum(['private', 'internal', 'public'])
            .describe('Repository visibility (default private)')
            .optional(),
        namespace: z =>
          z
            .string()
            .describe(
              'Kubernetes namespace the model serves in; {environment} is replaced per environment (default ml-{environment})',
            )
            .optional(),
        argocdNamespace: z =>
          z
            .string()
            .describe('Namespace of Argo CD Applications (default argocd)')
            .optional(),
        argocdProject: z =>
          z.string().describe('Argo CD project (default default)').optional(),
        destinationServer: z =>
          z
            .string()
            .describe(
              'Cluster API server the Applications deploy to (default https://kubernetes.default.svc)',
            )
            .optional(),
        destinationName: z =>
          z
            .string()
            .describe(
              "Name of the cluster in Argo CD's cluster list the Applications deploy to, instead of destinationServer",
            )
            .optional(),
        operator: z =>
          z
            .enum(['argocd', 'flux', 'none'])
            .describe(
              'Who deploys the repo: argocd registers the Applications with an Argo CD instance (the default when mlGitops.argocd.instances has one); flux commits Flux objects and applies them on a cluster of mlGitops.flux.clusters (the default when no Argo CD instance but a Flux cluster is configured); none only commits the Applications',
            )
            .optional(),
        argocdInstance: z =>
          z
            .string()
            .describe(
              'Which instance of mlGitops.argocd.instances registers the Applications (default the first)',
            )
            .optional(),
        // An addition to the design contract: operator flux and its inputs
        // fluxCluster, fluxNamespace and fluxSecretRef; output fluxObjects.
        fluxCluster: z =>
          z
            .string()
            .describe(
              'Which cluster of mlGitops.flux.clusters the Flux objects are applied on (operator flux; default the first)',
            )
            .optional(),
        fluxNamespace: z =>
          z
            .string()
            .describe(
              'Namespace of the Flux objects (operator flux; default flux-system)',
            )
            .optional(),
        fluxSecretRef: z =>
          z
            .string()
            .describe(
              'Name of an existing Secret in the Flux namespace holding the Git credentials of the repo (username/password or identity/known_hosts), for a private repo (operator flux); it is referenced, never created',
            )
            .optional(),
        replaceApplications: z =>
          z
            .boolean()
            .describe(
              'When Argo CD already has an Application of the same name with another spec, replace its spec instead of refusing (default false)',
            )
            .optional(),
        entityOwner: z =>
          z
            .string()
            .describe(
              "Owner of the model's catalog entity, e.g. group:default/fraud-ml; when set the repo also holds catalog-info.yaml (a Component with the ml-gitops annotations) for catalog:register",
            )
            .optional(),
        entitySystem: z =>
          z
            .string()
            .describe(
              "System of the model's catalog entity, e.g. ml-serving (with entityOwner)",
            )
            .optional(),
        autoRollback: z =>
          z
            .boolean()
            .describe(
              'Annotate the model\'s catalog entity with ml-gitops/auto-rollback: "true" (with entityOwner), so the backend opens a rollback pull request by itself when a canary analysis fails or the declared version does not serve (in the environments mlGitops.autoRollback enables, by default the last); merging stays a person\'s decision',
            )
            .optional(),
        force: z =>
          z
            .boolean()
            .describe(
              'Create the repo even though the registry or gate checks of the version fail; needs a reason',
            )
            .optional(),
        reason: z =>
          z
            .string()
            .describe('Why the checks are overridden; logged')
            .optional(),
      },
      output: {
        remoteUrl: z => z.string().describe('HTTPS URL of the new repo'),
        defaultBranch: z =>
          z.string().describe('The default branch (the first environment)'),
        annotations: z =>
          z
            .record(z.string(), z.string())
            .describe(
              'The ml-gitops annotations to put on the model entity (catalog-info.yaml)',
            ),
        applications: z =>
          z
            .array(
              z.object({
                name: z.string().describe('Name of the Application'),
                instance: z
                  .string()
                  .describe('The Argo CD instance it is registered with'),
                registration: z
                  .enum(['created', 'unchanged', 'updated', 'dry-run'])
                  .describe(
                    'created, unchanged (it existed with this spec), updated (replaceApplications) or dry-run (not sent)',
                  ),
              }),
            )
            .describe(
              'The Argo CD Applications registered, one per environment (operator argocd)',
            )
            .optional(),
        fluxObjects: z =>
          z
            .array(
              z.object({
                kind: z.string().describe('GitRepository or Kustomization'),
                name: z.string().describe('namespace/name of the object'),
                cluster: z.string().describe('The cluster it is applied on'),
                registration: z
                  .enum(['created', 'unchanged', 'updated', 'dry-run'])
                  .describe(
                    'created, unchanged (it existed as applied), updated (an earlier apply differed) or dry-run (not sent)',
                  ),
              }),
            )
            .describe(
              'The Flux objects applied, three per environment (operator flux)',
            )
            .optional(),
        catalogInfoUrl: z =>
          z
            .string()
            .describe(
              "URL of the model's catalog-info.yaml in the new repo, for catalog:register (with entityOwner)",
            )
            .optional(),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const version = checkVersion(input.version);
      checkForce(input);
      checkRepoSettings(input, options.config);
      const { environments } = options.config;
      await authorizeChange(
        ctx,
        options,
        mlGitopsConfigRepoCreatePermission,
        'create config repos',
      );
      const target = await resolveModel(ctx, options, reader, {
        repoUrl: input.repoUrl,
      });
      const { loc } = target;
      const registryName = input.registry ?? options.config.registries[0]?.name;
      const gates = input.gates ?? {};
      // What the new manifest declares, for the registry and gate checks;
      // the generated file is parsed and checked again below.
      const declared: ModelManifest = {
        model_name: input.model,
        model_version: version,
        ...(registryName ? { registry: registryName } : {}),
        serving: {
          runtime: input.runtime ?? 'kserve',
          replicas: input.replicas ?? 2,
        },
        ...(Object.keys(gates).length > 0
          ? {
              gates: {
                metrics: gates,
              },
            }
          : {}),
      };
      const facts = await checkRegistry(options.config, {
        registryName: input.registry,
        model: input.model,
        version,
        manifest: declared,
      });
      enforce(
        `start ${input.model} at version ${version}`,
        facts.blockers,
        input,
        ctx.logger,
        facts.unforceable,
      );

      // What KServe serves: the version's artifacts where the registry keeps
      // them, in the format of the model's flavor.
      const registry = registryFor(options.config, {
        registryName: input.registry,
        manifest: declared,
      });
      const storageUri = await resolveStorageUri(options.config, {
        registryName: input.registry,
        manifest: declared,
        model: input.model,
        version,
      });
      const format = await resolveModelFormat(
        registry.client!,
        input.model,
        version,
      );
      if (format.note) {
        ctx.logger.warn(
          `Serving ${input.model} with modelFormat ${format.format}: ${format.note}`,
        );
      } else {
        ctx.logger.info(
          `${
            input.model
          } version ${version} is stored at ${storageUri}; modelFormat ${
            format.format
          } (MLflow flavors ${format.flavors.join(', ')})`,
        );
      }
      if (registry.url?.includes('${{')) {
        throw new InputError(
          `The URL of the registry ${registry.name} contains "\${{", which GitHub Actions would read as an expression; fix mlGitops.registries`,
        );
      }

      const spec: ConfigRepoSpec = {
        model: input.model,
        version,
        registry: registryName,
        storageUri,
        modelFormat: format.format,
        registryUrl: registry.url,
        runtime: input.runtime ?? 'kserve',
        replicas: input.replicas ?? 2,
        gates,
        environments,
        owners: input.owners,
        repoUrl: loc.url,
        namespace: input.namespace ?? 'ml-{environment}',
        argocdNamespace: input.argocdNamespace ?? 'argocd',
        argocdProject: input.argocdProject ?? 'default',
        destinationServer:
          input.destinationServer ?? 'https://kubernetes.default.svc',
        ...(input.destinationName
          ? { destinationName: input.destinationName }
          : {}),
        entity: checkEntityOwner(
          input.entityOwner,
          input.entitySystem,
          input.autoRollback,
        ),
      };
      const registration = resolveOperator(input, options.config);
      if (registration.operator === 'flux') {
        spec.flux = {
          namespace: input.fluxNamespace ?? 'flux-system',
          ...(input.fluxSecretRef ? { secretRef: input.fluxSecretRef } : {}),
        };
      }
      const files = configRepoFiles(spec);
      const parsed = parseModelManifest(files['deploy/model.yaml']);
      if (!parsed.ok) {
        throw new InputError(
          `The generated manifest is invalid: ${parsed.problems
            .map(formatManifestProblem)
            .join('; ')}`,
        );
      }
      ctx.logger.info(
        `Creating ${loc.url} for ${
          input.model
        } ${version} with branches ${environments.join(', ')}`,
      );

      const annotations = {
        'ml-gitops/model': input.model,
        'ml-gitops/config-repo': loc.url,
        ...(input.registry ? { 'ml-gitops/registry': input.registry } : {}),
      };
      ctx.output('remoteUrl', loc.url);
      ctx.output('defaultBranch', environments[0]);
      ctx.output('annotations', annotations);
      if (spec.entity) {
        ctx.output(
          'catalogInfoUrl',
          `${loc.url}/blob/${environments[0]}/${CATALOG_INFO_PATH}`,
        );
      }

      // Remembered, so a retry after the creation below does not refuse.
      const existedAtStart = await ctx.checkpoint({
        key: `ml-gitops.config-repo.exists.${loc.owner}.${loc.repo}`,
        fn: async () => writer.repositoryExists(loc),
      });
      if (existedAtStart) {
        throw new InputError(
          `${loc.url} already exists; choose another repository name, or annotate the entity with it if it is already a config repo`,
        );
      }

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would create ${loc.url} with ${
            Object.keys(files).length
          } files on ${environments.join(
            ', ',
          )} and protect them (${environments.at(-1)} needs a review)`,
        );
        if (registration.operator === 'argocd') {
          for (const environment of environments) {
            const app = argoApplication(spec, environment);
            ctx.logger.info(
              `Dry run: would register with Argo CD "${
                registration.instance.name
              }" (${registration.instance.url}):\n${yaml.stringify(app)}`,
            );
          }
          ctx.output(
            'applications',
            environments.map(environment => ({
              name: argoApplication(spec, environment).metadata.name,
              instance: registration.instance.name,
              registration: 'dry-run' as const,
            })),
          );
        }
        if (registration.operator === 'flux') {
          const objects = environments.flatMap(e =>
            fluxObjects(spec, spec.flux!, e),
          );
          for (const object of objects) {
            ctx.logger.info(
              `Dry run: would apply on cluster "${
                registration.cluster
              }" (server-side, field manager ml-gitops):\n${yaml.stringify(
                object,
              )}`,
            );
          }
          ctx.output(
            'fluxObjects',
            objects.map(o => ({
              kind: o.kind,
              name: `${o.metadata.namespace}/${o.metadata.name}`,
              cluster: registration.cluster,
              registration: 'dry-run' as const,
            })),
          );
        }
        return;
      }

      await ctx.checkpoint({
        key: `ml-gitops.config-repo.create.${loc.owner}.${loc.repo}`,
        fn: async () => {
          const result = await writer.createRepository(loc, {
            description:
              input.description ??
              `Which version of ${input.model} serves where (ml-gitops config repo)`,
            visibility: input.visibility ?? 'private',
          });
          ctx.logger.info(
            result.created
              ? `Created ${result.url}`
              : `${result.url} exists; continuing`,
          );
        },
      });

      await ctx.checkpoint({
        key: `ml-gitops.config-repo.push.${loc.owner}.${loc.repo}`,
        fn: async () => {
          await fs.mkdir(ctx.workspacePath, { recursive: true });
          const dir = path.join(ctx.workspacePath, 'ml-gitops-config-repo');
          await fs.rm(dir, { recursive: true, force: true });
          await fs.mkdir(dir, { recursive: true });
          const git = new GitCli(dir, {
            token: await writer.getToken(loc),
            author: {
              name: 'ML GitOps',
              email: 'ml-gitops@users.noreply.backstage.io',
            },
          });
          await git.run(['init', '--quiet', '-b', environments[0]]);
          await git.run(['remote', 'add', 'origin', remoteUrl(loc)]);
          const pushed = await git.run(['ls-remote', '--heads', 'origin']);
          if (pushed.trim()) {
            ctx.logger.info('The environment branches were already pushed');
            return;
          }
          for (const [file, content] of Object.entries(files)) {
            const full = path.join(dir, file);
            await fs.mkdir(path.dirname(full), { recursive: true });
            await fs.writeFile(full, content);
          }
          await git.run(['add', '-A']);
          await git.run([
            'commit',
            '--quiet',
            '-m',
            `Create the config repo of ${input.model} at version ${version}`,
          ]);
          try {
            await git.run([
              'push',
              '--quiet',
              'origin',
              ...environments.map(e => `HEAD:refs/heads/${e}`),
            ]);
          } catch (error) {
            throw workflowPermissionError(error, loc.host) ?? error;
          }
          ctx.logger.info(`Pushed branches ${environments.join(', ')}`);
        },
      });

      await ctx.checkpoint({
        key: `ml-gitops.config-repo.default-branch.${loc.owner}.${loc.repo}`,
        fn: async () => {
          await writer.setDefaultBranch(loc, environments[0]);
        },
      });

      await ctx.checkpoint({
        key: `ml-gitops.config-repo.access.${loc.owner}.${loc.repo}`,
        fn: async () => {
          // Code owners' reviews count only with write access, so without
          // this nobody could approve a production pull request.
          const access = await writer.grantAccess(loc, input.owners);
          for (const { owner, permission } of access.granted) {
            ctx.logger.info(`Gave ${owner} ${permission} access to ${loc.url}`);
          }
          for (const { owner, reason } of access.skipped) {
            ctx.logger.warn(
              `Could not give ${owner} access to ${
                loc.url
              }: ${reason}. Until someone in CODEOWNERS has write access, no review can approve a ${environments.at(
                -1,
              )} pull request`,
            );
          }
        },
      });

      for (const [index, environment] of environments.entries()) {
        const last = index === environments.length - 1;
        await ctx.checkpoint({
          key: `ml-gitops.config-repo.protect.${loc.owner}.${loc.repo}.${environment}`,
          fn: async () => {
            const appId = validateCheckAppId(options.config, loc.host);
            await writer.protectBranch(loc, environment, {
              checks: [{ context: VALIDATE_CHECK, appId }],
              approvals: last ? 1 : 0,
            });
            ctx.logger.info(
              `Protected ${environment}: pull requests passing ${VALIDATE_CHECK}${
                appId === undefined
                  ? ' (set by any app; configure mlGitops.validateCheckAppId to bind it to GitHub Actions)'
                  : ` set by app ${appId}`
              }${last ? ", with a code owner's approval" : ''}`,
            );
          },
        });
      }

      if (registration.operator === 'none') {
        ctx.logger.warn(
          `Registered nothing (operator none): until argocd/<environment>.yaml are applied in Argo CD's namespace, nothing deploys ${input.model}`,
        );
        return;
      }
      if (registration.operator === 'flux') {
        // After the push: the GitRepository fetches the branch at once.
        const client = FluxRegistrationClient.fromConfig(
          options.rootConfig ?? new ConfigReader({}),
          registration.cluster,
          {
            discovery: options.discovery,
            auth: options.auth,
            ...(options.kubernetesFetch
              ? { fetch: options.kubernetesFetch }
              : {}),
          },
        );
        const applied = [];
        const objects = environments.flatMap(e =>
          fluxObjects(spec, spec.flux!, e),
        );
        // The HelmRelease is applied by Flux from the branch: its API must be served too.
        const apiVersions = new Set([
          ...objects.map(o => o.apiVersion),
          fluxHelmRelease(spec, spec.flux!).apiVersion,
        ]);
        for (const apiVersion of apiVersions) {
          await client.checkServed(apiVersion, spec.flux!.namespace);
        }
        for (const object of objects) {
          const name = `${object.metadata.namespace}/${object.metadata.name}`;
          const result = await ctx.checkpoint({
            key: `ml-gitops.config-repo.flux.${registration.cluster}.${object.kind}.${name}`,
            fn: async () => client.apply(object),
          });
          ctx.logger.info(
            `${
              {
                created: 'Applied',
                unchanged: 'Already applied, unchanged:',
                updated: 'Updated',
              }[result]
            } ${object.kind} ${name} on cluster "${registration.cluster}"`,
          );
          applied.push({
            kind: object.kind,
            name,
            cluster: registration.cluster,
            registration: result,
          });
        }
        ctx.output('fluxObjects', applied);
        return;
      }
      // After the push: Argo CD validates that it can read the branches.
      const client = ArgoCdApplicationsClient.create(registration.instance);
      const registered = [];
      for (const environment of environments) {
        const app = argoApplication(spec, environment);
        const result = await ctx.checkpoint({
          key: `ml-gitops.config-repo.register.${registration.instance.name}.${app.metadata.namespace}.${app.metadata.name}`,
          fn: async () =>
            registerApplication(client, app, {
              replace: input.replaceApplications ?? false,
            }),
        });
        ctx.logger.info(
          `${
            {
              created: 'Registered',
              unchanged: 'Already registered, unchanged:',
              updated: 'Replaced the spec of',
            }[result]
          } Application ${app.metadata.name} (project ${
            app.spec.project
          }) with Argo CD "${registration.instance.name}"`,
        );
        registered.push({
          name: app.metadata.name,
          instance: registration.instance.name,
          registration: result,
        });
      }
      ctx.output('applications', registered);
    },
  });
}

/**
 * GitHub refuses a push that creates or changes `.github/workflows/*`
 * unless the credentials may write workflows: a GitHub App needs the
 * "Workflows" repository permission, an OAuth app or classic token the
 * `workflow` scope (docs.github.com, "Permissions required for GitHub
 * Apps"; the remote answers "refusing to allow … to create or update
 * workflow … without `workflows` permission"). The validate workflow is
 * part of every config repo, so this names what to grant.
 */
export function workflowPermissionError(
  error: unknown,
  host: string,
): InputError | undefined {
  if (!(error instanceof GitCommandError)) return undefined;
  const refusal =
    /refusing to allow an? ([^\n]*?) to create or update workflow `?([^`\s]+)`? without `?(workflows?)`? (permission|scope)/i.exec(
      error.stderr,
    );
  if (!refusal) return undefined;
  const [, who, file, grant, kind] = refusal;
  return new InputError(
    `GitHub refused to push ${file}: the ${who} of integrations.github for ${host} lacks the \`${grant}\` ${kind}. ${
      /app/i.test(who) && !/oauth/i.test(who)
        ? 'Give the GitHub App the "Workflows: Read and write" repository permission (and accept it in each installation)'
        : 'Give the token the `workflow` scope (fine-grained tokens: "Workflows: Read and write")'
    }, then run the task again; the repository exists and is reused.`,
  );
}
