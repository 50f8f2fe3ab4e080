#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: file_set
short_description: Make a set of directories and small files, or remove them, in one module run
version_added: 0.2.0
description:
  - Brings every listed directory and file to the wanted owner, group, mode and content, and removes
    the paths in I(absent), in one run on the managed host instead of one task per path.
  - What the roles of this collection use for their configuration files, certificates and keys; a
    re-run that finds everything in place changes nothing and writes nothing.
  - Files are written atomically (a temporary file in the same directory, then a rename).
  - Paths may start with C(~user/), which is that user's home directory.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.attributes
options:
  directories:
    description: Directories to create or fix, in order (parents first). Missing parents are created too.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: User name or uid; unset, the owner is left alone (root for a new directory).
        type: str
      group:
        description: Group name or gid; unset, the primary group of I(owner) (when set).
        type: str
      mode:
        description: Octal mode, as a string such as C("0750").
        type: str
        required: true
  files:
    description: Files and their content.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file; its directory must exist or be listed in I(directories).
        type: path
        required: true
      content:
        description: The whole content of the file. Never logged.
        type: str
        required: true
      owner:
        description: User name or uid; unset, the owner is left alone (root for a new file).
        type: str
      group:
        description: Group name or gid; unset, the primary group of I(owner) (when set).
        type: str
      mode:
        description: Octal mode, as a string such as C("0600").
        type: str
        required: true
  absent:
    description: Paths to remove (a directory with everything under it).
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: the paths that change, with what changes (content is never shown).
  action_group:
    support: none
'''

EXAMPLES = r'''
- name: Write a service's configuration, certificate and key
  dct.trust_stack.file_set:
    directories:
      - {path: /etc/dct-trust-stack/trust/registry, owner: root, group: "991", mode: "0750"}
    files:
      - {path: /etc/dct-trust-stack/trust/registry/config.yml, content: "{{ config }}", owner: "991", mode: "0644"}
      - {path: /etc/dct-trust-stack/trust/registry/registry.key, content: "{{ key }}", owner: "991", mode: "0600"}

- name: Give user builder the notary CA
  dct.trust_stack.file_set:
    directories:
      - {path: ~builder/.notary, owner: builder, mode: "0700"}
    files:
      - {path: ~builder/.notary/ca.crt, content: "{{ lookup('ansible.builtin.file', 'ca.crt') }}", owner: builder, mode: "0644"}
'''

RETURN = r'''
changed_paths:
  description: Every path that was (or, in check mode, would be) created, changed or removed.
  returned: always
  type: list
  elements: str
changed_files:
  description: The files among I(changed_paths) whose content changed or that were created.
  returned: always
  type: list
  elements: str
'''

import grp
import os
import pwd
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes


class FileSetError(Exception):
    pass


def resolve_ids(entry):
    """(uid or None, gid or None) of an entry's owner and group; group defaults to owner's primary group."""
    uid = gid = None
    owner, group = entry.get('owner'), entry.get('group')
    if owner is not None:
        try:
            record = pwd.getpwuid(int(owner)) if owner.isdigit() else pwd.getpwnam(owner)
            uid, gid = record.pw_uid, record.pw_gid
        except KeyError:
            if not owner.isdigit():
                raise FileSetError('owner "%s" of %s does not exist' % (owner, entry['path']))
            uid = int(owner)
    if group is not None:
        if group.isdigit():
            gid = int(group)
        else:
            try:
                gid = grp.getgrnam(group).gr_gid
            except KeyError:
                raise FileSetError('group "%s" of %s does not exist' % (group, entry['path']))
    return uid, gid


def parse_mode(entry):
    try:
        return int(entry['mode'], 8)
    except (TypeError, ValueError):
        raise FileSetError('mode "%s" of %s is not an octal mode such as "0644"' % (entry['mode'], entry['path']))


def differences(path, uid, gid, mode, is_dir, content=None):
    """What differs between path and the wanted state, as a list of words (empty: nothing)."""
    try:
        st = os.lstat(path)
    except OSError:
        return ['created']
    if is_dir != stat.S_ISDIR(st.st_mode):
        raise FileSetError('%s exists and is not a %s' % (path, 'directory' if is_dir else 'regular file'))
    found = []
    if uid is not None and st.st_uid != uid:
        found.append('owner')
    if gid is not None and st.st_gid != gid:
        found.append('group')
    if stat.S_IMODE(st.st_mode) != mode:
        found.append('mode %04o -> %04o' % (stat.S_IMODE(st.st_mode), mode))
    if content is not None:
        with open(path, 'rb') as handle:
            if handle.read() != content:
                found.append('content')
    return found


def set_attributes(path, uid, gid, mode):
    os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    os.chmod(path, mode)


def write_file(path, content, uid, gid, mode):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.' + os.path.basename(path) + '.')
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content)
        set_attributes(tmp, uid, gid, mode)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def run(module):
    p = module.params
    plan = []  # (kind, path, uid, gid, mode, content, what)
    for entry in p['directories']:
        uid, gid = resolve_ids(entry)
        mode = parse_mode(entry)
        path = entry['path']  # type path: ~user already expanded
        what = differences(path, uid, gid, mode, True)
        if what:
            plan.append(('directory', path, uid, gid, mode, None, what))
    planned_dirs = set(item[1] for item in plan)
    for entry in p['files']:
        uid, gid = resolve_ids(entry)
        mode = parse_mode(entry)
        path = entry['path']  # type path: ~user already expanded
        content = to_bytes(entry['content'])
        if not os.path.isdir(os.path.dirname(path)) and os.path.dirname(path) not in planned_dirs:
            raise FileSetError('the directory of %s does not exist; list it in directories' % path)
        what = differences(path, uid, gid, mode, False, content)
        if what:
            plan.append(('file', path, uid, gid, mode, content, what))
    for path in p['absent']:
        if os.path.lexists(path):
            plan.append(('absent', path, None, None, None, None, ['removed']))

    if not module.check_mode:
        for kind, path, uid, gid, mode, content, what in plan:
            if kind == 'directory':
                if 'created' in what:
                    os.makedirs(path, mode)
                set_attributes(path, uid, gid, mode)
            elif kind == 'file':
                if 'created' in what or 'content' in what:
                    write_file(path, content, uid, gid, mode)
                else:
                    set_attributes(path, uid, gid, mode)
            elif os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)

    changed_paths = [item[1] for item in plan]
    changed_files = [item[1] for item in plan if item[0] == 'file' and ('created' in item[6] or 'content' in item[6])]
    return dict(
        changed=bool(plan), changed_paths=changed_paths, changed_files=changed_files,
        diff=dict(before=''.join('%s: %s\n' % (item[1], 'absent' if 'created' in item[6] else 'present') for item in plan),
                  after=''.join('%s: %s\n' % (item[1], ', '.join(item[6])) for item in plan)))


def main():
    attributes = dict(path=dict(type='path', required=True), owner=dict(type='str'), group=dict(type='str'),
                      mode=dict(type='str', required=True))
    file_options = dict(attributes, content=dict(type='str', required=True, no_log=True))
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='dict', default=[], options=attributes),
            files=dict(type='list', elements='dict', default=[], options=file_options),
            absent=dict(type='list', elements='path', default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except (FileSetError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
