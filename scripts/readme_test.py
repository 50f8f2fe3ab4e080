"""Run the examples of the README and of docs/ as a user would paste them, against the lab (`make readme-test`, after
`make lab`).

The documents in DOCUMENTS' order, each in its own order: a ```yaml block whose first line is a comment naming a file (`# sign-vars.yml ...`) is written
to that file; any other ```yaml block must parse; a ```console block runs in bash (-e, -u, pipefail), each line
as typed. All of it happens in build/readme/, a copy of the checkout with links to its venvs and .lab/, so
relative paths (inventory/lab, playbooks/..., .lab/) resolve as in the checkout and what the examples write
stays out of it.
A block right after `<!-- readme-test: skip: <why> -->` is not run. Stops at the first block that fails,
printing it and what it printed. README=<file> runs the blocks of that file alone (to try a few, or an older
README)."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, 'build', 'readme')
BLOCK_RE = re.compile(r'^```(\w*)\n(.*?)^```$', re.M | re.S)
SKIP_RE = re.compile(r'<!-- readme-test: skip: (.+?) -->\s*$')
FILE_RE = re.compile(r'^# ([\w./-]+\.ya?ml)\b')
# the README first, then docs/ in the order a reader goes (each builds on what the ones before it did); every
# docs/*.md is here (tests/unit/test_readme_blocks.py checks it)
DOCUMENTS = ('README.md', 'docs/DEPLOYING.md', 'docs/SIGNING.md', 'docs/SECURITY.md', 'docs/OPERATIONS.md', 'docs/HA.md',
             'docs/MIGRATION.md', 'docs/AUDIT.md', 'docs/INSTALLING.md', 'docs/TESTING.md', 'docs/ARCHITECTURE.md', 'docs/FAULTS.md',
             'docs/BENCHMARKS.md', 'docs/UPGRADING.md')


def blocks(text):
    """(line, language, body, skip reason or None) of every fenced block."""
    for match in BLOCK_RE.finditer(text):
        before = text[:match.start()].rstrip('\n').rsplit('\n', 1)[-1]
        skip = SKIP_RE.search(before)
        yield text.count('\n', 0, match.start()) + 1, match.group(1), match.group(2), skip and skip.group(1)


def prepare():
    """WORK: a copy of the checkout's files (tracked and new, as git lists them) with links to its venvs and lab
    state, so that what the examples write stays out of the checkout."""
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    subprocess.run('git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C %s'
                   % shlex.quote(WORK), shell=True, cwd=ROOT, check=True)
    for entry in ('.venv', '.venv-oldest', '.lab'):
        if os.path.exists(os.path.join(ROOT, entry)):
            os.symlink(os.path.join(ROOT, entry), os.path.join(WORK, entry))


def all_blocks():
    """(where, language, body, skip) of every block of DOCUMENTS (or of the file README names), in order."""
    names = [os.environ['README']] if os.environ.get('README') else [os.path.join(ROOT, name) for name in DOCUMENTS]
    for name in names:
        with open(name) as handle:
            text = handle.read()
        for line, language, body, skip in blocks(text):
            yield '%s:%d (%s)' % (os.path.relpath(name, ROOT), line, language or 'text'), language, body, skip


def main():
    prepare()
    ran = written = parsed = skipped = 0
    for where, language, body, skip in all_blocks():
        if skip:
            print('== %s: skipped: %s' % (where, skip))
            skipped += 1
            continue
        if language == 'yaml':
            try:
                yaml.safe_load(body)
            except yaml.YAMLError as exc:
                sys.exit('== %s: not YAML: %s' % (where, exc))
            name = FILE_RE.match(body)
            if name:
                path = os.path.join(WORK, name.group(1))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
                    handle.write(body)
                print('== %s: wrote %s' % (where, name.group(1)))
                written += 1
            else:
                parsed += 1
        elif language == 'console':
            print('== %s: running\n%s' % (where, ''.join('   $ %s\n' % cmd for cmd in body.splitlines())), end='',
                  flush=True)
            started = time.monotonic()
            proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', body], cwd=WORK, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stdout[-6000:])
                sys.exit('== %s: FAILED (exit %d): the example does not work as written' % (where, proc.returncode))
            # each play's recap, and the block's last line: enough to see what it did
            for out in re.findall(r'^\S+\s+: ok=.*$', proc.stdout, re.M) + proc.stdout.strip().splitlines()[-1:]:
                print('   | ' + out[:300])
            print('== %s: ok in %.1f s' % (where, time.monotonic() - started))
            ran += 1
    print('== readme-test: %d command blocks ran, %d files written, %d other YAML blocks parse, %d skipped'
          % (ran, written, parsed, skipped))


if __name__ == '__main__':
    main()
