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
 * The Argo CD API server subset (argo-cd.readthedocs.io/en/stable/developer-guide/api-docs,
 * swagger of server/application/application.proto and server/session/session.proto).
 * Errors use the grpc-gateway body `{error, code, message}` with gRPC codes
 * (3 InvalidArgument → 400, 5 NotFound → 404, 16 Unauthenticated → 401).
 * Application objects follow a real Argo CD payload field for field
 * (argoproj/argo-cd controller/testdata/diff-cache.yaml).
 */

import crypto from 'node:crypto';
import http from 'node:http';
import {
  BadJsonError,
  readJson,
  RouteContext,
  Router,
  sendJson,
} from '../lib/http';
import { parseLabelSelector } from '../lib/labelSelector';
import { ENVIRONMENTS, Environment, stableUid } from '../seed/data';
import { IMAGES, servingObjects } from '../live/objects';
import { LiveDeployment, World } from '../live/World';
import {
  ArgoCdFieldsVersion,
  FieldSelectionError,
  selectApplicationListFields,
} from './listFields';
import { ApplicationStream } from './ApplicationStream';

export const ARGOCD_PROJECT = 'ml-models';
/** The projects that exist: the seed's and Argo CD's built-in one. */
const ARGOCD_PROJECTS = [ARGOCD_PROJECT, 'default'];

export class ArgoError extends Error {
  constructor(
    readonly status: number,
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendArgoError(
  res: http.ServerResponse,
  status: number,
  grpcCode: number,
  message: string,
) {
  sendJson(res, status, { error: message, code: grpcCode, message });
}

/** JSON with object keys sorted: equal for equal values, as Go's reflect.DeepEqual on the typed spec. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map(k => [k, v[k]]),
        )
      : v,
  );
}

function b64url(data: string | Buffer) {
  return Buffer.from(data).toString('base64url');
}

export type ArgoCdCredentials = {
  username: string;
  password: string;
  token: string;
};

/** The namespace of the Argo CD control plane, where its Applications live. */
export const ARGOCD_NAMESPACE = 'argocd';

/** The release the emulator answers as (`/api/version`, the `fields` list). */
const RELEASES: Record<ArgoCdFieldsVersion, string> = {
  '3.1': 'v3.1.9+sandbox',
  '3.5': 'v3.5.1+sandbox',
};

/** gRPC PermissionDenied as Argo CD answers it (argo-cd common/common.go, `PermissionDeniedAPIError`). */
const permissionDenied = () => new ArgoError(403, 7, 'permission denied');

/** The kinds of an Application's `status.resources` (its managed objects). */
const APPLICATION_RESOURCE_KINDS: ReadonlySet<string> = new Set([
  'InferenceService',
  'Service',
]);

export class ArgoCdApi {
  private router = new Router();
  private readonly secret = crypto.randomBytes(32);
  /** Which Argo CD release the emulator answers as; the demo's default is the older list. */
  version: ArgoCdFieldsVersion;
  /** The application event stream (`GET /api/v1/stream/applications`). */
  readonly stream: ApplicationStream;

  constructor(
    private readonly world: World,
    private readonly creds: ArgoCdCredentials,
    options: { version?: ArgoCdFieldsVersion } = {},
  ) {
    this.version = options.version ?? '3.1';
    this.stream = new ApplicationStream(
      world,
      () => this.apps(),
      d => this.applicationJson(d),
    );
    this.routes();
  }

  issueToken(username: string, ttlSeconds = 86400) {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({
        iss: 'argocd',
        sub: username,
        nbf: now,
        iat: now,
        exp: now + ttlSeconds,
        jti: crypto.randomUUID(),
      }),
    );
    const sig = crypto
      .createHmac('sha256', this.secret)
      .update(`${header}.${payload}`)
      .digest('base64url');
    return `${header}.${payload}.${sig}`;
  }

  private authenticated(req: http.IncomingMessage): boolean {
    const auth = req.headers.authorization ?? '';
    let token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token) {
      const cookie = /(?:^|;\s*)argocd\.token=([^;]+)/.exec(
        String(req.headers.cookie ?? ''),
      );
      token = cookie?.[1] ?? '';
    }
    if (!token) throw new ArgoError(401, 16, 'no session information');
    if (token === this.creds.token) return true;
    const [h, p, s] = token.split('.');
    if (!h || !p || !s)
      throw new ArgoError(
        401,
        16,
        'invalid session: token contains an invalid number of segments',
      );
    const expected = crypto
      .createHmac('sha256', this.secret)
      .update(`${h}.${p}`)
      .digest('base64url');
    if (expected !== s)
      throw new ArgoError(401, 16, 'invalid session: signature is invalid');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    if (claims.exp < Date.now() / 1000)
      throw new ArgoError(
        401,
        16,
        'invalid session: token has invalid claims: token is expired',
      );
    return true;
  }

