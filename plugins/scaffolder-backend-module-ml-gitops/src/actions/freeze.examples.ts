import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Freeze production over the holidays, until a set time',
    example: yaml.stringify({
      steps: [
        {
          id: 'freeze',
          action: 'ml-gitops:environment:freeze',
          name: 'Open the freeze pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'production',
            reason: 'Holiday change freeze',
            until: '2099-01-04T08:00:00Z',
          },
        },
      ],
    }),
  },
  {
    description: 'Freeze staging until someone unfreezes it',
    example: yaml.stringify({
      steps: [
        {
          id: 'freeze',
          action: 'ml-gitops:environment:freeze',
          name: 'Open the freeze pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'staging',
            reason: 'Load test of the new feature store',
          },
        },
      ],
    }),
  },
];

export const unfreezeExamples: TemplateExample[] = [
  {
    description: 'Unfreeze production',
    example: yaml.stringify({
      steps: [
        {
          id: 'unfreeze',
          action: 'ml-gitops:environment:unfreeze',
          name: 'Open the unfreeze pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'production',
          },
        },
      ],
    }),
  },
];
