#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_mirror
short_description: Mirror verified Docker Content Trust signatures into signatures podman, skopeo and CRI-O verify
version_added: 1.0.0
description:
  - For each repository, reads every signed tag with notary's own TUF client under pinned roots, failing closed,
    exactly as P(dct.trust_stack.trusted_digest#lookup) and M(dct.trust_stack.trust_pull) verify it (optionally only
    the tags I(signer) signed), and makes a containers-image signature (GPG "simple signing", the format
    C(containers-policy.json(5)) checks with C(signedBy)) of each signed digest for that repository, with the mirror
    key, into I(lookaside_dir), where the stack's front serves it to C(containers-registries.d(5)) clients.
  - The manifest signed is fetched by its digest and checked against it, so content the registry serves under a
    signed digest but that is not that digest is never signed. skopeo (C(skopeo standalone-sign)) makes the
    signature, GPG signs it; this module writes neither format nor cryptography itself.
  - Keeps the two in step. A digest no longer signed under any tag of the repository (a revocation, a tag moved to
    other content) loses its signature, and a re-run changes nothing. Signatures made with another key (a new or a
    restored mirror key; the lookaside records the key's fingerprint) are made again.
  - A repository whose DCT verification fails (unsigned, root mismatch, not pinned, expired, unreachable, not
    allowed) gets no new signature and loses none; the module fails at the end naming each such repository and why,
    after mirroring the others.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.verify
  - dct.trust_stack.attributes
options:
  repositories:
    description: The repositories (C([host[:port]/]name)) whose signed tags to mirror.
    type: list
    elements: str
    required: true
  lookaside_dir:
    description:
      - The directory on the host the signatures are written to, the one the front serves as the lookaside
        (C(front_signatures_dir)). Signatures are C(<lookaside_dir>/<repository without the registry>@sha256=<hex>/signature-1).
    type: path
    required: true
  gpg_home:
    description: The GnuPG home (C(GNUPGHOME)) that holds the mirror key.
    type: path
    required: true
  key_fingerprint:
    description: The fingerprint of the mirror key in I(gpg_home).
    type: str
    required: true
  key_passphrase:
    description: The mirror key's passphrase; it reaches skopeo in a 0600 file of a private temporary directory.
    type: str
    required: true
  registry:
    description:
      - The registry (C(host:port)) to fetch the manifests from, when this host reaches it by another name than the
        repositories carry (the stack host reaching its front on a published port). The signatures are made for the
        repositories' own names, the ones clients pull.
      - Unset, each repository's own registry.
    type: str
  skopeo_cli:
    description: The skopeo CLI (Debian package C(skopeo)), a name looked up in C(PATH) or a path.
    type: str
    default: skopeo
attributes:
  check_mode:
    support: full
    details: The trust data is verified in check mode too; the result says which digests would gain or lose a signature.
  diff_mode:
    support: full
    details: per repository, the digests with a signature before and after.
requirements:
  - skopeo and gpg (Debian packages C(skopeo), C(gpg)) on the host
seealso:
  - module: dct.trust_stack.trust_pull
'''

EXAMPLES = r'''
- name: Mirror every signed tag of the team's repositories
  dct.trust_stack.trust_mirror:
    repositories: [registry.example.com:5000/team/app, registry.example.com:5000/team/db]
    lookaside_dir: /var/lib/dct-trust-stack/trust/signatures
    gpg_home: /etc/dct-trust-stack/trust/mirror/gnupg
    key_fingerprint: "{{ mirror_fingerprint }}"
    key_passphrase: "{{ vault_mirror_passphrase }}"
    server: https://notary.example.com:4443
    pins: {"registry.example.com:5000/team/*": ["{{ team_root_key_id }}"]}
    disable_tofu: true
'''

RETURN = r'''
repositories:
  description: Per repository, C(signed) (tag to digest, as verified), C(added) and C(removed) (digests whose
    signature was, or in check mode would be, written or removed), or C(error) (why it was not mirrored).
  returned: always
  type: dict
added:
  description: How many signatures were (or would be) written.
  returned: always
  type: int
removed:
  description: How many signatures were (or would be) removed.
  returned: always
  type: int
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._cli import find_cli, module_runner
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._mirror import SimpleSigningWriter
from ansible_collections.dct.trust_stack.plugins.module_utils._options import VERIFY_ARGS
from ansible_collections.dct.trust_stack.plugins.module_utils._references import check_signer_name, split_repository
from ansible_collections.dct.trust_stack.plugins.module_utils._registry import manifest_bytes, registry_ca
from ansible_collections.dct.trust_stack.plugins.module_utils._verify import NotaryVerifier, credentials_for, settle


def run(module):
    p = module.params
    repositories = [split_repository(gun) for gun in p['repositories']]
    if p['signer']:
        check_signer_name(p['signer'])
    if not os.path.isdir(p['lookaside_dir']):
        raise TrustError('lookaside_dir %s does not exist (the front role makes it: front_signatures_dir)' % p['lookaside_dir'])
    settings = settle(p)
    writer = SimpleSigningWriter(module, p['lookaside_dir'], find_cli(module, p['skopeo_cli'], 'skopeo_cli'),
                                 p['gpg_home'], p['key_fingerprint'], p['key_passphrase'])
    verifier = NotaryVerifier(module_runner(module), settings, notary_cli=p['notary_cli'],
                              credentials=lambda gun: credentials_for(p, gun), timeout=p['timeout'])
    found, before, after, failed = {}, {}, {}, []
    key_changed = writer.key_changed()
    try:
        for gun in repositories:
            present = writer.present(gun)
            before[gun] = sorted(present)
            # signatures made with another key are made again
            valid = set() if key_changed else present
            try:
                signed = verifier.signed(gun, p['signer'])
            except TrustError as exc:
                found[gun] = dict(error=str(exc), signed={}, added=[], removed=[])
                after[gun] = before[gun]
                failed.append(str(exc))
                continue
            wanted = set(signed.values())
            entry = found[gun] = dict(signed=signed, added=sorted(wanted - valid), removed=sorted(present - wanted))
            after[gun] = sorted(wanted)
            if module.check_mode:
                continue
            source = '%s/%s' % (p['registry'], gun.partition('/')[2]) if p['registry'] else gun
            ca_file = registry_ca(source.partition('/')[0], settings['ca_cert'])
            for digest in entry['added']:
                try:
                    writer.add(gun, digest, manifest_bytes(source, digest, ca_file, credentials_for(p, gun, 'registry_'),
                                                           p['timeout']))
                except TrustError as exc:
                    raise TrustError(str(exc), changed=any(f.get('added') or f.get('removed') for f in found.values()),
                                     repositories=found)
            for digest in entry['removed']:
                writer.remove(gun, digest)
        if key_changed and not failed and not module.check_mode:
            writer.mark_key()
    finally:
        verifier.close()
    added = sum(len(f['added']) for f in found.values())
    removed = sum(len(f['removed']) for f in found.values())
    result = dict(changed=bool(added or removed), repositories=found, added=added, removed=removed,
                  diff=dict(before=before, after=after))
    if failed:
        raise TrustError('not mirrored (nothing written for these repositories): %s' % '; '.join(failed), **result)
    return result


def main():
    argument_spec = dict(
        repositories=dict(type='list', elements='str', required=True),
        lookaside_dir=dict(type='path', required=True),
        gpg_home=dict(type='path', required=True),
        key_fingerprint=dict(type='str', required=True, no_log=False),
        key_passphrase=dict(type='str', required=True, no_log=True),
        registry=dict(type='str'),
        skopeo_cli=dict(type='str', default='skopeo'),
    )
    argument_spec.update(VERIFY_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
