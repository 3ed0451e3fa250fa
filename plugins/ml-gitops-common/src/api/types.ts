/*
 * The shapes of the ml-gitops backend REST API (`/api/ml-gitops`), exactly as
 * fixed by the design contract. The backend produces them and the frontend
 * consumes them; both import them from here so they cannot drift apart.
 *
 * All timestamps are ISO 8601 strings in UTC.
 */

/**
 * The pull request that brought a commit into an environment's branch.
 *
 * @public
 */
export type PullRequestInfo = {
  number: number;
  url: string;
  /** Who merged it, when the Git host says. */
  mergedBy?: string;
  /** Who approved it (may be empty). */
  reviewers: string[];
};

/**
 * The drift states of one environment, see {@link DriftStatus}.
 *
 * @public
 */
export type DriftState =
  | 'in-sync'
  | 'progressing'
  | 'drifted'
  | 'unknown'
  | 'missing';

/**
 * All drift states, in order from healthy to not answerable.
 *
 * @public
 */
export const DRIFT_STATES: readonly DriftState[] = [
  'in-sync',
  'progressing',
  'drifted',
  'unknown',
  'missing',
] as const;

/**
 * The drift verdict for one environment.
 *
 * @public
 */
export type DriftStatus = {
  state: DriftState;
  /** ISO 8601 UTC: since when this state holds (when known). */
  since?: string;
  /** A human explanation, e.g. which source failed. */
  reason?: string;
};

/**
 * Which kind of operator applies a config repo to a cluster.
 *
 * @public
 */
export type DeploymentSourceKind = 'argocd' | 'flux';

/**
 * The outcome of a model's performance gate against the registry metrics.
 *
 * @public
 */
export type GateOutcome = 'passed' | 'failed' | 'none';

/**
 * What Git declares for an environment: the head of its branch.
 *
 * @public
 */
export type DeclaredState = {
  version: string;
  commit: string;
  author: string;
  committedAt: string;
  pullRequest?: PullRequestInfo;
};

/**
 * What the operator (Argo CD / Flux) reports as running.
 *
 * @public
 */
export type LiveState = {
  /** The live model version, or null when it cannot be determined. */
  version: string | null;
  /** The Git revision the operator reports as synced/applied. */
  revision: string;
  source: DeploymentSourceKind;
  /** The configured Argo CD instance or Flux cluster name. */
  instance: string;
  /** The Argo CD Application or Flux object name. */
  application: string;
  syncStatus: string;
  healthStatus: string;
  observedAt: string;
  /**
   * A link to the object in the operator's UI (Argo CD), when known. An
   * addition to the design contract.
   */
  url?: string;
};

/**
 * What the model registry says about the declared version.
 *
 * @public
 */
export type RegistryState = {
  exists: boolean;
  aliases: string[];
  stage?: string;
  metrics: Record<string, number>;
  gate: GateOutcome;
  /**
   * The manifest's `gates.metrics`, so a UI can show each metric against its
   * threshold. An addition to the design contract.
   */
  thresholds?: Record<string, { min?: number; max?: number }>;
  /** A link to the version or run in the registry's UI. An addition. */
  runUrl?: string;
};

/**
 * The status of one environment of one model.
 *
 * @public
 */
export type EnvironmentStatus = {
  name: string;
  declared: DeclaredState | null;
  live: LiveState | null;
  registry: RegistryState | null;
  drift: DriftStatus;
};

/**
 * How a deployment commit came about.
 *
 * @public
 */
export type DeploymentKind = 'deploy' | 'promotion' | 'rollback';

/**
 * One deployment: a commit that changed the declared version of an environment.
 *
 * @public
 */
export type Deployment = {
  environment: string;
  version: string;
  previousVersion?: string;
  commit: string;
  author: string;
  committedAt: string;
  kind: DeploymentKind;
  pullRequest?: PullRequestInfo;
  /** First time the live version matched. */
  servingAt?: string;
  /** servingAt - merge time. */
  timeToServeSeconds?: number;
};

/**
 * Response of `GET /v1/deployments?entityRef=…`.
 *
 * @public
 */
export type DeploymentsResponse = {
  entityRef: string;
  model: string;
  /** In promotion order. */
  environments: EnvironmentStatus[];
};

/**
 * Response of `GET /v1/history?entityRef=…&environment=…&limit=…`.
 *
 * @public
 */
export type HistoryResponse = {
  /** Newest first. */
  items: Deployment[];
};

/**
 * One entry of {@link DriftResponse}.
 *
 * @public
 */
export type DriftItem = {
  entityRef: string;
  environment: string;
  drift: DriftStatus;
};

/**
 * Response of `GET /v1/drift`: every environment in the fleet that is not
 * `in-sync`.
 *
 * @public
 */
export type DriftResponse = {
  items: DriftItem[];
};

/**
 * Body of `POST /v1/refresh` (answered with 202).
 *
 * @public
 */
export type RefreshRequest = {
  entityRef: string;
};

/**
 * Response of `GET /v1/fleet?limit=…&cursor=…` (an addition to the design
 * contract): the status of every model the backend tracks, one page at a time,
 * so the fleet page needs one call instead of one per entity.
 *
 * @public
 */
export type FleetResponse = {
  items: DeploymentsResponse[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
};

/**
 * The signals channel on which the backend announces that the status of a
 * model changed; the message is `{ entityRef }`.
 *
 * @public
 */
export const ML_GITOPS_SIGNAL_CHANNEL = 'ml-gitops:status';

/**
 * The message published on {@link ML_GITOPS_SIGNAL_CHANNEL}.
 *
 * @public
 */
export type MlGitopsStatusSignal = {
  entityRef: string;
};
