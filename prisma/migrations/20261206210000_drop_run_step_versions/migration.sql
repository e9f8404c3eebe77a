-- The run engine writes under the run's row lock; nothing compared these counters.
-- AlterTable
ALTER TABLE "runs" DROP COLUMN "version";

-- AlterTable
ALTER TABLE "steps" DROP COLUMN "version";