  async handle(req: RouteContext['req'], res: http.ServerResponse, url: URL) {
    try {
      if (
        url.pathname !== '/api/v1/session' &&
        url.pathname !== '/api/version'
      ) {
        this.authenticated(req);
      }
      const matched = await this.router.handle({ req, res, url }, url.pathname);
      if (matched === 'method')
        throw new ArgoError(405, 12, 'Method Not Allowed');
      if (!matched) throw new ArgoError(404, 5, 'Not Found');
    } catch (e) {
      if (e instanceof BadJsonError) {
        sendArgoError(res, 400, 3, e.message);
      } else if (e instanceof ArgoError) {
        sendArgoError(res, e.status, e.grpcCode, e.message);
      } else {
        throw e;
      }
    }
  }

  private apps(): LiveDeployment[] {
    return this.world.deployments.filter(d => d.operator === 'argocd');
  }

  /**
   * One Application, looked up as argo-cd's server/application/application.go
   * (`getApplicationEnforceRBACClient`) does: in `appNamespace`, else the
   * control plane's namespace. A missing Application answers 403
   * "permission denied", so that callers cannot probe which names exist;
   * only when the caller named the project (and may read it) does a missing
   * one answer 404, and an Application of another project 403.
   */
  private app(name: string, query?: URLSearchParams): LiveDeployment {
    const namespace = query?.get('appNamespace') || ARGOCD_NAMESPACE;
    const projects = [
      ...(query?.getAll('project') ?? []),
      ...(query?.getAll('projects') ?? []),
    ];
    if (projects.length > 1) {
      throw new ArgoError(
        400,
        3,
        'multiple projects specified - the get endpoint accepts either zero or one project',
      );
    }
    const project = projects[0];
    if (project && !ARGOCD_PROJECTS.includes(project)) {
      throw permissionDenied();
    }
    const d =
      namespace === ARGOCD_NAMESPACE
        ? this.apps().find(a => this.world.appName(a) === name)
        : undefined;
    if (!d) {
      if (project) {
        throw new ArgoError(
          404,
          5,
          `applications.argoproj.io "${name}" not found`,
        );
      }
      throw permissionDenied();
    }
    if (project && (d.project ?? ARGOCD_PROJECT) !== project) {
      throw permissionDenied();
    }
    return d;
  }

