import { ConfigReader } from '@backstage/config';
import { readMlGitopsActionsConfig } from './config';

describe('readMlGitopsActionsConfig', () => {
  it('defaults to dev, staging, production and no registries', () => {
    expect(readMlGitopsActionsConfig(new ConfigReader({}))).toEqual({
      environments: ['dev', 'staging', 'production'],
      registries: [],
    });
  });

  it('reads the environments and registries the backend reads', () => {
    expect(
      readMlGitopsActionsConfig(
        new ConfigReader({
          mlGitops: {
            environments: ['dev', 'prod'],
            registries: [
              {
                name: 'mlflow-default',
                type: 'mlflow',
                url: 'https://mlflow.example.com/',
                token: 't',
              },
            ],
          },
        }),
      ),
    ).toEqual({
      environments: ['dev', 'prod'],
      registries: [
        {
          name: 'mlflow-default',
          type: 'mlflow',
          url: 'https://mlflow.example.com',
          token: 't',
        },
      ],
    });
  });

  it('names the key to fix', () => {
    expect(() =>
      readMlGitopsActionsConfig(
        new ConfigReader({ mlGitops: { environments: ['dev', 'dev'] } }),
      ),
    ).toThrow(/listed twice/);
    expect(() =>
      readMlGitopsActionsConfig(
        new ConfigReader({
          mlGitops: {
            registries: [{ name: 'r', type: 'mlflow', url: 'mlflow:5000' }],
          },
        }),
      ),
    ).toThrow(/mlGitops.registries\[0\].url must be an absolute http\(s\) URL/);
  });
});
