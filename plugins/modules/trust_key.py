#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_key
short_description: Load or generate a Docker Content Trust signer key
version_added: 0.1.0
description:
  - Puts a signer's private key into the docker trust directory, either by loading a PEM key or by generating one,
    with the notary CLI (C(notary key import), C(notary key generate)). It is the key file, role and encryption
    C(docker trust key load) and C(docker trust key generate) make, so C(docker trust) signs with it too. No docker
    CLI is needed.
  - Computes the key's TUF key ID locally and does nothing when a key with that ID and role is already
    in the trust directory, so a re-run never asks the CLI to change anything.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
options:
  signer:
    description:
      - The signer name (the key's role); it must match C(^[a-z0-9][a-z0-9_-]*$) and must not be C(releases).
    type: str
    required: true
    aliases: [name]
  src:
    description:
      - Path on the managed host of a PEM private key to load. It must not be readable by group or
        others (the docker CLI refuses such a file too). Mutually exclusive with I(generate).
    type: path
  generate:
    description:
      - Generate a new key pair for I(signer) instead of loading one; the public key is written to
        I(public_key_dir)/I(signer).pub. A second run finds that key and generates nothing.
    type: bool
    default: false
  public_key_dir:
    description: Where I(generate) writes the public key. Required with I(generate).
    type: path
  signer_passphrase:
    description:
      - Passphrase that encrypts the signer's key in the trust directory (and decrypts I(src) when it is encrypted),
        passed as C(DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE). M(dct.trust_stack.trust_sign) signs with it.
    type: str
    required: true
    aliases: [passphrase]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: the key IDs of role I(signer) in the trust directory before and after.
seealso:
  - module: dct.trust_stack.trust_signer
'''

EXAMPLES = r'''
- name: Load alice's key
  dct.trust_stack.trust_key:
    signer: alice
    src: /home/ci/keys/alice.key
    signer_passphrase: "{{ vault_alice_passphrase }}"

- name: Generate a key for the CI signer
  dct.trust_stack.trust_key:
    signer: ci
    generate: true
    public_key_dir: /home/ci/keys
    signer_passphrase: "{{ vault_ci_passphrase }}"
  register: ci_key
'''

RETURN = r'''
key_id:
  description: The TUF key ID of the signer's key.
  returned: success
  type: str
  sample: 35a87de66d878f39b0f1ac1f80b8d8eb150f7cfa4c3b870cb2137b4084b6af01
public_key:
  description: Path of the public key, with I(generate).
  returned: when generate is true
  type: str
'''

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._options import GROUP_ARGS, alias
from ansible_collections.dct.trust_stack.plugins.module_utils._references import check_signer_name
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import (
    key_id_from_file, keys_of_role, public_key_pem, unencrypted_pem)
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import NotaryCLI


def run(module):
    p = module.params
    check_signer_name(p['signer'])
    notary = NotaryCLI(module, {'delegation': p['signer_passphrase']})
    before = sorted(keys_of_role(notary.trust_dir, p['signer']))
    result = dict(changed=False)

    if p['generate']:
        public = os.path.join(p['public_key_dir'], p['signer'] + '.pub')
        key_id = key_id_from_file(public) if os.path.exists(public) else None
        result['public_key'] = public
        if key_id is None or key_id not in before:
            if not os.path.isdir(p['public_key_dir']):
                raise TrustError('public_key_dir %s does not exist' % p['public_key_dir'])
            result['changed'] = True
            if os.path.exists(public):
                raise TrustError('%s exists but its private key is not in %s/private; remove it or load '
                                 'the private key with src' % (public, notary.trust_dir))
            if not module.check_mode:
                key_id = notary.generate_key(p['signer'])
                pem = public_key_pem(module, os.path.join(notary.trust_dir, 'private', key_id + '.key'),
                                     p['signer_passphrase'], p['signer'])
                fd = os.open(public, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, 'wb') as handle:
                    handle.write(pem)
    else:
        src = p['src']
        if not os.path.isfile(src):
            raise TrustError('key file %s does not exist' % src)
        mode = stat.S_IMODE(os.stat(src).st_mode)
        if mode & 0o077:
            raise TrustError('key file %s is readable by group or others (mode %04o); chmod 0600 it '
                             '(docker trust key load refuses it too)' % (src, mode))
        key_id = key_id_from_file(src, password=p['signer_passphrase'])
        if key_id not in before:
            result['changed'] = True
            if not module.check_mode:
                with open(src, 'rb') as handle:
                    notary.import_key(p['signer'], unencrypted_pem(module, handle.read(), p['signer_passphrase']))

    after = before if not result['changed'] else sorted(set(before) | set([key_id] if key_id else []))
    if result['changed'] and not module.check_mode:
        after = sorted(keys_of_role(notary.trust_dir, p['signer']))
    result.update(key_id=key_id, diff=dict(before={p['signer']: before}, after={p['signer']: after}))
    return result


def main():
    argument_spec = dict(
        signer=alias(dict(type='str', required=True), 'name'),
        src=dict(type='path'),
        generate=dict(type='bool', default=False),
        public_key_dir=dict(type='path'),
        signer_passphrase=alias(dict(type='str', required=True, no_log=True), 'passphrase'),
    )
    argument_spec.update(GROUP_ARGS)
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('src', 'generate')],
        required_if=[('generate', True, ('public_key_dir',))],
    )
    if not module.params['generate'] and not module.params['src']:
        module.fail_json(msg='one of src (load a key) or generate=true is required')
    run_module(module, run)


if __name__ == '__main__':
    main()