  applicationJson(d: LiveDeployment) {
    const w = this.world;
    const name = w.appName(d);
    const posted = d.application?.spec;
    // An Application created through the API answers the spec it was given
    // (argo-cd normalizes little: NormalizeApplicationSpec); a multi-source
    // one reports `revisions` and `sources` index for index wherever a
    // single-source one reports `revision` and `source`
    // (v1alpha1.SyncStatus, SyncOperationResult, RevisionHistory).
    const sources: any[] | undefined = Array.isArray(posted?.sources)
      ? posted.sources
      : undefined;
    const source = sources
      ? undefined
      : posted?.source ?? {
          repoURL: w.repoUrl(d),
          path: 'deploy/chart',
          targetRevision: d.branch,
          helm: { valueFiles: ['../model.yaml'], releaseName: d.model.name },
        };
    const destination = posted?.destination ?? {
      server: 'https://kubernetes.default.svc',
      namespace: w.namespace(d.env),
    };
    const sourceFields = (revision: string) =>
      sources
        ? { revisions: sources.map(() => revision), sources }
        : { revision, source };
    const objects = servingObjects(w, d, APPLICATION_RESOURCE_KINDS);
    const drifted = d.driftVersion !== undefined;
    const synced = d.appliedRevision === d.targetRevision && !drifted;
    const resources = objects.map(o => {
      const [group, version] = o.apiVersion.includes('/')
        ? o.apiVersion.split('/')
        : ['', o.apiVersion];
      const outOfSync = drifted && o.kind === 'InferenceService';
      return {
        ...(group ? { group } : {}),
        version,
        kind: o.kind,
        namespace: o.metadata.namespace,
        name: o.metadata.name,
        status:
          synced || (!outOfSync && d.appliedRevision === d.targetRevision)
            ? 'Synced'
            : 'OutOfSync',
        health: { status: 'Healthy' },
      };
    });
    const op = d.operation;
    const last = d.history[d.history.length - 1];
    // No apiVersion or kind: the API server answers the Application from its
    // informer's cache, whose typed objects carry no TypeMeta, and its
    // swagger's v1alpha1Application has neither (assets/swagger.json).
    return {
      metadata: {
        name,
        namespace: ARGOCD_NAMESPACE,
        uid: stableUid(`argocd/${name}`),
        resourceVersion: String(d.resourceVersion),
        generation: d.history.length + 2,
        creationTimestamp: d.history[0]?.deployStartedAt ?? d.reconciledAt,
        labels: d.application?.labels ?? {
          'ml-gitops/model': d.model.name,
          'ml-gitops/environment': d.env,
          'app.kubernetes.io/part-of': 'ml-serving',
          ...(d.model.team ? { team: d.model.team } : {}),
        },
        annotations: {
          'argocd.argoproj.io/manifest-generate-paths': '.;..',
          ...(d.model.team
            ? {
                'notifications.argoproj.io/subscribe.on-sync-succeeded.slack': `${d.model.team}-deploys`,
              }
            : {}),
        },
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: posted ?? {
        destination,
        project: d.project ?? ARGOCD_PROJECT,
        source,
        syncPolicy: {
          ...(d.autoSync
            ? { automated: { prune: true, selfHeal: false } }
            : {}),
          retry: {
            backoff: { duration: '5s', factor: 2, maxDuration: '3m' },
            limit: 5,
          },
          syncOptions: ['CreateNamespace=true', 'ApplyOutOfSyncOnly=true'],
        },
      },
      status: {
        controllerNamespace: 'argocd',
        health: {
          status: 'Healthy',
          lastTransitionTime: last?.deployedAt ?? d.reconciledAt,
        },
        history: d.history.map(h => ({
          deployStartedAt: h.deployStartedAt,
          deployedAt: h.deployedAt,
          id: h.id,
          initiatedBy: h.initiatedBy,
          ...sourceFields(h.revision),
        })),
        ...(op
          ? {
              operationState: {
                ...(op.finishedAt ? { finishedAt: op.finishedAt } : {}),
                message: op.message,
                operation: {
                  initiatedBy: op.initiatedBy,
                  retry: {
                    backoff: { duration: '5s', factor: 2, maxDuration: '3m' },
                    limit: 5,
                  },
                  sync: {
                    ...(sources
                      ? { revisions: sources.map(() => op.revision), sources }
                      : { revision: op.revision }),
                    syncOptions: [
                      'CreateNamespace=true',
                      'ApplyOutOfSyncOnly=true',
                    ],
                    syncStrategy: { hook: {} },
                  },
                },
                phase: op.phase,
                startedAt: op.startedAt,
                syncResult: {
                  resources: objects.map(o => {
                    const [group, version] = o.apiVersion.includes('/')
                      ? o.apiVersion.split('/')
                      : ['', o.apiVersion];
                    return {
                      group,
                      hookPhase: 'Running',
                      kind: o.kind,
                      message: `${o.kind.toLowerCase()}${
                        group ? `.${group}` : ''
                      }/${o.metadata.name} configured`,
                      name: o.metadata.name,
                      namespace: o.metadata.namespace,
                      status: 'Synced',
                      syncPhase: 'Sync',
                      version,
                    };
                  }),
                  ...sourceFields(op.revision),
                },
              },
            }
          : {}),
        reconciledAt: d.reconciledAt,
        resources,
        ...(sources
          ? {
              sourceTypes: sources.map(x =>
                x.directory ? 'Directory' : 'Helm',
              ),
            }
          : { sourceType: 'Helm' }),
        summary: { images: IMAGES },
        sync: {
          comparedTo: sources
            ? { destination, sources }
            : { destination, source },
          ...(sources
            ? { revisions: sources.map(() => d.targetRevision) }
            : { revision: d.targetRevision }),
          status: synced ? 'Synced' : 'OutOfSync',
        },
      },
    };
  }

  /**
   * Checks an Application as Argo CD's create and update do
   * (server/application/application.go, validateAndNormalizeApp): its name,
   * labels the sandbox needs, an existing project, sources readable on the
   * sandbox's Git host (all on one config repo), and the namespace the
   * sandbox serves the environment in.
   */
  private checkApplication(app: any) {
    const invalid = (message: string) => new ArgoError(400, 3, message);
    if (app?.kind !== undefined && app.kind !== 'Application') {
      throw invalid(`kind must be Application, got ${app.kind}`);
    }
    const name = app?.metadata?.name;
    if (typeof name !== 'string' || !name) {
      throw invalid('Application.metadata.name is required');
    }
    const labels: Record<string, string> = app.metadata.labels ?? {};
    const model = labels['ml-gitops/model'];
    const env = labels['ml-gitops/environment'];
    if (!model || !env) {
      throw invalid(
        `application ${name}: the sandbox needs the labels ml-gitops/model and ml-gitops/environment`,
      );
    }
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      throw invalid(
        `application ${name}: environment ${env} is not one of ${ENVIRONMENTS.join(
          ', ',
        )}`,
      );
    }
    if (name !== `${model}-${env}`) {
      throw invalid(
        `application ${name}: the sandbox names applications <model>-<environment> (${model}-${env})`,
      );
    }
    const appProject = app.spec?.project ?? '';
    if (!ARGOCD_PROJECTS.includes(appProject)) {
      throw new ArgoError(
        403,
        7,
        `application references project ${appProject} which does not exist`,
      );
    }
    const hasSources = Array.isArray(app.spec?.sources);
    if (hasSources && app.spec?.source) {
      throw invalid(
        `application spec for ${name} is invalid: InvalidSpecError: application has both source and sources defined`,
      );
    }
    const sources: any[] = hasSources
      ? app.spec.sources
      : [app.spec?.source ?? {}];
    if (sources.length === 0) {
      throw invalid(
        `application spec for ${name} is invalid: InvalidSpecError: no sources defined`,
      );
    }
    const repos = sources.map(source => {
      let repoUrl: URL;
      try {
        repoUrl = new URL(String(source?.repoURL));
      } catch {
        throw invalid(`application ${name}: spec.source.repoURL is not a URL`);
      }
      // a config repo on any of the sandbox's Git hosts (GitHub or GitLab)
      const repo = this.world.git.resolve(repoUrl.href)?.repo;
      if (!repo) {
        throw invalid(
          `application spec for ${name} is invalid: InvalidSpecError: repository not accessible: repository not found: ${source?.repoURL}`,
        );
      }
      return repo;
    });
    if (repos.some(r => r !== repos[0])) {
      throw invalid(
        `application ${name}: the sandbox applies sources of one config repo only`,
      );
    }
    const namespace = app.spec?.destination?.namespace;
    if (namespace !== this.world.namespace(env as Environment)) {
      throw invalid(
        `application ${name}: the sandbox serves ${env} in namespace ${this.world.namespace(
          env as Environment,
        )}, not ${namespace}`,
      );
    }
    // The branch the model is served from: the chart's source (the first
    // without `directory` or `ref`), else the first.
    const main =
      sources.find(x => !x?.directory && !x?.ref) ?? sources[0] ?? {};
    const repo = repos[0];
    return {
      name,
      model,
      env: env as Environment,
      project: appProject as string,
      repo,
      branch: String(main.targetRevision || repo.default_branch),
      team: labels.team,
      application: { spec: app.spec, labels },
      autoSync: Boolean(app.spec?.syncPolicy?.automated),
    };
  }

