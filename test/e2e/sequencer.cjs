// The e2e files share one control plane and run in name order: bootstrap first (it applies
// dist/dev and checks the first Job's run), then day2 (which changes the plane under it), and
// user-path last (it deletes what the others applied and has Flux apply dist/dev from Git).
const Sequencer = require('@jest/test-sequencer').default;

module.exports = class ByName extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => a.path.localeCompare(b.path));
  }
};
