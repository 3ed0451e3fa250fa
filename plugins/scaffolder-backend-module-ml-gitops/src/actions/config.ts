import { Config } from '@backstage/config';
import {
  MlGitopsRegistryConfig,
  MlGitopsSharedConfig,
  readMlGitopsSharedConfig,
} from '@ml-gitops/plugin-ml-gitops-node';
import { credentialFreeUrl, redactUrl } from './inputs';

/** A model registry the actions may ask about versions and metrics. */
export type ActionsRegistryConfig = MlGitopsRegistryConfig;

/** The part of the `mlGitops` configuration the scaffolder actions use. */
export type MlGitopsActionsConfig = MlGitopsSharedConfig & {
  sealedSecrets?: {
    /**
     * Where `ml-gitops:secret:seal` fetches the controller's certificate
     * when the step gives neither certificate nor certificateUrl.
     */
    certificateUrl?: string;
  };
};

/**
 * Reads the `mlGitops` keys the actions use: `environments` and
 * `registries` through the reader the backend uses too
 * (`readMlGitopsSharedConfig` of `@ml-gitops/plugin-ml-gitops-node`), and
 * the actions' own `sealedSecrets.certificateUrl`. Throws an error naming
 * the key to fix when something is wrong.
 */
export function readMlGitopsActionsConfig(
  rootConfig: Config,
): MlGitopsActionsConfig {
  const shared = readMlGitopsSharedConfig(rootConfig);
  const key = 'mlGitops.sealedSecrets.certificateUrl';
  const certificateUrl = rootConfig.getOptionalString(key);
  if (certificateUrl === undefined) {
    return shared;
  }
  if (!credentialFreeUrl(certificateUrl)) {
    throw new Error(
      `${key} must be an absolute http(s) URL without credentials, such as https://sealed-secrets.example.com/v1/cert.pem; got ${redactUrl(
        certificateUrl,
      )}`,
    );
  }
  return { ...shared, sealedSecrets: { certificateUrl } };
}
