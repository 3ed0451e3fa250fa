export * from './types';
export * from './KubeflowClient';
export * from './versionFacts';
