export * from './mlflow';
