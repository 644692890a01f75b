// exec.test.abort ends the process with k6's exit code for an aborted test (108).
const state = { iterationInTest: 0 };
globalThis.__k6shim = state;

export default {
  scenario: {
    get iterationInTest() {
      return state.iterationInTest;
    },
  },
  test: {
    abort(reason) {
      console.error(`test aborted: ${reason}`);
      process.exit(108);
    },
  },
};
