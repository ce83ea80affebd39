import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { type RemovalPolicy, Tags } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import {
  CAPACITY_TAG,
  LAST_USED_ATTRIBUTE,
  TOKEN_INDEX_KEYS,
  TOKEN_KEY_ATTRIBUTE,
  TOKEN_TABLE_INDEXES,
} from '../domain/contract/token-table';

export interface TokenTableProps {
  readonly removalPolicy: RemovalPolicy;
  /** The stack's capacity, tagged on the table for `npm run tokens -- create --table` (CAPACITY_TAG). */
  readonly maxCustomers: number;
}

/**
 * API keys (SHA-256 hashes only) and customer settings, read by the authorizer with one GetItem per
 * cache miss. On-demand billing (authorizer results are cached, so reads are sparse and bursty),
 * point-in-time recovery, encryption at rest. Key layout: `adapters/aws/dynamo-token-store.ts`.
 */
export class TokenTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: TokenTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TOKEN_KEY_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: false,
      removalPolicy: props.removalPolicy,
    });
    Tags.of(this.table).add(CAPACITY_TAG, String(props.maxCustomers));
    this.table.addGlobalSecondaryIndex({
      indexName: TOKEN_TABLE_INDEXES.byCustomer,
      partitionKey: { name: TOKEN_INDEX_KEYS.byCustomer.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TOKEN_INDEX_KEYS.byCustomer.sort, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TOKEN_TABLE_INDEXES.byTokenId,
      partitionKey: { name: TOKEN_INDEX_KEYS.byTokenId.partition, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }

  /** What the authorizer needs: look a key and its customer up, and record a key's last use. */
  grantAuthorize(grantee: iam.IGrantable): void {
    // Table.grant() would add `<table>/index/*` too; the authorizer uses the base table only.
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] });
    // Its one write is a key's `lastUsedAt` (DynamoTokenStore.recordUse): the key and that attribute
    // only, nothing returned — a leaked authorizer role cannot change a key's status or its customer.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [TOKEN_KEY_ATTRIBUTE, LAST_USED_ATTRIBUTE] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
        },
      }),
    );
  }

  /**
   * What the admin API needs: issue, list (through the indexes by name), revoke, disable; one scan when a
   * key is issued, to count the customers against the capacity (capacity-warning.ts). No deletes.
   */
  grantAdmin(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Scan'],
      resourceArns: [this.table.tableArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: Object.values(TOKEN_TABLE_INDEXES).map(
        (index) => `${this.table.tableArn}/index/${index}`,
      ),
    });
  }
}
