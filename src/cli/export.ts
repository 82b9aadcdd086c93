import { nodeFiles } from '../context/node-files.js';
import { loadExportData } from '../export/data.js';
import { exportScenario } from '../export/run.js';
import { readScenario } from '../scenario/load.js';
import { context, guard, printWarnings, type ExitCode, type Io } from './common.js';

export interface ExportFlags {
  to: string;
  version?: string;
  json?: boolean;
}

/** `sinan export SCENARIO --to TARGET [--version V] [--json]`: the plan as a command line or config file. */
export async function exportCommand(path: string, f: ExportFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, () => {
    const r = exportScenario(readScenario(path, io.readStdin), f.to, f.version, context(), nodeFiles, loadExportData());
    if (json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      printWarnings(
        r.warnings.filter((w) => w.code !== 'ignored_key'),
        io,
      );
      if (r.command) io.out(r.command);
      for (const file of r.files ?? []) io.out(`\n# ---- ${file.name} ----\n${file.content}`);
    }
    return 0;
  });
}
