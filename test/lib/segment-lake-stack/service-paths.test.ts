import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AUDIENCE_SYNC_RUNS_PREFIX, AUDIENCE_SYNC_STATE_PREFIX } from '../../../domain/contract/audiences';
import { BACKLOG_PREFIX, backlogBatchKey } from '../../../domain/contract/curated-backlog';
import { STAGING_PREFIX } from '../../../domain/contract/curated-table';
import { ERASE_PASSES_PREFIX } from '../../../domain/contract/erasure';
import { synthStack } from '../../support/stack';
import { ACCOUNT, type PolicyDocument, REGION, ResolvedTemplate } from '../../support/template-policies';

/**
 * Every path between services in the synthesized template, evaluated as AWS would evaluate it: identity,
 * resource and key policies through an IAM policy simulator (@cloud-copilot/iam-simulate; AGPL-3.0, a
 * test-only dependency: docs/decisions/0006-policy-simulation.md). Each request carries the service or
 * role principal, aws:SourceAccount, aws:SourceArn and aws:SecureTransport=true, as the service sends it.
 *
 * The paths are enumerated from the template — alarm actions, rule targets, schedule targets, event-source
 * mappings, Firehose's source and destination, API integrations and authorizers, state-machine tasks and
 * item readers, and each function's calls — so a new path without a simulated check fails here.
 */
const STACK = 'TestDestination';
const { template } = synthStack();
const t = new ResolvedTemplate(template.toJSON() as never, STACK);
const lakeArn = t.getAtt(t.ofType('AWS::S3::Bucket').find(([id]) => id.startsWith('Lake4'))![0], 'Arn');
const resultsArn = t.getAtt(
  t.ofType('AWS::S3::Bucket').find(([id]) => id.startsWith('LakeQueryResults'))![0],
  'Arn',
);

interface Request {
  /** What the check is, in words (the failure names it). */
  path: string;
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  /** Role principals: the role's identity policies. Service principals have none. */
  roleId?: string;
  /** The resource's policy (a topic, queue, bucket, key, function, role trust). */
  resourcePolicy?: PolicyDocument | undefined;
}

async function decide(request: Request): Promise<string> {
  const response = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:SourceAccount': ACCOUNT,
          'aws:PrincipalAccount': ACCOUNT,
          ...request.context,
        },
      },
      identityPolicies: request.roleId ? t.identityPolicies(request.roleId) : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    } as never,
    {},
  );
  if (response.resultType === 'error')
    throw new Error(`${request.path}: the simulator refused the request: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

/** Every request's decision, as `path: decision` lines (a failure lists exactly what is refused). */
async function decisions(requests: Request[]): Promise<string[]> {
  return Promise.all(requests.map(async (r) => `${r.path}: ${await decide(r)}`));
}
const allowed = (requests: Request[]) => requests.map((r) => `${r.path}: Allowed`);

const roleIdOf = (arn: string) => t.idOf(arn);
const topicKey = (topicId: string) => {
  const key = t.resources[topicId]!.Properties!.KmsMasterKeyId;
  return key === undefined ? undefined : t.idOf(t.text(key));
};

/** A service publishing to a topic: the topic's policy, then its key's (SNS encrypts with the caller's grant). */
function publish(path: string, service: string, topicArn: string, sourceArn: string): Request[] {
  const topicId = t.idOf(topicArn);
  const context = { 'aws:SourceArn': sourceArn };
  const requests: Request[] = [
    {
      path,
      principal: service,
      action: 'sns:Publish',
      resource: topicArn,
      context,
      resourcePolicy: t.resourcePolicy(topicId),
    },
  ];
  const keyId = topicKey(topicId);
  if (keyId)
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt'])
      requests.push({
        path: `${path} (${action} on the topic's key)`,
        principal: service,
        action,
        resource: t.getAtt(keyId, 'Arn'),
        context,
        resourcePolicy: t.resourcePolicy(keyId),
      });
  return requests;
}

function sendToQueue(path: string, principal: string, queueArn: string, sourceArn?: string, roleId?: string) {
  const queueId = t.idOf(queueArn);
  return {
    path,
    principal,
    action: 'sqs:SendMessage',
    resource: queueArn,
    ...(sourceArn ? { context: { 'aws:SourceArn': sourceArn } } : {}),
    ...(roleId ? { roleId } : {}),
    resourcePolicy: t.resourcePolicy(queueId),
  } satisfies Request;
}

