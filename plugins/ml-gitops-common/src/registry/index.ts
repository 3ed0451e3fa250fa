export * from './mlflow';
export * from './kubeflow';
