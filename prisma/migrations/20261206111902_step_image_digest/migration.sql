-- AlterTable
ALTER TABLE "steps" ADD COLUMN     "image_digest" TEXT;
