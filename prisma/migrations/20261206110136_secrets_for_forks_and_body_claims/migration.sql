-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "secrets_for_forks" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "from_fork" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "secrets_withheld" TEXT;

-- CreateTable
CREATE TABLE "webhook_body_claims" (
    "provider" TEXT NOT NULL,
    "project_id" UUID NOT NULL,
    "body_sha256" TEXT NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "claimed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_body_claims_pkey" PRIMARY KEY ("provider","project_id","body_sha256")
);
