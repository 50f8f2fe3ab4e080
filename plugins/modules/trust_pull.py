#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_pull
short_description: Pull exactly the signed content of image tags, verified with pinned roots, with docker or podman
version_added: 0.5.0
description:
  - Resolves each tag to the digest the notary server's trust data signs it with, verified by the notary CLI with
    the pinned root keys (see P(dct.trust_stack.trusted_digest#lookup), which does the same on the controller), then pulls
    C(repository@sha256:<digest>) and tags it locally as C(repository:tag).
  - Enforcement does not depend on the container CLI. It works with docker CLI 20.10 to 29 (29 enforces nothing and
    may have no C(docker trust)), with podman and with podman-docker's C(docker); C(DOCKER_CONTENT_TRUST) is not needed.
  - Nothing is pulled when the local tag already points at the signed digest.
  - Fails closed, before anything is pulled or tagged, naming the tag and the reason (unsigned, wrong signer, root
    mismatch, not pinned, expired, unreachable, not trusted, not allowed). A pull by digest is verified by the
    engine too, so content that does not match the signed digest is never stored.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.targets
  - dct.trust_stack.verify
  - dct.trust_stack.attributes
options:
  docker_cli:
    description:
      - The container CLI that pulls and tags, a name looked up in C(PATH) or a path. C(docker) (any version,
        C(docker trust) not needed) or C(podman) (or podman-docker's C(docker)).
      - It pulls with the credentials it has (C(docker login), C(podman login)) and the registry CA it trusts
        (C(/etc/docker/certs.d/), C(/etc/containers/certs.d/); P(dct.trust_stack.trust_client#role) puts both there).
    type: str
    default: docker
    aliases: [cli]
attributes:
  check_mode:
    support: full
    details: The trust data is verified in check mode too; a tag that would fail fails.
  diff_mode:
    support: full
    details: per tag, the digest the local tag points at before and after.
seealso:
  - plugin: dct.trust_stack.trusted_digest
    plugin_type: lookup
  - module: dct.trust_stack.trust_info
'''

EXAMPLES = r'''
- name: Pull the signed team/app:1.0, its root pinned (the pins come from trust_info on the signing side)
  dct.trust_stack.trust_pull:
    images: [registry.example.com:5000/team/app:1.0]
    pins:
      "registry.example.com:5000/team/*": ["{{ team_root_key_id }}"]
    disable_tofu: true

- name: Pull two tags with podman, as trust_client configured the host's notary client
  dct.trust_stack.trust_pull:
    repository: localhost:5000/team/app
    tags: ["1.0", "1.1"]
    docker_cli: podman
    notary_config: ~/.notary/config.json
    signer: release
'''

RETURN = r'''
images:
  description: Per tag (C(repository:tag)), the signed C(digest), the C(reference) pulled (C(repository@digest)), the
    C(role) that signs it, and whether it was (or, in check mode, would be) pulled (C(pulled)).
  returned: always
  type: dict
  sample:
    localhost:5000/team/app:1.0:
      digest: sha256:9a1d3b3c3faebfbbb073973776abfd6dd3fb397fe1c0a896f2f1918bc752c831
      reference: localhost:5000/team/app@sha256:9a1d3b3c3faebfbbb073973776abfd6dd3fb397fe1c0a896f2f1918bc752c831
      role: targets/releases
      pulled: true
actions:
  description: What was done (or would be done), one line per tag; on a failure part-way, what was done before it.
  returned: always
  type: list
  elements: str
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._cli import find_cli, module_runner, timed
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import pull_failure
from ansible_collections.dct.trust_stack.plugins.module_utils._options import DOCKER_CLI_ARGS, TARGET_ARGS, TARGET_RULES, VERIFY_ARGS, alias
from ansible_collections.dct.trust_stack.plugins.module_utils._references import requested_tags
from ansible_collections.dct.trust_stack.plugins.module_utils._verify import verify_tags


class TrustPull(object):

    def __init__(self, module):
        self.module = module
        p = module.params
        repository, tags = requested_tags(p, 'pull')
        self.refs = ['%s:%s' % (repository, t) for t in tags]
        self.cli = find_cli(module, p['docker_cli'], 'docker_cli')
        self.runner = module_runner(module)

    def engine(self, args):
        """Run the container CLI; content trust of the docker CLI off, the digest is what is verified."""
        return self.runner(timed([self.cli] + args, self.module.params['timeout'] or 120), {'DOCKER_CONTENT_TRUST': '0'})

    def local_digests(self, ref, repository):
        """The digests the local image ref is known by in repository (empty when there is no such image)."""
        rc, out, dummy = self.engine(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref])
        if rc != 0:
            return []
        try:
            entries = json.loads(out.strip().splitlines()[0]) or []
        except (ValueError, IndexError):
            return []
        return [e.partition('@')[2] for e in entries if e.partition('@')[0] == repository]

    def run(self):
        params = dict(self.module.params)
        resolved = verify_tags(self.runner, params, self.refs)
        todo, before, images = [], {}, {}
        for ref in self.refs:
            entry = resolved[ref]
            local = self.local_digests(ref, entry['repository'])
            before[ref] = entry['digest'] if entry['digest'] in local else (local[0] if local else None)
            reference = '%s@%s' % (entry['repository'], entry['digest'])
            images[ref] = dict(digest=entry['digest'], reference=reference, role=entry['role'],
                               pulled=entry['digest'] not in local)
            if entry['digest'] not in local:
                todo.append((ref, reference, 'not present' if not local else 'local tag points at %s' % local[0][:19]))
        done = []
        if not self.module.check_mode:
            for ref, reference, dummy in todo:
                for args in (['pull', reference], ['tag', reference, ref]):
                    rc, out, err = self.engine(args)
                    if rc != 0:
                        raise TrustError('%s %s failed%s: %s' % (os.path.basename(self.cli), ' '.join(args),
                                                                 ' (after %d done, see actions)' % len(done) if done else '',
                                                                 pull_failure(reference, (err or out).strip())),
                                         changed=bool(done), actions=done)
                done.append('pull %s as %s' % (reference, ref))
        return dict(changed=bool(todo), images=images,
                    actions=['pull %s as %s (%s)' % (reference, ref, why) for ref, reference, why in todo],
                    diff=dict(before=before, after=dict((ref, resolved[ref]['digest']) for ref in self.refs)))


def main():
    argument_spec = dict(docker_cli=alias(DOCKER_CLI_ARGS['docker_cli'], 'cli'))
    argument_spec.update(TARGET_ARGS)
    argument_spec.update(VERIFY_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **TARGET_RULES)
    run_module(module, lambda m: TrustPull(m).run())


if __name__ == '__main__':
    main()