/** A role's trust policy lets the service assume it, for this account. */
function assume(path: string, service: string, roleArn: string, sourceArn?: string): Request {
  return {
    path: `${path} (${service} assumes the role)`,
    principal: service,
    action: 'sts:AssumeRole',
    resource: roleArn,
    ...(sourceArn ? { context: { 'aws:SourceArn': sourceArn } } : {}),
    resourcePolicy: t.trustPolicy(roleIdOf(roleArn)),
  };
}

function asRole(
  path: string,
  roleArn: string,
  action: string,
  resource: string,
  context?: Request['context'],
) {
  const roleId = roleIdOf(roleArn);
  const bucketPolicy = resource.startsWith('arn:aws:s3:::')
    ? t.resourcePolicy(t.idOf(resource.replace(/^(arn:aws:s3:::[^/]+).*$/, '$1')))
    : undefined;
  return {
    path,
    principal: roleArn,
    action,
    resource,
    roleId,
    ...(context ? { context } : {}),
    ...(bucketPolicy ? { resourcePolicy: bucketPolicy } : {}),
  } satisfies Request;
}

// --- the paths, from the template ----------------------------------------------------------------------

function alarmPaths(): Request[] {
  return t.ofType('AWS::CloudWatch::Alarm').flatMap(([id, alarm]) => {
    const actions = [
      ...((alarm.Properties!.AlarmActions as unknown[]) ?? []),
      ...((alarm.Properties!.OKActions as unknown[]) ?? []),
    ].map((a) => t.text(a));
    return [...new Set(actions)].flatMap((action) => {
      if (!action.startsWith('arn:aws:sns:'))
        throw new Error(`alarm ${id}: no simulated check for action ${action}`);
      return publish(`alarm ${id} → its topic`, 'cloudwatch.amazonaws.com', action, t.getAtt(id, 'Arn'));
    });
  });
}

function rulePaths(): Request[] {
  return t.ofType('AWS::Events::Rule').flatMap(([id, rule]) => {
    const targets = (rule.Properties!.Targets as Record<string, unknown>[]) ?? [];
    if (targets.length === 0) throw new Error(`rule ${id} has no target: what it matches goes nowhere`);
    const ruleArn = t.getAtt(id, 'Arn');
    return targets.flatMap((target) => {
      const arn = t.text(target.Arn);
      if (target.RoleArn) throw new Error(`rule ${id}: no simulated check for a target with a role`);
      if (arn.startsWith('arn:aws:sqs:'))
        return [sendToQueue(`rule ${id} → queue`, 'events.amazonaws.com', arn, ruleArn)];
      if (arn.startsWith('arn:aws:sns:'))
        return publish(`rule ${id} → topic`, 'events.amazonaws.com', arn, ruleArn);
      throw new Error(`rule ${id}: no simulated check for target ${arn}`);
    });
  });
}

function schedulePaths(): Request[] {
  return t.ofType('AWS::Scheduler::Schedule').flatMap(([id, schedule]) => {
    const target = schedule.Properties!.Target as Record<string, unknown>;
    const role = t.text(target.RoleArn);
    const arn = t.text(target.Arn);
    // Scheduler names the schedule's group as the source when it assumes the role (EventBridge Scheduler
    // user guide, "Set up the execution role": the confused-deputy condition).
    const group = schedule.Properties!.GroupName ? t.text(schedule.Properties!.GroupName) : 'default';
    const scheduleArn = `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${group}`;
    if (!arn.startsWith('arn:aws:states:')) throw new Error(`schedule ${id}: no simulated check for ${arn}`);
    const deadLetters = target.DeadLetterConfig as { Arn: unknown } | undefined;
    if (!deadLetters) throw new Error(`schedule ${id} has no dead-letter queue: a failed start is lost`);
    return [
      assume(`schedule ${id}`, 'scheduler.amazonaws.com', role, scheduleArn),
      asRole(`schedule ${id} → its state machine`, role, 'states:StartExecution', arn),
      {
        ...sendToQueue(`schedule ${id} → its dead-letter queue`, role, t.text(deadLetters.Arn)),
        roleId: roleIdOf(role),
      },
    ];
  });
}

