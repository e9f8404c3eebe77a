/** A pipeline a delivery may start a run of. */
export interface TargetPipeline {
  id: string;
  projectId: string;
  name: string;
  yamlConfig: string | null;
  configPath: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A project a delivery is addressed to, with the secret that must have signed it. */
export interface TargetProject {
  id: string;
  name: string;
  webhookSecretEnc: string | null;
  pipelines: TargetPipeline[];
}
