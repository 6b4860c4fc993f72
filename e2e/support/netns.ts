import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { access, constants, writeFile } from 'node:fs/promises';

/** iproute2's `ip`, where this machine and CI have it. */
const ipBin = '/usr/sbin/ip';
/** Bounds on one `ip` command and on the search for an unused address block. */
const ipCommandTimeoutMs = 10_000;
const addressBlockTriesMax = 20;
/** Namespace names are `eddy-e2e-<pid of the test process>-<random tag>-<role>`. */
const namespacePrefix = 'eddy-e2e-';

/** One test host: a network namespace and the loopback-range address its peers reach it at. */
export interface NetnsHost {
  /** 1-based, as node ids are. */
  readonly index: number;
  readonly namespace: string;
  /** The address the host's server listens on, on its cluster link (inside 127.0.0.0/8). */
  readonly address: string;
}

/**
 * A private network of test hosts for partition tests, built from network namespaces this
 * test creates and removes (root is required; the test fails, never skips, without it).
 *
 * Every host gets its own namespace with two links:
 *  - `cluster`: a veth into a bridge that lives in a namespace of its own. Hosts reach each
 *    other only through it. `isolate()` detaches the host's bridge port, so its frames go
 *    nowhere (a silent partition, as a pulled cable: no resets, ARP just stops answering);
 *    `heal()` attaches it again.
 *  - `client`: a point-to-point veth to the root namespace, where the test process (the SDK
 *    client) runs. The root namespace routes each host's cluster address over this link, so
 *    the test reaches every host, an isolated one too, through a path the partition never cuts.
 *
 * Addresses stay inside 127.0.0.0/8 (the workplace's rule for test traffic): the cluster link
 * of host N is 127.A.B.N/24, the client link pair is 127.A.(B+1).(4N+1)/30 on the host and
 * 127.A.(B+1).(4N+2)/30 in the root namespace, with A.B chosen at random and unused on this
 * machine. Linux treats 127/8 as loopback-only unless `route_localnet` is on, and every
 * namespace's `local 127.0.0.0/8 dev lo` route would capture these addresses, so each link
 * turns `route_localnet` on and its subnet is also routed in the `local` table (the more
 * specific prefix wins there). In the root namespace only the test's own interfaces change;
 * their routes go when the interfaces are deleted.
 */
export class NetnsNetwork {
  private constructor(
    private readonly tag: string,
    readonly hosts: readonly NetnsHost[],
    private readonly bridgeNamespace: string,
    private readonly rootLinks: readonly string[],
  ) {}

  /** Builds the network for `hostCount` hosts; on any failure, removes what it built and throws. */
  static async create(hostCount: number): Promise<NetnsNetwork> {
    await assertCanBuildNamespaces();
    await removeOrphanedNamespaces();
    const tag = randomBytes(3).toString('hex');
    const [a, b] = await unusedAddressBlock();
    const prefix = `${namespacePrefix}${process.pid}-${tag}`;
    const bridgeNamespace = `${prefix}-br`;
    const hosts = Array.from({ length: hostCount }, (_, i): NetnsHost => ({
      index: i + 1,
      namespace: `${prefix}-h${i + 1}`,
      address: `127.${a}.${b}.${i + 1}`,
    }));
    const network = new NetnsNetwork(tag, hosts, bridgeNamespace, hosts.map((host) => `ez${tag}c${host.index}`));
    try {
      await ip('netns', 'add', bridgeNamespace);
      await ip('-n', bridgeNamespace, 'link', 'add', 'br0', 'type', 'bridge');
      await ip('-n', bridgeNamespace, 'link', 'set', 'br0', 'up');
      for (const host of hosts) await network.addHost(host, `127.${a}.${b + 1}`);
    } catch (error: unknown) {
      await network.destroy();
      throw error;
    }
    return network;
  }

  /** The command prefix that runs a program inside `host`'s namespace (`ip netns exec` execs it, so signals reach the program itself). */
  execPrefix(host: NetnsHost): readonly string[] {
    return [ipBin, 'netns', 'exec', host.namespace];
  }

  host(index: number): NetnsHost {
    const host = this.hosts[index - 1];
    if (host === undefined) throw new RangeError(`no host ${index}`);
    return host;
  }

  /** The namespace process `pid` runs in (as `ip netns identify` names it; '' for the root namespace). */
  async namespaceOf(pid: number): Promise<string> {
    return (await ip('netns', 'identify', String(pid))).trim();
  }

  /** Cuts `index` off from every other host; the test process still reaches it. */
  async isolate(index: number): Promise<void> {
    await ip('-n', this.bridgeNamespace, 'link', 'set', bridgePort(this.host(index)), 'nomaster');
  }