function eventSourcePaths(): Request[] {
  return t.ofType('AWS::Lambda::EventSourceMapping').flatMap(([id]) => {
    throw new Error(`event-source mapping ${id}: no simulated check for it yet`);
  });
}

function firehosePaths(): Request[] {
  return t.ofType('AWS::KinesisFirehose::DeliveryStream').flatMap(([id, stream]) => {
    const p = stream.Properties!;
    const requests: Request[] = [];
    const source = p.KinesisStreamSourceConfiguration as
      | { KinesisStreamARN: unknown; RoleARN: unknown }
      | undefined;
    if (source) {
      const role = t.text(source.RoleARN);
      const streamArn = t.text(source.KinesisStreamARN);
      requests.push(assume(`Firehose ${id} reads Kinesis`, 'firehose.amazonaws.com', role));
      for (const action of [
        'kinesis:DescribeStream',
        'kinesis:GetShardIterator',
        'kinesis:GetRecords',
        'kinesis:ListShards',
      ])
        requests.push(asRole(`Firehose ${id} → ${action} on its stream`, role, action, streamArn));
    }
    const s3 = p.ExtendedS3DestinationConfiguration as { RoleARN: unknown; BucketARN: unknown };
    const role = t.text(s3.RoleARN);
    const bucket = t.text(s3.BucketARN);
    requests.push(assume(`Firehose ${id} writes S3`, 'firehose.amazonaws.com', role));
    for (const key of [
      'events/customer_id=acme/received_dt=2026-12-07/x.json.gz',
      'quarantine/customer_id=_all/received_dt=2026-12-07/x.json.gz',
      'ledger/customer_id=_all/received_dt=2026-12-07/x.json.gz',
      'errors/activePartitionExceeded/2026/12/07/x.gz',
    ])
      requests.push(
        asRole(
          `Firehose ${id} → s3:PutObject ${key.split('/')[0]}/`,
          role,
          's3:PutObject',
          `${bucket}/${key}`,
        ),
      );
    requests.push(asRole(`Firehose ${id} → s3:GetBucketLocation`, role, 's3:GetBucketLocation', bucket));
    return requests;
  });
}

