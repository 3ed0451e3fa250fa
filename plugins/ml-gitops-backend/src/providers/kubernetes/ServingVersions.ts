import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
  LABEL_MODEL_VERSION,
} from '@ml-gitops/plugin-ml-gitops-common';
import { KubeObject, KubernetesClusterClient } from './KubernetesClusters';

const GROUP = 'serving.kserve.io';

/**
 * Reads the model version that really serves from the serving objects
 * (KServe InferenceServices labelled `ml-gitops/model`,
 * `ml-gitops/environment` and `ml-gitops/model-version`): one list call per
 * cluster per poll cycle.
 */
export class ServingVersions {
  constructor(private readonly clients: KubernetesClusterClient[]) {}

  /**
   * Version by model and environment; a failing cluster is skipped and
   * reported. The InferenceServices listed, by cluster, are returned too, so
   * the canary analyses need no second list call.
   */
  async read(): Promise<{
    versions: Map<string, string>;
    failures: Array<{ cluster: string; error: Error }>;
    inferenceServices: Map<string, KubeObject[]>;
  }> {
    const versions = new Map<string, string>();
    const failures: Array<{ cluster: string; error: Error }> = [];
    const inferenceServices = new Map<string, KubeObject[]>();
    await Promise.all(
      this.clients.map(async client => {
        try {
          const version = await client.preferredVersion(GROUP);
          if (!version) {
            inferenceServices.set(client.cluster.name, []);
            return;
          }
          const items = await client.list(
            GROUP,
            version,
            'inferenceservices',
            `${LABEL_MODEL},${LABEL_MODEL_VERSION}`,
          );
          inferenceServices.set(client.cluster.name, items);
          for (const item of items) {
            const labels = item.metadata.labels ?? {};
            const model = labels[LABEL_MODEL];
            const environment = labels[LABEL_ENVIRONMENT];
            const modelVersion = labels[LABEL_MODEL_VERSION];
            if (model && environment && modelVersion) {
              versions.set(
                ServingVersions.key(model, environment),
                modelVersion,
              );
            }
          }
        } catch (error) {
          failures.push({
            cluster: client.cluster.name,
            error: error as Error,
          });
        }
      }),
    );
    return { versions, failures, inferenceServices };
  }

  static key(model: string, environment: string): string {
    return `${model}\u0000${environment}`;
  }
}
