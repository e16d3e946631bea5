// The simulated node's network: a network namespace joined to the host by a veth pair. The
// host end carries the apiserver's advertise address, the namespace end is the node address.
// Tests may target only these two addresses and loopback.
import { execFileP } from './proc.ts';
import { node } from './env.ts';

const ip = (...args: string[]) => execFileP('ip', args);

export async function deleteNodeNetwork(): Promise<void> {
  // Deleting the host end removes its peer too; both steps tolerate "already gone".
  await ip('link', 'del', node.hostVeth).catch(() => undefined);
  await ip('netns', 'del', node.netns).catch(() => undefined);
}

export async function createNodeNetwork(): Promise<void> {
  await deleteNodeNetwork(); // leftovers of a crashed run
  await ip('netns', 'add', node.netns);
  await ip('link', 'add', node.hostVeth, 'type', 'veth', 'peer', 'name', node.nodeVeth);
  await ip('link', 'set', node.nodeVeth, 'netns', node.netns);
  await ip('addr', 'add', `${node.hostAddress}/${node.prefix}`, 'dev', node.hostVeth);
  await ip('link', 'set', node.hostVeth, 'up');
  await ip('-n', node.netns, 'addr', 'add', `${node.address}/${node.prefix}`, 'dev', node.nodeVeth);
  await ip('-n', node.netns, 'link', 'set', node.nodeVeth, 'up');
  await ip('-n', node.netns, 'link', 'set', 'lo', 'up');
}
