-- CreateTable
CREATE TABLE "webhook_routing_version" (
    "id" INTEGER NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "webhook_routing_version_pkey" PRIMARY KEY ("id")
);

INSERT INTO "webhook_routing_version" ("id", "version") VALUES (1, 0);

-- Written by hand (Prisma does not model triggers): every change to a project or pipeline that
-- can change where a webhook goes, or what it starts, moves the routing version on. Columns the
-- platform updates all the time (last_activity_at, next_schedule_at, updated_at) do not.
CREATE FUNCTION "bump_webhook_routing_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "webhook_routing_version" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER "projects_routing_insert_delete" AFTER INSERT OR DELETE ON "projects"
  FOR EACH ROW EXECUTE FUNCTION "bump_webhook_routing_version"();
CREATE TRIGGER "projects_routing_update" AFTER UPDATE ON "projects"
  FOR EACH ROW WHEN (
    (OLD."id", OLD."name", OLD."repo_url", OLD."repo_full_name", OLD."webhook_secret_enc")
      IS DISTINCT FROM (NEW."id", NEW."name", NEW."repo_url", NEW."repo_full_name", NEW."webhook_secret_enc")
  ) EXECUTE FUNCTION "bump_webhook_routing_version"();
CREATE TRIGGER "projects_routing_truncate" AFTER TRUNCATE ON "projects"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_webhook_routing_version"();

CREATE TRIGGER "pipelines_routing_insert_delete" AFTER INSERT OR DELETE ON "pipelines"
  FOR EACH ROW EXECUTE FUNCTION "bump_webhook_routing_version"();
CREATE TRIGGER "pipelines_routing_update" AFTER UPDATE ON "pipelines"
  FOR EACH ROW WHEN (
    (OLD."id", OLD."project_id", OLD."name", OLD."yaml_config", OLD."config_path", OLD."created_at", OLD."deleted_at")
      IS DISTINCT FROM (NEW."id", NEW."project_id", NEW."name", NEW."yaml_config", NEW."config_path", NEW."created_at", NEW."deleted_at")
  ) EXECUTE FUNCTION "bump_webhook_routing_version"();
CREATE TRIGGER "pipelines_routing_truncate" AFTER TRUNCATE ON "pipelines"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_webhook_routing_version"();
