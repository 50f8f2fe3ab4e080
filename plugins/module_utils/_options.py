# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options several modules share, each defined once, under the names of the option vocabulary
(docs/ARCHITECTURE.md), with the names 0.9.0 used kept as deprecated aliases until 2.0.0.

Every constant is named <WHAT>_ARGS and documented by the doc fragment named beside it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

# env_fallback is what AnsibleModule applies; the trusted_digest lookup applies the same fallbacks itself
# (with_fallbacks below), so an option reads its environment variable in one way everywhere.
try:
    from ansible.module_utils.basic import env_fallback
except ImportError:  # pragma: no cover - always there in ansible-core
    env_fallback = None

REMOVED_IN = '2.0.0'
COLLECTION = 'dct.trust_stack'


def alias(spec, *old_names):
    """spec with old_names as its aliases, each deprecated (removed in REMOVED_IN)."""
    return dict(spec, aliases=list(old_names),
                deprecated_aliases=[dict(name=name, version=REMOVED_IN, collection_name=COLLECTION)
                                    for name in old_names])


# every module that talks to a notary server
SERVER_ARGS = dict(
    server=dict(type='str', fallback=(env_fallback, ['DOCKER_CONTENT_TRUST_SERVER'])),
    config_dir=dict(type='path'),
    timeout=dict(type='int', default=120),
)
# the container CLI (docker or podman), one name in every module
DOCKER_CLI_ARGS = dict(docker_cli=dict(type='str', default='docker'))
NOTARY_CLI_ARGS = dict(notary_cli=dict(type='str', default='notary'))
# every module of the action group dct.trust_stack.trust takes these, used or not, so that module_defaults of the
# group can set them for all (doc fragment dct.trust_stack.trust)
GROUP_ARGS = dict(SERVER_ARGS, **dict(DOCKER_CLI_ARGS, **NOTARY_CLI_ARGS))
# dct.trust_stack.trust.publish
PUBLISH_ARGS = dict(publish_retries=dict(type='int', default=8))
# the passphrases, one per kind of key (each module documents which it uses and for what)
PASSPHRASE_ARGS = dict(
    root_passphrase=dict(type='str', no_log=True),
    repository_passphrase=dict(type='str', no_log=True),
    snapshot_passphrase=dict(type='str', no_log=True),
    signer_passphrase=dict(type='str', no_log=True),
)
# dct.trust_stack.targets: what a module acts on: image references, or a repository and its tags
TARGET_ARGS = dict(
    images=alias(dict(type='list', elements='str'), 'image'),
    repository=dict(type='str'),
    tags=dict(type='list', elements='str'),
)
TARGET_RULES = dict(
    mutually_exclusive=[('images', 'repository')],
    required_one_of=[('images', 'repository')],
    required_by={'repository': 'tags'},
)
# dct.trust_stack.verify: how a tag is verified (the trusted_digest lookup and trust_pull)
VERIFY_ARGS = dict(
    server=SERVER_ARGS['server'],
    ca_cert=dict(type='path'),
    pins=dict(type='dict'),
    disable_tofu=dict(type='bool'),
    notary_config=dict(type='path'),
    cache_dir=alias(dict(type='path'), 'trust_dir'),
    signer=dict(type='str'),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    registry_check=dict(type='bool', default=False),
    registry_username=dict(type='str'),
    registry_password=dict(type='str', no_log=True),
    notary_cli=NOTARY_CLI_ARGS['notary_cli'],
    timeout=SERVER_ARGS['timeout'],
)
# dct.trust_stack.stack: a module that works on a stack's docker objects
STACK_ARGS = dict(
    stack=dict(type='str', required=True),
    docker_cli=DOCKER_CLI_ARGS['docker_cli'],
)


def with_fallbacks(params, spec):
    """params with each unset option of spec that has an env_fallback taken from its environment variable, as
    AnsibleModule does (for a plugin that is not a module: the trusted_digest lookup)."""
    params = dict(params)
    for name, option in spec.items():
        fallback = option.get('fallback')
        if params.get(name) is None and fallback and fallback[0] is env_fallback:
            for variable in fallback[1]:
                if os.environ.get(variable):
                    params[name] = os.environ[variable]
                    break
    return params
