import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { ArgoCdInstanceConfig } from '../../config';

/** The fields of an Argo CD Application this source reads. */
type Application = {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
  };
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string };
    operationState?: {
      phase?: string;
      startedAt?: string;
      finishedAt?: string;
    };
  };
};

/**
 * The Application fields requested with `fields`, so a large Argo CD answers
 * with a small payload.
 */
const LIST_FIELDS = [
  'items.metadata.name',
  'items.metadata.namespace',
  'items.metadata.labels',
  'items.status.sync.status',
  'items.status.sync.revision',
  'items.status.sync.revisions',
  'items.status.health.status',
  'items.status.operationState.phase',
  'items.status.operationState.startedAt',
  'items.status.operationState.finishedAt',
].join(',');

type FetchFn = typeof fetch;

/**
 * One Argo CD instance: one list call per poll cycle for every Application
 * labelled `ml-gitops/model`, authenticated with a token or with a session
 * (username/password) that is cached and renewed when Argo CD answers 401.
 */
export class ArgoCdSource implements DeploymentSource {
  readonly kind = 'argocd' as const;
  readonly instance: string;
  private sessionToken?: string;

  static fromConfig(
    config: ArgoCdInstanceConfig,
    options: { logger: LoggerService; fetch?: FetchFn },
  ): ArgoCdSource {
    return new ArgoCdSource(config, options.logger, options.fetch ?? fetch);
  }

  private constructor(
    private readonly config: ArgoCdInstanceConfig,
    private readonly logger: LoggerService,
    private readonly fetchFn: FetchFn,
  ) {
    this.instance = config.name;
  }

  private async login(): Promise<string> {
    const { username, password, url } = this.config;
    let response: Response;
    try {
      response = await this.fetchFn(`${url}/api/v1/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" at ${url} is unreachable: ${
          (error as Error).message
        }`,
      );
    }
    if (!response.ok) {
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" refused the login of "${username}" (${response.status}); check mlGitops.argocd.instances username and password`,
      );
    }
    const body = (await response.json()) as { token?: string };
    if (!body.token) {
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" answered the login without a token`,
      );
    }
    this.logger.info(`Logged in to Argo CD "${this.instance}"`);
    return body.token;
  }

  private async bearer(renew = false): Promise<string> {
    if (this.config.token) {
      return this.config.token;
    }
    if (!this.sessionToken || renew) {
      this.sessionToken = await this.login();
    }
    return this.sessionToken;
  }

  private async request(path: string): Promise<Response> {
    const send = async (token: string) => {
      try {
        return await this.fetchFn(`${this.config.url}${path}`, {
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/json',
          },
        });
      } catch (error) {
        throw new ServiceUnavailableError(
          `Argo CD "${this.instance}" at ${this.config.url} is unreachable: ${
            (error as Error).message
          }`,
        );
      }
    };
    let response = await send(await this.bearer());
    if (response.status === 401 && !this.config.token) {
      // The session expired: log in again once.
      response = await send(await this.bearer(true));
    }
    if (!response.ok) {
      let detail = '';
      try {
        const body = (await response.json()) as { message?: string };
        detail = body.message ? `: ${body.message}` : '';
      } catch {
        // the status says enough
      }
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" answered ${response.status} to ${
          path.split('?')[0]
        }${detail}${
          response.status === 401 || response.status === 403
            ? '; check the token or credentials in mlGitops.argocd.instances'
            : ''
        }`,
      );
    }
    return response;
  }

  async listObservations(): Promise<LiveObservation[]> {
    const params = new URLSearchParams({
      selector: LABEL_MODEL,
      fields: LIST_FIELDS,
    });
    for (const project of this.config.projects ?? []) {
      params.append('projects', project);
    }
    const response = await this.request(`/api/v1/applications?${params}`);
    const body = (await response.json()) as { items?: Application[] | null };
    const observations: LiveObservation[] = [];
    for (const app of body.items ?? []) {
      const model = app.metadata.labels?.[LABEL_MODEL];
      const environment = app.metadata.labels?.[LABEL_ENVIRONMENT];
      if (!model || !environment) {
        this.logger.debug(
          `Argo CD application ${app.metadata.name} has no ${LABEL_ENVIRONMENT} label; ignored`,
        );
        continue;
      }
      const operation = app.status?.operationState;
      const phase = operation?.phase;
      observations.push({
        model,
        environment,
        source: 'argocd',
        instance: this.instance,
        application: app.metadata.name,
        syncStatus: app.status?.sync?.status ?? 'Unknown',
        healthStatus: app.status?.health?.status ?? 'Unknown',
        revision:
          app.status?.sync?.revision ?? app.status?.sync?.revisions?.[0] ?? '',
        operationRunning: phase === 'Running' || phase === 'Terminating',
        ...(operation?.finishedAt
          ? { lastSyncFinishedAt: new Date(operation.finishedAt).toISOString() }
          : {}),
        url: `${this.config.url}/applications/${
          app.metadata.namespace ? `${app.metadata.namespace}/` : ''
        }${app.metadata.name}`,
      });
    }
    return observations;
  }

  async requestRefresh(observation: LiveObservation): Promise<void> {
    await this.request(
      `/api/v1/applications/${encodeURIComponent(
        observation.application,
      )}?refresh=normal`,
    );
  }
}
