#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_audit
short_description: Say, for every running container of a fleet, whether what it runs is signed now
version_added: 1.0.0
description:
  - Takes the running containers of every host (what M(dct.trust_stack.containers_info) returns, per host) and
    gives each a verdict from the trust data, verified as P(dct.trust_stack.trusted_digest#lookup) verifies it (notary's
    TUF client, pinned roots, fail closed). Each repository's trust data is read once per run, however many
    containers on however many hosts run it.
  - C(signed) - a tag of the repository is signed with the digest the container runs (which tags, which signers).
    C(revoked) - no tag is signed with it now, but an earlier audit saw it signed (I(history)) - a revocation, or
    a tag moved to other content. C(unsigned) - the repository has trust data, but no tag is signed with this
    digest (a tag pushed unsigned over a signed one, a local build under the stack's name). C(no_trust_data) - the
    server has none for the repository. C(outside) - the image is not from one of I(registries). C(unverifiable) -
    the trust data cannot be verified now (unreachable, expired, root mismatch, not pinned, not allowed), with why;
    never counted as signed.
  - The digest judged is the image's repository digest (what the registry called it when it was pulled or pushed),
    never the tag it was started with, which may point elsewhere now.
  - Only reads the trust data, and adds to I(history) what is signed now (skipped in check mode).
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.verify
  - dct.trust_stack.attributes
options:
  containers:
    description: Per host name, the running containers as M(dct.trust_stack.containers_info) returns them.
    type: dict
    required: true
  registries:
    description: The stack's registries (C(host:port), as the hosts pull from them); other images are C(outside).
    type: list
    elements: str
    required: true
  history:
    description:
      - A JSON file on the controller of every digest an audit saw signed, with its tags and when it was first
        seen, made when missing. Without it no verdict can be C(revoked) (it is C(unsigned) then).
    type: path
attributes:
  check_mode:
    support: full
    details: The same verdicts; I(history) is not written.
  diff_mode:
    support: none
seealso:
  - module: dct.trust_stack.containers_info
'''

EXAMPLES = r'''
- name: Read what runs on each host
  dct.trust_stack.containers_info:
  register: running

- name: Judge every container of the fleet, each repository read once
  dct.trust_stack.trust_audit:
    containers: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['running', 'containers']))) }}"
    registries: [registry.example.com:5000]
    history: "{{ playbook_dir }}/audit/history.json"
    server: https://notary.example.com:4443
    pins: {"registry.example.com:5000/*": ["{{ root_key_id }}"]}
    disable_tofu: true
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
containers:
  description:
    - Every container with its host and verdict, what needs looking at first (revoked, unsigned, unverifiable,
      no_trust_data, outside, signed), then by host and name.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: The host
      type: str
    name:
      description: The container
      type: str
    engine:
      description: docker or podman
      type: str
    image:
      description: The reference it was started from
      type: str
    started_at:
      description: When it started
      type: str
    verdict:
      description: "signed, revoked, unsigned, no_trust_data, unverifiable or outside"
      type: str
    reason:
      description: Why, in words
      type: str
    repository:
      description: The repository judged
      type: str
    digest:
      description: The digest judged
      type: str
    tags:
      description: The tags signed with it (now; for revoked, earlier)
      type: list
      elements: str
    signers:
      description: Who signed it (delegations; Repo Admin for the targets key)
      type: list
      elements: str
counts:
  description: How many containers got each verdict (every verdict named, zeros too).
  returned: always
  type: dict
not_signed:
  description: How many containers got another verdict than signed.
  returned: always
  type: int
oldest_not_signed:
  description: The container not signed that started first (its entry in I(containers)), or none.
  returned: always
  type: dict
repositories:
  description: Per repository read, the digests signed now (tags, signers), or the verdict and reason it has instead.
  returned: always
  type: dict
'''

import datetime
import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._audit import (
    REPORT_ORDER, VERDICTS, RepositoryTrust, read_history, updated_history, verdict)
from ansible_collections.dct.trust_stack.plugins.module_utils._cli import module_runner
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._options import VERIFY_ARGS
from ansible_collections.dct.trust_stack.plugins.module_utils._references import check_signer_name
from ansible_collections.dct.trust_stack.plugins.module_utils._verify import NotaryVerifier, credentials_for, settle


def run(module):
    p = module.params
    if p['signer']:
        check_signer_name(p['signer'])
    for host, containers in p['containers'].items():
        if not isinstance(containers, list) or not all(isinstance(c, dict) for c in containers):
            raise TrustError('containers of %s is not a list of containers (what containers_info returns)' % host)
    history = read_history(p['history'])
    verifier = NotaryVerifier(module_runner(module), settle(p), notary_cli=p['notary_cli'],
                              credentials=lambda gun: credentials_for(p, gun), timeout=p['timeout'])
    trust = RepositoryTrust(verifier, p['signer'])
    judged = []
    try:
        for host, containers in sorted(p['containers'].items()):
            for container in containers:
                entry = dict((k, container.get(k)) for k in ('name', 'engine', 'image', 'started_at'))
                entry.update(verdict(container, p['registries'], trust, history), host=host)
                judged.append(entry)
    finally:
        verifier.close()
    judged.sort(key=lambda e: (REPORT_ORDER.index(e['verdict']), e['host'], e['name']))
    counts = dict((v, sum(1 for e in judged if e['verdict'] == v)) for v in VERDICTS)
    not_signed = [e for e in judged if e['verdict'] != 'signed']
    changed = False
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    new_history = updated_history(history, trust, now) if p['history'] else None
    if new_history is not None:
        changed = True
        if not module.check_mode:
            directory = os.path.dirname(os.path.abspath(p['history']))
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o700)
            with open(p['history'] + '.new', 'w') as handle:
                json.dump(new_history, handle, indent=1, sort_keys=True)
            os.replace(p['history'] + '.new', p['history'])
    return dict(changed=changed, containers=judged, counts=counts, not_signed=len(not_signed),
                oldest_not_signed=min(not_signed, key=lambda e: e['started_at'] or '') if not_signed else {},
                repositories=dict(trust.seen))


def main():
    argument_spec = dict(
        containers=dict(type='dict', required=True),
        registries=dict(type='list', elements='str', required=True),
        history=dict(type='path'),
    )
    argument_spec.update(VERIFY_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
