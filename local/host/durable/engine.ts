// The Durable Task side of the host: plays DTFx and the extension's out-of-proc shim for the real durable-functions
// SDK (schema V3). Each episode appends OrchestratorStarted + new events, invokes the orchestrator with the whole
// history, turns the new actions into work, and commits everything as one append to the instance's log.
import { randomUUID } from 'node:crypto';
import { event, EventType, HistoryEvent, RuntimeStatus, TERMINAL } from './history';
import { Bookkeeping, InstanceRow, InstanceStore, LogRecord, RetryState } from './instance-store';
import { Semaphore } from './semaphore';
import { Action, firstDivergence, flatten, retryDelayMs, signature, SUPPORTED, takesSequenceId } from './actions';
import { customStatusError, jsonText, oversize } from './payload-limits';

export interface OrchestratorState {
  isDone: boolean;
  actions: unknown[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export interface EngineDeps {
  store: InstanceStore;
  /** Runs one episode of an orchestrator function; resolves its state, or rejects with the SDK's failure error. */
  runOrchestrator(name: string, binding: string): Promise<OrchestratorState>;
  runActivity(name: string, input: unknown): Promise<unknown>;
  hasOrchestrator(name: string): boolean;
  log(message: string): void;
  activityConcurrency: number;
  orchestratorConcurrency: number;
  /** The payload guard's limit in bytes of JSON (payload-limits.ts); 0 turns it off. */
  maxPayloadBytes: number;
}

const OUT_OF_PROC = '$OutOfProcData$:';
const MAX_TIMEOUT = 2 ** 31 - 1;
const CONTROL = new Set<number>([
  EventType.ExecutionTerminated,
  EventType.ExecutionSuspended,
  EventType.ExecutionResumed,
]);

class Instance {
  /**
   * Appends records to the instance's log. Records queued while an append is in flight go out together in the next
   * one (group commit), so a burst of 1,000 activity completions costs a handful of appends, in order.
   */
  persist(store: InstanceStore, records: LogRecord[]): Promise<void> {
    this.queued.push(...records);
    const flush = async (): Promise<void> => {
      while (this.queued.length) {
        const batch = this.queued;
        this.queued = [];
        await store.append(this.id, this.executionId, batch);
      }
    };
    const previous = this.flushing ?? Promise.resolve();
    const next = previous.then(flush);
    this.flushing = next.finally(() => {
      if (this.flushing === guard) this.flushing = undefined;
    });
    const guard = this.flushing;
    return next;
  }

  history: HistoryEvent[] = [];
  inbox: Array<{ key: string; event: HistoryEvent }> = [];
  keys = new Set<string>();
  book: Bookkeeping = { allocated: 0, leaves: [], leafIds: [], retries: [] };
  status: RuntimeStatus = 'Pending';
  output: unknown = null;
  customStatus: unknown = null;
  lastUpdated = new Date();
  busy = false;
  again = false;
  /** Armed durable timers by id: the pending setTimeout and when the timer is due. */
  timers = new Map<number, { handle: NodeJS.Timeout; fireAt: Date }>();
  private queued: LogRecord[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly executionId: string,
    readonly name: string,
    readonly input: unknown,
    readonly createdTime: Date,
    readonly parent?: { instanceId: string; taskId: number; executionId?: string },
  ) {}
}

export class ConflictError extends Error {}

export class DurableEngine {
  private readonly instances = new Map<string, Instance>();
  private readonly starting = new Map<string, Promise<string>>();
  private readonly activities: Semaphore;
  private readonly orchestrators: Semaphore;
  private stopped = false;

  constructor(private readonly deps: EngineDeps) {
    this.activities = new Semaphore(deps.activityConcurrency);
    this.orchestrators = new Semaphore(deps.orchestratorConcurrency);
  }

  // ---- client operations -------------------------------------------------------------------------------------

  /** Starts an orchestration; an instance id in use by a running instance is a conflict, a finished one is reused. */
  async start(
    name: string,
    instanceId: string | undefined,
    input: unknown,
    parent?: { instanceId: string; taskId: number; executionId?: string },
  ): Promise<string> {
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    // Starts of one id take turns, as the storage provider's conditional insert orders them: of two concurrent starts
    // exactly one wins, and the loser's conflict comes once the winner's instance is visible (Pending), as in Azure.
    const previous = this.starting.get(id);
    const turn = (previous ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.startReserved(name, id, input, parent));
    this.starting.set(id, turn);
    try {
      return await turn;
    } finally {
      if (this.starting.get(id) === turn) this.starting.delete(id);
    }
  }

  private async startReserved(
    name: string,
    id: string,
    input: unknown,
    parent?: { instanceId: string; taskId: number; executionId?: string },
  ): Promise<string> {
    const existing = this.instances.get(id) ?? (await this.deps.store.getRow(id));
    const existingStatus = existing
      ? existing instanceof Instance
        ? existing.status
        : existing.runtimeStatus
      : undefined;
    if (existingStatus && !TERMINAL.has(existingStatus))
      throw new ConflictError(`An instance with ID '${id}' already exists and is ${existingStatus}.`);
    const inst = new Instance(id, randomUUID().replace(/-/g, ''), name, input, new Date(), parent);
    for (const t of this.instances.get(id)?.timers.values() ?? []) clearTimeout(t.handle);
    this.instances.set(id, inst);
    const started = event(EventType.ExecutionStarted, inst.createdTime, {
      OrchestrationInstance: { InstanceId: id, ExecutionId: inst.executionId },
      Name: name,
      Version: '',
      Input: input === undefined ? null : JSON.stringify(input),
      ParentInstance: parent
        ? {
            OrchestrationInstance: {
              InstanceId: parent.instanceId,
              ...(parent.executionId ? { ExecutionId: parent.executionId } : {}),
            },
            TaskScheduleId: parent.taskId,
          }
        : null,
    });
    const startRecord: LogRecord = {
      r: 'start',
      name,
      instanceId: id,
      executionId: inst.executionId,
      input,
      createdTime: inst.createdTime.toISOString(),
      ...(parent ? { parent } : {}),
    };
    await this.deps.store.append(id, inst.executionId, [startRecord, { r: 'in', key: 'start', event: started }]);
    inst.inbox.push({ key: 'start', event: started });
    inst.keys.add('start');
    await this.saveRow(inst);
    this.kick(inst);
    return id;
  }

  async raiseEvent(instanceId: string, name: string, data: unknown): Promise<'ok' | 'notFound' | 'gone'> {
    return this.control(
      instanceId,
      `e:${randomUUID()}`,
      event(EventType.EventRaised, new Date(), { Name: name, Input: data === undefined ? null : JSON.stringify(data) }),
    );
  }

  terminate(instanceId: string, reason: string): Promise<'ok' | 'notFound' | 'gone'> {
    return this.control(
      instanceId,
      `x:${randomUUID()}`,
      event(EventType.ExecutionTerminated, new Date(), { Input: JSON.stringify(reason) }),
    );
  }

  suspend(instanceId: string, reason: string): Promise<'ok' | 'notFound' | 'gone'> {
    return this.control(
      instanceId,
      `p:${randomUUID()}`,
      event(EventType.ExecutionSuspended, new Date(), { Reason: reason }),
    );
  }

  resume(instanceId: string, reason: string): Promise<'ok' | 'notFound' | 'gone'> {
    return this.control(
      instanceId,
      `r:${randomUUID()}`,
      event(EventType.ExecutionResumed, new Date(), { Reason: reason }),
    );
  }

  private async control(instanceId: string, key: string, ev: HistoryEvent): Promise<'ok' | 'notFound' | 'gone'> {
    const inst = this.instances.get(instanceId);
    if (!inst) return (await this.deps.store.getRow(instanceId)) ? 'gone' : 'notFound';
    if (TERMINAL.has(inst.status)) return 'gone';
    await this.deliver(inst, key, ev);
    return 'ok';
  }

  async status(
    instanceId: string,
    withHistory = false,
  ): Promise<(InstanceRow & { history?: HistoryEvent[] }) | undefined> {
    const inst = this.instances.get(instanceId);
    const row = inst ? this.rowOf(inst) : await this.deps.store.getRow(instanceId);
    if (!row) return undefined;
    return withHistory && inst ? { ...row, history: inst.history } : row;
  }

  /** Every instance's status row, live ones from memory. */
  async *rows(): AsyncGenerator<InstanceRow> {
    const seen = new Set<string>();
    for (const inst of this.instances.values()) {
      seen.add(inst.id);
      yield this.rowOf(inst);
    }
    for await (const row of this.deps.store.rows()) if (!seen.has(row.instanceId)) yield row;
  }

  async purge(instanceId: string): Promise<boolean> {
    const inst = this.instances.get(instanceId);
    if (inst && !TERMINAL.has(inst.status)) return false;
    this.instances.delete(instanceId);
    return this.deps.store.purge(instanceId);
  }

  stop(): void {
    this.stopped = true;
    for (const inst of this.instances.values()) for (const t of inst.timers.values()) clearTimeout(t.handle);
  }

  /** Re-arms every pending durable timer on the clock as it now reads (the local host's virtual clock jumped). */
  rearmTimers(): void {
    for (const inst of this.instances.values())
      for (const [id, t] of inst.timers) {
        clearTimeout(t.handle);
        this.startTimer(inst, id, t.fireAt);
      }
  }

  // ---- recovery ----------------------------------------------------------------------------------------------

  /**
   * Resumes every unfinished instance from its log: pending events, activities whose completion was not recorded,
   * timers. Two passes: all instances are loaded before any work resumes, so a child that finished just before the
   * host died (its status row still saying Running) reports to a parent that is already in memory.
   */
  async recover(): Promise<number> {
    const loaded: Instance[] = [];
    for await (const row of this.deps.store.rows()) {
      if (TERMINAL.has(row.runtimeStatus) || this.instances.has(row.instanceId)) continue;
      const records = await this.deps.store.read(row.instanceId, row.executionId);
      const start = records.find((r): r is Extract<LogRecord, { r: 'start' }> => r.r === 'start');
      if (!start) continue;
      const inst = new Instance(
        start.instanceId,
        start.executionId,
        start.name,
        start.input,
        new Date(start.createdTime),
        start.parent,
      );
      const consumed = new Set<string>();
      for (const r of records) {
        if (r.r === 'in') {
          inst.keys.add(r.key);
          inst.inbox.push({ key: r.key, event: r.event });
        } else if (r.r === 'ep') {
          r.consumed.forEach((k) => consumed.add(k));
          inst.history.push(...r.events);
          inst.book = r.book;
          inst.status = r.status;
          inst.output = r.output ?? null;
          inst.customStatus = r.customStatus ?? null;
        }
      }
      inst.inbox = inst.inbox.filter((e) => !consumed.has(e.key));
      this.instances.set(inst.id, inst);
      loaded.push(inst);
    }
    for (const inst of loaded) {
      if (TERMINAL.has(inst.status)) {
        // Finished in its log but not in its row: the host died before reporting it.
        await this.saveRow(inst);
        await this.reportToParent(inst);
        continue;
      }
      this.redispatch(inst);
      this.kick(inst);
    }
    return loaded.length;
  }

  private redispatch(inst: Instance): void {
    const done = new Set<string>();
    const all = [...inst.history, ...inst.inbox.map((e) => e.event)];
    for (const e of all) {
      if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed)
        done.add(`task:${e.TaskScheduledId as number}`);
      if (e.EventType === EventType.TimerFired) done.add(`timer:${e.TimerId as number}`);
      if (
        e.EventType === EventType.SubOrchestrationInstanceCompleted ||
        e.EventType === EventType.SubOrchestrationInstanceFailed
      )
        done.add(`sub:${e.TaskScheduledId as number}`);
    }
    for (const e of inst.history) {
      if (e.EventType === EventType.TaskScheduled && !done.has(`task:${e.EventId}`))
        this.runActivity(inst, e.EventId, String(e.Name), e.Input);
      if (e.EventType === EventType.TimerCreated && !done.has(`timer:${e.EventId}`))
        this.startTimer(inst, e.EventId, new Date(String(e.FireAt)));
      if (e.EventType === EventType.SubOrchestrationInstanceCreated && !done.has(`sub:${e.EventId}`))
        void this.ensureChild(
          inst,
          e.EventId,
          String(e.Name),
          String(e.InstanceId),
          e.Input === null ? undefined : (JSON.parse(e.Input as string) as unknown),
        );
    }
  }

  private async ensureChild(
    parent: Instance,
    taskId: number,
    name: string,
    childId: string,
    input: unknown,
    restart = false,
  ): Promise<void> {
    const child = this.instances.get(childId) ?? (await this.deps.store.getRow(childId));
    if (!child || (restart && TERMINAL.has(child instanceof Instance ? child.status : child.runtimeStatus))) {
      await this.start(name, childId, input, { instanceId: parent.id, taskId, executionId: parent.executionId });
      return;
    }
    const status = child instanceof Instance ? child.status : child.runtimeStatus;
    if (TERMINAL.has(status)) {
      const output: unknown = child instanceof Instance ? child.output : JSON.parse(child.output || 'null');
      await this.notifyParent(parent, taskId, status, output);
    }
  }

  // ---- episodes ----------------------------------------------------------------------------------------------

  private async deliver(inst: Instance, key: string, ev: HistoryEvent): Promise<void> {
    if (inst.keys.has(key) || this.stopped) return;
    inst.keys.add(key);
    await inst.persist(this.deps.store, [{ r: 'in', key, event: ev }]);
    inst.inbox.push({ key, event: ev });
    this.kick(inst);
  }

  private kick(inst: Instance): void {
    if (inst.busy) {
      inst.again = true;
      return;
    }
    inst.busy = true;
    void (async () => {
      try {
        do {
          inst.again = false;
          while (
            !this.stopped &&
            this.instances.get(inst.id) === inst &&
            (await this.orchestrators.run(() => this.episode(inst)))
          );
        } while (inst.again && !this.stopped);
      } catch (e) {
        this.deps.log(
          `orchestration ${inst.name} (${inst.id}) episode failed in the host: ${(e as Error).stack ?? String(e)}`,
        );
      } finally {
        inst.busy = false;
      }
    })();
  }

  private causesExpansion(inst: Instance, ev: HistoryEvent): boolean {
    const r = this.retryFor(inst, ev);
    if (!r) return false;
    return r.waitingOnTimer
      ? ev.EventType === EventType.TimerFired
      : ev.EventType === EventType.TaskFailed || ev.EventType === EventType.SubOrchestrationInstanceFailed;
  }

  private retryFor(inst: Instance, ev: HistoryEvent): RetryState | undefined {
    const id = (ev.TaskScheduledId ?? ev.TimerId) as number | undefined;
    return id === undefined ? undefined : inst.book.retries.find((r) => r.currentId === id);
  }

  /** Runs one episode if there is something to deliver; returns whether it did. */
  private async episode(inst: Instance): Promise<boolean> {
    if (TERMINAL.has(inst.status) || inst.inbox.length === 0) return false;
    const control = inst.inbox.find((e) => CONTROL.has(e.event.EventType));
    if (
      control &&
      (control.event.EventType === EventType.ExecutionTerminated ||
        inst.status === 'Suspended' ||
        control === inst.inbox[0])
    ) {
      await this.applyControl(inst, control);
      return true;
    }
    if (inst.status === 'Suspended') return false;
    const batch: Array<{ key: string; event: HistoryEvent }> = [];
    for (const e of inst.inbox) {
      if (CONTROL.has(e.event.EventType)) break;
      if (this.causesExpansion(inst, e.event)) {
        if (batch.length === 0) batch.push(e);
        break;
      }
      batch.push(e);
    }
    if (batch.length === 0) return false;

    const last = [...inst.history].reverse().find((e) => e.EventType === EventType.OrchestratorStarted);
    const fired = batch
      .filter((e) => e.event.EventType === EventType.TimerFired)
      .map((e) => Date.parse(String(e.event.FireAt)));
    const now = new Date(Math.max(Date.now(), last ? Date.parse(last.Timestamp) + 1 : 0, ...fired));
    const book = structuredClone(inst.book);
    const fresh: HistoryEvent[] = [
      event(EventType.OrchestratorStarted, now),
      ...batch.map((e) => ({ ...e.event, IsPlayed: false })),
    ];
    const work: Array<() => void> = [];

    // Ids the SDK allocates while it processes a retry-related event, before the orchestrator code resumes.
    if (batch.length === 1 && this.causesExpansion(inst, batch[0].event)) {
      const r = book.retries.find(
        (x) => x.currentId === ((batch[0].event.TaskScheduledId ?? batch[0].event.TimerId) as number),
      )!;
      if (!r.waitingOnTimer) {
        const delay = retryDelayMs(r.firstRetryMs, r.backoff, r.maxRetryMs, r.attempt);
        r.attempt++;
        r.currentId = book.allocated++;
        r.waitingOnTimer = true;
        const fireAt = new Date(now.getTime() + delay);
        fresh.push(event(EventType.TimerCreated, now, { FireAt: fireAt.toISOString() }, r.currentId));
        const id = r.currentId;
        work.push(() => this.startTimer(inst, id, fireAt));
      } else {
        r.waitingOnTimer = false;
        if (r.attempt > r.maxAttempts) {
          book.retries.splice(book.retries.indexOf(r), 1);
        } else {
          r.currentId = book.allocated++;
          fresh.push(
            ...this.schedule(
              inst,
              r.kind === 'activity' ? 0 : 2,
              r.currentId,
              r.name,
              r.input,
              r.instanceId,
              work,
              true,
            ),
          );
        }
      }
    }

    for (const e of batch) {
      if (
        e.event.EventType !== EventType.TaskCompleted &&
        e.event.EventType !== EventType.SubOrchestrationInstanceCompleted
      )
        continue;
      const done = book.retries.findIndex((r) => !r.waitingOnTimer && r.currentId === e.event.TaskScheduledId);
      if (done >= 0) book.retries.splice(done, 1);
    }
    const history = [...inst.history.map((e) => ({ ...e, IsPlayed: true })), ...fresh];
    const binding = {
      history,
      input: inst.input,
      instanceId: inst.id,
      isReplaying: inst.history.length > 0,
      parentInstanceId: inst.parent?.instanceId ?? null,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '10000.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const tooBig = this.incomingOversize(
      inst,
      batch.map((e) => e.event),
    );
    const ran = tooBig
      ? { state: { isDone: false, actions: [[]] } as OrchestratorState, failure: tooBig }
      : await this.invoke(inst.name, binding);
    const state = ran.state;
    let failure = ran.failure;

    const leaves = flatten((state.actions?.[0] ?? []) as Action[]);
    let continueAsNew: Action | undefined;
    const divergence = failure ? undefined : firstDivergence(book.leaves, leaves);
    if (divergence) {
      failure = `Non-deterministic workflow detected in orchestration '${inst.name}' (instance ${inst.id}): at action ${divergence.index} (sequence id ${book.leafIds[divergence.index]}) the history recorded ${divergence.recorded} but the orchestrator now yields ${divergence.replayed}. Orchestrator code must not change while instances are in flight.`;
    }
    if (!failure) {
      // A timer the orchestrator cancelled (a lost Task.any race) need not fire.
      leaves.slice(0, book.leaves.length).forEach((a, i) => {
        if (a.actionType === 5 && a.isCanceled) {
          clearTimeout(inst.timers.get(book.leafIds[i])?.handle);
          inst.timers.delete(book.leafIds[i]);
        }
      });
    }
    if (!failure) {
      for (const a of leaves.slice(book.leaves.length)) {
        book.leaves.push(signature(a));
        if (!takesSequenceId(a)) {
          if (a.actionType === 4) continueAsNew = a;
          book.leafIds.push(-1);
          continue;
        }
        if (!SUPPORTED.has(a.actionType)) {
          failure = `Orchestration '${inst.name}' used ${signature(a)}, which this local host does not support (entities and callHttp are not emulated).`;
          break;
        }
        const id = book.allocated++;
        book.leafIds.push(id);
        if (a.actionType === 5) {
          fresh.push(event(EventType.TimerCreated, now, { FireAt: a.fireAt }, id));
          if (!a.isCanceled) work.push(() => this.startTimer(inst, id, new Date(String(a.fireAt))));
          continue;
        }
        const sub = a.actionType === 2 || a.actionType === 3;
        failure = this.oversize(
          inst,
          `the input of ${sub ? 'sub-orchestration' : 'activity'} '${a.functionName}'`,
          sub ? JSON.stringify(a.input ?? null) : jsonText(a.input),
        );
        if (failure) break;
        const childId = sub ? a.instanceId || `${inst.executionId}:${id}` : undefined;
        fresh.push(...this.schedule(inst, sub ? 2 : 0, id, a.functionName!, a.input, childId, work));
        if (a.retryOptions) {
          const o = a.retryOptions;
          book.retries.push({
            kind: sub ? 'subOrchestration' : 'activity',
            name: a.functionName!,
            input: a.input,
            ...(childId ? { instanceId: childId } : {}),
            attempt: 1,
            maxAttempts: o.maxNumberOfAttempts,
            firstRetryMs: o.firstRetryIntervalInMilliseconds,
            backoff: o.backoffCoefficient ?? 1,
            maxRetryMs: o.maxRetryIntervalInMilliseconds ?? Number.MAX_SAFE_INTEGER,
            currentId: id,
            waitingOnTimer: false,
          });
        }
      }
    }

    if (!failure && state.isDone) {
      failure = continueAsNew
        ? this.oversize(inst, 'the input it continues as new with', jsonText(continueAsNew.input))
        : this.oversize(inst, 'its output', JSON.stringify(state.output ?? null));
    }
    let status: RuntimeStatus = 'Running';
    let output: unknown = null;
    if (failure) {
      status = 'Failed';
      output = failure;
      work.length = 0;
      // The Functions host logs a failed orchestration; so does this one, or a failure would pass unseen.
      this.deps.log(`orchestration ${inst.name} (${inst.id}) failed: ${String(failure).slice(0, 2000)}`);
      fresh.push(
        event(EventType.ExecutionCompleted, now, { OrchestrationStatus: 'Failed', Result: JSON.stringify(failure) }),
      );
    } else if (state.isDone) {
      status = continueAsNew ? 'ContinuedAsNew' : 'Completed';
      output = continueAsNew ? null : (state.output ?? null);
      fresh.push(
        event(EventType.ExecutionCompleted, now, {
          OrchestrationStatus: status,
          Result: output === null ? null : JSON.stringify(output),
        }),
      );
    }
    fresh.push(event(EventType.OrchestratorCompleted, now));
    const customStatus = state.customStatus ?? inst.customStatus ?? null;
    const consumed = batch.map((e) => e.key);
    await inst.persist(this.deps.store, [{ r: 'ep', consumed, events: fresh, book, status, output, customStatus }]);
    inst.history.push(...fresh);
    inst.inbox = inst.inbox.filter((e) => !consumed.includes(e.key));
    inst.book = book;
    inst.status = status;
    inst.output = output;
    inst.customStatus = customStatus;
    inst.lastUpdated = now;
    await this.saveRow(inst);
    for (const w of work) w();
    if (TERMINAL.has(status)) await this.finished(inst, status === 'ContinuedAsNew' ? continueAsNew : undefined);
    return true;
  }

  /** Runs one episode of the orchestrator: its state, and the failure it ended in, if any. */
  private async invoke(name: string, binding: unknown): Promise<{ state: OrchestratorState; failure?: string }> {
    let state: OrchestratorState = { isDone: false, actions: [[]] };
    let failure: string | undefined;
    try {
      state = await this.deps.runOrchestrator(name, JSON.stringify(binding));
    } catch (e) {
      const text = (e as Error).message ?? String(e);
      const at = text.indexOf(OUT_OF_PROC);
      if (at < 0) {
        failure = `Orchestrator function '${name}' failed: ${text}`;
      } else {
        state = JSON.parse(text.slice(at + OUT_OF_PROC.length)) as OrchestratorState;
        failure = `Orchestrator function '${name}' failed: ${state.error ?? 'unknown error'}`;
      }
    }
    // The extension sets the custom status before it looks at anything else, and rejects one over 16 KB.
    const statusError = customStatusError(state.customStatus);
    if (statusError)
      return {
        state: { ...state, customStatus: undefined },
        failure: `Orchestrator function '${name}' failed: ${statusError}`,
      };
    return { state, failure };
  }

  /** A payload this episode would deliver that breaks the guard, described; the orchestration fails on it. */
  private incomingOversize(inst: Instance, events: HistoryEvent[]): string | undefined {
    const scheduled = (id: unknown): string =>
      String(inst.history.find((h) => h.EventType === EventType.TaskScheduled && h.EventId === id)?.Name);
    for (const e of events) {
      const found =
        e.EventType === EventType.ExecutionStarted
          ? this.oversize(inst, 'its input', e.Input as string | null)
          : e.EventType === EventType.TaskCompleted
            ? this.oversize(inst, `the result of activity '${scheduled(e.TaskScheduledId)}'`, e.Result as string | null)
            : e.EventType === EventType.EventRaised
              ? this.oversize(inst, `the payload of event '${String(e.Name)}'`, e.Input as string | null)
              : undefined;
      if (found) return found;
    }
    return undefined;
  }

  private oversize(inst: Instance, what: string, json: string | null | undefined): string | undefined {
    const problem = oversize(what, json, this.deps.maxPayloadBytes);
    return problem && `Orchestration '${inst.name}' (instance ${inst.id}): ${problem}`;
  }

  private schedule(
    inst: Instance,
    kind: 0 | 2,
    id: number,
    name: string,
    input: unknown,
    childId: string | undefined,
    work: Array<() => void>,
    retry = false,
  ): HistoryEvent[] {
    const now = new Date();
    if (kind === 0) {
      work.push(() => this.runActivity(inst, id, name, input));
      return [event(EventType.TaskScheduled, now, { Name: name, Version: '', Input: input }, id)];
    }
    work.push(() => void this.ensureChild(inst, id, name, childId!, input, retry));
    return [
      event(
        EventType.SubOrchestrationInstanceCreated,
        now,
        { Name: name, InstanceId: childId, Input: input === undefined ? null : JSON.stringify(input) },
        id,
      ),
    ];
  }

  private async applyControl(inst: Instance, control: { key: string; event: HistoryEvent }): Promise<void> {
    const now = new Date();
    const type = control.event.EventType;
    const status: RuntimeStatus =
      type === EventType.ExecutionTerminated
        ? 'Terminated'
        : type === EventType.ExecutionSuspended
          ? 'Suspended'
          : 'Running';
    const events = [
      event(EventType.OrchestratorStarted, now),
      { ...control.event },
      event(EventType.OrchestratorCompleted, now),
    ];
    const output: unknown =
      status === 'Terminated' ? JSON.parse((control.event.Input as string | null) ?? 'null') : inst.output;
    await inst.persist(this.deps.store, [
      { r: 'ep', consumed: [control.key], events, book: inst.book, status, output, customStatus: inst.customStatus },
    ]);
    inst.history.push(...events);
    inst.inbox = inst.inbox.filter((e) => e.key !== control.key);
    inst.status = status;
    inst.output = output;
    inst.lastUpdated = now;
    await this.saveRow(inst);
    if (status === 'Terminated') await this.finished(inst);
  }

  private async finished(inst: Instance, continueAsNew?: Action): Promise<void> {
    for (const t of inst.timers.values()) clearTimeout(t.handle);
    inst.timers.clear();
    if (continueAsNew) {
      const raw = continueAsNew.input;
      const input: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
      const carried = inst.inbox.filter((e) => e.event.EventType === EventType.EventRaised);
      await this.start(inst.name, inst.id, input, inst.parent);
      const next = this.instances.get(inst.id)!;
      for (const e of carried) await this.deliver(next, e.key, e.event);
      return;
    }
    await this.reportToParent(inst);
  }

  /**
   * A finished sub-orchestration reports to the parent execution that started it, as Durable does: when the parent
   * instance id now runs a new execution (terminated, then started again), the report is discarded, or an orphaned
   * child's result would complete the new execution's task of the same sequence number.
   */
  private async reportToParent(inst: Instance): Promise<void> {
    if (!inst.parent) return;
    const parent = this.instances.get(inst.parent.instanceId);
    if (!parent) return;
    if (inst.parent.executionId && inst.parent.executionId !== parent.executionId) {
      this.deps.log(
        `discarding the result of ${inst.name} (${inst.id}): its parent ${parent.id} now runs another execution`,
      );
      return;
    }
    await this.notifyParent(parent, inst.parent.taskId, inst.status, inst.output);
  }

  private async notifyParent(parent: Instance, taskId: number, status: RuntimeStatus, output: unknown): Promise<void> {
    const now = new Date();
    const ev =
      status === 'Completed'
        ? event(EventType.SubOrchestrationInstanceCompleted, now, {
            TaskScheduledId: taskId,
            Result: output === null || output === undefined ? null : JSON.stringify(output),
          })
        : event(EventType.SubOrchestrationInstanceFailed, now, {
            TaskScheduledId: taskId,
            Reason: `Sub-orchestration ${status.toLowerCase()}`,
            Details: typeof output === 'string' ? output : JSON.stringify(output),
          });
    await this.deliver(parent, `s:${taskId}`, ev);
  }

  // ---- work ----------------------------------------------------------------------------------------------------

  private runActivity(inst: Instance, id: number, name: string, input: unknown): void {
    void this.activities.run(async () => {
      if (this.stopped || TERMINAL.has(inst.status)) return;
      let ev: HistoryEvent;
      try {
        const result = await this.deps.runActivity(name, input);
        ev = event(EventType.TaskCompleted, new Date(), {
          TaskScheduledId: id,
          Result: result === undefined ? null : JSON.stringify(result),
        });
      } catch (e) {
        const err = e as Error;
        this.deps.log(`Executed 'Functions.${name}' (Failed): ${err.message ?? String(e)}`);
        ev = event(EventType.TaskFailed, new Date(), {
          TaskScheduledId: id,
          Reason: `Activity function '${name}' failed: ${err.message ?? String(e)}`,
          Details: err.stack ?? String(e),
        });
      }
      await this.deliver(inst, `c:${id}`, ev);
    });
  }

  private startTimer(inst: Instance, id: number, fireAt: Date): void {
    const arm = (): void => {
      const wait = fireAt.getTime() - Date.now();
      if (wait > 0) {
        inst.timers.set(id, { handle: setTimeout(arm, Math.min(wait, MAX_TIMEOUT)), fireAt });
        return;
      }
      inst.timers.delete(id);
      void this.deliver(
        inst,
        `t:${id}`,
        event(EventType.TimerFired, new Date(), { TimerId: id, FireAt: fireAt.toISOString() }),
      );
    };
    arm();
  }

  // ---- status --------------------------------------------------------------------------------------------------

  private rowOf(inst: Instance): InstanceRow {
    return {
      instanceId: inst.id,
      name: inst.name,
      executionId: inst.executionId,
      runtimeStatus: inst.status,
      input: JSON.stringify(inst.input ?? null),
      output: JSON.stringify(inst.output ?? null),
      customStatus: JSON.stringify(inst.customStatus ?? null),
      createdTime: inst.createdTime.toISOString(),
      lastUpdatedTime: inst.lastUpdated.toISOString(),
    };
  }

  private async saveRow(inst: Instance): Promise<void> {
    await this.deps.store.putRow(this.rowOf(inst));
  }
}
