export * from './types';
export * from './MlflowClient';
export * from './deployable';
export * from './artifacts';
