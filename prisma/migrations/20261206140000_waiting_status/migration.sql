-- AlterEnum
ALTER TYPE "RunStatus" ADD VALUE 'waiting';

-- AlterEnum
ALTER TYPE "StepStatus" ADD VALUE 'waiting';
