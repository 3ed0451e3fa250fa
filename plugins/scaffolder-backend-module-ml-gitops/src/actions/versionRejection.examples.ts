import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const rejectExamples: TemplateExample[] = [
  {
    description: 'Reject a version found wanting before it reached production',
    example: yaml.stringify({
      steps: [
        {
          id: 'reject',
          action: 'ml-gitops:version:reject',
          name: 'Reject the version',
          input: {
            entityRef: 'component:default/fraud-detector',
            version: '13',
            reason: 'Leaks card numbers into its explanations',
          },
        },
      ],
    }),
  },
];

export const unrejectExamples: TemplateExample[] = [
  {
    description: 'Un-reject a version cleared by the investigation',
    example: yaml.stringify({
      steps: [
        {
          id: 'unreject',
          action: 'ml-gitops:version:unreject',
          name: 'Clear the rejection',
          input: {
            entityRef: 'component:default/fraud-detector',
            version: '13',
          },
        },
      ],
    }),
  },
];
