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
    description: 'Roll back an environment of a config repo given by URL',
    example: yaml.stringify({
      steps: [
        {
          id: 'rollback',
          action: 'ml-gitops:rollback',
          name: 'Open the rollback pull request',
          input: {
            repoUrl: 'https://github.com/acme/fraud-detector-config',
            environment: 'staging',
          },
        },
      ],
    }),
  },
];
