import { ConfigReader } from '@backstage/config';
import { readMlGitopsSharedConfig } from '@ml-gitops/plugin-ml-gitops-node';
import { readMlGitopsActionsConfig } from './config';

describe('readMlGitopsActionsConfig', () => {
  it('reads environments and registries with the reader the backend uses', () => {
    const config = new ConfigReader({
      mlGitops: {
        environments: ['dev', 'prod'],
        registries: [
          { name: 'mlflow-default', type: 'mlflow', url: 'https://m.example/' },
        ],
      },
    });
    expect(readMlGitopsActionsConfig(config)).toEqual(
      readMlGitopsSharedConfig(config),
    );
    expect(readMlGitopsActionsConfig(config).registries[0].url).toBe(
      'https://m.example',
    );
  });

  it('names the key to fix', () => {
    expect(() =>
      readMlGitopsActionsConfig(
        new ConfigReader({ mlGitops: { environments: ['dev', 'dev'] } }),
      ),
    ).toThrow(/listed twice/);
  });
});

describe('mlGitops.sealedSecrets.certificateUrl', () => {
  it('is read when set', () => {
    expect(
      readMlGitopsActionsConfig(
        new ConfigReader({
          mlGitops: {
            sealedSecrets: {
              certificateUrl: 'http://localhost:7014/v1/cert.pem',
            },
          },
        }),
      ).sealedSecrets,
    ).toEqual({ certificateUrl: 'http://localhost:7014/v1/cert.pem' });
  });

  it.each(['cert.pem', 'file:///etc/ssl/cert.pem', 'https://u:p@x.example'])(
    'refuses %s',
    certificateUrl => {
      expect(() =>
        readMlGitopsActionsConfig(
          new ConfigReader({ mlGitops: { sealedSecrets: { certificateUrl } } }),
        ),
      ).toThrow(/mlGitops.sealedSecrets.certificateUrl must be an absolute/);
    },
  );
});
