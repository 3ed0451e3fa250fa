import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Roll production back to the version before its last deployment',
    example: yaml.stringify({
      steps: [
        {
          id: 'rollback',
          action: 'ml-gitops:rollback',
          name: 'Open the rollback pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'production',
          },
        },
      ],
    }),
  },
  {
    description:
      "Roll back an environment, naming the config repo too (it must be the entity's)",
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
          },
        },
      ],
    }),
  },
];
