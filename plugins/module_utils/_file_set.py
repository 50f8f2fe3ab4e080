# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A set of directories and small files brought to the wanted owner, group, mode and content in one pass (the
file_set module, and stack_container for a service's files)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import grp
import os
import pwd
import shutil
import stat
import tempfile

from ansible.module_utils.common.text.converters import to_bytes


# the options (documented in doc_fragments/file_set.py)
ATTRIBUTES = dict(path=dict(type='path', required=True), owner=dict(type='str'), group=dict(type='str'),
                  mode=dict(type='str', required=True))
FILE_SET_ARGS = dict(
    directories=dict(type='list', elements='dict', default=[], options=ATTRIBUTES),
    files=dict(type='list', elements='dict', default=[], options=dict(ATTRIBUTES, content=dict(type='str', required=True, no_log=True))),
)


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


def apply(p, check_mode):
    """Bring p's directories, files and absent paths to the wanted state (nothing in check mode); what file_set
    returns."""
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
    for path in p.get('absent') or []:
        if os.path.lexists(path):
            plan.append(('absent', path, None, None, None, None, ['removed']))

    if not check_mode:
        for kind, path, uid, gid, mode, content, what in plan:
            if kind == 'directory':
                if 'created' in what:
                    # exist_ok: a directory on a shared file system may be made by another host at the same moment
                    os.makedirs(path, mode, exist_ok=True)
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