function integrationPaths(): Request[] {
  const apiId = (api: unknown) => t.text(api);
  const routes = t.ofType('AWS::ApiGatewayV2::Route').flatMap(([, route]) => {
    const [method, path] = t.text(route.Properties!.RouteKey).split(' ');
    const integrationId = t.text(route.Properties!.Target).replace('integrations/', '');
    const [integration] = t
      .ofType('AWS::ApiGatewayV2::Integration')
      .filter(([iid]) => t.ref(iid) === integrationId);
    if (!integration) throw new Error(`route ${method} ${path}: no integration`);
    const uri = t.text(integration[1].Properties!.IntegrationUri);
    const fn = t.idOf(uri);
    const sourceArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId(route.Properties!.ApiId)}/$default/${method}${path}`;
    return [
      {
        path: `API ${method} ${path} → ${fn}`,
        principal: 'apigateway.amazonaws.com',
        action: 'lambda:InvokeFunction',
        resource: uri,
        context: { 'aws:SourceArn': sourceArn },
        resourcePolicy: t.resourcePolicy(fn),
      } satisfies Request,
    ];
  });
  const authorizers = t.ofType('AWS::ApiGatewayV2::Authorizer').map(([id, authorizer]) => {
    const uri = /functions\/(.+)\/invocations$/.exec(t.text(authorizer.Properties!.AuthorizerUri))![1]!;
    const fn = t.idOf(uri);
    return {
      path: `API authorizer → ${fn}`,
      principal: 'apigateway.amazonaws.com',
      action: 'lambda:InvokeFunction',
      resource: uri,
      context: {
        'aws:SourceArn': `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId(authorizer.Properties!.ApiId)}/authorizers/${t.ref(id)}`,
      },
      resourcePolicy: t.resourcePolicy(fn),
    } satisfies Request;
  });
  return [...routes, ...authorizers];
}

/**
 * What a state machine's run-time expressions evaluate to, for the keys they name: the keys the steps
 * write (domain/contract), one example each.
 */
const RUN_TIME_KEYS: Record<string, Record<string, string>> = {
  Curated: {
    '{% $states.input.itemsKey %}': `${STAGING_PREFIX}/run-1/items.json`,
    '{% $item.aloneKey %}': `${STAGING_PREFIX}/run-1/alone/0.json`,
  },
  Erasure: { '{% $states.input.itemsKey %}': `${ERASE_PASSES_PREFIX}/acme/0123/items.json` },
  Audiences: {
    '{% $run.prefix %}': `${AUDIENCE_SYNC_RUNS_PREFIX}acme/run-1/`,
    '{% $run.stateKey %}': `${AUDIENCE_SYNC_STATE_PREFIX}acme/likely_signups.json`,
  },
};

interface State {
  Type?: string;
  Resource?: string;
  Arguments?: Record<string, unknown>;
  ItemReader?: { Resource: string; Arguments: Record<string, string> };
  ItemProcessor?: { States: Record<string, State> };
  Branches?: { States: Record<string, State> }[];
}

function taskPaths(): Request[] {
  return t.ofType('AWS::StepFunctions::StateMachine').flatMap(([id, machine]) => {
    const role = t.text(machine.Properties!.RoleArn);
    const machineArn = t.ref(id);
    const definition = JSON.parse(t.text(machine.Properties!.DefinitionString)) as {
      States: Record<string, State>;
    };
    const owner = Object.keys(RUN_TIME_KEYS).find((prefix) => id.startsWith(prefix)) ?? '';
    const value = (text: string) => {
      if (!text.startsWith('{%')) return text;
      const known = RUN_TIME_KEYS[owner]?.[text];
      if (!known) throw new Error(`state machine ${id}: no example value for ${text}`);
      return known;
    };
    const requests: Request[] = [assume(`state machine ${id}`, 'states.amazonaws.com', role, machineArn)];
    const task = (name: string, state: State) => {
      const resource = state.Resource!.replace('arn:aws:states:::', '');
      const args = state.Arguments ?? {};
      const as = (action: string, arn: string, context?: Request['context']) =>
        requests.push(asRole(`state machine ${id}, ${name} → ${action}`, role, action, arn, context));
      if (resource === 'lambda:invoke') as('lambda:InvokeFunction', t.text(args.FunctionName));
      else if (resource === 'athena:startQueryExecution.sync') {
        const workgroup = `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${t.text(args.WorkGroup)}`;
        as('athena:StartQueryExecution', workgroup);
        as('athena:GetQueryExecution', workgroup);
        as('s3:PutObject', `${resultsArn}/athena/query-1.csv`);
        as('s3:GetBucketLocation', resultsArn);
      } else if (resource === 'aws-sdk:sfn:listExecutions') as('states:ListExecutions', machineArn);
      else if (resource === 'aws-sdk:s3:putObject')
        as('s3:PutObject', `arn:aws:s3:::${value(String(args.Bucket))}/${value(String(args.Key))}`);
      else if (resource === 'states:startExecution.sync:2') {
        const target = t.text(args.StateMachineArn);
        as('states:StartExecution', target);
        as('states:DescribeExecution', `${target.replace(':stateMachine:', ':execution:')}:run-1`);
        as(
          'events:PutRule',
          `arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
        );
      } else if (resource === 'dynamodb:updateItem')
        // The jobs' lease (lib/job-lease.ts): a conditional write to its one item.
        as('dynamodb:UpdateItem', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${t.text(args.TableName)}`);
      else if (resource === 'states:startExecution')
        // Started, not waited for (the erase pass's VACUUM hours later): StartExecution only.
        as('states:StartExecution', t.text(args.StateMachineArn));
      else throw new Error(`state machine ${id}, ${name}: no simulated check for task ${state.Resource}`);
    };
    const walk = (states: Record<string, State>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Resource) task(name, state);
        if (state.ItemReader) {
          const reader = state.ItemReader.Resource.replace(/^arn:[^:]+:states:::/, '');
          const bucket = `arn:aws:s3:::${value(state.ItemReader.Arguments.Bucket!)}`;
          if (reader === 's3:getObject')
            requests.push(
              asRole(
                `state machine ${id}, ${name} reads its items`,
                role,
                's3:GetObject',
                `${bucket}/${value(state.ItemReader.Arguments.Key!)}`,
              ),
            );
          else if (reader === 's3:listObjectsV2')
            requests.push(
              asRole(`state machine ${id}, ${name} lists its items`, role, 's3:ListBucket', bucket, {
                's3:prefix': value(state.ItemReader.Arguments.Prefix!),
              }),
            );
          else throw new Error(`state machine ${id}, ${name}: no simulated check for item reader ${reader}`);
        }
        if (state.ItemProcessor) walk(state.ItemProcessor.States);
        for (const branch of state.Branches ?? []) walk(branch.States);
      }
    };
    walk(definition.States);
    return requests;
  });
}

/**
 * What each function calls, from its code: the table a new function must join (its logical id's start).
 * Keys of the lake are examples of what the code writes or reads.
 */
const FUNCTION_CALLS: Record<
  string,
  (x: { fn: string; lake: string; results: string }) => [string, string, Request['context']?][]
> = {
  IngestAuthorizerFunction: () => [
    ['dynamodb:GetItem', table('TokensTable')],
    [
      'dynamodb:UpdateItem',
      table('TokensTable'),
      { 'dynamodb:Attributes': ['pk', 'lastUsedAt'], 'dynamodb:ReturnValues': 'NONE' },
    ],
  ],
  IngestFunction: () => [
    ['kinesis:PutRecords', t.getAtt(id('DeliveryEvents'), 'Arn')],
    ['dynamodb:UpdateItem', table('IngestFairShare')],
    ['dynamodb:PutItem', table('ErasureRequests')],
    ['dynamodb:Query', table('ErasureRequests')],
    ['secretsmanager:GetSecretValue', t.ref(id('ErasureAuditKey'))],
  ],
  OnboardingAdminFunction: () => [
    ['dynamodb:PutItem', table('TokensTable')],
    ['dynamodb:UpdateItem', table('TokensTable')],
    ['dynamodb:Query', `${table('TokensTable')}/index/byCustomer`],
    ['dynamodb:Query', `${table('TokensTable')}/index/byTokenId`],
    ['dynamodb:Query', table('ErasureRequests')],
  ],
  OnboardingCallbackFunction: () => [],
  CuratedStepsFunction: ({ lake, results }) => [
    ['sqs:ReceiveMessage', t.getAtt(id('CuratedObjectLog7'), 'Arn')],
    ['sqs:DeleteMessage', t.getAtt(id('CuratedObjectLog7'), 'Arn')],
    ['s3:PutObject', `${lake}/${STAGING_PREFIX}/run-1/manifest-1.csv`],
    ['s3:GetObject', `${results}/athena/query-1.csv`],
    // The backlog lane: its batches listed, read, written and removed; a run's notes listed.
    ['s3:ListBucket', lake, { 's3:prefix': BACKLOG_PREFIX }],
    ['s3:PutObject', `${lake}/${backlogBatchKey('acme', 'run-1')}`],
    ['s3:GetObject', `${lake}/${backlogBatchKey('acme', 'run-1')}`],
    ['s3:DeleteObject', `${lake}/${backlogBatchKey('acme', 'run-1')}`],
    ['s3:ListBucket', lake, { 's3:prefix': `${STAGING_PREFIX}/run_id=run-1/done/` }],
  ],
  ErasureStepsFunction: ({ lake, results }) => [
    ['dynamodb:Query', table('ErasureRequests')],
    ['dynamodb:PutItem', table('ErasureRequests')],
    ['secretsmanager:GetSecretValue', t.ref(id('ErasureAuditKey'))],
    ['s3:GetObject', `${lake}/events/customer_id=acme/received_dt=2026-12-07/x.json.gz`],
    ['s3:PutObject', `${lake}/events/customer_id=acme/received_dt=2026-12-07/x.json.gz`],
    ['s3:DeleteObjectVersion', `${lake}/events/customer_id=acme/received_dt=2026-12-07/x.json.gz`],
    ['s3:ListBucket', lake, { 's3:prefix': 'events/customer_id=acme/' }],
    ['s3:DeleteObject', `${results}/athena/query-1.csv`],
    // The run's plan: its items written, earlier runs' listed and removed.
    ['s3:PutObject', `${lake}/${ERASE_PASSES_PREFIX}/_runs/run-1/customers.json`],
    ['s3:ListBucket', lake, { 's3:prefix': `${ERASE_PASSES_PREFIX}/_runs/` }],
    ['s3:DeleteObject', `${lake}/${ERASE_PASSES_PREFIX}/_runs/run-0/customers.json`],
    // After a VACUUM: the old versions of the curated files it removed.
    ['s3:ListBucketVersions', lake, { 's3:prefix': 'curated/events/' }],
    ['s3:DeleteObjectVersion', `${lake}/curated/events/customer_id=acme/event_month=2026-12/x.parquet`],
  ],
  IntentPlanFunction: ({ lake }) => [
    ['athena:StartQueryExecution', workgroup()],
    ['athena:GetQueryResults', workgroup()],
    ['glue:GetTable', `arn:aws:glue:${REGION}:${ACCOUNT}:table/testdestination/events_curated`],
    ['s3:GetObject', `${lake}/curated/events/customer_id=acme/event_month=2026-12/x.parquet`],
  ],
  IntentScoreFunction: ({ lake }) => [
    ['s3:GetObject', `${lake}/intent/_features/run-1/part-1.csv`],
    ['s3:PutObject', `${lake}/intent/predictions/acme/signedup.json`],
    ['s3:PutObject', `${lake}/intent/reports/acme/report.html`],
    ['s3:DeleteObject', `${lake}/scores/customer_id=acme/x.parquet`],
  ],
  AudiencesBuildFunction: ({ lake }) => [
    ['athena:StartQueryExecution', workgroup()],
    ['s3:GetObject', `${lake}/scores/customer_id=acme/x.parquet`],
    // The intent run's report: a Poor scoring builds no audience.
    [
      's3:GetObject',
      `${lake}/intent/reports/customer_id=acme/event_key=signedup/as_of=2026-03-08/report.json`,
    ],
    ['s3:PutObject', `${lake}/audiences/customer_id=acme/x.json`],
    ['s3:PutObject', `${lake}/${AUDIENCE_SYNC_RUNS_PREFIX}acme/run-1/1.json`],
    [
      'secretsmanager:DescribeSecret',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${STACK}/segment-write-key/acme-AbCdEf`,
    ],
  ],
  AudiencesSendFunction: ({ lake }) => [
    ['s3:GetObject', `${lake}/${AUDIENCE_SYNC_RUNS_PREFIX}acme/run-1/1.json`],
    [
      'secretsmanager:GetSecretValue',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${STACK}/segment-write-key/acme-AbCdEf`,
    ],
  ],
  RefreshPlanFunction: ({ lake }) => [
    ['s3:ListBucket', lake, { 's3:prefix': 'intent/predictions/' }],
    ['s3:GetObject', `${lake}/intent/predictions/acme/signedup.json`],
  ],
  DeploymentPreTrafficCheckFunction: () => [
    ['dynamodb:PutItem', table('TokensTable')],
    ['lambda:InvokeFunction', `${t.getAtt(id('IngestFunction7'), 'Arn')}:1`],
  ],
  DeploymentPostTrafficCheckFunction: () => [['dynamodb:UpdateItem', table('TokensTable')]],
};
function id(prefix: string, type?: string): string {
  const found = Object.entries(t.resources).find(
    ([logicalId, r]) => logicalId.startsWith(prefix) && (type === undefined || r.Type === type),
  )?.[0];
  if (!found) throw new Error(`no resource ${prefix}…`);
  return found;
}
const table = (prefix: string) => t.getAtt(id(prefix), 'Arn');
const workgroup = () => `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${t.ref(id('CatalogWorkGroup'))}`;
const deploymentGroup = (prefix: string) =>
  `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${t.ref(id('DeploymentApplication'))}/${t.ref(id(prefix, 'AWS::CodeDeploy::DeploymentGroup'))}`;

function functionPaths(): Request[] {
  return t.ofType('AWS::Lambda::Function').flatMap(([fnId, fn]) => {
    const entry = Object.keys(FUNCTION_CALLS).find((prefix) => fnId.startsWith(prefix));
    if (!entry)
      throw new Error(`function ${fnId}: no entry in FUNCTION_CALLS, so nothing checks what it calls`);
    const role = t.text(fn.Properties!.Role);
    const calls = FUNCTION_CALLS[entry]!({ fn: fnId, lake: lakeArn, results: resultsArn });
    return [
      assume(`function ${entry}`, 'lambda.amazonaws.com', role),
      ...calls.map(([action, resource, context]) =>
        asRole(
          `function ${entry} → ${action} ${resource.split(':').slice(5).join(':')}`,
          role,
          action,
          resource,
          context,
        ),
      ),
    ];
  });
}

describe('every path between services, evaluated by an IAM policy simulator on the synthesized template', () => {
  it.each([
    ['alarm actions (CloudWatch → SNS and its key)', alarmPaths],
    ['rule targets (EventBridge → SQS, SNS and its key)', rulePaths],
    ['schedule targets and dead-letter queues (Scheduler → Step Functions, SQS)', schedulePaths],
    ['event-source mappings', eventSourcePaths],
    ['Firehose → Kinesis and the lake', firehosePaths],
    ['API integrations and the authorizer (API Gateway → Lambda)', integrationPaths],
    ['state machines → Lambda, Athena, Glue, S3, Step Functions', taskPaths],
    ['each function → what it calls', functionPaths],
  ])('%s: every one is allowed', async (_, paths) => {
    const requests = paths();
    expect(await decisions(requests)).toEqual(allowed(requests));
  });

  it('counts the paths it checks, so an enumeration that finds nothing cannot pass', () => {
    expect(alarmPaths().filter((r) => r.action === 'sns:Publish').length).toBe(
      t.ofType('AWS::CloudWatch::Alarm').length,
    );
    expect(rulePaths().length).toBeGreaterThanOrEqual(2);
    expect(schedulePaths().length).toBe(3 * t.ofType('AWS::Scheduler::Schedule').length);
    expect(integrationPaths().length).toBe(
      t.ofType('AWS::ApiGatewayV2::Route').length + t.ofType('AWS::ApiGatewayV2::Authorizer').length,
    );
    expect(taskPaths().length).toBeGreaterThan(20);
    expect(functionPaths().length).toBeGreaterThan(2 * t.ofType('AWS::Lambda::Function').length);
  });

  // The one call the simulator cannot judge: its data (AWS's service authorization reference) lists no
  // resource type for codedeploy:PutLifecycleEventHookExecutionStatus and so refuses a request naming a
  // deployment group, while CDK's Lambda deployment groups grant it on the group, as deployed everywhere.
  // Checked as a statement: each traffic check may report to the groups it checks (ingest and authorizer).
  it('the traffic checks may report their verdict to each deployment group (a statement, not simulated)', () => {
    for (const check of ['DeploymentPreTrafficCheckFunction', 'DeploymentPostTrafficCheckFunction']) {
      const roleId = roleIdOf(t.text(t.resources[id(check)]!.Properties!.Role));
      const statements = t
        .identityPolicies(roleId)
        .flatMap((p) => p.policy.Statement)
        .filter((st) => [st.Action].flat().includes('codedeploy:PutLifecycleEventHookExecutionStatus'));
      const resources = statements.flatMap((st) => [st.Resource].flat());
      expect([check, resources.sort()]).toEqual([
        check,
        ['DeploymentAuthorizer', 'DeploymentIngest'].map(deploymentGroup).sort(),
      ]);
    }
  });

  // --- what must not be allowed ------------------------------------------------------------------------

  it('the alarm topic takes no alarm of another stack, no other account and nothing without TLS', async () => {
    const [alarmId] = t.ofType('AWS::CloudWatch::Alarm')[0]!;
    const topic = t.text((t.resources[alarmId]!.Properties!.AlarmActions as unknown[])[0]);
    const [request] = publish('alarm', 'cloudwatch.amazonaws.com', topic, t.getAtt(alarmId, 'Arn'));
    const other = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:OtherStack-Alarm-1`;

    expect(
      await decisions([
        { ...request!, path: 'another stack', context: { 'aws:SourceArn': other } },
        {
          ...request!,
          path: 'another account',
          context: { ...request!.context, 'aws:SourceAccount': '210987654321' },
        },
        { ...request!, path: 'no TLS', context: { ...request!.context, 'aws:SecureTransport': 'false' } },
      ]),
    ).toEqual([
      'another stack: ImplicitlyDenied',
      'another account: ImplicitlyDenied',
      'no TLS: ExplicitlyDenied',
    ]);
  });

  it('the authorizer writes nothing of a key item but lastUsedAt: no status, no new item, no delete', async () => {
    const role = t.text(t.resources[id('IngestAuthorizerFunction')]!.Properties!.Role);
    const tokens = table('TokensTable');
    expect(
      await decisions([
        asRole('status', role, 'dynamodb:UpdateItem', tokens, { 'dynamodb:Attributes': ['pk', 'status'] }),
        asRole('customerId', role, 'dynamodb:UpdateItem', tokens, {
          'dynamodb:Attributes': ['pk', 'customerId'],
        }),
        asRole('old values back', role, 'dynamodb:UpdateItem', tokens, {
          'dynamodb:Attributes': ['pk', 'lastUsedAt'],
          'dynamodb:ReturnValues': 'ALL_OLD',
        }),
        asRole('put', role, 'dynamodb:PutItem', tokens),
        asRole('delete', role, 'dynamodb:DeleteItem', tokens),
        asRole('scan', role, 'dynamodb:Scan', tokens),
      ]),
    ).toEqual([
      'status: ImplicitlyDenied',
      'customerId: ImplicitlyDenied',
      'old values back: ImplicitlyDenied',
      'put: ImplicitlyDenied',
      'delete: ImplicitlyDenied',
      'scan: ImplicitlyDenied',
    ]);
  });

  /** Each state machine's reads of the lake: its own prefixes, nothing else. */
  const MACHINE_READS: Record<string, string[]> = {
    // The landing objects its manifests list, its run's files, the curated table it merges into.
    Curated: ['events/', `${STAGING_PREFIX}/`, 'curated/events/'],
    // The customer's landing objects (link and verify), its pass's files, the curated table it deletes from.
    // Its Athena statements: the link, the objects query (events and quarantine) and the verification.
    Erasure: ['events/', 'quarantine/', `${ERASE_PASSES_PREFIX}/`, 'curated/events/'],
    // The VACUUM an erase pass starts: the curated table's files only.
    ErasureVacuumLater: ['curated/events/'],
    // UNLOADs of the curated table; the check of the scores it wrote; the run's table of shares the
    // scoring joins (not the run's feature samples).
    Intent: ['curated/', 'scores/', 'intent/_features/run-1/shares/'],
    // Only lists its run's shards (its functions read them) and writes the sync state.
    Audiences: [],
    Refresh: [],
  };
  const LAKE_AREAS = [
    'events/customer_id=acme/received_dt=2026-12-07/x.json.gz',
    'quarantine/customer_id=_all/received_dt=2026-12-07/x.json.gz',
    'ledger/customer_id=_all/received_dt=2026-12-07/x.json.gz',
    'errors/processing-failed/2026/12/07/x.gz',
    'redriven/errors/x.gz',
    `${STAGING_PREFIX}/run-1/items.json`,
    'curated/events/customer_id=acme/event_month=2026-12/x.parquet',
    'scores/customer_id=acme/x.parquet',
    'audiences/customer_id=acme/x.json',
    'audience-sync/state/acme/x.json',
    `${ERASE_PASSES_PREFIX}/acme/0123/pass.json`,
    'erasure/erased-rows/acme.1.json',
    'intent/_features/run-1/part-1.csv',
    'intent/_features/run-1/shares/shares.json',
  ];

  it.each(Object.keys(MACHINE_READS))(
    'the %s state machine reads only its own prefixes of the lake',
    async (prefix) => {
      const [machineId, machine] = t
        .ofType('AWS::StepFunctions::StateMachine')
        .find(([mid]) => mid.startsWith(`${prefix}StateMachine`))!;
      const role = t.text(machine.Properties!.RoleArn);
      const requests = LAKE_AREAS.map((key) => asRole(key, role, 's3:GetObject', `${lakeArn}/${key}`));
      const expected = LAKE_AREAS.map(
        (key) =>
          `${key}: ${MACHINE_READS[prefix]!.some((own) => key.startsWith(own)) ? 'Allowed' : 'ImplicitlyDenied'}`,
      );

      expect([machineId, await decisions(requests)]).toEqual([machineId, expected]);
    },
  );
});
