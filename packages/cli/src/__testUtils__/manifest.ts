/** A valid `deploy/model.yaml`, used by the tests and the benchmark. */
export const MANIFEST = `# fraud-detector, dev
model_name: fraud-detector
model_version: "13"
registry: mlflow-default
serving: { runtime: kserve, replicas: 2 }
gates:
  metrics:
    auc: { min: 0.92 }
    latency_p95_ms: { max: 40 }
`;
