#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""blehost-python: run a MicroPython BLE program on CPython over blehost.

    blehost_python.py [options] script.py [args...]
    blehost_python.py [options] -c PROGRAM [args...]
    blehost_python.py [options] -m MODULE [args...]
    blehost_python.py [options] [-]          (program from stdin; REPL on a tty)

It installs the MicroPython compatibility layer (bindings/python/compat:
micropython, machine, time.sleep_ms/ticks_*, u-module aliases), puts the
directory of the built `bluetooth` extension on sys.path and runs the program
as __main__ with unbuffered stdout/stderr. sys.path[0] is '' for -c and
stdin programs (MicroPython's tests/run-multitests.py removes it first) and
the script's directory for a script. The controller is chosen by the
`bluetooth` module from BLEHOST_HCI (unix:/path, tcp:host:port,
tty:/dev/X[@baud]).

Where `bluetooth` comes from: BLEHOST_PYTHONPATH (os.pathsep-separated
directories) if set; else this file's directory if it holds the module; else
the newest bluetooth extension under <repo>/build/*/bindings/python or
<repo>/build/bindings/python.
"""

import builtins
import glob
import subprocess
import importlib.machinery
import io
import os
import sys
import traceback
import types

PROG = "blehost-python"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COMPAT_DIR = os.path.join(HERE, "compat")

USAGE = """usage: %s [option] ... [-c cmd | -m mod | file | -] [arg] ...
Runs a MicroPython program on CPython with the blehost `bluetooth` module.
  -c cmd        program passed in as a string
  -m mod        run library module as a script
  file          program read from a script file
  -             program read from stdin (the default when stdin is not a tty)
  -u, -B, -O, -v, -X opt
                accepted for compatibility with python3/micropython, ignored
  --print-path  print the directories added to sys.path and exit
  -h, --help    this text
Environment: BLEHOST_HCI (controller), BLEHOST_PYTHONPATH (where `bluetooth` is),
  BLEHOST_SECRETS (a JSON file that keeps bonds across runs)
""" % PROG


class UsageError(Exception):
    pass


def parse_args(argv):
    """Returns (mode, payload, program_argv); mode: c, m, file, stdin, path."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            return "help", None, []
        if arg == "--print-path":
            return "path", None, []
        if arg in ("-c", "-m"):
            if i + 1 >= len(argv):
                raise UsageError("Argument expected for the %s option" % arg)
            return arg[1], argv[i + 1], [arg] + argv[i + 2:]
        if arg.startswith("-c") or arg.startswith("-m"):
            return arg[1], arg[2:], [arg[:2]] + argv[i + 1:]
        if arg == "-X":
            i += 2
            continue
        if arg in ("-u", "-B", "-O", "-OO", "-v", "-E", "-s", "-S") or arg.startswith("-X"):
            i += 1
            continue
        if arg == "--":
            i += 1
            break
        if arg == "-":
            return "stdin", None, argv[i:]
        if arg.startswith("-"):
            raise UsageError("unknown option %s" % arg)
        break
    if i < len(argv):
        return "file", argv[i], argv[i:]
    return "stdin", None, [""]


def _is_extension(path):
    name = os.path.basename(path)
    return any(name == "bluetooth" + sfx for sfx in importlib.machinery.EXTENSION_SUFFIXES)


def find_bluetooth_dirs():
    """Directories to put on sys.path so that `import bluetooth` finds ours."""
    env = os.environ.get("BLEHOST_PYTHONPATH")
    if env:
        return [os.path.abspath(d) for d in env.split(os.pathsep) if d]
    if any(_is_extension(p) for p in glob.glob(os.path.join(HERE, "bluetooth*"))):
        return [HERE]
    patterns = (
        os.path.join(REPO, "build", "*", "bindings", "python", "bluetooth*"),
        os.path.join(REPO, "build", "bindings", "python", "bluetooth*"),
    )
    found = [p for pat in patterns for p in glob.glob(pat) if _is_extension(p)]
    if not found:
        return []
    newest = max(found, key=os.path.getmtime)
    return [os.path.dirname(newest)]


def _asan_runtime_needed(dirs):
    """The ASan runtime to preload if the module found was built with
    sanitizers (BH_SANITIZE=ON) and this interpreter does not have it yet;
    None otherwise. A sanitized module cannot load into a plain python3."""
    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        return None
    for d in dirs:
        for p in glob.glob(os.path.join(d, "bluetooth*")):
            if not _is_extension(p):
                continue
            with open(p, "rb") as f:
                if b"libasan.so" not in f.read():
                    return None
            try:
                out = subprocess.run(["cc", "-print-file-name=libasan.so"], check=True,
                                     capture_output=True, text=True).stdout.strip()
            except (OSError, subprocess.CalledProcessError):
                return None
            return out if os.path.isabs(out) else None
    return None


def reexec_with_asan(dirs, argv):
    """Run this launcher again with the ASan runtime preloaded, if needed."""
    lib = _asan_runtime_needed(dirs)
    if lib is None:
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = (lib + " " + env.get("LD_PRELOAD", "")).strip()
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-u", os.path.abspath(__file__)] + argv, env)


class _MissingBluetoothFinder:
    """Last on sys.meta_path: explains where `bluetooth` was looked for."""

    def __init__(self, dirs):
        self.dirs = dirs

    def find_spec(self, name, path=None, target=None):
        if name != "bluetooth":
            return None
        where = ", ".join(self.dirs) if self.dirs else "nowhere (none built)"
        raise ModuleNotFoundError(
            "no module named 'bluetooth': searched %s; build the blehost tree "
            "(cmake --build build/<dir>) or set BLEHOST_PYTHONPATH to the directory "
            "holding the bluetooth extension" % where, name=name)


def setup_stdio():
    """Unbuffered stdout/stderr, as `python3 -u` (the multitest runner reads
    our output line by line and times out on silence)."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    for name, fd in (("stdout", 1), ("stderr", 2)):
        old = getattr(sys, name)
        if old is None or (getattr(old, "write_through", False)
                           and isinstance(getattr(old, "buffer", None), io.RawIOBase)):
            continue
        try:
            raw = io.FileIO(fd, "w", closefd=False)
        except OSError:
            continue
        old.flush()
        new = io.TextIOWrapper(raw, encoding=old.encoding, errors=old.errors,
                               write_through=True)
        setattr(sys, name, new)


def setup_sys_path(first):
    """sys.path = [first, compat, bluetooth dirs..., rest without our own dir]."""
    rest = [p for p in sys.path[1:] if os.path.abspath(p or ".") != HERE or p == ""]
    dirs = find_bluetooth_dirs()
    sys.path[:] = [first, COMPAT_DIR] + dirs + rest
    return dirs


def install_compat(dirs):
    import _blehost_compat
    _blehost_compat.install()
    sys.meta_path.append(_MissingBluetoothFinder(dirs))


def install_secrets():
    """BLEHOST_SECRETS=path: bonds persist in that JSON file (compat/
    blehost_secrets.py). Done before the program runs, so the store is in
    place when it calls active(True). Unset: nothing changes."""
    path = os.environ.get("BLEHOST_SECRETS")
    if not path:
        return
    try:
        import blehost_secrets
        blehost_secrets.install(path)
    except ImportError:
        pass  # no `bluetooth`: the program's own import reports it


def _report_exception(exc):
    """Print an uncaught exception without the launcher's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    exc.__traceback__ = tb
    try:
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):
        pass
    traceback.print_exception(exc, file=sys.stderr)


def new_main_module(filename):
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    if filename is not None:
        main.__file__ = filename
    sys.modules["__main__"] = main
    return main


def run_source(source, filename, main_file):
    main = new_main_module(main_file)
    code = compile(source, filename, "exec")
    exec(code, main.__dict__)


def run_stdin():
    if sys.stdin is not None and sys.stdin.isatty():
        import code
        main = new_main_module(None)
        banner = "%s: MicroPython compat on CPython %s (Ctrl-D to exit)" % (
            PROG, sys.version.split()[0])
        code.interact(banner=banner, local=main.__dict__, exitmsg="")
        return
    source = sys.stdin.read() if sys.stdin is not None else ""
    run_source(source, "<stdin>", None)


def run(mode, payload):
    if mode == "c":
        run_source(payload, "<string>", None)
    elif mode == "m":
        import runpy
        runpy.run_module(payload, run_name="__main__", alter_sys=True)
    elif mode == "file":
        with open(payload, "rb") as f:
            source = f.read()
        run_source(source, payload, payload)
    else:
        run_stdin()


def main(argv):
    try:
        mode, payload, prog_argv = parse_args(argv)
    except UsageError as e:
        sys.stderr.write("%s: %s\n%s" % (PROG, e, USAGE))
        return 2
    if mode == "help":
        sys.stdout.write(USAGE)
        return 0
    setup_stdio()
    if mode == "file":
        if not os.path.isfile(payload):
            sys.stderr.write("%s: can't open file %r: [Errno 2] No such file or directory\n"
                             % (PROG, payload))
            return 2
        first = os.path.dirname(os.path.abspath(payload))
    elif mode == "m":
        first = os.getcwd()
    else:
        first = ""
    dirs = setup_sys_path(first)
    reexec_with_asan(dirs, argv)
    if mode == "path":
        print("\n".join([COMPAT_DIR] + dirs))
        return 0
    install_compat(dirs)
    install_secrets()
    sys.argv[:] = prog_argv
    try:
        run(mode, payload)
    except SystemExit:
        raise
    except KeyboardInterrupt as exc:
        _report_exception(exc)
        return 130
    except BaseException as exc:  # noqa: B902 - report like the interpreter does
        _report_exception(exc)
        return 1
    return 0


if __name__ == "__main__":
    _launcher = sys.modules["__main__"]
    sys.exit(main(sys.argv[1:]))
