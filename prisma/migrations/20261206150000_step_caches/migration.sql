-- CreateTable
CREATE TABLE "caches" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "object_path" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "caches_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "caches_last_used_at_idx" ON "caches"("last_used_at");

-- CreateIndex
CREATE UNIQUE INDEX "caches_project_id_key_key" ON "caches"("project_id", "key");

-- AddForeignKey
ALTER TABLE "caches" ADD CONSTRAINT "caches_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
