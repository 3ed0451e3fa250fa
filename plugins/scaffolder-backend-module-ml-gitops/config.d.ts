export interface Config {
  mlGitops?: {
    /** Settings of the ml-gitops:secret:seal scaffolder action. */
    sealedSecrets?: {
      /**
       * The Sealed Secrets controller's certificate (its /v1/cert.pem), used
       * when a step gives neither certificate nor certificateUrl.
       */
      certificateUrl?: string;
    };
    /**
     * Model registries the actions check a version against; the same key
     * the ml-gitops backend reads (declared here too, so the credentials
     * stay secret when the actions run without the backend plugin).
     */
    registries?: Array<{
      /** The name entities refer to with the ml-gitops/registry annotation. */
      name: string;
      /** The registry type; `mlflow` is built in. */
      type: string;
      /** Base URL of the registry, e.g. https://mlflow.example.com */
      url: string;
      /**
       * A bearer token; not together with `username`.
       * @visibility secret
       */
      token?: string;
      /** The user for HTTP Basic auth (MLflow's basic-auth app), with `password`. */
      username?: string;
      /**
       * The password of `username`.
       * @visibility secret
       */
      password?: string;
    }>;
  };
}
