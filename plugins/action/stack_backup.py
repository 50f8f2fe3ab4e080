# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of dct.trust_stack.stack_backup (documented in plugins/modules/stack_backup.py): one command on the
stack host, the rest here on the controller, with no module run."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import glob
import hashlib
import json
import os
import shutil
import subprocess

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.plugins.action import ActionBase

from ansible_collections.dct.trust_stack.plugins.module_utils._engine import NAME_RE
from ansible_collections.dct.trust_stack.plugins.module_utils._stack_backup import (
    STACK_BACKUP_ARGS, CIPHER, encrypt_command, host_parts, host_script, parse_sums)

CONTROLLER_PART = 'controller.tar.enc'
CHECK_VALUE = 'dct-stack-backup'
VAULT_ID = 'dct_stack_backup'


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


class ActionModule(ActionBase):

    TRANSFERS_FILES = True
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=STACK_BACKUP_ARGS)
        stack, passphrase = args['stack'], args['passphrase']
        for name, value in [('stack', stack)] + [('databases', d) for d in args['databases']]:
            if not NAME_RE.match(value):
                raise AnsibleActionFail('stack_backup: %s "%s" is not a container or database name' % (name, value))
        if not passphrase or '\n' in passphrase:
            raise AnsibleActionFail('stack_backup: passphrase (the role\'s stack_backup_passphrase) is empty or holds a '
                                    'line break: set it (vault it)')
        if args['keep'] < 1:
            raise AnsibleActionFail('stack_backup: keep (the role\'s stack_backup_keep) must be 1 or more, not %s'
                                    % args['keep'])
        missing = [d for d in ('pki', 'credentials') if not os.path.isdir(os.path.join(args['controller_dir'], d))]
        if missing:
            raise AnsibleActionFail('stack_backup: %s has no %s: is controller_dir the stack\'s controller directory?'
                                    % (args['controller_dir'], ' and no '.join(missing)))
        now = datetime.datetime.now(datetime.timezone.utc)
        set_dir = os.path.join(args['backup_dir'], '%s-%s' % (stack, now.strftime('%Y%m%dT%H%M%S%fZ')))
        result.update(changed=True, set=set_dir, created=now.strftime('%Y-%m-%dT%H:%M:%S.%fZ'))
        if self._task.check_mode:
            result['removed'] = self._old_sets(args, extra=1)
            return result

        work = self._make_tmp_path()
        try:
            # the passphrase as a file of the task's private directory (0700): never on a command line
            self._transfer_data(self._connection._shell.join_path(work, 'passphrase'), passphrase)
            parts = host_parts(args['signatures_dir'])
            run = self._low_level_execute_command(host_script(work, stack, args['databases'], args['signatures_dir']),
                                                  sudoable=True, executable='/bin/bash')
            if run['rc'] != 0:
                raise AnsibleActionFail('stack_backup: the backup on the stack host failed (exit %s): %s'
                                        % (run['rc'], (run['stderr'] or run['stdout']).strip()[-2000:]))
            remote_sums = parse_sums(run['stdout'])
            if sorted(remote_sums) != sorted(parts):
                raise AnsibleActionFail('stack_backup: the stack host did not report every part: %s' % run['stdout'])
            old_umask = os.umask(0o077)
            try:
                os.makedirs(args['backup_dir'], mode=0o700, exist_ok=True)
                os.mkdir(set_dir, 0o700)
                files, sizes = self._fetch_parts(work, set_dir, parts, remote_sums)
                files[CONTROLLER_PART], sizes[CONTROLLER_PART] = self._controller_part(args, set_dir)
                manifest = dict(args['manifest'], stack=stack, created=result['created'], collection='dct.trust_stack',
                                databases=args['databases'], cipher=CIPHER, files=files, sizes=sizes,
                                passphrase_check=self._check_value(passphrase))
                with open(os.path.join(set_dir, 'manifest.json'), 'w') as handle:
                    json.dump(manifest, handle, indent=4, sort_keys=True)
            except Exception:
                shutil.rmtree(set_dir, ignore_errors=True)
                raise
            finally:
                os.umask(old_umask)
        finally:
            self._remove_tmp_path(work, force=True)
        result.update(files=files, sizes=sizes, removed=self._old_sets(args))
        for path in result['removed']:
            shutil.rmtree(path)
        return result

    def _fetch_parts(self, work, set_dir, parts, remote_sums):
        """Bring the stack host's parts into set_dir; each must arrive with the SHA-256 the host computed. When the
        stack host is the controller (a local connection), the parts are moved, not copied: nothing travels, so the
        host's checksums are the files'."""
        files, sizes = {}, {}
        local_host = self._connection.transport == 'local'
        for part in parts:
            remote, local = self._connection._shell.join_path(work, part), os.path.join(set_dir, part)
            if local_host:
                shutil.move(remote, local)
            else:
                self._connection.fetch_file(remote, local)
            os.chmod(local, 0o600)
            files[part] = remote_sums[part][0] if local_host else sha256_of(local)
            sizes[part] = os.path.getsize(local)
            if (files[part], sizes[part]) != remote_sums[part]:
                raise AnsibleActionFail('stack_backup: %s arrived altered (SHA-256 %s, %s bytes; the stack host had %s, %s)'
                                        % (part, files[part], sizes[part], remote_sums[part][0], remote_sums[part][1]))
        return files, sizes

    @staticmethod
    def _controller_part(args, set_dir):
        """controller_dir's pki and credentials, archived and encrypted here; the passphrase in openssl's
        environment only. Returns (sha256, size)."""
        path = os.path.join(set_dir, CONTROLLER_PART)
        env = dict(os.environ, DCT_STACK_BACKUP_PASSPHRASE=args['passphrase'])
        done = subprocess.run(
            ['bash', '-c', 'set -e -o pipefail; tar -C "$1" -cf - pki credentials | %s -out "$2"'
             % encrypt_command('env:DCT_STACK_BACKUP_PASSPHRASE'), 'stack_backup', args['controller_dir'], path],
            env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise AnsibleActionFail('stack_backup: archiving %s failed: %s'
                                    % (args['controller_dir'], to_text(done.stderr).strip()))
        os.chmod(path, 0o600)
        return sha256_of(path), os.path.getsize(path)

    @staticmethod
    def _check_value(passphrase):
        """What the ansible.builtin.vault filter makes of CHECK_VALUE: restore_controller opens it with unvault."""
        vault = VaultLib([(VAULT_ID, VaultSecret(to_bytes(passphrase)))])
        return to_text(vault.encrypt(CHECK_VALUE, vault_id=VAULT_ID))

    @staticmethod
    def _old_sets(args, extra=0):
        """The sets of this stack beyond the keep newest (counting extra sets about to be made)."""
        sets = sorted(glob.glob(os.path.join(glob.escape(args['backup_dir']), glob.escape(args['stack']) + '-*')),
                      reverse=True)
        return sets[max(args['keep'] - extra, 0):]
