#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_info
short_description: Read the Docker Content Trust data of repositories and tags
version_added: 0.1.0
description:
  - Reads each repository's trust data once with the notary CLI (C(notary list), whose TUF client fetches and
    verifies every role into the docker trust directory's cache) and returns its signed tags, signers and
    administrative keys, as C(docker trust inspect) shows them. Changes nothing, also in check mode. No docker CLI is
    needed.
  - Reports when each role's metadata expires (root, targets, snapshot, timestamp and every delegation),
    read from the notary server, and which roles are inside I(within_days) or already expired. A repository
    whose metadata has expired, which the notary client refuses, is reported as such (C(expired)), not as an
    error.
  - With I(all_repositories), reads the expiry of every repository on the notary server (its changefeed
    lists them), without running a CLI; this is the expiry radar of C(playbooks/expiry_report.yml).
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
options:
  images:
    description:
      - Repositories (C(localhost:5000/team/app)) or tags (C(localhost:5000/team/app:1.0)) to read.
      - Tags of one repository share one C(notary list) call.
      - One of I(images), I(repository) or I(all_repositories) is required.
    type: list
    elements: str
  repository:
    description:
      - The repository, C([host[:port]/]name), to read, as M(dct.trust_stack.trust_sign) takes it; with I(tags),
        the same as I(images) listing C(<repository>:<tag>) for each tag.
    type: str
    version_added: 0.7.0
  tags:
    description: Tags of I(repository) to report in C(tags).
    type: list
    elements: str
    default: []
    version_added: 0.7.0
  all_repositories:
    description:
      - Read every repository the notary server has trust data for, from its changefeed, and report
        only their expiry (no C(notary list), no signed tags). Needs the credentials of an
        administrator of every repository for I(registry) in C(<config_dir>/config.json) (the front lets only
        them read the whole changefeed).
    type: bool
    default: false
    version_added: 0.7.0
  registry:
    description:
      - The registry (C(host[:port])) whose credentials in C(<config_dir>/config.json) read the changefeed,
        with I(all_repositories).
    type: str
    version_added: 0.7.0
  expiry:
    description:
      - Whether to read each role's expiry from the notary server (one request per role). C(false) runs
        only C(notary list).
    type: bool
    default: true
    version_added: 0.7.0
  within_days:
    description:
      - The window, in days. A role that expires within it is listed in C(expiry.due). The timestamp, which
        the notary server re-signs itself, is never due.
    type: int
    default: 90
    version_added: 1.0.0
    aliases: [warn_days]
attributes:
  check_mode:
    support: full
    details: Read-only; runs in check mode too.
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Read the trust data of a repository
  dct.trust_stack.trust_info:
    images:
      - localhost:5000/team/app
    server: https://localhost:4443
  register: trust

- name: Show who signed 1.0
  ansible.builtin.debug:
    msg: "{{ trust.repositories['localhost:5000/team/app'].signed_tags['1.0'].signers }}"
