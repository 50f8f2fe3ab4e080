# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stack's docker networks: read them, and make those missing (stack_container)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import NAME_RE, STACK_LABEL, docker_cli


def existing(module):
    """{full name: {'internal': bool, 'labels': {...}}} of every network the daemon has."""
    found = {}
    for line in docker_cli(module, ['network', 'ls', '--no-trunc', '--format', '{{json .}}']).splitlines():
        if not line.strip():
            continue
        net = json.loads(line)
        labels = dict(item.split('=', 1) for item in (net.get('Labels') or '').split(',') if '=' in item)
        found[net['Name']] = {'internal': str(net.get('Internal')).lower() == 'true', 'labels': labels}
    return found


def make_missing(module, stack, wanted):
    """Create the networks of wanted ([(full name, internal)]) that are missing, labelled as the stack's (none in
    check mode); return their names and every network the daemon had before. TrustError naming every one that
    exists but is not as wanted, before any is created: recreating it would cut its containers off."""
    found = existing(module)
    missing, wrong = [], []
    for full, internal in wanted:
        if not NAME_RE.match(full):
            raise TrustError('network name "%s" is not a valid docker network name' % full)
        have = found.get(full)
        if have is None:
            missing.append((full, internal))
        elif have['internal'] != internal or have['labels'].get(STACK_LABEL) != stack:
            wrong.append('%s (internal %s, label %s=%s; wanted internal %s, label %s=%s)' % (
                full, str(have['internal']).lower(), STACK_LABEL, have['labels'].get(STACK_LABEL, ''),
                str(internal).lower(), STACK_LABEL, stack))
    if wrong:
        raise TrustError('these networks exist but are not as the stack needs them, and recreating them would cut '
                         'their containers off: %s. Remove them (docker network rm, after stopping the containers '
                         'on them) and run again.' % '; '.join(wrong))
    made = []
    for full, internal in missing:
        if not module.check_mode:
            docker_cli(module, ['network', 'create', '--label', '%s=%s' % (STACK_LABEL, stack)]
                       + (['--internal', full] if internal else [full]), changed=bool(made), created=list(made))
        made.append(full)
    return made, found
