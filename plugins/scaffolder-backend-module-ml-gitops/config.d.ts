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
  };
}
