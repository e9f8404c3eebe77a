-- AlterTable
ALTER TABLE "artifacts" ADD COLUMN     "test_summary" JSONB;
