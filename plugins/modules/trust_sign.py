#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_sign
short_description: Sign or revoke image tags with Docker Content Trust, only when needed
version_added: 0.1.0
description:
  - Makes the trust data of tags match what you ask, with C(docker trust sign) and C(docker trust revoke).
  - With I(state=present), a tag is signed only when it is unsigned, signed for a different digest than
    the local image's, or not signed by I(signer). C(docker trust sign) pushes the image first.
  - With I(state=absent), a signed tag's signature is revoked; an unsigned tag is left alone.
  - Reads the current state with one C(docker trust inspect) per repository and one look at the local images
    of all its tags, whatever the number of tags (one request to the Docker engine's unix socket, or one
    C(docker image inspect) when the CLI is set to use another engine through C(DOCKER_HOST) or a context).
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
  - dct.trust_stack.trust.server
  - dct.trust_stack.attributes
options:
  image:
    description:
      - One tag to sign, C([host[:port]/]name:tag). Mutually exclusive with I(repository).
    type: str
  repository:
    description:
      - The repository, C([host[:port]/]name), whose I(tags) to sign. Mutually exclusive with I(image).
    type: str
  tags:
    description:
      - Tags of I(repository). Required with I(repository).
    type: list
    elements: str
  signer:
    description:
      - The signer (delegation) whose signature each tag must carry. Its private key must be in the
        trust directory (see M(dct.trust_stack.trust_key)) and the signer added to the repository
        (see M(dct.trust_stack.trust_signer)).
      - Unset, any signature counts and the tag is signed with whatever keys the trust directory holds.
    type: str
  state:
    description:
      - C(present) signs, C(absent) revokes.
    type: str
    choices: [present, absent]
    default: present
  repository_passphrase:
    description:
      - Passphrase of the signer's (or the repository's targets) key, as C(DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE).
    type: str
  root_passphrase:
    description:
      - Passphrase of the root key, needed when signing initializes a repository with no trust data yet.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
seealso:
  - module: dct.trust_stack.trust_signer
  - module: dct.trust_stack.trust_info
'''

EXAMPLES = r'''
- name: Sign three tags as alice
  dct.trust_stack.trust_sign:
    repository: localhost:5000/team/app
    tags: ["1.0", "1.1", latest]
    signer: alice
    server: https://localhost:4443
    repository_passphrase: "{{ vault_alice_passphrase }}"

- name: Revoke the signature of a withdrawn tag
  dct.trust_stack.trust_sign:
    image: localhost:5000/team/app:0.9
    state: absent
    repository_passphrase: "{{ vault_alice_passphrase }}"
'''

RETURN = r'''
tags:
  description: Per tag (C(repository:tag)), its signed C(digest) and C(signers) after the run (null when unsigned).
  returned: always
  type: dict
  sample: {"localhost:5000/team/app:1.0": {"digest": "3c4e...", "signers": ["alice"]}}
actions:
  description:
    - What was done (or, in check mode, would be done), one line per tag.
    - When a tag fails part-way through, the failure reports C(changed=true) and here the actions done before it.
  returned: always
  type: list
  elements: str
  sample: ["sign localhost:5000/team/app:1.0 (unsigned)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TRUST_COMMON_ARGS, TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._references import (
    TARGET_ARGS, TARGET_RULES, check_signer_name, requested_tags)
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import check_root_passphrase, check_signer_key
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import TrustCLI, explain_sign_failure, signed_tags


class TrustSign(object):

    def __init__(self, module):
        self.module = module
        p = module.params
        self.repository, self.tags = requested_tags(p, 'sign')
        if p['signer']:
            check_signer_name(p['signer'])
        self.cli = TrustCLI(module, root_passphrase=p['root_passphrase'], repository_passphrase=p['repository_passphrase'])

    def reason_to_sign(self, current, local):
        if current is None:
            return 'unsigned'
        if local is None:
            return 'local image not pushed yet'
        if local != current['digest']:
            return 'signed digest %s differs from local %s' % (current['digest'][:12], local[:12])
        signer = self.module.params['signer']
        if signer and signer not in current['signers']:
            return 'not signed by %s' % signer
        return None

    def requested(self, data):
        """The entries of data for the requested tags, keyed repository:tag."""
        return dict(('%s:%s' % (self.repository, t), data.get(t)) for t in self.tags)

    def run(self):
        state = self.module.params['state']
        data = self.cli.inspect(self.repository)
        before = signed_tags(data)
        actions = []
        local = self.cli.image_digests(self.repository, self.tags) if state == 'present' else {}
        for tag in self.tags:
            ref = '%s:%s' % (self.repository, tag)
            current = before.get(tag)
            if state == 'present':
                reason = self.reason_to_sign(current, local[tag])
                if reason:
                    actions.append(('sign', ref, reason))
            elif current is not None:
                actions.append(('revoke', ref, 'signed'))
        signer = self.module.params['signer']
        if signer and any(a[0] == 'sign' for a in actions):
            check_signer_key(self.cli.trust_dir, signer, self.module.params['repository_passphrase'])
        if data is None and actions:  # the first signature initializes the repository
            check_root_passphrase(self.module, self.cli.trust_dir, self.module.params['root_passphrase'], self.repository)
        if actions and not self.module.check_mode:
            self.cli.check_server()  # a clear error before the first change when the server is unhealthy
            done = []
            for verb, ref, dummy in actions:
                if verb == 'sign':
                    rc, out, err = self.cli.run(['trust', 'sign', ref])
                else:
                    rc, out, err = self.cli.run(['trust', 'revoke', '--yes', ref])
                if rc != 0:
                    raise TrustError('docker trust %s %s failed%s: %s'
                                     % (verb, ref, ' (after %d done, see actions)' % len(done) if done else '',
                                        explain_sign_failure((err or out).strip(), signer, self.cli, self.repository)),
                                     changed=bool(done), actions=done)
                done.append('%s %s' % (verb, ref))
            after = signed_tags(self.cli.inspect(self.repository))
        else:
            after = dict(before)
            for verb, ref, dummy in actions:
                tag = ref.rsplit(':', 1)[1]
                if verb == 'revoke':
                    after.pop(tag, None)
                else:
                    after[tag] = {'digest': '(after signing)', 'signers': [self.module.params['signer'] or '(trust directory keys)']}
        return dict(
            changed=bool(actions),
            actions=['%s %s (%s)' % a for a in actions],
            tags=self.requested(after),
            diff=dict(before=self.requested(before), after=self.requested(after)),
        )


def main():
    argument_spec = dict(
        signer=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        repository_passphrase=dict(type='str', no_log=True),
        root_passphrase=dict(type='str', no_log=True),
    )
    argument_spec.update(TARGET_ARGS)
    argument_spec.update(TRUST_COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **TARGET_RULES)
    run_module(module, lambda m: TrustSign(m).run())


if __name__ == '__main__':
    main()
