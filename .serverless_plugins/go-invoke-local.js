'use strict';

// go-invoke-local: `sls invoke local` for Go functions (runtime provided.*), without Docker.
//
// osls runs nodejs, python, java and ruby handlers itself and sends every other runtime to
// Docker (lib/plugins/aws/invoke-local/index.js, invokeLocal). Before that, its
// before:invoke:local:loadEnvVars hook resolves each {Ref: ...} environment value by listing
// the deployed CloudFormation stack, which fails without AWS. For provided.* functions this
// plugin replaces two methods of that plugin's instance:
//   - loadEnvVars: skipped; the Go runner resolves the environment from the local stack's
//     state instead (pool and client ids from .local/<stage>, as make dev shows them);
//   - invokeLocal: hands the event to the Go runner (local/cmd/invoke), which builds the
//     function for this machine and runs its bootstrap under a local Lambda Runtime API.
// The event file is still read and parsed by osls itself (extendedValidate), so -p, -d, --raw
// and stdin behave as for other runtimes; --env overrides are passed on. Other runtimes, and
// --docker, keep osls's own behaviour.
//
// The runner prints the result as pretty JSON, as osls does for the runtimes it runs, and the
// command exits 1 when the function returns an error. GO_INVOKE_LOCAL_BIN names a built runner
// to use instead of `go run ./local/cmd/invoke`; GO_INVOKE_LOCAL_STATE_DIR another state folder.

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

class GoInvokeLocal {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options || {};
    this.hooks = {
      initialize: () => this.interceptAwsInvokeLocal(),
    };
  }

  interceptAwsInvokeLocal() {
    const awsInvokeLocal = this.serverless.pluginManager
      .getPlugins()
      .find((plugin) => plugin.constructor.name === 'AwsInvokeLocal');
    if (!awsInvokeLocal) return;
    const loadEnvVars = awsInvokeLocal.loadEnvVars.bind(awsInvokeLocal);
    const invokeLocal = awsInvokeLocal.invokeLocal.bind(awsInvokeLocal);
    const isGo = () => {
      const fn = awsInvokeLocal.options.functionObj;
      const runtime = awsInvokeLocal.provider.getRuntime(fn && fn.runtime);
      return runtime.startsWith('provided') && !awsInvokeLocal.options.docker;
    };
    awsInvokeLocal.loadEnvVars = async () => (isGo() ? undefined : loadEnvVars());
    awsInvokeLocal.invokeLocal = async () =>
      isGo() ? this.invokeGo(awsInvokeLocal.options) : invokeLocal();
  }

  async invokeGo(options) {
    const provider = this.serverless.getProvider('aws');
    const serviceDir = this.serverless.serviceDir;
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-invoke-local-'));
    try {
      // The resolved configuration, as `sls print` prints it, so the runner reads nothing twice.
      const configFile = path.join(tmpDir, 'config.json');
      fs.writeFileSync(configFile, JSON.stringify(this.serverless.configurationInput));
      const eventFile = path.join(tmpDir, 'event.json');
      const data = options.data;
      fs.writeFileSync(eventFile, data === undefined || data === '' ? '{}' : JSON.stringify(data));

      const args = [
        '-f', options.function,
        '-p', eventFile,
        '--config-file', configFile,
        '--stage', provider.getStage(),
        '--region', provider.getRegion(),
        '--root', serviceDir,
      ];
      if (process.env.GO_INVOKE_LOCAL_STATE_DIR) {
        args.push('--state-dir', process.env.GO_INVOKE_LOCAL_STATE_DIR);
      }
      for (const item of [].concat(options.env || [])) args.push('--env', item);
      if (options.context || options.contextPath) {
        process.stderr.write('go-invoke-local: --context is not passed to Go functions\n');
      }

      const bin = process.env.GO_INVOKE_LOCAL_BIN;
      const [command, commandArgs] = bin
        ? [bin, args]
        : ['go', ['run', './local/cmd/invoke', ...args]];
      const code = await new Promise((resolve, reject) => {
        const child = spawn(command, commandArgs, { cwd: serviceDir, stdio: 'inherit' });
        child.on('error', reject);
        child.on('exit', (exitCode, signal) => resolve(signal ? 1 : exitCode));
      });
      if (code === 1) {
        process.exitCode = 1; // the function returned an error; the runner printed it
      } else if (code !== 0) {
        const ServerlessError = this.serverless.classes.Error;
        throw new ServerlessError(
          `The Go runner could not invoke "${options.function}" (exit ${code}); see its message above.`,
          'GO_INVOKE_LOCAL_FAILED'
        );
      }
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  }
}

module.exports = GoInvokeLocal;
