// Preloaded (`node --import`) to profile start-up alone: the process ends, writing its CPU
// profile, at the moment it opens its first connection, before any network time counts.
import net from 'node:net';

net.Socket.prototype.connect = function exitAtFirstConnect() {
  process.exit(0);
};
