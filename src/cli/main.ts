import { Command, CommanderError } from 'commander';
import { readStdinText } from '../util/files.js';
import { fitLines, setTableWidth } from './format.js';
import { colorWanted, setColor } from './style.js';
import { reportIssues, type ExitCode, type Io } from './common.js';
import { mkIssue } from '../core/issues.js';
import { registerQuantCommands } from './quant.js';
import type { ServeFlags } from './serve.js';
import type { TrainFlags } from './train.js';
import type { CalibrateFlags } from './calibrate.js';
import type { ExportFlags } from './export.js';
import type { OptimizeFlags } from './optimize.js';

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  readStdin: () => readStdinText(),
  columns: process.stdout.isTTY ? process.stdout.columns : process.env.COLUMNS ? Number(process.env.COLUMNS) : undefined,
  // styled only when both streams are a terminal, so a redirected file never holds escape codes
  color: colorWanted(Boolean(process.stdout.isTTY) && Boolean(process.stderr.isTTY)),
};

const SCENARIO_HELP = `
Scenario files (YAML or JSON) are described in docs/scenarios.md, shipped with the package
(every key, its unit and default, and the limits); 'sinan schema' prints a JSON Schema for
editor completion. Exit status: 0 on success, 2 for a problem with the input (the issues are
printed; with --json as { "error": { "issues": [...] } }), 1 for an internal error.`;