  /**
   * `POST /api/v1/applications` (ApplicationCreateRequest): an Application
   * whose sources are an environment branch of a config repo on the
   * sandbox's Git host becomes a live deployment. An existing one with an
   * equal spec and labels is answered as it is; a different one needs
   * `upsert` ("existing application spec is different, use upsert flag to
   * force update", argo-cd server/application/application.go, Create).
   */
  private async createApplication(app: any, upsert: boolean) {
    const checked = this.checkApplication(app);
    const existing = this.world.find(checked.model, checked.env);
    if (existing) {
      const current = this.applicationJson(existing);
      const same =
        canonical(current.spec) === canonical(app.spec) &&
        canonical(current.metadata.labels) ===
          canonical(checked.application.labels);
      if (same) return existing;
      if (!upsert) {
        throw new ArgoError(
          400,
          3,
          `existing application spec is different, use upsert flag to force update`,
        );
      }
      return this.replaceApplication(existing, checked);
    }
    try {
      const d = await this.world.addDeployment({
        model: checked.model,
        env: checked.env,
        operator: 'argocd',
        repo: checked.repo,
        branch: checked.branch,
        team: checked.team,
        autoSync: checked.autoSync,
        application: checked.application,
      });
      d.project = checked.project;
      return d;
    } catch (e) {
      throw new ArgoError(
        400,
        3,
        `application ${checked.name}: ${(e as Error).message}`,
      );
    }
  }

