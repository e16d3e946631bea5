import { Construct } from 'constructs';
import { EVENT_NOTE_MAX, EVENT_REPORTING_CONTROLLER } from '../contract/issuer-api.ts';
import { cel, IssuerAdmissionPolicy, type IssuerPolicyScope, refusedBy } from './admission-policy.ts';
import { ISSUER_JOB_PREFIX } from './names.ts';

/**
 * Makes the API server refuse every Event of the issuer's ServiceAccount but its own report of a
 * run: about one of the issuer's Jobs (`cert-issuer-<hash>`, or a renewal's `cert-issuer-renewal-
 * <time>`) in its own namespace, from its reporting controller, with nothing `related`. RBAC's
 * `create` on events cannot say what an Event is about, so without this a stolen token writes
 * Events about any object of that namespace, which `kubectl describe` and alerting on Warning
 * Events would show as real.
 *
 * On create and update of events.k8s.io Events (the only Event API its RBAC grants): `regarding` a
 * Job of the issuer's, `reportingController` the issuer's, no `related`, a note of at most 1 kB.
 */
export class EventAdmissionPolicy extends Construct {
  public readonly policyName: string;

  public constructor(scope: Construct, id: string, props: IssuerPolicyScope) {
    super(scope, id);
    const refused = refusedBy('Event', props);
    const policy = new IssuerAdmissionPolicy(this, 'Resource', {
      ...props,
      resource: 'events',
      apiGroup: 'events.k8s.io',
      rules: [{ operations: ['CREATE', 'UPDATE'] }],
      validations: [
        {
          expression: [
            "has(object.regarding) && object.regarding.apiVersion == 'batch/v1' && object.regarding.kind == 'Job'",
            `object.regarding.namespace == ${cel(props.namespace)} && object.regarding.name.startsWith(${cel(ISSUER_JOB_PREFIX)})`,
          ].join(' && '),
          messageExpression: cel(`${refused} it may report only on its own Jobs (batch/v1 Job ${ISSUER_JOB_PREFIX}* in ${props.namespace})`),
        },
        {
          expression: `has(object.reportingController) && object.reportingController == ${cel(EVENT_REPORTING_CONTROLLER)}`,
          messageExpression: cel(`${refused} reportingController must be ${EVENT_REPORTING_CONTROLLER}`),
        },
        {
          expression: '!has(object.related)',
          messageExpression: cel(`${refused} it may not name a related object`),
        },
        {
          expression: `!has(object.note) || size(object.note) <= ${EVENT_NOTE_MAX}`,
          messageExpression: cel(`${refused} the note may hold at most ${EVENT_NOTE_MAX} characters`),
        },
      ],
    });
    this.policyName = policy.policyName;
  }
}
