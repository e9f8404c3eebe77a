-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "commit_author" TEXT,
ADD COLUMN     "commit_message" TEXT,
ADD COLUMN     "pull_request_url" TEXT;
