import { statusSignalKey } from './types';

describe('statusSignalKey', () => {
  it('is the 64-bit FNV-1a hash of the entity ref, naming nothing', () => {
    // Computed independently (FNV-1a 64 over "ml-gitops:" + the ref).
    expect(statusSignalKey('component:default/fraud-detector')).toBe(
      'a95e66219359b661',
    );
    expect(statusSignalKey('component:default/fraud-detector')).not.toContain(
      'fraud',
    );
    expect(statusSignalKey('component:default/churn-predictor')).not.toBe(
      statusSignalKey('component:default/fraud-detector'),
    );
  });
});
