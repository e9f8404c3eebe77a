-- AlterTable
ALTER TABLE "pipelines" ADD COLUMN     "schedule_read_at" TIMESTAMP(3);
