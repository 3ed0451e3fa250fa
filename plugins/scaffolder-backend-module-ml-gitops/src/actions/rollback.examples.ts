import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Roll production back to the newest earlier version that served there, marking the version it leaves rejected',
    example: yaml.stringify({
      steps: [
        {
          id: 'rollback',
          action: 'ml-gitops:rollback',
          name: 'Open the rollback pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'production',
            reason: 'False positives on card-not-present traffic',
          },
        },
      ],
    }),
  },
  {
    description:
      "Roll back to a named version without rejecting the one it leaves, naming the config repo too (it must be the entity's)",
    example: yaml.stringify({
      steps: [
        {
          id: 'rollback',
          action: 'ml-gitops:rollback',
          name: 'Open the rollback pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            repoUrl: 'https://github.com/acme/fraud-detector-config',
            environment: 'staging',
            reason: 'p95 latency doubled',
            toVersion: '11',
            rejectVersion: false,
          },
        },
      ],
    }),
  },
];
