/**
 * A synthesized template read as AWS would read it at run time, for the IAM policy simulator
 * (test/lib/segment-lake-stack/service-paths.test.ts): every `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select` and
 * `Fn::Split` resolved to the names and ARNs CloudFormation gives in one fake account, and every identity
 * and resource policy gathered by what it is attached to.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const PARTITION = 'aws';

type Json = unknown;
export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, string>;
}
export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, Json>[];
}

export class ResolvedTemplate {
  readonly resources: Record<string, Resource>;

  constructor(
    template: { Resources: Record<string, Resource> },
    /** The stack's name: CloudFormation prefixes the names it generates with it. */
    readonly stackName: string,
  ) {
    this.resources = template.Resources;
  }

  /** The resources of a type, by logical id. */
  ofType(type: string): [string, Resource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  /** The value as CloudFormation resolves it. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, Json>;
    const [key] = Object.keys(object);
    if (Object.keys(object).length === 1 && key !== undefined) {
      const arg = object[key];
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt':
          return this.getAtt(...(arg as [string, string]));
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, Json[]];
          return parts.map((p) => this.resolve(p)).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, Json];
          return (this.resolve(list) as Json[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, Json];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, Json>];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            const [id, attribute] = name.split('.');
            return String(attribute ? this.getAtt(id!, attribute) : this.ref(id!));
          });
        }
      }
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, this.resolve(v)]));
  }

  /** A string the template gives, resolved. */
  text(value: Json): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`not a string: ${JSON.stringify(value)}`);
    return resolved;
  }

  private resource(id: string): Resource {
    const resource = this.resources[id];
    if (!resource) throw new Error(`no resource ${id}`);
    return resource;
  }

  /** The physical name: the one the template sets, else CloudFormation's `<stack>-<logical id>`. */
  name(id: string): string {
    const r = this.resource(id);
    const p = r.Properties ?? {};
    const field = {
      'AWS::S3::Bucket': 'BucketName',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::Kinesis::Stream': 'Name',
      'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
      'AWS::StepFunctions::StateMachine': 'StateMachineName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::CloudWatch::Alarm': 'AlarmName',
      'AWS::Events::Rule': 'Name',
      'AWS::Scheduler::Schedule': 'Name',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::Athena::WorkGroup': 'Name',
    }[r.Type];
    if (field && p[field] !== undefined) return this.text(p[field]);
    if (r.Type === 'AWS::Glue::Database') return this.text((p.DatabaseInput as Record<string, Json>).Name);
    const generated = `${this.stackName}-${id}`;
    return r.Type === 'AWS::S3::Bucket' ? generated.toLowerCase() : generated;
  }

  ref(id: string): string {
    if (id === 'AWS::Partition') return PARTITION;
    if (id === 'AWS::Region') return REGION;
    if (id === 'AWS::AccountId') return ACCOUNT;
    if (id === 'AWS::StackName') return this.stackName;
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    const r = this.resource(id);
    const name = this.name(id);
    switch (r.Type) {
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::Lambda::Version':
      case 'AWS::Lambda::Alias':
        return this.getAtt(id, 'Arn');
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
      case 'AWS::KMS::Key':
        return `key-${id.toLowerCase()}`;
      case 'AWS::ApiGatewayV2::Api':
      case 'AWS::ApiGatewayV2::Authorizer':
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::CodeDeploy::DeploymentGroup':
      case 'AWS::CodeDeploy::Application':
        return id.toLowerCase();
      default:
        return name;
    }
  }

  getAtt(id: string, attribute: string): string {
    const r = this.resource(id);
    const name = this.name(id);
    const arn = (service: string, resource: string, region = REGION) =>
      `arn:${PARTITION}:${service}:${region}:${region ? ACCOUNT : ''}:${resource}`;
    if (attribute === 'Arn' || attribute.endsWith('Arn')) {
      switch (r.Type) {
        case 'AWS::S3::Bucket':
          return `arn:${PARTITION}:s3:::${name}`;
        case 'AWS::SNS::Topic':
          return arn('sns', name);
        case 'AWS::SQS::Queue':
          return arn('sqs', name);
        case 'AWS::Lambda::Function':
          return arn('lambda', `function:${name}`);
        case 'AWS::Lambda::Version':
          return `${this.getAtt((r.Properties!.FunctionName as { Ref: string }).Ref, 'Arn')}:1`;
        case 'AWS::Lambda::Alias':
          return `${this.text(r.Properties!.FunctionName).startsWith('arn:') ? this.text(r.Properties!.FunctionName) : arn('lambda', `function:${this.text(r.Properties!.FunctionName)}`)}:${this.text(r.Properties!.Name)}`;
        case 'AWS::DynamoDB::Table':
          return attribute === 'StreamArn'
            ? arn('dynamodb', `table/${name}/stream/1`)
            : arn('dynamodb', `table/${name}`);
        case 'AWS::Kinesis::Stream':
          return arn('kinesis', `stream/${name}`);
        case 'AWS::KinesisFirehose::DeliveryStream':
          return arn('firehose', `deliverystream/${name}`);
        case 'AWS::KMS::Key':
          return arn('kms', `key/${this.ref(id)}`);
        case 'AWS::IAM::Role':
          return `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`;
        case 'AWS::CloudWatch::Alarm':
          return arn('cloudwatch', `alarm:${name}`);
        case 'AWS::Events::Rule':
          return arn('events', `rule/${name}`);
        case 'AWS::Scheduler::Schedule':
          return arn('scheduler', `schedule/default/${name}`);
        case 'AWS::Logs::LogGroup':
          return arn('logs', `log-group:${name}:*`);
        case 'AWS::StepFunctions::StateMachine':
          return arn('states', `stateMachine:${name}`);
        case 'AWS::SecretsManager::Secret':
          return arn('secretsmanager', `secret:${name}-AbCdEf`);
      }
    }
    if (r.Type === 'AWS::SQS::Queue' && attribute === 'QueueUrl') return this.ref(id);
    if (r.Type === 'AWS::SQS::Queue' && attribute === 'QueueName') return name;
    if (r.Type === 'AWS::StepFunctions::StateMachine' && attribute === 'Name') return name;
    if (r.Type === 'AWS::ApiGatewayV2::Api' && attribute === 'ApiEndpoint')
      return `https://${this.ref(id)}.execute-api.${REGION}.amazonaws.com`;
    if (r.Type === 'AWS::ApiGatewayV2::Api' && attribute === 'ApiId') return this.ref(id);
    if (r.Type === 'AWS::S3::Bucket' && attribute === 'RegionalDomainName')
      return `${name}.s3.${REGION}.amazonaws.com`;
    if (r.Type === 'AWS::KMS::Key' && attribute === 'KeyId') return this.ref(id);
    throw new Error(`no attribute ${attribute} of ${r.Type} (${id}) in this resolver`);
  }

  /** The logical id of the resource a resolved name or ARN stands for. */
  idOf(value: string): string {
    for (const id of Object.keys(this.resources)) {
      try {
        if (this.ref(id) === value) return id;
      } catch {}
      try {
        if (this.getAtt(id, 'Arn') === value) return id;
      } catch {}
    }
    throw new Error(`no resource is ${value}`);
  }

  /** The identity policies of a role: its inline policies and every AWS::IAM::Policy attached to it. */
  identityPolicies(roleId: string): { name: string; policy: PolicyDocument }[] {
    const role = this.resource(roleId);
    const inline = ((role.Properties?.Policies as { PolicyName: string; PolicyDocument: Json }[]) ?? []).map(
      (p) => ({ name: p.PolicyName, policy: this.resolve(p.PolicyDocument) as PolicyDocument }),
    );
    const attached = this.ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .map(([id, p]) => ({ name: id, policy: this.resolve(p.Properties!.PolicyDocument) as PolicyDocument }));
    return [...inline, ...attached];
  }

  /** The trust policy of a role (who may assume it). */
  trustPolicy(roleId: string): PolicyDocument {
    return this.resolve(this.resource(roleId).Properties!.AssumeRolePolicyDocument) as PolicyDocument;
  }

  /** The resource policy of a resource, merged from every policy resource that names it. */
  resourcePolicy(id: string): PolicyDocument | undefined {
    const r = this.resource(id);
    const statements: Record<string, Json>[] = [];
    const collect = (type: string, listField: string, match: (entry: Json) => boolean) => {
      for (const [, p] of this.ofType(type))
        if ((p.Properties![listField] as Json[] | Json) !== undefined) {
          const list = p.Properties![listField];
          const entries = Array.isArray(list) ? list : [list];
          if (entries.some(match))
            statements.push(...(this.resolve(p.Properties!.PolicyDocument) as PolicyDocument).Statement);
        }
    };
    const refersTo = (entry: Json) =>
      JSON.stringify(entry) === JSON.stringify({ Ref: id }) ||
      JSON.stringify(entry) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
    switch (r.Type) {
      case 'AWS::SNS::Topic':
        collect('AWS::SNS::TopicPolicy', 'Topics', refersTo);
        break;
      case 'AWS::SQS::Queue':
        collect('AWS::SQS::QueuePolicy', 'Queues', refersTo);
        break;
      case 'AWS::S3::Bucket':
        collect('AWS::S3::BucketPolicy', 'Bucket', refersTo);
        break;
      case 'AWS::KMS::Key':
        statements.push(...(this.resolve(r.Properties!.KeyPolicy) as PolicyDocument).Statement);
        break;
      case 'AWS::Lambda::Function':
      case 'AWS::Lambda::Alias':
      case 'AWS::Lambda::Version': {
        const arn = this.getAtt(id, 'Arn');
        for (const [, p] of this.ofType('AWS::Lambda::Permission')) {
          const target = this.text(p.Properties!.FunctionName);
          if (target !== arn && target !== this.ref(id) && target !== this.name(id)) continue;
          const sourceArn = p.Properties!.SourceArn && this.text(p.Properties!.SourceArn);
          const sourceAccount = p.Properties!.SourceAccount && this.text(p.Properties!.SourceAccount);
          const principal = this.text(p.Properties!.Principal);
          statements.push({
            Effect: 'Allow',
            Principal: principal.includes('.') ? { Service: principal } : { AWS: principal },
            Action: this.text(p.Properties!.Action),
            Resource: arn,
            ...(sourceArn || sourceAccount
              ? {
                  Condition: {
                    ...(sourceArn ? { ArnLike: { 'AWS:SourceArn': sourceArn } } : {}),
                    ...(sourceAccount ? { StringEquals: { 'AWS:SourceAccount': sourceAccount } } : {}),
                  },
                }
              : {}),
          });
        }
        break;
      }
      case 'AWS::SecretsManager::Secret':
        collect('AWS::SecretsManager::ResourcePolicy', 'SecretId', refersTo);
        break;
    }
    return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
  }
}
