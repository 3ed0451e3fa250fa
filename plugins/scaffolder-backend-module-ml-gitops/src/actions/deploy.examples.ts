import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Deploy a registered model version to the first environment (dev) of the entity',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'ml-gitops:deploy',
          name: 'Open the deployment pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            version: '13',
          },
        },
      ],
    }),
  },
  {
    description:
      "Deploy to a named environment, naming the config repo and manifest too (the repo must be the entity's)",
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'ml-gitops:deploy',
          name: 'Open the deployment pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            repoUrl: 'https://github.com/acme/fraud-detector-config',
            manifestPath: 'deploy/model.yaml',
            version: '13',
            environment: 'staging',
          },
        },
      ],
    }),
  },
  {
    description:
      'Deploy a version that fails the gate, overriding the checks with a reason (stated in the pull request)',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'ml-gitops:deploy',
          name: 'Open the deployment pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            version: '14',
            force: true,
            reason:
              'Hotfix for INC-1234; the gate metric is recomputed after the fix',
          },
        },
      ],
    }),
  },
];