  async heal(index: number): Promise<void> {
    await ip('-n', this.bridgeNamespace, 'link', 'set', bridgePort(this.host(index)), 'master', 'br0');
  }

  /**
   * Removes every namespace and root-namespace link of this network. Kill the processes
   * running in the namespaces first: a namespace with processes in it outlives its name.
   * Root links are deleted explicitly because namespace teardown is asynchronous.
   */
  async destroy(): Promise<void> {
    const failures: string[] = [];
    const attempt = async (...args: string[]): Promise<void> => {
      await ip(...args).catch((error: unknown) => {
        if (!/Cannot find device|No such file|does not exist/.test(String(error))) failures.push(String(error));
      });
    };
    for (const link of this.rootLinks) await attempt('link', 'del', link);
    for (const host of this.hosts) await attempt('netns', 'del', host.namespace);
    await attempt('netns', 'del', this.bridgeNamespace);
    if (failures.length > 0) throw new Error(`netns network ${this.tag} teardown: ${failures.join('; ')}`);
  }

  private async addHost(host: NetnsHost, clientSubnet: string): Promise<void> {
    const ns = host.namespace;
    const port = bridgePort(host);
    const rootLink = this.rootLinks[host.index - 1] as string;
    const hostClientAddress = `${clientSubnet}.${4 * host.index + 1}`;
    const rootClientAddress = `${clientSubnet}.${4 * host.index + 2}`;
    const clientNet = `${clientSubnet}.${4 * host.index}/30`;
    const clusterNet = host.address.replace(/\.\d+$/, '.0/24');

    await ip('netns', 'add', ns);
    await ip('netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.conf.all.route_localnet=1');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');

    await ip('link', 'add', 'name', 'cluster', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', this.bridgeNamespace);
    await ip('-n', this.bridgeNamespace, 'link', 'set', port, 'master', 'br0', 'up');
    await ip('-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', 'cluster');
    await ip('-n', ns, 'link', 'set', 'cluster', 'up');
    await ip('-n', ns, 'route', 'add', clusterNet, 'dev', 'cluster', 'src', host.address, 'table', 'local');

    await ip('link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'client', 'netns', ns);
    await ip('-n', ns, 'addr', 'add', `${hostClientAddress}/30`, 'dev', 'client');
    await ip('-n', ns, 'link', 'set', 'client', 'up');
    await ip('-n', ns, 'route', 'add', clientNet, 'dev', 'client', 'table', 'local');
    // Per interface only: the root namespace's other interfaces keep their settings.
    await writeFile(`/proc/sys/net/ipv4/conf/${rootLink}/route_localnet`, '1');
    await ip('addr', 'add', `${rootClientAddress}/30`, 'dev', rootLink);
    await ip('link', 'set', rootLink, 'up');
    await ip('route', 'add', `${host.address}/32`, 'dev', rootLink, 'src', rootClientAddress, 'table', 'local');
  }
}

function bridgePort(host: NetnsHost): string {
  return `p${host.index}`;
}

/** Runs `ip args...`, rejecting with its stderr on failure. */
function ip(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ipBin, args, { timeout: ipCommandTimeoutMs }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`));
    });
  });
}

/** Fails with the reason when this process cannot build namespaces (the test needs root and iproute2). */
async function assertCanBuildNamespaces(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(`network partition tests need root to create network namespaces (running as uid ${String(process.getuid?.())})`);
  }
  await access(ipBin, constants.X_OK).catch(() => {
    throw new Error(`network partition tests need iproute2: ${ipBin} is missing or not executable`);
  });
}

/**
 * Removes namespaces whose test process is gone (killed before its teardown ran), so that
 * leftovers do not pile up on a CI machine. Best effort: a namespace still holding processes
 * only loses its name, and the next run tries again.
 */
async function removeOrphanedNamespaces(): Promise<void> {
  const pattern = new RegExp(`^(${namespacePrefix}(\\d+)-\\S+)`);
  for (const line of (await ip('netns', 'list')).split('\n')) {
    const match = pattern.exec(line);
    if (match === null || isRunning(Number(match[2]))) continue;
    await ip('netns', 'del', match[1] as string).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** A random 127.A.B.0/23 block that no interface on this machine uses yet. */
async function unusedAddressBlock(): Promise<[number, number]> {
  const used = await ip('-4', 'route', 'show', 'table', 'local');
  for (let tries = 0; tries < addressBlockTriesMax; tries++) {
    const a = randomInt(64, 250);
    const b = 2 * randomInt(0, 127);
    if (!used.includes(`127.${a}.${b}.`) && !used.includes(`127.${a}.${b + 1}.`)) return [a, b];
  }
  throw new Error(`no unused 127.A.B.0/23 block found in ${addressBlockTriesMax} tries`);
}