/** Runs the CLI on argv (without node and script); resolves to the exit status. */
export async function run(argv: string[], io: Io = defaultIo): Promise<ExitCode> {
  let code: ExitCode = 0;
  // JSON is never fitted to the terminal; prose and tables are
  const json = argv.includes('--json') || argv[0] === 'schema';
  setTableWidth(json ? undefined : io.columns);
  setColor(!json && io.color === true);
  const base = io;
  if (!json && io.columns !== undefined) io = { ...base, out: (s) => base.out(fitLines(s)), err: (s) => base.err(fitLines(s)) };
  // with --json, commander's own errors (an unknown option, a missing argument) are the contract's error object too
  let parseError = '';
  const program = new Command();
  program
    .name('sinan')
    .description('Sinan (司南): plan LLM training and serving from chip to cluster')
    .version('0.1.0')
    .enablePositionalOptions() // so 'sinan export --version V' is the framework release, not sinan's
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: json ? (s) => void (parseError += s) : (s, write) => write(s),
      getOutHelpWidth: () => base.columns ?? 100,
      getErrHelpWidth: () => base.columns ?? 100,
    })
    .showHelpAfterError(json ? false : '(run sinan --help for usage)')
    .addHelpText('after', SCENARIO_HELP);

  program
    .command('train')
    .description('predict (or search) a training plan: memory, step time, MFU, time-to-train, cost')
    .argument('<scenario>', "scenario YAML/JSON file, or '-' for standard input")
    .option('--json', 'print the contract JSON object only')
    .option('--model <id>', 'override model (built-in id or path to config.json)')
    .option('--accelerator <id>', 'override system.accelerator (catalog id)')
    .option('--gpus <n>', 'override system.count')
    .option('--per-node <n>', 'override system.perNode')
    .option('--tp <n>', 'fix tensor parallelism')
    .option('--pp <n>', 'fix pipeline parallelism')
    .option('--dp <n>', 'fix data parallelism')
    .option('--cp <n>', 'fix context parallelism')
    .option('--ep <n>', 'fix expert parallelism')
    .option('--vp <n>', 'fix virtual pipeline stages (interleaving)')
    .option('--sp', 'use sequence parallelism')
    .option('--no-sp', 'do not use sequence parallelism')
    .option('--zero <stage>', 'fix the ZeRO stage (0-3)')
    .option('--mbs <n>', 'fix the micro-batch size')
    .option('--gbs <n>', 'override the global batch size (sequences)')
    .option('--seq <n>', 'override the sequence length')
    .option('--recompute <mode>', 'none | selective | full')
    .option('--precision <p>', 'bf16 | fp8')
    .option('--tokens <n>', 'total training tokens (for time-to-train and cost)')
    .option('--price <usd>', 'price per device-hour')
    .option('--alternatives <n>', 'how many runner-up plans to show', '4')
    .option('--html <file>', 'also write one self-contained HTML report (charts, derivations, data)')
    .option('--svg <dir>', 'also write each chart as an SVG file into this folder')
    .action(async (scenario: string, opts: TrainFlags) => {
      code = await (await import('./train.js')).trainCommand(scenario, opts, io);
    });

  program
    .command('serve')
    .description(
      'predict serving: memory, TTFT/TPOT, throughput and cost on GPUs, CPUs or with offload; --catalog finds the cheapest deployment meeting the SLO',
    )
    .argument('<scenario>', "inference scenario, or '-' for standard input")
    .option('--json', 'print the contract JSON object only')
    .option('--model <id>', 'override model (built-in id or path to config.json)')
    .option('--accelerator <id>', 'override system.accelerator')
    .option('--gpus <n>', 'override system.count')
    .option('--price <usd>', 'price per device-hour')
    .option('--tp <n>', 'fix tensor parallelism')
    .option('--pp <n>', 'fix pipeline parallelism')
    .option('--ep <n>', 'fix expert parallelism')
    .option('--weights <format>', 'weight format (bf16, fp8, int8, int4, nf4, nf4-dq, nvfp4, mxfp4, ...)')
    .option('--kv <format>', 'KV-cache format (bf16, fp8, int8, int4)')
    .option('--input <tokens>', 'prompt tokens per request (workload.inputTokens)')
    .option('--output <tokens>', 'generated tokens per request (workload.outputTokens)')
    .option('--concurrency <n>', 'requests in flight')
    .option('--rate <rps>', 'request rate (requests/s)')
    .option('--ttft <ms>', 'SLO: time to first token, ms')
    .option('--tpot <ms>', 'SLO: time per output token, ms')
    .option('--engine <profile>', "serving-engine profile (see 'sinan profiles')")
    .option('--alternatives <n>', 'how many runner-up splits to show', '4')
    .option('--catalog', 'search accelerators, sizes, splits, formats and batch sizes for the cheapest plan meeting the SLO')
    .option('--html <file>', 'also write one self-contained HTML report (charts, derivations, data)')
    .option('--svg <dir>', 'also write each chart as an SVG file into this folder')
    .action(async (scenario: string, opts: ServeFlags) => {
      code = await (await import('./serve.js')).serveCommand(scenario, opts, io);
    });

  program
    .command('optimize')
    .description(
      "the optimization manager (seed 000): weight formats per tensor, K and V cache formats, offload placement with lossless storage, split and batch, searched jointly under the scenario's goal and accuracy budget; prints the baseline and the optimized rows and, with --out, writes a checkpoint the engine loads",
    )
    .argument('<scenario>', "inference scenario with a goal (and optionally checkpoint:), or '-' for standard input")
    .option('--out <dir>', 'write the optimized checkpoint into this new folder (needs checkpoint: in the scenario)')
    .option('--format <format>', 'gguf | compressed-tensors | bitsandbytes (default: gguf for a llama.cpp scenario, else compressed-tensors)')
    .option('--exact', 'measure every row of every tensor (default: a sample with a stated 95% interval)')
    .option('--workers <n>', 'worker threads for the measurement pass (default: every core)')
    .option('--force', 'replace an existing output folder')
    .option('--json', 'print the contract JSON object only')
    .action(async (scenario: string, opts: OptimizeFlags) => {
      code = await (await import('./optimize.js')).optimizeCommand(scenario, opts, io);
    });

  program
    .command('export')
    .description(
      'print the runnable command or config file of the plan for a framework (megatron, megatron-bridge, torchtitan, vllm, sglang, trtllm, llama.cpp)',
    )
    .argument('<scenario>', "training or inference scenario, or '-' for standard input")
    .requiredOption('--to <target>', 'megatron | megatron-bridge | torchtitan | vllm | sglang | trtllm | llama.cpp')
    .option(
      '--version <v>',
      "the framework release whose arguments to use (default: the release line of the plan's framework or engine profile, e.g. vllm@0.10 → 0.10.x, else the newest Sinan's data covers)",
    )
    .option('--json', 'print the contract JSON object only')
    .action(async (scenario: string, opts: ExportFlags) => {
      code = await (await import('./export.js')).exportCommand(scenario, opts, io);
    });

  program
    .command('ui')
    .description('serve the web UI and the HTTP API on 127.0.0.1 (prints the URL; Ctrl-C stops it)')
    .option('--port <n>', 'port (0: any free port)', '8250')
    .option('--time-limit <seconds>', 'longest a request may plan before it is stopped with 503', '30')
    .option('--workers <n>', 'plans computed at once')
    .action(async (opts: { port?: string; timeLimit?: string; workers?: string }) => {
      code = await (await import('./ui.js')).uiCommand(opts, io);
    });

  program
    .command('cluster')
    .description('size the back-end fabric (tiers, switches, links, bisection) and the power of a cluster')
    .argument('<scenario>', "cluster scenario, or '-' for standard input")
    .option('--json', 'print the contract JSON object only')
    .action(async (scenario: string, opts: { json?: boolean }) => {
      code = await (await import('./fleet.js')).clusterCommand(scenario, opts, io);
    });

  program
    .command('calibrate')
    .description('fit the few constants your own measured runs identify and write a calibration profile (the built-in one is never changed)')
    .argument(
      '<input>',
      'a folder with training.csv / inference.csv and the scenarios it names (the corpus format), or a .jsonl file of { metric, measured, scenario }',
    )
    .option('--kind <kind>', 'training | inference (when the input holds both or does not say)')
    .option('--out <file>', 'the profile to write (JSON); scenarios name it with calibration: FILE')
    .option('--name <name>', 'the profile name (default: the file name)')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print JSON')
    .action(async (input: string, opts: CalibrateFlags) => {
      code = await (await import('./calibrate.js')).calibrateCommand(input, opts, io);
    });

  program
    .command('goodput')
    .description('failures, checkpointing and effective training time of a training run (closed form and Monte Carlo)')
    .argument('<scenario>', "goodput scenario, or '-' for standard input")
    .option('--json', 'print the contract JSON object only')
    .action(async (scenario: string, opts: { json?: boolean }) => {
      code = await (await import('./fleet.js')).goodputCommand(scenario, opts, io);
    });

  program
    .command('sweep')
    .description('sweeps on a training scenario: scaleup (throughput vs scale-up domain) or weak (throughput per device vs cluster size)')
    .argument('<what>', 'scaleup | weak')
    .argument('<scenario>', 'training scenario')
    .option('--domains <list>', 'scale-up domain sizes (scaleup)', undefined)
    .option('--counts <list>', 'device counts (weak)', undefined)
    .option('--nic-gbps <n>', 'NIC speed per device for the fabric tiers (weak)')
    .option('--planes <n>', 'network planes (weak)')
    .option('--switch-gbps <n>', 'switch capacity in Gb/s (weak)')
    .option('--max-tiers <n>', 'most switch tiers the fabric may have (weak; default 3)')
    .option('--json', 'print JSON')
    .action(
      async (
        what: string,
        scenario: string,
        opts: { json?: boolean; domains?: string; counts?: string; nicGbps?: string; planes?: string; switchGbps?: string; maxTiers?: string },
      ) => {
        code = await (await import('./fleet.js')).sweepCommand(what, scenario, opts, io);
      },
    );

  registerQuantCommands(program, io, (c) => (code = c));

  program
    .command('models')
    .description('list built-in models with exact parameter counts')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      code = (await import('./catalog.js')).modelsCommand(opts, io);
    });

  program
    .command('hardware')
    .description('list the hardware catalog: accelerators, CPUs, links, networks, switches, systems')
    .option('--json', 'print JSON')
    .option('--kind <kind>', 'only one kind (accelerator, cpu, link, network, switch, system)')
    .action(async (opts: { json?: boolean; kind?: string }) => {
      code = (await import('./catalog.js')).hardwareCommand(opts, io);
    });

  program
    .command('validate')
    .description('predict every published measurement in the validation corpus and report the errors')
    .option('--kind <kind>', 'training (default) or inference')
    .option('--dir <dir>', 'corpus folder (default: ../shared/validation, else the copy in data/validation)')
    .option('--no-rows', 'print only the summary')
    .option('--no-engine-profiles', 'inference: ignore data/validation-engines.json (every row on the default engine)')
    .option('--no-framework-profiles', 'training: ignore data/validation-frameworks.json (every row on the default framework)')
    .option('--no-out-of-sample', 'skip the leave-one-source-group-out refits (in-sample errors only; faster)')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        json?: boolean;
        kind?: string;
        dir?: string;
        rows?: boolean;
        engineProfiles?: boolean;
        frameworkProfiles?: boolean;
        outOfSample?: boolean;
      }) => {
        code = await (await import('./validate.js')).validateCommand(opts, io);
      },
    );

  program
    .command('profiles')
    .description('list the framework and serving-engine profiles scenarios can name (training.framework, engine)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      code = (await import('./catalog.js')).profilesCommand(opts, io);
    });

  program
    .command('schema')
    .description('print a JSON Schema of scenario files (for editor completion); docs/scenarios.md explains every key')
    .argument('[kind]', 'training | inference | cluster | goodput (default: all, as one schema)')
    .action(async (kind: string | undefined) => {
      code = (await import('./catalog.js')).schemaCommand(kind, io);
    });

  program
    .command('calibration')
    .description('list the calibration constants and where each comes from')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      code = (await import('./catalog.js')).calibrationCommand(opts, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (json) return reportIssues([commandLineIssue(parseError || e.message)], true, io);
      return 2;
    }
    throw e;
  }
  return code;
}

/** A command-line error of commander's ("error: unknown option '--fromat'\n(Did you mean --format?)") as an issue at the option it names. */
function commandLineIssue(text: string) {
  const detail = text
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  const option = /'(--?[A-Za-z][\w-]*)/.exec(detail)?.[1];
  return mkIssue({ code: 'parse_error', path: option ? [option] : [], source: 'command line', detail });
}
