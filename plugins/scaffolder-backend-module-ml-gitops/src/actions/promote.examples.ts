import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Promote what staging declares to production, requesting reviews',
    example: yaml.stringify({
      steps: [
        {
          id: 'promote',
          action: 'ml-gitops:promote',
          name: 'Open the promotion pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            sourceEnvironment: 'staging',
            targetEnvironment: 'production',
            reviewers: ['alice', 'acme/ml-platform'],
          },
        },
      ],
    }),
  },
  {
    description:
      'Promote dev to the next environment while the ml-gitops backend is down (live status not verified)',
    example: yaml.stringify({
      steps: [
        {
          id: 'promote',
          action: 'ml-gitops:promote',
          name: 'Open the promotion pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            sourceEnvironment: 'dev',
            allowUnverifiedSource: true,
          },
        },
      ],
    }),
  },
];
