-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "public_badge" BOOLEAN NOT NULL DEFAULT false;