'''

RETURN = r'''
repositories:
  description: Per repository, its trust data; C(exists) is false when it has none yet.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the repository has trust data on the server.
      type: bool
    signed_tags:
      description: Per signed tag, its C(digest) (hex sha256) and C(signers).
      type: dict
    signers:
      description: Per signer (delegation), the sorted key IDs.
      type: dict
    administrative_keys:
      description: Per administrative role (Root, Repository), the sorted key IDs.
      type: dict
    root_key_ids:
      description:
        - The root key IDs of C(root.json)'s root role, as verified by the notary CLI, which is what notary's trust pinning
          compares. Give them to P(dct.trust_stack.trust_client#role) (C(trust_client_trust_pins)),
          M(dct.trust_stack.trust_pull) and the P(dct.trust_stack.trusted_digest#lookup) lookup as C(pins).
      type: list
      elements: str
    targets_key_ids:
      description: The key IDs of the targets (repository) role in C(root.json).
      type: list
      elements: str
    expired:
      description:
        - Whether the notary client refused the repository because its metadata has expired; C(error) says
          what it said, and C(signed_tags) and C(signers) are empty.
      type: bool
    expiry:
      description:
        - When each role's metadata expires, read from the notary server as it serves it. It is not verified
          (a report, not a trust decision; the docker and notary CLIs verify). Null when I(expiry=false) or
          the repository has no trust data.
        - C(roles) maps each role (C(root), C(targets), C(snapshot), C(timestamp), C(targets/<name>)) to
          its C(expires) (UTC), C(days_left) (negative once expired), C(version), C(expired), C(due) (inside
          I(within_days) or expired) and C(renewed_by) (C(server) for the timestamp, C(publish) for the rest).
        - C(expired) and C(due) list those roles; C(soonest) is the role a publish renews that expires first.
      type: dict
  sample:
    localhost:5000/team/app:
      exists: true
      signed_tags:
        "1.0": {digest: 3c4e..., signers: [alice]}
      signers: {alice: [35a8...]}
      administrative_keys: {Root: [3b01...], Repository: [2112...]}
      root_key_ids: [3b01...]
      targets_key_ids: [2112...]
      expired: false
      expiry:
        window_days: 90
        expired: []
        due: []
        soonest: {role: targets, expires: "2029-12-03T16:51:34Z", days_left: 1095}
        roles:
          targets: {expires: "2029-12-03T16:51:34Z", days_left: 1095, version: 3, expired: false, due: false,
                    renewed_by: publish}
tags:
  description: Per requested tag (C(repository:tag)), its signed digest and signers, or null when unsigned.
  returned: always
  type: dict
due:
  description: Per repository with a role inside I(within_days) or expired, the list of those roles.
  returned: always
  type: dict
  sample: {"localhost:5000/team/app": ["targets", "targets/releases"]}
expiry_summary:
  description:
    - One row per repository with an expiry report, soonest expiry first; C(role), C(expires) and C(days_left)
      are those of its soonest role (timestamp aside), C(expired) and C(due) its roles expired and due.
    - With I(all_repositories), a repository the changefeed lists but the server serves no metadata for has a
      row too, first, with C(exists=false) and no expiry.
  returned: always
  type: list
  elements: dict
  sample:
    - {repository: "localhost:5000/team/app", exists: true, role: targets, expires: "2026-12-01T16:51:34Z",
       days_left: -3, expired: [targets], due: [targets]}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._options import GROUP_ARGS, alias
from ansible_collections.dct.trust_stack.plugins.module_utils._references import split_reference, split_repository
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import NotaryCLI
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import signed_tags, signer_keys
from ansible_collections.dct.trust_stack.plugins.module_utils._expiry import expiry_report, read_roles
from ansible_collections.dct.trust_stack.plugins.module_utils._verify import cached_root_roles

NO_TRUST_DATA = dict(exists=False, expired=False, signed_tags={}, signers={}, administrative_keys={}, root_key_ids=[],
                     targets_key_ids=[], expiry=None)


def describe(data, trust_dir, repository):
    if not data:
        return dict(NO_TRUST_DATA)
    admin = dict((k['Name'], sorted(key['ID'] for key in k.get('Keys') or [])) for k in data.get('AdministrativeKeys') or [])
    roles = cached_root_roles(trust_dir, repository)  # the notary CLI just verified and cached it
    return dict(exists=True, expired=False, signed_tags=signed_tags(data), signers=signer_keys(data),
                administrative_keys=admin, root_key_ids=sorted(roles['root']['keyids']),
                targets_key_ids=sorted(roles['targets']['keyids']), expiry=None)


def expired_repository(error, roles):
    """What is known of a repository the notary client refused as expired: its keys as the server serves them."""
    return dict(NO_TRUST_DATA, exists=True, expired=True, error=error,
                root_key_ids=sorted(roles['root']['roles']['root']['keyids']) if roles else [],
                targets_key_ids=sorted(roles['root']['roles']['targets']['keyids']) if roles else [])


def read_repository(module, cli, repository):
    p = module.params
    roles = read_roles(cli.metadata, repository) if p['expiry'] or p['all_repositories'] else None
    if p['all_repositories']:
        found = dict(NO_TRUST_DATA, exists=roles is not None)
    else:
        try:
            found = describe(cli.inspect(repository), cli.trust_dir, repository)
        except TrustError as exc:
            if not exc.result.get('expired'):
                raise
            found = expired_repository(str(exc), roles or read_roles(cli.metadata, repository))
    if roles is not None:
        found['expiry'] = expiry_report(roles, p['within_days'])
    return found


def summary_row(repository, found):
    """The radar's row of a repository: its soonest expiry; a repository the server lists but serves no metadata
    for gets a row with none (it is listed first)."""
    expiry = found['expiry'] or dict(soonest=None, expired=[], due=[])
    row = dict(role=None, expires=None, days_left=None, repository=repository, exists=found['exists'],
               expired=expiry['expired'], due=expiry['due'])
    row.update(expiry['soonest'] or {})
    return row


def run(module):
    p = module.params
    if p['within_days'] < 0:
        raise TrustError('within_days must be 0 or more, not %d' % p['within_days'])
    cli = NotaryCLI(module)
    given = [name for name in ('images', 'repository', 'all_repositories') if p[name]]
    if len(given) > 1:
        raise TrustError('give one of images, repository (with tags) and all_repositories, not %s' % ' and '.join(given))
    if p['tags'] and not p['repository']:
        raise TrustError('tags go with repository')
    if p['repository']:
        split_repository(p['repository'])  # a clear error for a bad name
        p['images'] = ['%s:%s' % (p['repository'], tag) for tag in p['tags']] or [p['repository']]
    cli.need_server()
    if p['all_repositories']:
        if not p['registry']:
            raise TrustError('all_repositories needs registry: the registry whose administrator credentials in %s/config.json '
                             'read the notary server\'s changefeed' % cli.config_dir)
        wanted = [(gun, gun, None) for gun in cli.repositories(p['registry'])]
    elif not p['images']:
        raise TrustError('one of images, repository (with tags) and all_repositories is required')
    else:
        wanted = [(ref,) + split_reference(ref) for ref in p['images']]
    cli.need_server()
    repositories = {}
    for dummy, repository, dummy_tag in wanted:
        if repository not in repositories:
            repositories[repository] = read_repository(module, cli, repository)
    tags = {}
    for dummy, repository, tag in wanted:
        if tag:
            tags['%s:%s' % (repository, tag)] = repositories[repository]['signed_tags'].get(tag)
    due = dict((repository, found['expiry']['due']) for repository, found in sorted(repositories.items())
               if found['expiry'] and found['expiry']['due'])
    summary = sorted((summary_row(repository, found) for repository, found in repositories.items()
                      if found['expiry'] or p['all_repositories']), key=lambda row: (row['expires'] or '', row['repository']))
    return dict(changed=False, repositories=repositories, tags=tags, due=due, expiry_summary=summary)


def main():
    argument_spec = dict(
        images=dict(type='list', elements='str'),
        repository=dict(type='str'),
        tags=dict(type='list', elements='str', default=[]),
        all_repositories=dict(type='bool', default=False),
        registry=dict(type='str'),
        expiry=dict(type='bool', default=True),
        within_days=alias(dict(type='int', default=90), 'warn_days'),
    )
    argument_spec.update(GROUP_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
