import { type CfnResource, Stack, Validations } from 'aws-cdk-lib/core';
import type { IConstruct } from 'constructs';

/**
 * A resolved value as cdk-nag writes it into a finding's id: joined parts, a Ref as `<Name>`, a GetAtt
 * as `<Id.Attr>`, any other intrinsic as JSON.
 */
export function nagText(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (v['Fn::Join']) return v['Fn::Join'][1].map((part) => nagText(part)).join(v['Fn::Join'][0]);
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(value);
}

/**
 * cdk-nag's IAM5 (a wildcard in a resource) acknowledged on `scope`, one finding at a time, each with
 * the reason written for it (test/lib/segment-lake-stack/cdk-nag.test.ts holds the exact list, and that no reason is
 * pasted onto another finding).
 */
export function acknowledgeWildcards(scope: IConstruct, reasons: Record<string, string>): void {
  for (const [finding, reason] of Object.entries(reasons))
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}

/** A construct's logical id in its stack, as a finding names it (`<Id.Arn>`, `<Id>`). */
export function logicalRef(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnResource).logicalId) as string;
}
