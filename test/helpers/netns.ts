/**
 * Test hosts of the test's own: two network namespaces created for one test, joined by a veth pair whose
 * private addresses (10.231.0.1 and 10.231.0.2, /30) exist only on that pair, inside those namespaces. The
 * machine's own interfaces, its loopback included, are never touched; each namespace has a loopback of its
 * own. Processes run inside with `ip netns exec NS …` (the `prefix` options of SpoolProcess,
 * RtmpPublisher and openChromium).
 *
 * Packet loss is made with nftables (a `numgen random` rule on the server namespace's output towards the
 * viewer): the kernels of these machines have no netem qdisc (`tc qdisc add … netem` answers "Specified
 * qdisc kind is unknown"), while nf_tables is built in.
 *
 * Needs root (ip netns add), iproute2 and nftables: a missing tool or permission fails the test under CI
 * and skips it elsewhere (system-tool.ts).
 */
import { execFile } from 'node:child_process';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { debianInstall, requireTool, skipOrFail } from './system-tool.js';

const run = promisify(execFile);

/** One end of the pair: its namespace, its veth and the address on it. */
export interface TestHost {
  readonly ns: string;
  readonly device: string;
  readonly address: string;
  /** The command prefix that runs a program inside this namespace. */
  readonly prefix: readonly string[];
}

/** The counters of the loss rules: RTP packets towards the viewer, those dropped, RTCP from it dropped. */
export interface LossCounters {
  readonly rtpPackets: number;
  readonly dropped: number;
  readonly feedbackDropped: number;
}

const TABLE = 'spool_test_loss';

/** A rule as `nft -j` lists it. */
interface Rule {
  readonly chain: string;
  readonly expr: Record<string, unknown>[];
}
let pairs = 0;

async function sh(command: string, args: readonly string[], input?: string): Promise<string> {
  const child = run(command, args, { timeout: 10_000 });
  if (input !== undefined) child.child.stdin!.end(input);
  try {
    return (await child).stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${command} ${args.join(' ')}: ${stderr?.trim() || (error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * A server host and a viewer host on a veth pair of their own. `destroy()` ends the namespaces (and with
 * them the veth pair and the nftables table); the processes run inside must be ended first.
 */
export class TestHostPair {
  private destroyed = false;

  private constructor(
    readonly server: TestHost,
    readonly viewer: TestHost,
  ) {}

  /**
   * Creates the pair for test `t`, or returns undefined after skipping `t` (under CI: failing it) when
   * `ip` or `nft` is missing or namespaces cannot be made here. `reason` completes "this test cannot …".
   */
  static async create(t: TestContext, reason: string): Promise<TestHostPair | undefined> {
    if (requireTool(t, 'ip', reason) === undefined) return undefined;
    if (requireTool(t, 'nft', reason) === undefined) return undefined;
    const id = `${process.pid}${String.fromCharCode(97 + (pairs++ % 26))}`;
    const host = (role: 's' | 'v', address: string): TestHost => {
      const ns = `spool-test-${id}-${role === 's' ? 'server' : 'viewer'}`;
      return { ns, device: `spl${id}${role}`, address, prefix: ['ip', 'netns', 'exec', ns] };
    };
    const pair = new TestHostPair(host('s', '10.231.0.1'), host('v', '10.231.0.2'));
    try {
      await pair.setUp();
    } catch (error) {
      await pair.destroy();
      skipOrFail(t, {
        tool: 'network namespaces',
        problem: (error as Error).message,
        install: `run as root on a kernel with network namespaces, veth and nf_tables; ${debianInstall('iproute2 nftables')}`,
        reason,
      });
      return undefined;
    }
    return pair;
  }

  private async setUp(): Promise<void> {
    const { server, viewer } = this;
    await sh('ip', ['netns', 'add', server.ns]);
    await sh('ip', ['netns', 'add', viewer.ns]);
    // Created inside the server namespace, its peer moved to the viewer's: never in the machine's own.
    await sh('ip', ['-n', server.ns, 'link', 'add', server.device, 'type', 'veth', 'peer', 'name', viewer.device, 'netns', viewer.ns]); // prettier-ignore
    for (const end of [server, viewer]) {
      await sh('ip', ['-n', end.ns, 'addr', 'add', `${end.address}/30`, 'dev', end.device]);
      await sh('ip', ['-n', end.ns, 'link', 'set', end.device, 'up']);
      await sh('ip', ['-n', end.ns, 'link', 'set', 'lo', 'up']);
    }
    // The loss rule's table, counting RTP towards the viewer from the start (no drop yet).
    await sh('ip', ['netns', 'exec', server.ns, 'nft', '-f', '-'], this.ruleset(0));
  }

  /**
   * RTP packets the server sends to the viewer: UDP whose payload starts with version 2 and whose second
   * byte is not an RTCP packet type (192–223 with rtcp-mux, RFC 5761); STUN, DTLS and RTCP pass. With
   * `blockFeedback`, the viewer's RTCP to the server (its NACKs among them) is dropped as well.
   */
  private ruleset(lossPercent: number, blockFeedback = false): string {
    const rtp = `oifname "${this.server.device}" meta l4proto udp @th,64,2 2 @th,72,8 != 192-223`;
    const drop = lossPercent > 0 ? `\n    ${rtp} numgen random mod 100 < ${lossPercent} counter drop` : '';
    const rtcp = `iifname "${this.server.device}" meta l4proto udp @th,64,2 2 @th,72,8 192-223`;
    const feedback = blockFeedback ? `\n    ${rtcp} counter drop` : '';
    return `table inet ${TABLE} {
  chain out {
    type filter hook output priority 0; policy accept;
    ${rtp} counter${drop}
  }
  chain in {
    type filter hook input priority 0; policy accept;${feedback}
  }
}
`;
  }

  /**
   * From now on, drops `percent` % of the RTP packets the server sends to the viewer, at random; with
   * `blockFeedback`, all RTCP from the viewer too (no NACK reaches the server: nothing is resent).
   */
  async dropRtp(percent: number, options: { blockFeedback?: boolean } = {}): Promise<void> {
    // Replaces the table (made in setUp) in one transaction: its counters start again from zero.
    const replace = `delete table inet ${TABLE}\n${this.ruleset(percent, options.blockFeedback)}`;
    await sh('ip', ['netns', 'exec', this.server.ns, 'nft', '-f', '-'], replace);
  }

  /** The rule's counters since the last dropRtp (or since the pair was made). */
  async counters(): Promise<LossCounters> {
    const json = await sh('ip', ['netns', 'exec', this.server.ns, 'nft', '-j', 'list', 'table', 'inet', TABLE]); // prettier-ignore
    const rules = (JSON.parse(json) as { nftables: Record<string, unknown>[] }).nftables
      .map((item) => item.rule as Rule | undefined)
      .filter((rule) => rule !== undefined);
    const packets = (rule: Rule | undefined) =>
      (rule?.expr.find((e) => 'counter' in e)?.counter as { packets: number } | undefined)?.packets ?? 0;
    const out = rules.filter((rule) => rule.chain === 'out');
    const feedback = rules.find((rule) => rule.chain === 'in');
    return { rtpPackets: packets(out[0]), dropped: packets(out[1]), feedbackDropped: packets(feedback) };
  }

  /** Deletes both namespaces (their veth pair and nftables table go with them); safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const { ns } of [this.server, this.viewer]) {
      await sh('ip', ['netns', 'delete', ns]).catch(() => undefined);
    }
  }
}
