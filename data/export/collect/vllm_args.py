"""Reads the engine flags of vLLM releases from a local git mirror (no vLLM import, no build).

Usage: python3 vllm_args.py GIT_DIR TAG [TAG ...] > out.json

For each tag it parses vllm/engine/arg_utils.py with Python's ast module and walks every
`*.add_argument(...)` call inside the `add_cli_args` methods (EngineArgs and AsyncEngineArgs).
Flag names and aliases are the string literals of each call. The value type follows the same
rules as vLLM's own get_kwargs()/_compute_kwargs() (described, not copied): explicit keywords
(type=, choices=, action=) win; otherwise `**X_kwargs["field"]`, where `X_kwargs =
get_kwargs(SomeConfig)`, takes the annotation of that dataclass field from vllm/config*.py:
bool -> BooleanOptionalAction (--x / --no-x), Literal[...] -> choices, list/tuple -> several
values, int, float, dict -> JSON, a config dataclass -> JSON, anything else -> str. Names
bound at module level (Literal aliases such as CacheDType, QUANTIZATION_METHODS) are resolved
across the config and quantization modules; what cannot be resolved is reported, not guessed.
"""

import ast
import json
import subprocess
import sys


def show(git, tag, path):
    r = subprocess.run(['git', '-C', git, 'show', f'{tag}:{path}'], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def ls(git, tag, path):
    r = subprocess.run(['git', '-C', git, 'ls-tree', '-r', '--name-only', tag, path], capture_output=True, text=True)
    return [x for x in r.stdout.split('\n') if x.endswith('.py')]


class Module:
    """Module-level names (assignments, type aliases) and dataclass fields of some files."""

    def __init__(self):
        self.names = {}
        self.classes = {}

    def add(self, src):
        tree = ast.parse(src)
        for node in tree.body:
            self._top(node)

    def _top(self, node):
        if isinstance(node, ast.If):  # TYPE_CHECKING blocks
            for n in node.body:
                self._top(n)
            return
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.names.setdefault(node.targets[0].id, node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            ann = ast.unparse(node.annotation)
            self.names.setdefault(node.target.id, node.annotation if ann == 'TypeAlias' and False else node.value)
        elif getattr(ast, 'TypeAlias', None) and isinstance(node, ast.TypeAlias):
            self.names.setdefault(node.name.id, node.value)
        elif isinstance(node, ast.ClassDef):
            fields = {}
            for b in node.body:
                if isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name):
                    fields[b.target.id] = b.annotation
            self.classes.setdefault(node.name, fields)


def literal_values(node, mod, depth=0):
    """The values a name or expression stands for, when it is a Literal, list, tuple or dict of constants."""
    if depth > 8 or node is None:
        return None
    if isinstance(node, ast.Name):
        return literal_values(mod.names.get(node.id), mod, depth + 1)
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).split('.')[-1] == 'Literal':
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        out = []
        for it in items:
            if isinstance(it, ast.Constant):
                out.append(it.value)
            else:
                sub = literal_values(it, mod, depth + 1)
                if sub is None:
                    return None
                out.extend(sub)
        return out
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out = []
        for it in node.elts:
            if isinstance(it, ast.Constant):
                out.append(it.value)
            elif isinstance(it, ast.Starred):
                sub = literal_values(it.value, mod, depth + 1)
                if sub is None:
                    return None
                out.extend(sub)
            else:
                return None
        return out
    if isinstance(node, ast.Dict):
        if all(isinstance(k, ast.Constant) for k in node.keys):
            return [k.value for k in node.keys]
        return None
    if isinstance(node, ast.Call) and ast.unparse(node.func) in ('list', 'get_args', 'typing.get_args', 'sorted') and node.args:
        return literal_values(node.args[0], mod, depth + 1)
    return None


def parts(ann, mod, depth=0):
    """The members of a union annotation (Optional[X], Union[...], X | None), aliases expanded."""
    if depth > 8:
        return [ann]
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        try:
            return parts(ast.parse(ann.value, mode='eval').body, mod, depth + 1)
        except SyntaxError:
            return [ann]
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        return parts(ann.left, mod, depth + 1) + parts(ann.right, mod, depth + 1)
    if isinstance(ann, ast.Subscript):
        head = ast.unparse(ann.value).split('.')[-1]
        if head == 'Optional':
            return parts(ann.slice, mod, depth + 1) + [ast.Constant(None)]
        if head == 'Union':
            items = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            return [p for it in items for p in parts(it, mod, depth + 1)]
        if head == 'Annotated':
            return parts(ann.slice.elts[0], mod, depth + 1)
        if head == 'SkipValidation':  # pydantic: Annotated[T, SkipValidation()] at run time
            return parts(ann.slice, mod, depth + 1)
    if isinstance(ann, ast.Name) and ann.id in mod.names and ann.id not in mod.classes:
        v = mod.names[ann.id]
        if isinstance(v, (ast.Subscript, ast.BinOp, ast.Name)):
            return parts(v, mod, depth + 1)
    return [ann]


