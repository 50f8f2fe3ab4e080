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
  - Makes the trust data of tags match what you ask.
  - With I(state=present), a tag is signed only when it is unsigned, signed for a different digest than the one
    I(source) names (the local image's, or what the registry serves), or not signed by I(signer).
  - "Signing is batched: every tag to sign is staged with the notary CLI (C(notary addhash)) on the docker trust
    directory and published once, into the roles C(docker trust sign) would put it in (C(targets) when the
    repository has no delegations, else each direct delegation of C(targets) whose key the trust directory holds
    and whose paths allow the tag: C(targets/releases) and C(targets/<signer>) for a signer added with
    M(dct.trust_stack.trust_signer)). The target is the tag, its hash the manifest's digest, its length the
    manifest's size, as C(docker trust sign) records them, so the docker CLI, the notary CLI, the
    P(dct.trust_stack.trusted_digest#lookup) lookup and M(dct.trust_stack.trust_pull) all verify it."
  - A repository with no trust data yet is initialized the way C(docker trust sign) does it (the trust directory's
    root key or a new one, a server-managed snapshot, and a signer named after the registry user, whose key is the
    trust directory's or a new one), then every tag is signed in one batch. Add signers first with
    M(dct.trust_stack.trust_signer) to choose who signs.
  - A publish the notary server refuses because another signer published to the same repository first (notary
    answers 400, or 500 for a database deadlock) is tried again on the newest metadata, up to I(publish_retries)
    more times, so concurrent jobs signing tags of one repository each get theirs signed.
  - With I(state=absent), a signed tag's signature is revoked as C(docker trust revoke) does it (C(notary remove)
    from every role the trust directory can sign, one publish for all); an unsigned tag is left alone.
  - Reads the current state with one C(notary list) per repository (notary's TUF client verifies what it caches;
    the signed tags and signers are read from that cache as C(docker trust inspect) shows them), plus one look at
    the local images of all its tags (docker's engine over its unix socket, else one C(docker image inspect) or
    C(podman image inspect)), or with I(source=registry) one C(HEAD) of each tag's manifest on the registry.
  - C(docker trust) is never run, so this works with docker CLI 29, with podman, and with I(source=registry) on a
    host with no container CLI at all.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.targets
  - dct.trust_stack.trust
  - dct.trust_stack.trust.publish
options:
  source:
    description:
      - What a tag is signed for.
      - C(local) (the default) the local image of that name in the image store of I(docker_cli) (docker's engine,
        or podman's storage); each tag to sign is pushed first with C(docker push) or C(podman push) (content
        trust off, several at once) and signed for the digest and size of the pushed manifest (what C(docker push)
        reports; with podman, what the registry serves after the push).
      - C(registry) what the registry serves for the tag now (its manifest, or its image index for a multi-arch
        image), read with the registry credentials C(docker login) stored in I(config_dir) and the CA in
        C(/etc/docker/certs.d/<registry>/ca.crt); nothing is pushed and no local image is needed. The repository
        must have trust data already (see M(dct.trust_stack.trust_signer)). A tag the registry does not have is
        an error, before anything changes.
    type: str
    choices: [local, registry]
    default: local
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
      - Passphrase of the repository's targets (and snapshot) key, as C(DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE)
        for the docker CLI and C(NOTARY_TARGETS_PASSPHRASE) and C(NOTARY_SNAPSHOT_PASSPHRASE) for the notary CLI;
        also of the signer's key when I(signer_passphrase) is unset (the docker CLI uses one passphrase for both).
    type: str
  signer_passphrase:
    description:
      - Passphrase of the signer's key (the one M(dct.trust_stack.trust_key) loaded or generated), as
        C(NOTARY_DELEGATION_PASSPHRASE) for the notary CLI. Unset, I(repository_passphrase).
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
    signer_passphrase: "{{ vault_alice_passphrase }}"

- name: Sign what CI already pushed (a multi-arch index included), with no local image and no push
  dct.trust_stack.trust_sign:
    repository: localhost:5000/team/app
    tags: ["2.0"]
    source: registry
    signer: alice
    server: https://localhost:4443
    signer_passphrase: "{{ vault_alice_passphrase }}"

- name: Revoke the signature of a withdrawn tag
  dct.trust_stack.trust_sign:
    images: [localhost:5000/team/app:0.9]
    state: absent
    signer_passphrase: "{{ vault_alice_passphrase }}"
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
    - When a run fails part-way through, the failure reports C(changed=true) and here the actions done before it
      (C(push ...) for tags pushed but not signed).
  returned: always
  type: list
  elements: str
  sample: ["sign localhost:5000/team/app:1.0 (unsigned)"]
publish_refusals:
  description: How many publishes the notary server refused because another signer had published first, before
    the one that went through (each was tried again on the newest metadata).
  returned: always
  type: int
  sample: 0
'''

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, publish_retries, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._options import (
    GROUP_ARGS, PASSPHRASE_ARGS, PUBLISH_ARGS, TARGET_ARGS, TARGET_RULES)
from ansible_collections.dct.trust_stack.plugins.module_utils._references import check_signer_name, requested_tags
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import (
    check_root_passphrase, check_signer_key, keys_of_role, public_key_pem)
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import ContainerCLI, NotaryCLI
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import explain_sign_failure
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import RELEASES, signed_tags
from ansible_collections.dct.trust_stack.plugins.module_utils._registry import manifest_head, read_many, registry_ca
from ansible_collections.dct.trust_stack.plugins.module_utils._staging import (
    cached_targets, signable_roles, stage_and_publish)


class TrustSign(object):

    def __init__(self, module):
        self.module = module
        p = module.params
        self.repository, self.tags = requested_tags(p, 'sign')
        self.retries = publish_retries(p)
        self.signer = p['signer']
        if self.signer:
            check_signer_name(self.signer)
        self.cli = ContainerCLI(module)
        passphrase = p['repository_passphrase']
        self.notary = NotaryCLI(module, dict(root=p['root_passphrase'], targets=passphrase, snapshot=passphrase,
                                             delegation=p['signer_passphrase'] or passphrase), self.repository)
        self.signer_passphrase = p['signer_passphrase'] or p['repository_passphrase']
        self.registry_digests = {}  # source=registry: {tag: (hex, size)}

    def registry_state(self):
        """{tag: (hex digest, size)} the registry serves each tag with now, read with a few requests at once."""
        ca_file = registry_ca(self.repository.partition('/')[0])
        credentials = self.cli.credentials(self.repository)

        def one(tag):
            return tag, manifest_head(self.repository, tag, ca_file, credentials, self.cli.timeout())
        found = dict(read_many(one, self.tags))
        missing = sorted(t for t, v in found.items() if not v)
        if missing:
            raise TrustError('source=registry: the registry has no tag %s in %s: push it first'
                             % (', '.join(missing), self.repository))
        return dict((tag, (digest.partition(':')[2], size)) for tag, (digest, size) in found.items())

    def wanted_digests(self):
        """{tag: the hex digest the tag should be signed for, or None when the local image was never pushed}."""
        if self.module.params['source'] == 'registry':
            self.registry_digests = self.registry_state()
            return dict((tag, value[0]) for tag, value in self.registry_digests.items())
        return self.cli.image_digests(self.repository, self.tags)

    def reason_to_sign(self, current, wanted):
        where = 'the registry\'s' if self.module.params['source'] == 'registry' else 'local'
        if current is None:
            return 'unsigned'
        if wanted is None:
            return 'local image not pushed yet'
        if wanted != current['digest']:
            return 'signed digest %s differs from %s %s' % (current['digest'][:12], where, wanted[:12])
        if self.signer and self.signer not in current['signers']:
            return 'not signed by %s' % self.signer
        return None

    def requested(self, data):
        """The entries of data for the requested tags, keyed repository:tag."""
        return dict(('%s:%s' % (self.repository, t), data.get(t)) for t in self.tags)

    def roles(self, tags):
        """{tag: the roles docker trust sign would sign it into}; TrustError before any change when there are none,
        or when signer is not among them."""
        found = signable_roles(cached_targets(self.notary.trust_dir, self.repository), self.notary.trust_dir, tags)
        for tag in tags:
            roles = found[tag]
            if not roles:
                raise TrustError('the trust directory %s holds no key of a delegation of %s that may sign tag %s: add a '
                                 'signer with dct.trust_stack.trust_signer' % (self.notary.trust_dir, self.repository, tag))
            if self.signer and 'targets/%s' % self.signer not in roles:
                raise TrustError('signer "%s" cannot sign %s:%s: it is not a delegation of the repository, or its paths '
                                 'leave the tag out (the trust directory can sign into: %s)'
                                 % (self.signer, self.repository, tag, ', '.join(roles)))
        return found

    def fail(self, what, message, done):
        raise TrustError('%s%s: %s' % (what, ' (after %d done, see actions)' % len(done) if done else '',
                                       explain_sign_failure(message, self.signer, self.notary, self.repository)),
                         changed=bool(done), actions=done)

    def initialize(self):
        """Make the repository's trust data as `docker trust sign` does for a repository that has none: initialized,
        and a signer named after the registry user (its key the trust directory's, else a new one) added to
        targets/releases and targets/<user>. Return the action done."""
        credentials = self.cli.credentials(self.repository)
        if not credentials:
            raise TrustError('%s has no trust data yet, and docker trust names its first signer after the registry user, '
                             'but %s/config.json has no login for its registry: docker login, or add a signer with '
                             'dct.trust_stack.trust_signer first' % (self.repository, self.cli.config_dir))
        user = credentials[0]
        check_signer_name(user)
        held = sorted(keys_of_role(self.notary.trust_dir, user))
        key_id = held[0] if held else self.notary.generate_key(user)
        workdir = tempfile.mkdtemp(prefix='dct-signer-', dir=self.module.tmpdir)
        try:
            public = os.path.join(workdir, user + '.pub')
            with open(public, 'wb') as handle:
                handle.write(public_key_pem(self.module, os.path.join(self.notary.trust_dir, 'private', key_id + '.key'),
                                            self.signer_passphrase, user))
            self.notary.initialize(self.repository, [['delegation', 'add', '--all-paths', self.repository, role, public]
                                                     for role in ('targets/' + user, RELEASES)])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return user

    def sign(self, tags, roles):
        """Sign tags (in the order asked) into roles ({tag: roles}, None for a repository with no trust data yet);
        return the actions done and how many publishes were refused."""
        done = []
        if roles is None:  # the repository made the docker way first, then every tag in one batch
            user = self.initialize()
            done.append('initialize %s with signer %s' % (self.repository, user))
            # the two delegations just made, every path: what roles() would read, without another notary list
            roles = dict((tag, sorted(['targets/' + user, RELEASES])) for tag in tags)
        pushes = []  # what a failed publish leaves done: the pushes
        if self.module.params['source'] == 'registry':
            digests = dict((t, self.registry_digests[t]) for t in tags)
        else:
            try:
                digests = self.cli.push(self.repository, tags)
            except TrustError as exc:
                exc.result['actions'] = done + exc.result.get('actions', [])
                exc.result['changed'] = bool(exc.result['actions'])
                raise
            pushes = ['push %s:%s' % (self.repository, t) for t in tags]
        try:
            refused = stage_and_publish(self.notary, self.repository, dict((t, digests[t] + (roles[t],)) for t in tags),
                                        self.retries)
        except TrustError as exc:
            self.fail('signing %d tags of %s failed, none of them is signed' % (len(tags), self.repository),
                      str(exc), done + pushes)
        return done + ['sign %s:%s' % (self.repository, t) for t in tags], refused

    def revoke(self, tags, done):
        """Revoke tags as `docker trust revoke` does: remove each from every role the trust directory can sign it in,
        then one publish. Return how many publishes were refused."""
        roles = signable_roles(cached_targets(self.notary.trust_dir, self.repository), self.notary.trust_dir, tags)
        steps = []
        for tag in tags:
            if not roles[tag]:
                raise TrustError('cannot revoke %s:%s: the trust directory %s holds no key of a role that signed it'
                                 % (self.repository, tag, self.notary.trust_dir), changed=bool(done), actions=done)
            delegated = [role for role in roles[tag] if role != 'targets']
            steps.append(['remove', self.repository, tag] + (['--roles', ','.join(delegated)] if delegated else []))
        try:
            return self.notary.change(self.repository, steps, 'revoking %s of %s' % (', '.join(tags), self.repository),
                                      self.retries)
        except TrustError as exc:
            self.fail('revoking %s failed' % ', '.join('%s:%s' % (self.repository, t) for t in tags), str(exc), done)

    def run(self):
        state = self.module.params['state']
        data = self.notary.inspect(self.repository)
        before = signed_tags(data)
        if state == 'present' and data is None and self.module.params['source'] == 'registry':
            raise TrustError('%s has no trust data yet: source=registry signs repositories that have it; add a signer '
                             'with dct.trust_stack.trust_signer first' % self.repository)
        actions = []
        wanted = self.wanted_digests() if state == 'present' else {}
        for tag in self.tags:
            ref = '%s:%s' % (self.repository, tag)
            current = before.get(tag)
            if state == 'present':
                reason = self.reason_to_sign(current, wanted[tag])
                if reason:
                    actions.append(('sign', ref, reason))
            elif current is not None:
                actions.append(('revoke', ref, 'signed'))
        to_sign = [ref.rsplit(':', 1)[1] for verb, ref, dummy in actions if verb == 'sign']
        to_revoke = [ref.rsplit(':', 1)[1] for verb, ref, dummy in actions if verb == 'revoke']
        if self.signer and to_sign:
            check_signer_key(self.module, self.notary.trust_dir, self.signer, self.signer_passphrase)
        if data is None and actions:  # the first signature initializes the repository
            check_root_passphrase(self.module, self.notary.trust_dir, self.module.params['root_passphrase'], self.repository)
        # which roles each tag goes into (check mode too): an error now, before the first push, when one cannot be signed
        roles = self.roles(to_sign) if to_sign and data is not None else None
        refused = 0
        if actions and not self.module.check_mode:
            self.notary.check_server()  # a clear error before the first change when the server is unhealthy
            done = []
            if to_sign:
                done, refused = self.sign(to_sign, roles)
            if to_revoke:
                refused += self.revoke(to_revoke, done)
                done += ['revoke %s:%s' % (self.repository, t) for t in to_revoke]
            try:
                after = signed_tags(self.notary.inspect(self.repository))
            except TrustError as exc:
                raise TrustError('%s published, but reading the trust data back failed (after %d done, see actions): %s'
                                 % (self.repository, len(done), exc), changed=True, actions=done)
        else:
            after = dict(before)
            for verb, ref, dummy in actions:
                tag = ref.rsplit(':', 1)[1]
                if verb == 'revoke':
                    after.pop(tag, None)
                else:
                    after[tag] = {'digest': wanted.get(tag) or '(after signing)', 'signers': [self.signer or '(trust directory keys)']}
        return dict(
            changed=bool(actions),
            actions=['%s %s (%s)' % a for a in actions],
            publish_refusals=refused,
            tags=self.requested(after),
            diff=dict(before=self.requested(before), after=self.requested(after)),
        )


def main():
    argument_spec = dict(
        signer=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        source=dict(type='str', default='local', choices=['local', 'registry']),
        root_passphrase=PASSPHRASE_ARGS['root_passphrase'],
        repository_passphrase=PASSPHRASE_ARGS['repository_passphrase'],
        signer_passphrase=PASSPHRASE_ARGS['signer_passphrase'],
    )
    for shared in (GROUP_ARGS, PUBLISH_ARGS, TARGET_ARGS):
        argument_spec.update(shared)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **TARGET_RULES)
    run_module(module, lambda m: TrustSign(m).run())


if __name__ == '__main__':
    main()
