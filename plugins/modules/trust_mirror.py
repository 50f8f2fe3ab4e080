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
    description:
      - The repositories (C(host[:port]/name)) whose signed tags to mirror, all of one registry (I(registry)).
      - Under I(disable_tofu), a repository no pin matches is refused before anything is read or written.
      - One of I(repositories) and I(all_repositories).
    type: list
    elements: str
  all_repositories:
    description:
      - Mirror every repository the catalog of I(registry) lists (C(/v2/_catalog), which the front shows its
        administrator only). A repository without trust data has nothing to mirror; its signatures, if any, are
        removed.
      - One of I(repositories) and I(all_repositories).
    type: bool
    default: false
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
      - The registry (C(host:port), as clients pull from it) whose signatures I(lookaside_dir) holds. The paths below
        a lookaside name no registry, so one lookaside is for one registry, and a repository of another registry is
        refused before anything is written.
      - Unset, the registry of I(repositories), which must all name the same one. Required with I(all_repositories).
    type: str
  registry_address:
    description:
      - Where this host reaches I(registry) (C(host:port)), when it is by another name (the stack host reaching its
        front on a published port). The manifests are read there; the signatures are made for the repositories' own
        names, the ones clients pull.
      - Unset, I(registry).
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
from ansible_collections.dct.trust_stack.plugins.module_utils._registry import catalog, manifest_bytes, read_many, registry_ca
from ansible_collections.dct.trust_stack.plugins.module_utils._verify import NotaryVerifier, credentials_for, pin_for, settle


def run(module):
    p = module.params
    if p['signer']:
        check_signer_name(p['signer'])
    if bool(p['repositories']) == p['all_repositories']:
        raise TrustError('give repositories (a list) or all_repositories: true (with registry), one of them')
    if p['all_repositories'] and not p['registry']:
        raise TrustError('all_repositories needs registry: the registry whose catalog to read')
    repositories = [split_repository(gun) for gun in p['repositories'] or []]
    registry = p['registry'] or repositories[0].partition('/')[0]
    outside = [gun for gun in repositories if gun.partition('/')[0] != registry]
    if outside:
        raise TrustError('not in registry %s, whose signatures lookaside_dir holds (its paths name no registry, so one '
                         'lookaside is for one registry): %s. Nothing was mirrored.' % (registry, ', '.join(outside)))
    if not os.path.isdir(p['lookaside_dir']):
        raise TrustError('lookaside_dir %s does not exist (the front role makes it: front_signatures_dir)' % p['lookaside_dir'])
    settings = settle(p)
    address = p['registry_address'] or registry
    ca_file = registry_ca(address, settings['ca_cert'])
    registry_credentials = credentials_for(p, registry, 'registry_')
    if p['all_repositories']:
        repositories = ['%s/%s' % (registry, name)
                        for name in catalog(address, ca_file, registry_credentials, p['timeout'])]
    elif settings['disable_tofu']:
        unpinned = [gun for gun in repositories if pin_for(gun, settings['pins']) is None]
        if unpinned:
            raise TrustError('not pinned: no pin matches %s and disable_tofu is set. Nothing was mirrored.'
                             % ', '.join(unpinned))
    writer = SimpleSigningWriter(module, p['lookaside_dir'], find_cli(module, p['skopeo_cli'], 'skopeo_cli'),
                                 p['gpg_home'], p['key_fingerprint'], p['key_passphrase'])
    verifier = NotaryVerifier(module_runner(module), settings, notary_cli=p['notary_cli'],
                              credentials=lambda gun: credentials_for(p, gun), timeout=p['timeout'])
    found, before, after, failed = {}, {}, {}, []
    key_changed = writer.key_changed()
    # 1. verify: what each repository has signed now, against what the lookaside holds
    try:
        for gun in repositories:
            present = writer.present(gun)
            before[gun] = after[gun] = sorted(present)
            try:
                signed = verifier.signed(gun, p['signer'])
            except TrustError as exc:
                if not (p['all_repositories'] and exc.status == 404):
                    found[gun] = dict(error=str(exc), signed={}, added=[], removed=[])
                    failed.append(str(exc))
                    continue
                # a repository of the catalog that has no trust data: nothing of it is signed
                signed = {}
            wanted = set(signed.values())
            # signatures made with another key are made again
            valid = set() if key_changed else present
            found[gun] = dict(signed=signed, added=sorted(wanted - valid), removed=sorted(present - wanted))
            after[gun] = sorted(wanted)
    finally:
        verifier.close()
    if not module.check_mode:
        # 2. sign every digest to add, each manifest fetched by its digest and checked against it; nothing is
        # written until all are signed, so a wrong passphrase or a refusing registry leaves the lookaside as it was
        wanted = [(gun, digest) for gun, entry in sorted(found.items()) for digest in entry['added']]
        try:
            manifests = read_many(lambda item: manifest_bytes(
                '%s/%s' % (address, item[0].partition('/')[2]), item[1], ca_file, registry_credentials, p['timeout']),
                wanted)
            signatures = writer.sign([item + (manifest,) for item, manifest in zip(wanted, manifests)], p['timeout'])
        except TrustError as exc:
            raise TrustError('%s. Nothing was mirrored.' % exc, repositories=found)
        # 3. write
        for (gun, digest), signature in zip(wanted, signatures):
            writer.store(gun, digest, signature)
        for gun, entry in found.items():
            for digest in entry['removed']:
                writer.remove(gun, digest)
        if key_changed and not failed:
            writer.mark_key()
    added = sum(len(f['added']) for f in found.values())
    removed = sum(len(f['removed']) for f in found.values())
    result = dict(changed=bool(added or removed), repositories=found, added=added, removed=removed,
                  diff=dict(before=before, after=after))
    if failed:
        raise TrustError('not mirrored (nothing written for these repositories): %s' % '; '.join(failed), **result)
    return result


def main():
    argument_spec = dict(
        repositories=dict(type='list', elements='str'),
        all_repositories=dict(type='bool', default=False),
        lookaside_dir=dict(type='path', required=True),
        gpg_home=dict(type='path', required=True),
        key_fingerprint=dict(type='str', required=True, no_log=False),
        key_passphrase=dict(type='str', required=True, no_log=True),
        registry=dict(type='str'),
        registry_address=dict(type='str'),
        skopeo_cli=dict(type='str', default='skopeo'),
    )
    argument_spec.update(VERIFY_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
