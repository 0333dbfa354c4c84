import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  type CloudAssembly,
  type LocalAwsContext,
  TemplateError,
  type TemplateResource,
} from '../template/index.js';
import type { LocalLambdaRuntime } from './lambda-runtime.js';

/** One `AWS::Events::Rule` with a `rate(...)` schedule and Lambda targets. */
export interface ScheduledRule {
  readonly id: string;
  readonly constructPath: string | undefined;
  readonly ruleArn: string;
  readonly periodMs: number;
  readonly targets: readonly { readonly functionResource: TemplateResource; readonly input: unknown }[];
}

const RuleProperties = z.object({
  ScheduleExpression: z.string().optional(),
  State: z.string().optional(),
  Targets: z
    .array(z.object({ Arn: z.string(), Id: z.string(), Input: z.string().optional() }).passthrough())
    .optional(),
});

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * Reads the enabled scheduled rules of the template. Only `rate(...)` schedules and Lambda
 * targets with no input or a constant `Input` are emulated; anything else is refused by name.
 */
export function readScheduledRules(assembly: CloudAssembly): ScheduledRule[] {
  const rules: ScheduledRule[] = [];
  for (const resource of assembly.resources('AWS::Events::Rule')) {
    const id = `${resource.stackName}/${resource.logicalId}`;
    const parsed = RuleProperties.safeParse(resource.properties());
    if (!parsed.success)
      throw new TemplateError(`${id}: unexpected properties: ${z.prettifyError(parsed.error)}`);
    const p = parsed.data;
    if (!p.ScheduleExpression || (p.State ?? 'ENABLED') !== 'ENABLED') continue;
    const rate = RATE.exec(p.ScheduleExpression);
    if (!rate?.[1] || !rate[2]) {
      throw new TemplateError(`${id}: only rate(...) schedules run locally (given ${p.ScheduleExpression})`);
    }
    const periodMs = Number(rate[1]) * (UNIT_MS[rate[2].replace(/s$/, '')] ?? 60_000);
    const targets = (p.Targets ?? []).map((t) => {
      if (
        !/^arn:aws[\w-]*:lambda:/.test(t.Arn) ||
        t.InputTransformer !== undefined ||
        t.InputPath !== undefined
      ) {
        throw new TemplateError(
          `${id}: target ${t.Id} must be a Lambda function with no input transformation`,
        );
      }
      return {
        functionResource: assembly.find(t.Arn.replace(/:(\$LATEST|\d+)$/, ''), 'AWS::Lambda::Function'),
        input: t.Input === undefined ? undefined : JSON.parse(t.Input),
      };
    });
    rules.push({ id, constructPath: resource.constructPath, ruleArn: resource.arn, periodMs, targets });
  }
  return rules;
}

/** EventBridge's "Scheduled Event", the shape of AWS's published sample. */
export function scheduledEvent(ruleArn: string, context: LocalAwsContext, now = Date.now()) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: context.accountId,
    time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [ruleArn],
    detail: {},
  };
}

/** Figures of one rule, for the progress display. */
export interface ScheduleProgress {
  readonly rule: string;
  invocations: number;
  failures: number;
  lastError: string | undefined;
}

/** Options of {@link ScheduleRunner.start}. */
export interface ScheduleRunnerOptions {
  readonly assembly: CloudAssembly;
  readonly lambda: LocalLambdaRuntime;
  readonly context: LocalAwsContext;
  /** Replaces every rule's period (compressing time in short runs and tests). @default the template's */
  readonly periodMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * Runs the template's scheduled rules (EventBridge cannot run them offline): every period each
 * target function is invoked asynchronously with a Scheduled Event; overlapping runs are allowed,
 * as with EventBridge. A failed invocation is counted and logged, not retried: the next period
 * runs it again (Lambda's async retries are not emulated).
 */
export class ScheduleRunner {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly figures: ScheduleProgress[] = [];

  private constructor(
    private readonly options: ScheduleRunnerOptions,
    readonly rules: readonly ScheduledRule[],
  ) {}

  static start(options: ScheduleRunnerOptions): ScheduleRunner {
    const runner = new ScheduleRunner(options, readScheduledRules(options.assembly));
    for (const rule of runner.rules) {
      const figures: ScheduleProgress = { rule: rule.id, invocations: 0, failures: 0, lastError: undefined };
      runner.figures.push(figures);
      runner.timers.push(setInterval(() => runner.fire(rule, figures), options.periodMs ?? rule.periodMs));
    }
    return runner;
  }

  progress(): ScheduleProgress[] {
    return this.figures.map((f) => ({ ...f }));
  }

  /** Runs every rule's targets once now and waits for them (e.g. a final idle flush). */
  async fireAll(): Promise<void> {
    this.rules.forEach((rule, i) => {
      const figures = this.figures[i];
      if (figures) this.fire(rule, figures);
    });
    await Promise.all(this.inFlight);
  }

  /** Stops the timers and waits for invocations in flight. */
  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all(this.inFlight);
  }

  private fire(rule: ScheduledRule, figures: ScheduleProgress): void {
    for (const target of rule.targets) {
      const event = target.input ?? scheduledEvent(rule.ruleArn, this.options.context);
      const run = this.options.lambda
        .function(target.functionResource)
        .invoke(event)
        .then(
          (result) => {
            figures.invocations += 1;
            if (!result.ok) {
              figures.failures += 1;
              figures.lastError = `${result.error.errorType}: ${result.error.errorMessage}`;
              this.options.log?.(`${rule.id}: ${figures.lastError}`);
            }
          },
          (error: unknown) => {
            figures.failures += 1;
            figures.lastError = error instanceof Error ? error.message : String(error);
          },
        )
        .finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }
}
