import { Backend, OutputLine, StepExit, StepSpec } from './backend';

/** The output of a step one line each (a backend may hand over several lines read together). */
export function eachLine(line: OutputLine): OutputLine[] {
  return line.text.split('\n').map((text) => ({ ...line, text }));
}

/** Sets up the step's run, starts the step, reads its whole output line by line and waits for its end. */
export async function runBackendStep(
  backend: Backend,
  step: StepSpec,
): Promise<{ lines: OutputLine[]; exit: StepExit; text: string }> {
  await backend.setupRun(step);
  const handle = await backend.startStep(step);
  const lines: OutputLine[] = [];
  for await (const line of backend.tailLogs(handle)) lines.push(...eachLine(line));
  const exit = await backend.wait(handle);
  return { lines, exit, text: lines.map((l) => l.text).join('\n') };
}
