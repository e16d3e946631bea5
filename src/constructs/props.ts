import type { IConstruct } from 'constructs';
import { checkProps, type Fields, type Input, type ObjectSchema, type Output } from '../contract/settings-schema.ts';

/**
 * A construct's props with their defaults filled in, checked by the settings' own schema. The
 * problems go to the construct's validations, so `App.synth` reports those of every construct of
 * the app together, each as `[<construct path>] <prop> must be ... (got <value>)`, and writes
 * nothing. Props a config loader or a parent construct has checked already are not checked again.
 */
export function settleProps<F extends Fields>(scope: IConstruct, schema: ObjectSchema<F>, props: Input<ObjectSchema<F>>): Output<ObjectSchema<F>> {
  const { value, issues } = checkProps(schema, props);
  if (issues.length > 0) scope.node.addValidation({ validate: () => issues.map((issue) => `${issue.path} ${issue.message}`) });
  return value;
}
