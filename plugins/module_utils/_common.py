# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every dct.trust_stack module shares: the error a module fails with, the module frame, and the
shared argument specs (documented in doc_fragments/trust.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Options every module that talks to a notary server takes (doc_fragments/trust.py, SERVER).
SERVER_ARGS = dict(
    server=dict(type='str'),
    config_dir=dict(type='path'),
    timeout=dict(type='int', default=120),
)
# ... and the modules that run the docker CLI (doc_fragments/trust.py, DOCUMENTATION).
TRUST_COMMON_ARGS = dict(SERVER_ARGS, docker_cli=dict(type='str', default='docker'))
# ... and the modules that run the notary CLI with a repository's keys (trust_key_rotate, trust_renew; each
# documents what it uses the passphrases for).
NOTARY_KEY_ARGS = dict(
    SERVER_ARGS,
    root_passphrase=dict(type='str', no_log=True),
    repository_passphrase=dict(type='str', no_log=True),
    snapshot_passphrase=dict(type='str', no_log=True),
    notary_cli=dict(type='str', default='notary'),
)
# ... and the modules that publish with the notary CLI (doc_fragments/trust.py, PUBLISH).
PUBLISH_ARGS = dict(publish_retries=dict(type='int', default=8))


class TrustError(Exception):
    """A failure with a message meant for the user; result holds what was done before it (for example
    changed=True and the tags already signed), reported with the failure."""

    def __init__(self, message, **result):
        super(TrustError, self).__init__(message)
        self.result = result


def publish_retries(params):
    """The publish_retries option, refused when negative."""
    if params['publish_retries'] < 0:
        raise TrustError('publish_retries must be 0 or more, not %d' % params['publish_retries'])
    return params['publish_retries']


def run_module(module, action):
    """Run action(module) and exit with its result, or fail with the TrustError it raised."""
    try:
        result = action(module)
    except TrustError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)
