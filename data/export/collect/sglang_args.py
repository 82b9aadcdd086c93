"""Reads the server flags of SGLang commits from a local git mirror (no SGLang import, no build).

Usage: python3 sglang_args.py GIT_DIR COMMIT [COMMIT ...] > out.json

Every `*.add_argument(...)` call inside `ServerArgs.add_cli_args` in
python/sglang/srt/server_args.py gives a flag with its aliases (the string literals of the
call) and the type/choices/action its keywords state; module-level names used as choices
(QUANTIZATION_CHOICES, ...) are resolved in that file when they are literal lists. Shares the
static readers of vllm_args.py.
"""

import json
import subprocess
import sys
import ast

from vllm_args import Module, explicit, show

PATH = 'python/sglang/srt/server_args.py'


def collect(git, rev):
    src = show(git, rev, PATH)
    mod = Module()
    mod.add(src)
    tree = ast.parse(src)
    args, problems = {}, []
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == 'ServerArgs']:
        for fn in [b for b in cls.body if isinstance(b, ast.FunctionDef) and b.name == 'add_cli_args']:
            for call in [n for n in ast.walk(fn) if isinstance(n, ast.Call)]:
                if not (isinstance(call.func, ast.Attribute) and call.func.attr == 'add_argument'):
                    continue
                flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith('-')]
                if len(flags) != len(call.args) or not flags:
                    problems.append(f'line {call.lineno}: add_argument with a non-literal name: {ast.unparse(call)[:120]}')
                    continue
                name = flags[0]
                info = explicit(call, mod)
                if any(kw.arg is None for kw in call.keywords):
                    problems.append(f'{name}: ** keywords not read')
                if info.get('type') == 'bool':
                    info['note'] = 'argparse.BooleanOptionalAction: --x and --no-x'
                aliases = flags[1:] + (['--no-' + name[2:]] if info.get('type') == 'bool' else [])
                if aliases:
                    info['aliases'] = aliases
                if name in args:
                    problems.append(f'{name}: defined twice (line {call.lineno}); first kept')
                    continue
                args[name] = info
    commit = subprocess.run(['git', '-C', git, 'rev-parse', rev], capture_output=True, text=True).stdout.strip()
    subject = subprocess.run(['git', '-C', git, 'log', '-1', '--format=%ci %s', rev], capture_output=True, text=True).stdout.strip()
    return {'commit': commit, 'subject': subject, 'args': args, 'problems': problems}


if __name__ == '__main__':
    git = sys.argv[1]
    json.dump({r: collect(git, r) for r in sys.argv[2:]}, sys.stdout, indent=1, default=str)
