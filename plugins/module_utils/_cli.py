# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way this collection runs a CLI (docker, podman, notary): under a time limit, with no standard input
(so a prompt fails instead of hanging), and secrets only in its environment, never on its command line."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, at_once

# timeout(1)'s exit status when the time ran out
TIMED_OUT = 124
# after the time limit, how long the CLI gets to stop before it is killed
KILL_AFTER = 5


def timed(argv, timeout):
    """argv run under timeout(1): stopped after timeout seconds, killed KILL_AFTER seconds later."""
    return ['timeout', '--kill-after=%d' % KILL_AFTER, str(int(timeout))] + list(argv)


def find_cli(module, name, option):
    """The path of the CLI name (a name looked up in PATH, or a path) that the option option gave; TrustError
    naming the option when there is none."""
    found = name if os.path.sep in name else module.get_bin_path(name)
    if not found or not os.access(found, os.X_OK):
        raise TrustError('%s "%s" not found or not executable (option %s)' % (os.path.basename(name), name, option))
    return found


def module_runner(module):
    """A runner, (argv, environment) -> (rc, stdout, stderr), that runs through the module with no standard input
    (or data on it: a secret that must not be in a file) and environment added to the module's."""
    def run(argv, environ, data=b''):
        return module.run_command(argv, data=data, binary_data=True, environ_update=environ)
    return run


def local_runner(argv, environ):
    """A runner as module_runner's for code that runs without a module (a lookup on the controller)."""
    try:
        # pylint: disable-next=ansible-bad-function
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=dict(os.environ, **environ),
                              check=False)
    except OSError as exc:
        return 127, '', str(exc)
    return done.returncode, done.stdout.decode('utf-8', 'replace'), done.stderr.decode('utf-8', 'replace')


def run_many(argv_list, environ, timeout, workers=4):
    """Run each argv of argv_list, workers at a time, as a runner would; return their (rc, stdout, stderr) in order,
    rc TIMED_OUT for one that ran out of time. Through subprocess directly: a module's run_command polls, which
    costs more than a short CLI call when several run at once."""
    env = dict(os.environ, LANG='C.UTF-8', LC_ALL='C.UTF-8', **environ)

    def one(argv):
        try:
            # pylint: disable-next=ansible-bad-function
            done = subprocess.run(argv, input=b'', capture_output=True, env=env, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return TIMED_OUT, '', ''
        return done.returncode, done.stdout.decode('utf-8', 'replace'), done.stderr.decode('utf-8', 'replace')
    return at_once(one, argv_list, workers)
