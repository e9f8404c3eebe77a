import { DeploymentUpdatedEvent } from './events/deployment-updated.event';
import { ExecutorHeartbeatEvent } from './events/executor-heartbeat.event';
import { LogChunkEvent } from './events/log-chunk.event';
import { RunCancelEvent } from './events/run-cancel.event';
import { RunFinishedEvent } from './events/run-finished.event';
import { RunRequestedEvent } from './events/run-requested.event';
import { StepDispatchedEvent } from './events/step-dispatched.event';
import { StepDecidedEvent } from './events/step-decided.event';
import { StepFinishedEvent } from './events/step-finished.event';
import { StepLogArchivedEvent } from './events/step-log-archived.event';
import { StepStartedEvent } from './events/step-started.event';
import { Subjects } from './subjects';

/** Which payload class travels on which subject: `publish(subject, payload)` is type-checked. */
export interface EventMap {
  [Subjects.RunRequested]: RunRequestedEvent;
  [Subjects.RunCancel]: RunCancelEvent;
  [Subjects.RunFinished]: RunFinishedEvent;
  [Subjects.StepDispatched]: StepDispatchedEvent;
  [Subjects.StepStarted]: StepStartedEvent;
  [Subjects.StepFinished]: StepFinishedEvent;
  [Subjects.StepDecided]: StepDecidedEvent;
  [Subjects.StepLogArchived]: StepLogArchivedEvent;
  [Subjects.Logs]: LogChunkEvent;
  [Subjects.ExecutorHeartbeat]: ExecutorHeartbeatEvent;
  [Subjects.DeploymentUpdated]: DeploymentUpdatedEvent;
}

export type EventSubject = keyof EventMap;

export const EVENT_CLASSES: { [S in EventSubject]: new () => EventMap[S] } = {
  [Subjects.RunRequested]: RunRequestedEvent,
  [Subjects.RunCancel]: RunCancelEvent,
  [Subjects.RunFinished]: RunFinishedEvent,
  [Subjects.StepDispatched]: StepDispatchedEvent,
  [Subjects.StepStarted]: StepStartedEvent,
  [Subjects.StepFinished]: StepFinishedEvent,
  [Subjects.StepDecided]: StepDecidedEvent,
  [Subjects.StepLogArchived]: StepLogArchivedEvent,
  [Subjects.Logs]: LogChunkEvent,
  [Subjects.ExecutorHeartbeat]: ExecutorHeartbeatEvent,
  [Subjects.DeploymentUpdated]: DeploymentUpdatedEvent,
};