def kind_of(ann, mod):
    """type/choices the way vLLM's get_kwargs derives them from a field annotation."""
    ps = parts(ann, mod)
    heads = []
    for p in ps:
        if isinstance(p, ast.Constant) and p.value is None:
            heads.append('None')
        elif isinstance(p, ast.Subscript):
            heads.append(ast.unparse(p.value).split('.')[-1])
        else:
            heads.append(ast.unparse(p).split('.')[-1])
    optional = 'None' in heads
    out = {'annotation': ast.unparse(ann)}
    if any(h in mod.classes and h.endswith('Config') for h in heads):
        out['type'] = 'json'
    elif 'bool' in heads:
        out['type'] = 'bool'
    elif 'Literal' in heads:
        lit = next(p for p in ps if isinstance(p, ast.Subscript) and ast.unparse(p.value).split('.')[-1] == 'Literal')
        vals = literal_values(lit, mod)
        if vals is not None:
            out['type'] = type(vals[0]).__name__ if vals else 'str'
            out['choices'] = sorted(vals, key=lambda v: (str(type(v)), v)) + (['None'] if optional else [])
        else:
            out['type'] = 'str'
            out['choices_unresolved'] = ast.unparse(lit)
    elif any(h in ('list', 'List', 'tuple', 'Tuple', 'set', 'Set') for h in heads):
        out['type'] = 'list'
    elif 'int' in heads:
        out['type'] = 'int'
    elif 'float' in heads:
        out['type'] = 'float'
    elif any(h in ('dict', 'Dict') for h in heads):
        out['type'] = 'json'
    else:
        out['type'] = 'str'
    if optional and out['type'] != 'bool':
        out['type'] = f"Optional[{out['type']}]"
    return out


def explicit(call, mod):
    """What the call's own keywords say (type=, choices=, action=, nargs=)."""
    out = {}
    for kw in call.keywords:
        if kw.arg == 'action':
            a = ast.unparse(kw.value)
            if 'store_true' in a or 'store_false' in a:
                out['type'] = 'flag'
            elif 'BooleanOptionalAction' in a:
                out['type'] = 'bool'
            elif a == 'StoreBoolean':  # vLLM's own action: bare switch, or =true/false
                out['type'] = 'flag'
                out['note'] = "StoreBoolean, nargs='?': bare switch or an explicit true/false"
            else:
                out['action'] = a.strip("'\"")
        elif kw.arg == 'type':
            t = ast.unparse(kw.value)
            out['type'] = t if t in ('int', 'float', 'str') else f'{t} (callable)'
        elif kw.arg == 'choices':
            vals = literal_values(kw.value, mod)
            if vals is not None:
                out['choices'] = [('None' if v is None else v) for v in vals]
            else:
                out['choices_unresolved'] = ast.unparse(kw.value)
        elif kw.arg == 'nargs':
            out['nargs'] = ast.unparse(kw.value).strip("'\"")
    return out


def field_ref(node):
    """X["field"] of a `**X["field"]` or `**{**X["field"], ...}` spread."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant):
        return node.value.id, node.slice.value
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if k is None:
                r = field_ref(v)
                if r:
                    return r
    return None


def collect(git, tag):
    src = show(git, tag, 'vllm/engine/arg_utils.py')
    mod = Module()
    config_files = ['vllm/config.py'] if show(git, tag, 'vllm/config.py') is not None else ls(git, tag, 'vllm/config')
    for f in config_files + ['vllm/model_executor/layers/quantization/__init__.py', 'vllm/engine/arg_utils.py']:
        s = show(git, tag, f)
        if s:
            mod.add(s)
    tree = ast.parse(src)
    args, problems = {}, []
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
        for fn in [b for b in cls.body if isinstance(b, ast.FunctionDef) and b.name == 'add_cli_args']:
            kw_of = {}
            for n in ast.walk(fn):
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and ast.unparse(n.value.func) == 'get_kwargs':
                    for t in n.targets:
                        if isinstance(t, ast.Name) and n.value.args:
                            kw_of[t.id] = ast.unparse(n.value.args[0])
            for call in [n for n in ast.walk(fn) if isinstance(n, ast.Call)]:
                if not (isinstance(call.func, ast.Attribute) and call.func.attr == 'add_argument'):
                    continue
                flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith('-')]
                if len(flags) != len(call.args) or not flags:
                    problems.append(f'line {call.lineno}: add_argument with a non-literal name: {ast.unparse(call)[:120]}')
                    continue
                long = [f for f in flags if f.startswith('--')]
                name = long[0] if long else flags[0]
                info = {}
                for kw in call.keywords:
                    if kw.arg is None:
                        ref = field_ref(kw.value)
                        if ref and ref[0] in kw_of:
                            cname, fname = kw_of[ref[0]], ref[1]
                            ann = mod.classes.get(cname, {}).get(fname)
                            if ann is None:
                                problems.append(f'{name}: field {cname}.{fname} not found')
                            else:
                                info.update(kind_of(ann, mod))
                                info['from_field'] = f'{cname}.{fname}'
                        else:
                            problems.append(f'{name}: unresolved ** spread {ast.unparse(kw.value)[:80]}')
                info.update(explicit(call, mod))
                info.pop('nargs', None) if info.get('type') == 'flag' else None
                if info.get('type') == 'bool':
                    info['note'] = 'argparse.BooleanOptionalAction: --x and --no-x'
                aliases = [f for f in flags if f != name]
                if info.get('type') == 'bool':
                    aliases.append('--no-' + name[2:])
                if aliases:
                    info['aliases'] = aliases
                if name in args:
                    problems.append(f'{name}: defined twice (line {call.lineno}); first kept')
                    continue
                args[name] = info
    commit = subprocess.run(['git', '-C', git, 'rev-list', '-n1', tag], capture_output=True, text=True).stdout.strip()
    return {'tag': tag, 'commit': commit, 'config_files': config_files, 'args': args, 'problems': problems}


if __name__ == '__main__':
    git = sys.argv[1]
    json.dump({t: collect(git, t) for t in sys.argv[2:]}, sys.stdout, indent=1, default=str)
