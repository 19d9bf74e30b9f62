import type { Logger } from '../../core/index.js';
import type {
  PartRefusal,
  PartStartView,
  PolicyVerdict,
  RecordingPolicy,
  RecordingPolicyRegistry,
  RecordingView,
} from './api.js';

const STRENGTH: Readonly<Record<PolicyVerdict['action'], number>> = { keyframe: 1, split: 2, stop: 3 };

/**
 * The recording policies plugins registered (rotation, disk-guard, error-policy), asked in turn. A
 * policy that throws is reported and treated as having no opinion, so it never breaks a recording.
 */
export class Policies implements RecordingPolicyRegistry {
  private readonly policies: RecordingPolicy[] = [];

  constructor(
    private readonly log: Logger,
    private readonly onError: (where: string, error: unknown) => void,
  ) {}

  registerPolicy(policy: RecordingPolicy): void {
    this.policies.push(policy);
    this.log.debug(`recording policy "${policy.name}" registered`);
  }

  /** The first refusal of a recording or a part, if any. */
  async beforePart(view: PartStartView): Promise<PartRefusal | undefined> {
    for (const policy of this.policies) {
      if (policy.beforePart === undefined) continue;
      try {
        const refusal = await policy.beforePart(view);
        if (refusal !== undefined) return refusal;
      } catch (error) {
        this.onError(`policy ${policy.name}`, error);
      }
    }
    return undefined;
  }

  /** The strongest verdict after a frame: stop over split over keyframe. */
  check(view: RecordingView): PolicyVerdict | undefined {
    return this.strongest((policy) => policy.check?.(view));
  }

  onRecordingError(view: RecordingView, where: string, error: unknown): PolicyVerdict | undefined {
    return this.strongest((policy) => policy.onError?.(view, where, error));
  }

  private strongest(ask: (policy: RecordingPolicy) => PolicyVerdict | undefined): PolicyVerdict | undefined {
    let best: PolicyVerdict | undefined;
    for (const policy of this.policies) {
      let verdict: PolicyVerdict | undefined;
      try {
        verdict = ask(policy);
      } catch (error) {
        this.onError(`policy ${policy.name}`, error);
        continue;
      }
      if (verdict !== undefined && (best === undefined || STRENGTH[verdict.action] > STRENGTH[best.action])) {
        best = verdict;
      }
    }
    return best;
  }
}