  /** Gives a deployment the spec and labels of an updated Application, then reconciles it. */
  private async replaceApplication(
    d: LiveDeployment,
    checked: ReturnType<ArgoCdApi['checkApplication']>,
  ) {
    if (d.operator !== 'argocd' || checked.repo !== d.repo) {
      throw new ArgoError(
        400,
        3,
        `application ${checked.name}: the sandbox cannot move a deployment to another operator or repo`,
      );
    }
    d.application = checked.application;
    d.project = checked.project;
    d.branch = checked.branch;
    d.autoSync = checked.autoSync;
    d.resourceVersion = this.world.nextResourceVersion();
    await this.world.reconcile(d);
    return d;
  }

  private routes() {
    const r = this.router;
    r.add('GET', '/api/version', ctx => {
      // Without a session Argo CD tells only the version
      // (argo-cd server/version/version.go).
      sendJson(ctx.res, 200, { Version: RELEASES[this.version] });
    });
    r.add('POST', '/api/v1/session', async ctx => {
      const body = await readJson(ctx.req);
      if (
        body.username !== this.creds.username ||
        body.password !== this.creds.password
      ) {
        throw new ArgoError(401, 16, 'Invalid username or password');
      }
      sendJson(ctx.res, 200, { token: this.issueToken(body.username) });
    });
    r.add('GET', '/api/v1/session/userinfo', ctx => {
      sendJson(ctx.res, 200, {
        loggedIn: true,
        username: this.creds.username,
        iss: 'argocd',
      });
    });
    r.add('GET', '/api/v1/applications', async ctx => {
      const q = ctx.url.searchParams;
      let apps = this.apps();
      const selector = q.get('selector');
      if (selector) {
        let match: (l: Record<string, string>) => boolean;
        try {
          match = parseLabelSelector(selector);
        } catch (e) {
          throw new ArgoError(
            400,
            3,
            `error parsing selector: ${(e as Error).message}`,
          );
        }
        apps = apps.filter(d => match(this.applicationJson(d).metadata.labels));
      }
      const projects = [...q.getAll('projects'), ...q.getAll('project')]
        .flatMap(p => p.split(','))
        .filter(Boolean);
      if (projects.length)
        apps = apps.filter(d => projects.includes(d.project ?? ARGOCD_PROJECT));
      const name = q.get('name');
      if (name) apps = apps.filter(d => this.world.appName(d) === name);
      if (q.get('refresh'))
        await Promise.all(apps.map(d => this.world.reconcile(d)));
      // Sorted by name (argo-cd server/application/application.go, List).
      const items = apps
        .map(d => this.applicationJson(d))
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      const list = {
        metadata: { resourceVersion: String(this.world.resourceVersion) },
        items,
      };
      const fields = q.get('fields');
      if (!fields) {
        sendJson(ctx.res, 200, list);
        return;
      }
      try {
        sendJson(
          ctx.res,
          200,
          selectApplicationListFields(list, fields, this.version),
        );
      } catch (e) {
        if (e instanceof FieldSelectionError) {
          throw new ArgoError(500, 2, e.message);
        }
        throw e;
      }
    });
    r.add('GET', '/api/v1/stream/applications', ctx => {
      const selector = ctx.url.searchParams.get('selector');
      let match: (l: Record<string, string>) => boolean = () => true;
      if (selector) {
        try {
          match = parseLabelSelector(selector);
        } catch (e) {
          throw new ArgoError(
            400,
            3,
            `error parsing labels with selectors: ${(e as Error).message}`,
          );
        }
      }
      this.stream.serve(ctx.req, ctx.res, ctx.url.searchParams, match);
    });
    r.add('POST', '/api/v1/applications', async ctx => {
      const body = await readJson(ctx.req);
      const d = await this.createApplication(
        body,
        ctx.url.searchParams.get('upsert') === 'true',
      );
      sendJson(ctx.res, 200, this.applicationJson(d));
    });
    // ApplicationUpdateRequest: PUT /api/v1/applications/{application.metadata.name}
    // with the Application as the body; Argo CD replaces its spec, labels
    // and annotations (server/application/application.go, Update).
    r.add('PUT', '/api/v1/applications/:name', async ctx => {
      const body = await readJson(ctx.req);
      if (body?.metadata?.name !== ctx.params.name) {
        throw new ArgoError(
          400,
          3,
          `application name ${body?.metadata?.name} does not match ${ctx.params.name}`,
        );
      }
      const d = this.app(ctx.params.name, ctx.url.searchParams);
      const checked = this.checkApplication(body);
      sendJson(
        ctx.res,
        200,
        this.applicationJson(await this.replaceApplication(d, checked)),
      );
    });
    r.add('GET', '/api/v1/applications/:name', async ctx => {
      const d = this.app(ctx.params.name, ctx.url.searchParams);
      const refresh = ctx.url.searchParams.get('refresh');
      if (refresh) {
        // like Argo CD, any value refreshes ("hard" also drops the manifest cache)
        await this.world.reconcile(d);
      }
      sendJson(ctx.res, 200, this.applicationJson(d));
    });
    r.add('POST', '/api/v1/applications/:name/sync', async ctx => {
      const d = this.app(ctx.params.name, ctx.url.searchParams);
      const body = await readJson(ctx.req);
      await this.world.reconcile(d);
      let revision = d.targetRevision;
      if (
        typeof body.revision === 'string' &&
        body.revision &&
        body.revision !== d.branch
      ) {
        const sha = await this.world.git
          .reposOf(d.repo)
          .resolveCommit(d.repo, body.revision);
        if (!sha) {
          throw new ArgoError(
            400,
            3,
            `rpc error: code = Unknown desc = unable to resolve '${body.revision}' to a commit SHA`,
          );
        }
        revision = sha;
      }
      if (!body.dryRun) {
        await this.world.apply(d, revision, { username: this.creds.username });
      }
      sendJson(ctx.res, 200, this.applicationJson(d));
    });
    r.add('GET', '/api/v1/applications/:name/resource-tree', ctx => {
      const d = this.app(ctx.params.name, ctx.url.searchParams);
      const objects = servingObjects(this.world, d);
      const nodes = objects.map(o => {
        const [group, version] = o.apiVersion.includes('/')
          ? o.apiVersion.split('/')
          : ['', o.apiVersion];
        const parentRefs = (o.metadata.ownerReferences ?? []).map(ref => {
          const owner = objects.find(x => x.metadata.uid === ref.uid)!;
          const [pg] = owner.apiVersion.includes('/')
            ? owner.apiVersion.split('/')
            : [''];
          return {
            group: pg,
            kind: owner.kind,
            namespace: owner.metadata.namespace,
            name: owner.metadata.name,
            uid: owner.metadata.uid,
          };
        });
        const info =
          o.kind === 'Pod'
            ? [
                { name: 'Status Reason', value: 'Running' },
                { name: 'Node', value: o.spec?.nodeName },
                { name: 'Containers', value: '1/1' },
              ]
            : undefined;
        return {
          group,
          version,
          kind: o.kind,
          namespace: o.metadata.namespace,
          name: o.metadata.name,
          uid: o.metadata.uid,
          resourceVersion: o.metadata.resourceVersion,
          createdAt: o.metadata.creationTimestamp,
          ...(parentRefs.length ? { parentRefs } : {}),
          ...(info ? { info } : {}),
          ...(o.kind === 'Pod' ? { images: IMAGES } : {}),
          health: { status: 'Healthy' },
          ...(o.kind === 'Service'
            ? { networkingInfo: { targetLabels: o.spec?.selector } }
            : {}),
        };
      });
      sendJson(ctx.res, 200, {
        nodes,
        hosts: [{ name: 'sandbox-node-1' }, { name: 'sandbox-node-2' }],
      });
    });
    r.add(
      'GET',
      '/api/v1/applications/:name/revisions/:revision/metadata',
      async ctx => {
        const d = this.app(ctx.params.name, ctx.url.searchParams);
        const c = await this.world.git
          .reposOf(d.repo)
          .commit(d.repo, ctx.params.revision);
        if (!c || !/^[0-9a-f]{7,40}$/.test(ctx.params.revision)) {
          throw new ArgoError(
            500,
            2,
            `rpc error: code = Unknown desc = unable to resolve git revision ${ctx.params.revision}: revision not found`,
          );
        }
        sendJson(ctx.res, 200, {
          author: `${c.author.name} <${c.author.email}>`,
          date: c.author.date,
          tags: [],
          message: c.message.replace(/\n$/, ''),
        });
      },
    );
  }
}
