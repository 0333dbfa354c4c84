import { z } from 'zod';
import { TemplateError } from './errors.js';
import { type IntrinsicScope, resolveIntrinsics } from './intrinsics.js';
import type { LocalAwsContext } from './local-context.js';
import { attributeValue, physicalName, refValue } from './resource-types.js';

const ResourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
  Condition: z.string().optional(),
});

const TemplateSchema = z.object({
  Parameters: z.record(z.string(), z.object({ Default: z.unknown().optional() }).passthrough()).optional(),
  Conditions: z.record(z.string(), z.unknown()).optional(),
  Resources: z.record(z.string(), ResourceSchema),
  Outputs: z
    .record(
      z.string(),
      z.object({ Value: z.unknown(), Export: z.object({ Name: z.unknown() }).optional() }).passthrough(),
    )
    .optional(),
});

type ResourceDefinition = z.infer<typeof ResourceSchema>;

/** Looks up exports of the other stacks of the assembly (`Fn::ImportValue`). */
export type ExportLookup = (exportName: string, where: string) => unknown;

/**
 * One resource of a synthesized stack. Names and ARNs are the local ones (see `physicalName`);
 * `properties()` returns the properties with every intrinsic function resolved to local values.
 */
export class TemplateResource {
  constructor(
    readonly stack: StackTemplate,
    readonly logicalId: string,
    private readonly definition: ResourceDefinition,
  ) {}

  get type(): string {
    return this.definition.Type;
  }

  get stackName(): string {
    return this.stack.stackName;
  }

  /** The construct path (`aws:cdk:path` metadata), e.g. `Tributary/TaxiRides/Aggregator/Handler/Function/Resource`. */
  get constructPath(): string | undefined {
    const path = this.definition.Metadata?.['aws:cdk:path'];
    return typeof path === 'string' ? path : undefined;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.definition.Metadata ?? {};
  }

  /** The name the resource has locally (stream name, bucket name, queue name, function name, ...). */
  get physicalName(): string {
    return this.stack.physicalNameOf(this.logicalId);
  }

  /** What `Ref` returns for it locally (an SQS queue's URL, otherwise mostly its name). */
  get ref(): string {
    return refValue(this.type, this.physicalName, this.stack.context);
  }

  get arn(): string {
    return this.getAtt('Arn');
  }

  /** `Fn::GetAtt` of this resource; throws for attributes the local runtime does not know. */
  getAtt(attribute: string): string {
    const value = attributeValue(this.type, this.physicalName, attribute, this.stack.context);
    if (value === undefined) {
      throw new TemplateError(
        `${this.stackName}/${this.logicalId}: attribute ${attribute} of ${this.type} is not known to the local runtime`,
      );
    }
    return value;
  }

  /** The raw (unresolved) properties, as written in the template. */
  get rawProperties(): Readonly<Record<string, unknown>> {
    return this.definition.Properties ?? {};
  }

  /** The properties with Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ... resolved to local names and ARNs. */
  properties(): Record<string, unknown> {
    const resolved = this.stack.resolve(this.rawProperties, `${this.stackName}/${this.logicalId}.Properties`);
    return typeof resolved === 'object' && resolved !== null ? (resolved as Record<string, unknown>) : {};
  }
}

/** One stack's template (`cdk.out/<stack>.template.json`) read with local names for its resources. */
export class StackTemplate {
  private readonly template: z.infer<typeof TemplateSchema>;
  private readonly names = new Map<string, string>();
  private readonly resolving = new Set<string>();
  private readonly conditions = new Map<string, boolean>();
  readonly resources: readonly TemplateResource[];

  constructor(
    readonly stackName: string,
    template: unknown,
    readonly context: LocalAwsContext,
    private readonly importValue: ExportLookup = (name, where) => {
      throw new TemplateError(`${where}: no stack exports ${name}`);
    },
  ) {
    const parsed = TemplateSchema.safeParse(template);
    if (!parsed.success) {
      throw new TemplateError(
        `stack ${stackName}: not a CloudFormation template: ${z.prettifyError(parsed.error)}`,
      );
    }
    this.template = parsed.data;
    this.resources = Object.entries(parsed.data.Resources)
      .filter(([, definition]) => definition.Condition === undefined || this.condition(definition.Condition))
      .map(([id, definition]) => new TemplateResource(this, id, definition));
  }

  /** The resource with this logical id; throws naming the stack when there is none. */
  resource(logicalId: string): TemplateResource {
    const found = this.resources.find((r) => r.logicalId === logicalId);
    if (!found) throw new TemplateError(`stack ${this.stackName} has no resource ${logicalId}`);
    return found;
  }

  /** Outputs with their values resolved; the key is the export name when the output is exported. */
  exports(): Map<string, () => unknown> {
    const out = new Map<string, () => unknown>();
    for (const [id, output] of Object.entries(this.template.Outputs ?? {})) {
      if (output.Export === undefined) continue;
      const where = `${this.stackName}.Outputs.${id}`;
      out.set(String(this.resolve(output.Export.Name, where)), () => this.resolve(output.Value, where));
    }
    return out;
  }

  /** Resolves intrinsic functions in any value of this template. */
  resolve(value: unknown, where: string): unknown {
    return resolveIntrinsics(value, this.scope, where);
  }

  /** @internal The local physical name of a resource (explicit name property, else generated). */
  physicalNameOf(logicalId: string): string {
    const known = this.names.get(logicalId);
    if (known !== undefined) return known;
    if (this.resolving.has(logicalId)) {
      throw new TemplateError(`stack ${this.stackName}: the name of ${logicalId} refers to itself`);
    }
    this.resolving.add(logicalId);
    try {
      const resource = this.resource(logicalId);
      const name = physicalName(resource.type, this.stackName, logicalId, (path) => {
        const raw = lookup(resource.rawProperties, path);
        return raw === undefined
          ? undefined
          : this.resolve(raw, `${this.stackName}/${logicalId}.Properties.${path}`);
      });
      this.names.set(logicalId, name);
      return name;
    } finally {
      this.resolving.delete(logicalId);
    }
  }

  private condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new TemplateError(`stack ${this.stackName}: no condition ${name}`);
    const value = this.resolve(definition, `${this.stackName}.Conditions.${name}`);
    if (typeof value !== 'boolean') {
      throw new TemplateError(
        `stack ${this.stackName}: condition ${name} is not a boolean (given ${JSON.stringify(value)})`,
      );
    }
    this.conditions.set(name, value);
    return value;
  }

  private readonly scope: IntrinsicScope = {
    ref: (name, where) => {
      const pseudo = this.pseudoParameter(name);
      if (pseudo !== undefined) return pseudo;
      const parameter = this.template.Parameters?.[name];
      if (parameter !== undefined) {
        if (parameter.Default === undefined)
          throw new TemplateError(`${where}: parameter ${name} has no default`);
        return parameter.Default;
      }
      return this.resource(name).ref;
    },
    getAtt: (logicalId, attribute) => this.resource(logicalId).getAtt(attribute),
    importValue: (name, where) => this.importValue(name, where),
    condition: (name) => this.condition(name),
  };

  private pseudoParameter(name: string): unknown {
    const ctx = this.context;
    switch (name) {
      case 'AWS::Region':
        return ctx.region;
      case 'AWS::AccountId':
        return ctx.accountId;
      case 'AWS::Partition':
        return ctx.partition;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${ctx.partition}:cloudformation:${ctx.region}:${ctx.accountId}:stack/${this.stackName}/local`;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NotificationARNs':
        return [];
      default:
        return undefined;
    }
  }
}

function lookup(properties: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = properties;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
